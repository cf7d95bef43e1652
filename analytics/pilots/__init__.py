"""Pilot evaluation against comparable control teams (synthetic difference-in-differences).

Modules: :mod:`~analytics.pilots.panel` (team x quarter data and the pre / post split),
:mod:`~analytics.pilots.sdid` (the estimators and placebo inference),
:mod:`~analytics.pilots.findings`, :mod:`~analytics.pilots.result` and
:mod:`~analytics.pilots.evaluation` (the whole evaluation).
"""

from analytics.pilots.evaluation import evaluate_pilot
from analytics.pilots.findings import pilot_findings
from analytics.pilots.panel import (
    BUILTIN_METRICS,
    available_metrics,
    pilot_flags,
    split_periods,
    team_panel,
    value_kind,
    wide_panel,
)
from analytics.pilots.result import PilotResult
from analytics.pilots.sdid import (
    DEFAULT_MATCHES,
    DEFAULT_PLACEBOS,
    MDE_FACTOR,
    METHODS,
    PanelEstimate,
    estimate_panel,
    simplex_least_squares,
)

__all__ = [
    "BUILTIN_METRICS",
    "DEFAULT_MATCHES",
    "DEFAULT_PLACEBOS",
    "MDE_FACTOR",
    "METHODS",
    "PanelEstimate",
    "PilotResult",
    "available_metrics",
    "estimate_panel",
    "evaluate_pilot",
    "pilot_findings",
    "pilot_flags",
    "simplex_least_squares",
    "split_periods",
    "team_panel",
    "value_kind",
    "wide_panel",
]
