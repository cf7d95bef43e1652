"""Explain one unit-week: the detector's point, the shift-share decomposition of its change by
segment, lead source and rep, the behaviour changes, and a plain-language summary.

The decomposition itself is :mod:`analytics.anomalies.shift_share` (formulas and references
there); the source / rep aggregates and the behaviour deltas are
:mod:`analytics.anomalies.behaviour`; the sentences are :mod:`analytics.anomalies.summary`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from analytics.access import Scope
from analytics.anomalies.behaviour import DIMENSIONS, behaviour_deltas, dimension_frame
from analytics.anomalies.detector import fit_detector
from analytics.anomalies.metrics import DEFAULT_METRIC, DEFAULT_SENSITIVITY, TOTAL, level_column, metric_spec
from analytics.anomalies.panel import weekly_panel
from analytics.anomalies.shift_share import Decomposition, decompose, keyed_aggregates, reference_point
from analytics.anomalies.summary import finding_labels, summarise
from analytics.filters import Filters
from analytics.findings import Finding, render
from analytics.periods import iso_week_label, week_start
from analytics.store import Store

#: Reps listed in the by-rep decomposition (largest contributions first).
TOP_REPS = 15


class ExplainError(ValueError):
    """A request that cannot be explained (unknown unit, week outside the data, short history).

    ``finding`` (template, parameters, level ``warning``) lets the page and the CLI render the
    message in their language with :func:`analytics.findings.render`; ``template`` and
    ``params`` are its parts; ``str()`` is the English.
    """

    def __init__(self, template: str, **params: object) -> None:
        self.template = template
        self.params = params
        self.finding = Finding(template, dict(params), kinds={"n": "count", "events": "count"}, level="warning")
        super().__init__(render(self.finding, "en"))


@dataclass(frozen=True)
class Explanation:
    """Everything the drill-down shows for one unit-week.

    ``point``: the detector's row for the unit's total (actual, expected, lower, upper, z,
    score...). ``decompositions``: dimension -> :class:`Decomposition` (segment, source,
    rep). ``behaviour``: one row per (segment scope, behaviour): ``scope`` (``*`` or a
    segment), ``behaviour`` (``talk_track`` or ``needs_discovery_score``), ``tag``,
    ``before`` / ``after`` (share of calls using the tag, or the mean score), ``change``,
    ``z`` (two-proportion / Welch z of after vs before), ``calls_before`` (weekly average),
    ``calls_after``, ``others_before`` / ``others_after`` (the other units, same weeks).
    ``summary``: plain-language :class:`~analytics.findings.Finding` s (see
    :mod:`analytics.anomalies.summary`). ``rep_names``: rep_id -> name.
    """

    unit: str
    level: str
    week_start: date
    metric: str
    sensitivity: float
    baseline_weeks: tuple[date, ...]
    ref_factor: float
    point: dict[str, Any]
    decompositions: dict[str, Decomposition]
    behaviour: pd.DataFrame
    summary: tuple[Finding, ...]
    rep_names: dict[str, str]

    def to_dict(self, lang: str = "en", *, labels: Callable[[str, object], str] | None = None) -> dict[str, Any]:
        """JSON-ready form (the ``explain`` command's output); keys are stable English names.

        ``summary`` holds the findings rendered in ``lang`` (with ``labels``, by default
        :func:`~analytics.anomalies.summary.finding_labels`).
        """
        labels = labels or finding_labels(lang)
        seg = self.decompositions["segment"]
        top = seg.top_driver()

        def rows(df: pd.DataFrame) -> list[dict[str, Any]]:
            return [{k: _plain(v) for k, v in r.items()} for r in df.to_dict(orient="records")]

        return {
            self.level: self.unit,
            "week_start": self.week_start.isoformat(),
            "week_label": iso_week_label(self.week_start),
            "metric": self.metric,
            **{k: _plain(v) for k, v in self.point.items()},
            "change": _plain(seg.change),
            "change_pct": _plain(seg.change / seg.expected if seg.expected else np.nan),
            "ref_factor": _plain(self.ref_factor),
            "baseline_weeks": [w.isoformat() for w in self.baseline_weeks],
            "top_driver": None if top is None else f"{top['key']}:{top['term']}",
            "top_driver_share": None if top is None else _plain(top["share"]),
            "summary": [render(f, lang, labels=labels) for f in self.summary],
            "decomposition": {d: rows(dec.terms) for d, dec in self.decompositions.items()},
            "behaviour": rows(self.behaviour),
        }


def _plain(v: Any) -> Any:
    if isinstance(v, (np.floating, float)):
        return None if not np.isfinite(v) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if isinstance(v, date):
        return v.isoformat()
    return v


def explain(
    store: Store,
    filters: Filters,
    scope: Scope,
    *,
    unit: str,
    week: date,
    metric: str = DEFAULT_METRIC,
    level: str = "region",
    sensitivity: float = DEFAULT_SENSITIVITY,
    by_segment: bool = True,
    **params: Any,
) -> Explanation:
    """Decompose one unit-week's change vs its expected value, and list behaviour changes.

    Parameters
    ----------
    store, filters, scope
        The data, the selection (its segments restrict the rows; the history before its
        start is always read) and the reader's access scope.
    unit
        Region id (or team id with ``level="team"``).
    week
        Any day of the ISO week; its Monday is used.
    metric, level, sensitivity, by_segment, params
        As for :func:`analytics.anomalies.detect` (the same detector gives the baseline weeks,
        the company-wide factor and the band).

    Raises
    ------
    ExplainError
        Unknown unit, week outside the data, or too little history for a baseline.
    """
    spec = metric_spec(metric)
    unit_col = level_column(level)
    week = week_start(week)
    panel = weekly_panel(store, filters, scope, level=level)
    if panel.empty:
        raise ExplainError("The selection has no leads or deals; nothing to explain.")
    if unit not in set(panel["unit"]):
        raise ExplainError(
            "'{unit}' has no leads or deals in the selection; choose one of {choices}.",
            unit=unit,
            choices=", ".join(sorted(panel["unit"].unique())[:20]),
        )
    det = fit_detector(panel, spec.name, sensitivity=sensitivity, by_segment=by_segment, **params)
    if week not in det.weeks_:
        raise ExplainError(
            "The week of {week} is outside the data ({first} to {last}).",
            week=week.isoformat(),
            first=det.weeks_[0].isoformat(),
            last=det.weeks_[-1].isoformat(),
        )
    g, point_row = reference_point(det, unit, week)
    base_weeks = det.baseline_weeks_.get((unit, week), ())
    if point_row is None or len(base_weeks) < det.min_history_weeks or not np.isfinite(point_row["expected"]):
        raise ExplainError(
            "'{unit}' has too little history before {week} for a baseline: it needs {n} earlier "
            "weeks with activity and at least {events} events in them. Choose a later week.",
            unit=unit,
            week=week.isoformat(),
            n=det.min_history_weeks,
            events=det.min_baseline_events,
        )
    us = det.unit_scores_
    u_row = us[(us["unit"] == unit) & (us["week_start"] == week)].iloc[0]
    point = {k: point_row[k] for k in ("actual", "expected", "lower", "upper", "z", "phi")}
    point.update(
        {
            "score": u_row["score"],
            "flagged": bool(u_row["flagged"]),
            "flagged_series": u_row["series"] if bool(u_row["flagged"]) else None,
        }
    )
    decs = {}
    cur, base = keyed_aggregates(panel[panel["unit"] == unit], "segment", spec.name, base_weeks, week)
    decs["segment"] = decompose(cur, base, spec.name, g, dimension="segment")
    first = min(base_weeks)
    for dim in ("source", "rep"):
        frame = dimension_frame(store, filters, scope, unit_col, unit, DIMENSIONS[dim], first, week)
        cur, base = keyed_aggregates(frame, "key", spec.name, base_weeks, week)
        dec = decompose(cur, base, spec.name, g, dimension=dim)
        if dim == "rep":
            dec = Decomposition(dim, dec.metric, dec.actual, dec.expected, dec.terms.head(TOP_REPS * 3))
        decs[dim] = dec
    behaviour = behaviour_deltas(
        store, filters, scope, unit_col=unit_col, unit=unit, week=week, baseline_weeks=base_weeks
    )
    rep_ids = sorted(set(decs["rep"].terms["key"]) - {TOTAL})
    names = store.query("SELECT rep_id, rep_name FROM reps WHERE list_contains(?::VARCHAR[], rep_id)", [rep_ids])
    summary = summarise(unit, week, spec.name, decs["segment"], behaviour)
    return Explanation(
        unit=unit,
        level=level,
        week_start=week,
        metric=spec.name,
        sensitivity=sensitivity,
        baseline_weeks=tuple(base_weeks),
        ref_factor=g,
        point=point,
        decompositions=decs,
        behaviour=behaviour,
        summary=summary,
        rep_names=dict(zip(names["rep_id"], names["rep_name"], strict=True)),
    )
