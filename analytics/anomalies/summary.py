"""The plain-language summary of one unit-week: headline, top segment driver, behaviour change.

Every sentence is an :class:`analytics.findings.Finding` (English template, parameters whose
kinds follow the name suffix: ``_pct``, ``_signed``, ``_money``, ``_n``, ``_num``), shown
with :func:`analytics.findings.render` on the page, in the CLI and in JSON. The text
parameters ``unit``, ``segment`` (``*`` = all segments) and ``tag`` are stored values shown
by display name; ``metric`` (a metric name) and ``term`` (a message id) are translated:
:func:`finding_labels` builds the ``labels`` callback that does both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date

import numpy as np
import pandas as pd

from analytics.anomalies.metrics import METRICS, TOTAL, metric_spec
from analytics.anomalies.shift_share import Decomposition
from analytics.findings import Finding
from analytics.i18n import translate
from analytics.periods import iso_week_label

#: Behaviour changes with |z| at least this are named in the summary.
NOTABLE_Z = 2.0
#: Text parameters shown by display name (stored values).
NAMED_PARAMS = ("unit", "segment", "tag")

_HEADLINE = {
    "money": "{unit}, week {week}: {metric} {change_signed} vs expected ({actual_money} against {expected_money}).",
    "rate": "{unit}, week {week}: {metric} {change_signed} vs expected ({actual_pct} against {expected_pct}).",
    "count": "{unit}, week {week}: {metric} {change_signed} vs expected ({actual_n} against {expected_n}).",
}
_DRIVER = {
    ("down", "rate"): "{share_pct} of the drop is the {segment} segment's {term} ({before_pct} → {after_pct}).",
    ("down", "money"): "{share_pct} of the drop is the {segment} segment's {term} ({before_money} → {after_money}).",
    ("down", "count"): "{share_pct} of the drop is the {segment} segment's {term} ({before_n} → {after_n}).",
    ("up", "rate"): "{share_pct} of the rise is the {segment} segment's {term} ({before_pct} → {after_pct}).",
    ("up", "money"): "{share_pct} of the rise is the {segment} segment's {term} ({before_money} → {after_money}).",
    ("up", "count"): "{share_pct} of the rise is the {segment} segment's {term} ({before_n} → {after_n}).",
}
_VOLUME_DRIVER = {
    "down": "{share_pct} of the drop is fewer closed leads overall ({before_n} → {after_n}).",
    "up": "{share_pct} of the rise is more closed leads overall ({before_n} → {after_n}).",
}
_LARGEST = {
    ("down", "rate"): "The largest downward term is the {segment} segment's {term} ({before_pct} → {after_pct}); "
    "other terms offset part of it.",
    ("down", "money"): "The largest downward term is the {segment} segment's {term} ({before_money} → {after_money}); "
    "other terms offset part of it.",
    ("down", "count"): "The largest downward term is the {segment} segment's {term} ({before_n} → {after_n}); "
    "other terms offset part of it.",
    ("up", "rate"): "The largest upward term is the {segment} segment's {term} ({before_pct} → {after_pct}); "
    "other terms offset part of it.",
    ("up", "money"): "The largest upward term is the {segment} segment's {term} ({before_money} → {after_money}); "
    "other terms offset part of it.",
    ("up", "count"): "The largest upward term is the {segment} segment's {term} ({before_n} → {after_n}); "
    "other terms offset part of it.",
}
_LARGEST_VOLUME = {
    "down": "The largest downward term is fewer closed leads overall ({before_n} → {after_n}); "
    "other terms offset part of it.",
    "up": "The largest upward term is more closed leads overall ({before_n} → {after_n}); "
    "other terms offset part of it.",
}
_BEHAVIOUR = {
    ("talk_track", "down"): "Use of the '{tag}' talk track fell from {before_pct} to {after_pct} of calls ({segment}).",
    ("talk_track", "up"): "Use of the '{tag}' talk track rose from {before_pct} to {after_pct} of calls ({segment}).",
    (
        "needs_discovery_score",
        "down",
    ): "The average needs-discovery score fell from {before_num} to {after_num} ({segment}).",
    (
        "needs_discovery_score",
        "up",
    ): "The average needs-discovery score rose from {before_num} to {after_num} ({segment}).",
}


def summarise(unit: str, week: date, metric: str, seg: Decomposition, behaviour: pd.DataFrame) -> tuple[Finding, ...]:
    """Plain-language summary: headline, top segment driver, most notable behaviour change.

    Parameters
    ----------
    unit, week
        The unit and the Monday of the week.
    metric
        A key of :data:`~analytics.anomalies.metrics.METRICS`.
    seg
        The decomposition by segment of the week's change.
    behaviour
        :func:`analytics.anomalies.behaviour.behaviour_deltas` of the unit-week; the change
        with the largest ``|z|`` (at least :data:`NOTABLE_Z`) in the top driver's segment
        (else all segments) is named.

    Returns
    -------
    tuple of Finding
        One to three findings, in reading order.
    """
    spec = metric_spec(metric)
    out: list[Finding] = []
    if not (np.isfinite(seg.actual) and np.isfinite(seg.expected)):
        return (
            Finding(
                "{unit}, week {week}: {metric} cannot be computed (no closed leads or deals).",
                {"unit": unit, "week": iso_week_label(week), "metric": metric},
            ),
        )
    kind = spec.unit
    sfx = {"money": "money", "rate": "pct", "count": "n"}[kind]
    change = seg.change / seg.expected if seg.expected else float("nan")
    out.append(
        Finding(
            _HEADLINE[kind],
            {
                "unit": unit,
                "week": iso_week_label(week),
                "metric": metric,
                "change_signed": change,
                f"actual_{sfx}": seg.actual,
                f"expected_{sfx}": seg.expected,
            },
        )
    )
    top = seg.top_driver()
    if top is None:
        return tuple(out)
    direction = "down" if seg.change < 0 else "up"
    vsfx = {"money": "money", "rate": "pct", "count": "n"}[top["value_unit"]]
    params = {
        "share_pct": float(top["share"]),
        f"before_{vsfx}": float(top["before"]),
        f"after_{vsfx}": float(top["after"]),
    }
    whole = 0 < float(top["share"]) <= 1  # "x% of the drop" only reads right when other terms do not offset it
    if top["key"] == TOTAL:
        template = _VOLUME_DRIVER[direction] if whole else _LARGEST_VOLUME[direction]
        out.append(Finding(template, params if whole else {k: v for k, v in params.items() if k != "share_pct"}))
    else:
        template = _DRIVER[direction, top["value_unit"]] if whole else _LARGEST[direction, top["value_unit"]]
        if not whole:
            params.pop("share_pct")
        out.append(Finding(template, {"segment": top["key"], "term": _TERM_WORDS[metric, top["term"]], **params}))
    if behaviour.empty:
        return tuple(out)
    scope_seg = top["key"] if top["key"] in set(behaviour["scope"]) else TOTAL
    cand = behaviour[(behaviour["scope"] == scope_seg) & behaviour["z"].notna()]
    cand = cand[cand["z"].abs() >= NOTABLE_Z]
    if len(cand):
        b = cand.loc[cand["z"].abs().idxmax()]
        bdir = "down" if b["change"] < 0 else "up"
        bp: dict[str, object] = {"segment": scope_seg}
        if b["behaviour"] == "talk_track":
            bp.update({"tag": b["tag"], "before_pct": float(b["before"]), "after_pct": float(b["after"])})
        else:
            bp.update({"before_num": float(b["before"]), "after_num": float(b["after"])})
        out.append(Finding(_BEHAVIOUR[b["behaviour"], bdir], bp))
    return tuple(out)


#: Words for a term in a sentence, per metric (message ids, translated when rendered).
_TERM_WORDS = {
    ("conversion_rate", "mix"): "share of closed leads",
    ("conversion_rate", "rate"): "conversion",
    ("won_revenue", "mix"): "share of closed leads",
    ("won_revenue", "rate"): "conversion",
    ("won_revenue", "value"): "revenue per win",
    ("won_revenue", "other"): "renewal and upsell revenue",
    ("won_revenue", "volume"): "closed leads",
    ("leads", "volume"): "leads",
    ("avg_deal_value", "mix"): "share of deals",
    ("avg_deal_value", "value"): "average deal value",
}


def finding_labels(lang: str, names: Mapping[str, Mapping[str, str]] | None = None) -> Callable[[str, object], str]:
    """The ``labels`` callback of :func:`analytics.findings.render` for anomaly findings.

    Parameters
    ----------
    lang
        ``en`` or ``zh``.
    names
        Display names per text parameter (``unit``, ``segment``, ``tag``): stored value ->
        name. A value without a name is shown with ``_`` as a space.

    Returns
    -------
    callable
        ``(name, value) -> text``: ``metric`` -> its translated label, ``term`` -> its
        translation, ``segment`` ``*`` -> "all segments", named values by display name,
        anything else as is.
    """
    names = names or {}

    def label(name: str, value: object) -> str:
        if value is None:
            return "—"
        text = str(value)
        if name == "metric":
            return translate(METRICS[text].label, lang) if text in METRICS else text
        if name == "term":
            return translate(text, lang)
        if name == "segment" and text == TOTAL:
            return translate("all segments", lang)
        if name in NAMED_PARAMS:
            return names.get(name, {}).get(text, text.replace("_", " "))
        return text

    return label
