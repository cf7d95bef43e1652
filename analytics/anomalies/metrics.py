"""The weekly metrics the detector watches, the units it watches them for, and shared labels.

Definitions (docs/methods/anomalies.md, docs/glossary.md):

- *week*: an ISO week; ``week_start`` is its Monday.
- *leads*: leads created in the week.
- *conversion rate*: won / closed among leads closed (won or lost) in the week (by
  ``closed_at``), as on the Overview page. Open leads are not in the denominator.
- *won revenue*: ``deals.amount`` signed in the week (by ``signed_at``; new, renewal and
  upsell), in the store's currency.
- *average deal value*: won revenue / number of deals signed in the week.

A *unit* is a region or a team (:data:`LEVEL_COLUMNS`).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Series label of a unit's total (all segments together).
TOTAL = "*"
#: Stored segment label for rows without a segment.
NO_SEGMENT = "(none)"
#: Unit columns by level (fixed names; never user input).
LEVEL_COLUMNS = {"region": "region_id", "team": "team_id"}
#: Default robust z threshold (the CLI's ``--sensitivity``).
DEFAULT_SENSITIVITY = 3.0
#: Per-row input columns of the detector (see :func:`analytics.anomalies.panel.detector_input`).
INPUT_COLUMNS = ("num", "den", "sq", "cu")


@dataclass(frozen=True)
class Metric:
    """How one weekly metric is read from the panel and modelled.

    ``kind``: ``count`` (Poisson), ``proportion`` (binomial ``num / den``), ``sum``
    (compound Poisson, ``sq`` holds the sum of squared amounts) or ``mean`` (``num / den``
    with ``sq`` for the variance). ``unit`` says how values are shown: count, rate or money.
    ``label`` is the metric inside a sentence (an English message id).
    """

    name: str
    kind: str
    num: str
    den: str | None
    sq: str | None
    cu: str | None
    unit: str
    label: str


METRICS: dict[str, Metric] = {
    "won_revenue": Metric(
        "won_revenue", "sum", "won_revenue", "deals", "won_revenue_sq", "won_revenue_cu", "money", "won revenue"
    ),
    "conversion_rate": Metric("conversion_rate", "proportion", "won", "closed", None, None, "rate", "conversion rate"),
    "leads": Metric("leads", "count", "leads", None, None, None, "count", "leads"),
    "avg_deal_value": Metric(
        "avg_deal_value",
        "mean",
        "won_revenue",
        "deals",
        "won_revenue_sq",
        "won_revenue_cu",
        "money",
        "average deal value",
    ),
}
DEFAULT_METRIC = "won_revenue"


def metric_spec(name: str) -> Metric:
    """The :class:`Metric` called ``name``.

    Raises
    ------
    ValueError
        ``name`` is not a key of :data:`METRICS` (the message names the choices).
    """
    if name not in METRICS:
        raise ValueError(f"Unknown metric '{name}'; choose one of {', '.join(METRICS)}.")
    return METRICS[name]


def level_column(level: str) -> str:
    """The unit column for ``region`` or ``team``.

    Raises
    ------
    ValueError
        ``level`` is neither ``region`` nor ``team``.
    """
    if level not in LEVEL_COLUMNS:
        raise ValueError(f"Unknown level '{level}'; choose region or team.")
    return LEVEL_COLUMNS[level]
