"""Plain-language findings of a pilot evaluation (:class:`analytics.findings.Finding`)."""

from __future__ import annotations

import math

from analytics.findings import Finding
from analytics.pilots.panel import value_kind
from analytics.pilots.result import PilotResult
from analytics.pilots.sdid import LEVEL

#: Warn when the pilot teams average fewer observations (reps, leads...) per quarter than this
#: share of the median control team: the placebo interval assumes they are equally noisy.
SMALL_PILOT_SHARE = 0.75


def pilot_findings(r: PilotResult) -> list[Finding]:
    """Plain-language findings of a pilot evaluation (English templates + parameters).

    Effects, bounds and minimum detectable effects are formatted like the metric's values
    (:func:`analytics.pilots.panel.value_kind`: a percentage for rates, money for revenue);
    the ``metric`` parameter is text (pages pass a display name through ``labels``).
    """
    out: list[Finding] = []
    kind = value_kind(r.metric)
    num = {
        "effect": kind,
        "lo": kind,
        "hi": kind,
        "p": "p",
        "mde": kind,
        "n": "count",
        "rel": "signed_percent",
    }
    params = {
        "effect": r.effect,
        "lo": r.lo,
        "hi": r.hi,
        "p": r.p_value,
        "mde": r.mde,
        "n": r.n_pool,
        "metric": r.metric,
        "rel": r.effect / r.baseline if r.baseline else math.nan,
    }
    if math.isnan(r.p_value):
        out.append(
            Finding(
                "Only {n} control teams: too few placebo comparisons for an interval or a p-value.",
                {"n": r.n_pool},
                {"n": "count"},
                "warning",
            )
        )
    elif r.p_value < 1 - LEVEL and (r.lo > 0 or r.hi < 0):
        out.append(
            Finding(
                "The pilot changed {metric} by {effect} ({rel} of the pre-pilot level; 95% interval {lo} to {hi}, "
                "p = {p}), compared with {n} control teams.",
                params,
                num,
                "good",
            )
        )
    else:
        out.append(
            Finding(
                "No detectable effect on {metric}: the estimate {effect} (95% interval {lo} to {hi}, p = {p}) is within "
                "what control teams show by chance.",
                params,
                num,
                "info",
            )
        )
    if not math.isnan(r.mde):
        out.append(
            Finding(
                "With this design (these pilot teams, {post} quarters after the start) only effects of about {mde} "
                "or more would be detected reliably (80% power).",
                {"mde": r.mde, "post": len(r.mde_by_post)},
                {"mde": kind, "post": "count"},
                "info",
            )
        )
    bad = r.placebo_in_time[r.placebo_in_time["p_value"] < 1 - LEVEL] if len(r.placebo_in_time) else []
    if len(bad):
        first = bad.iloc[0]
        out.append(
            Finding(
                "Placebo-in-time check failed: pretending the pilot started in {q} shows an effect of {effect} "
                "(p = {p}) before anything changed; the pilot and control teams were already drifting apart, so treat "
                "the estimate with caution.",
                {"q": first["fake_start"], "effect": first["effect"], "p": first["p_value"]},
                {"effect": kind, "p": "p"},
                "warning",
            )
        )
    elif len(r.placebo_in_time):
        out.append(
            Finding(
                "Placebo-in-time check passed: no effect appears at fake start quarters before the pilot.", level="good"
            )
        )
    if r.pilot_size < SMALL_PILOT_SHARE * r.pool_size:
        out.append(
            Finding(
                "The pilot teams' values rest on fewer observations ({pilot} per team and quarter) than a typical "
                "control team's ({pool}), so they are noisier and the interval may be too narrow.",
                {"pilot": r.pilot_size, "pool": r.pool_size},
                {"pilot": "number", "pool": "number"},
                "warning",
            )
        )
    return out
