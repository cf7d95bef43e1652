"""The plain-language findings of the talk-track analysis, as :class:`analytics.findings.Finding`.

Parameters follow the base naming rule (``_pct`` percent, ``_signed`` signed percent, ``_n``
count, ``_p`` p- or q-value); ``tag``, ``metric`` and ``metric2`` are stored values the
caller names through :func:`finding_labels`, and ``adjusted_for`` is an English phrase that
:func:`finding_labels` translates.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from analytics.findings import Finding
from analytics.i18n import translate
from analytics.stats import CONFIDENCE

#: The covariates the adjusted effect controls for, as a phrase (translated when rendered).
ADJUSTED_FOR = "source, segment, region, quarter, deal size and rep"
#: Text parameters that hold stored values (talk-track tags, driver metrics).
NAMED_PARAMS = ("tag", "metric", "metric2")


def finding_labels(lang: str, names: Callable[[str, object], str] | None = None) -> Callable[[str, object], str]:
    """The ``labels`` callback of :func:`analytics.findings.render` for talk-track and driver findings.

    Parameters
    ----------
    lang
        Language the ``adjusted_for`` phrase is translated into.
    names
        ``(name, value) -> display name`` for the stored values in :data:`NAMED_PARAMS`;
        without it they are shown as stored (the CLI keeps identifiers).
    """

    def label(name: str, value: object) -> str:
        if name == "adjusted_for":
            return translate(str(value), lang)
        if names is not None and name in NAMED_PARAMS:
            return names(name, value)
        return "—" if value is None else str(value)

    return label


def no_closed_leads() -> Finding:
    """The message when the selection has no closed leads."""
    return Finding(
        "No closed leads were created in the selected period and filters; choose a longer or earlier period."
    )


def no_tags(leads: int) -> Finding:
    """The message when none of the ``leads`` closed leads has a tagged call."""
    return Finding(
        "None of the {leads_n} closed leads in the selection has a call with a talk-track tag.", {"leads_n": leads}
    )


def hidden(tag: str, raw: dict[str, float], n_reps: int, min_group: int, min_reps: int) -> tuple[str, Finding | None]:
    """Why a tag is not reported: a short English reason for the table and its finding.

    ``raw`` holds ``n_treated`` and ``n_control``; a tag needs ``min_group`` leads with and
    without it and leads from ``min_reps`` reps. Returns ``("", None)`` when it is reported.
    """
    if raw["n_treated"] < min_group:
        return (
            f"only {raw['n_treated']} leads used it; at least {min_group} are needed",
            Finding(
                "'{tag}' is not reported: only {used_n} closed leads used it (at least {min_n} are needed).",
                {"tag": tag, "used_n": raw["n_treated"], "min_n": min_group},
            ),
        )
    if raw["n_control"] < min_group:
        return (
            f"only {raw['n_control']} leads did not use it; at least {min_group} are needed",
            Finding(
                "'{tag}' is not reported: only {unused_n} closed leads did not use it (at least {min_n} are needed).",
                {"tag": tag, "unused_n": raw["n_control"], "min_n": min_group},
            ),
        )
    if n_reps < min_reps:
        return (
            f"the leads come from only {n_reps} reps; at least {min_reps} are needed for the interval",
            Finding(
                "'{tag}' is not reported: the leads come from only {reps_n} reps "
                "(at least {min_n} are needed to estimate the uncertainty).",
                {"tag": tag, "reps_n": n_reps, "min_n": min_reps},
            ),
        )
    return "", None


def headline(row: pd.Series) -> Finding:
    """The plain-language statement for one reported tag (adjusted and raw lift).

    ``row`` is a row of the effects table (``tag``, ``adj_lift`` with its interval,
    ``raw_lift``, ``q_value``). The finding is ``good`` for a clear rise, ``warning`` for a
    clear fall (q below 1 - the confidence level) and ``info`` otherwise.
    """
    params = {
        "tag": row["tag"],
        "lift_pct": abs(row["adj_lift"]),
        "lo_signed": row["adj_lift_lo"],
        "hi_signed": row["adj_lift_hi"],
        "raw_signed": row["raw_lift"],
        "q_p": row["q_value"],
        "adjusted_for": ADJUSTED_FOR,
    }
    significant = row["q_value"] < 1 - CONFIDENCE
    if significant and row["adj_lift"] > 0:
        level = "good"
        template = (
            "Using '{tag}' raises conversion by {lift_pct} ({lo_signed} to {hi_signed}) after adjusting for "
            "{adjusted_for}; the raw comparison says {raw_signed}."
        )
    elif significant:
        level = "warning"
        template = (
            "Using '{tag}' lowers conversion by {lift_pct} ({lo_signed} to {hi_signed}) after adjusting for "
            "{adjusted_for}; the raw comparison says {raw_signed}."
        )
    else:
        level = "info"
        template = (
            "No clear effect of '{tag}' after adjusting for {adjusted_for}: {adj_signed} ({lo_signed} to "
            "{hi_signed}, q = {q_p}); the raw comparison says {raw_signed}."
        )
        params["adj_signed"] = row["adj_lift"]
    return Finding(template, params, level=level)


def sample_note(n_closed: int, n_leads: int) -> Finding:
    """The sentence that says the estimates use a random sample of ``n_leads`` of ``n_closed`` closed leads."""
    return Finding(
        "The selection has {closed_n} closed leads; to stay within memory and time the estimates use a random "
        "sample of {leads_n} of them ({share_pct}), the same on every run. Intervals and q-values reflect the sample; "
        "a shorter period or a region uses every lead.",
        {"closed_n": n_closed, "leads_n": n_leads, "share_pct": n_leads / n_closed},
    )
