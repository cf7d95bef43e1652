"""Incentive plans, the pay engine, statements, risk and the three-dimension scorecard.

The public names below are what pages, the CLI and the audit area use; the modules are:

- :mod:`~analytics.incentives.inputs`: :func:`load_inputs`, one quarter read once;
- :mod:`~analytics.incentives.engine`: :func:`compute` / :func:`simulate`, pay and summary;
  :func:`quick`, the summary alone (what a slider move shows first);
- :mod:`~analytics.incentives.statements`: :func:`trace`, :func:`statement`, pay outputs
  and exports;
- :mod:`~analytics.incentives.comparison`: :func:`compare`, :func:`grade_migration`,
  :func:`payout_curve`;
- :mod:`~analytics.incentives.monte_carlo`: :func:`risk` / :func:`simulate_risk`;
- :mod:`~analytics.incentives.published`: :func:`publish` freezes a quarter's scorecard and pay
  as published; :func:`list_published`, :func:`load_published` and :func:`differences`
  (published against live);
- :mod:`~analytics.incentives.scorecard` (``scorecard``, ``what_if``) and the package
  :mod:`~analytics.incentives.plans` (plan model, TOML files, saved scenarios), imported as
  submodules: ``from analytics.incentives import plans, scorecard``.
"""

from analytics.incentives.comparison import compare, gainers_losers, grade_migration, payout_curve
from analytics.incentives.engine import (
    COMPONENTS,
    PER_REP_COLUMNS,
    QuickResult,
    SimulationResult,
    Summary,
    compute,
    gini,
    grade_reps,
    quick,
    simulate,
    top_collaboration_teams,
)
from analytics.incentives.inputs import PayInputs, load_inputs
from analytics.incentives.monte_carlo import AttainmentDraws, RiskResult, attainment_draws, risk, simulate_risk
from analytics.incentives.published import (
    Differences,
    Publication,
    Published,
    PublishError,
    differences,
    list_published,
    load_published,
    publish,
)
from analytics.incentives.statements import (
    STATEMENT_COLUMNS,
    TEAM_PAY_COLUMNS,
    TRACE_COLUMNS,
    neutralise,
    pay_by_team,
    pay_lines,
    statement,
    to_csv_bytes,
    to_xlsx_bytes,
    trace,
)

__all__ = [
    "COMPONENTS",
    "PER_REP_COLUMNS",
    "STATEMENT_COLUMNS",
    "TEAM_PAY_COLUMNS",
    "TRACE_COLUMNS",
    "AttainmentDraws",
    "Differences",
    "PayInputs",
    "Publication",
    "PublishError",
    "Published",
    "QuickResult",
    "RiskResult",
    "SimulationResult",
    "Summary",
    "attainment_draws",
    "compare",
    "compute",
    "differences",
    "gainers_losers",
    "gini",
    "grade_migration",
    "grade_reps",
    "list_published",
    "load_inputs",
    "load_published",
    "neutralise",
    "pay_by_team",
    "pay_lines",
    "payout_curve",
    "publish",
    "quick",
    "risk",
    "simulate",
    "simulate_risk",
    "statement",
    "to_csv_bytes",
    "to_xlsx_bytes",
    "top_collaboration_teams",
    "trace",
]
