"""Pilot evaluation against comparable control teams (synthetic difference-in-differences)."""

from analytics.pilots.evaluation import (
    DEFAULT_MATCHES,
    MDE_FACTOR,
    available_metrics,
    estimate_panel,
    evaluate_pilot,
    pilot_flags,
    simplex_least_squares,
    team_panel,
)

__all__ = [
    "DEFAULT_MATCHES",
    "MDE_FACTOR",
    "available_metrics",
    "estimate_panel",
    "evaluate_pilot",
    "pilot_flags",
    "simplex_least_squares",
    "team_panel",
]
