"""Attribution: lead source x conversion cycle x deal value, and multi-touch credit.

Public API: the lead-source analysis (:mod:`~analytics.attribution.sources`) below, and the
multi-touch credit models in :mod:`analytics.attribution.touch` (``touch_credit``,
``compare_models``, ``MODELS``).
"""

from analytics.attribution.sources import (
    BASELINE_ALL,
    BASELINE_PUBLIC,
    FINDING_ALPHA,
    FINDING_TEMPLATES,
    FUNNEL_STEPS,
    GROUP_DIMS,
    PUBLIC_SOURCES,
    SOURCE_COLUMNS,
    bootstrap_mean_median,
    conversion_curves,
    group_dims,
    headlines,
    kaplan_meier,
    lead_sources,
    rate_ratio,
    source_funnel,
    source_table,
    survival_counts,
)
from analytics.attribution.touch import MODELS, TOUCH_COLUMNS, compare_models, touch_credit

__all__ = [
    "BASELINE_ALL",
    "BASELINE_PUBLIC",
    "FINDING_ALPHA",
    "FINDING_TEMPLATES",
    "FUNNEL_STEPS",
    "GROUP_DIMS",
    "MODELS",
    "PUBLIC_SOURCES",
    "SOURCE_COLUMNS",
    "TOUCH_COLUMNS",
    "bootstrap_mean_median",
    "compare_models",
    "conversion_curves",
    "group_dims",
    "headlines",
    "kaplan_meier",
    "lead_sources",
    "rate_ratio",
    "source_funnel",
    "source_table",
    "survival_counts",
    "touch_credit",
]
