"""Incentive plans: the model and its validation, TOML files, and saved scenarios.

A plan (``data/plans/*.toml``) holds the payout rules of the incentive engine
(:mod:`analytics.incentives`) and the scorecard configuration
(:mod:`analytics.incentives.scorecard`). The package has three parts:

- :mod:`~analytics.incentives.plans.model`: the metric catalogue, the frozen :class:`Plan`
  dataclasses, :func:`validate` and the what-if edits;
- :mod:`~analytics.incentives.plans.loader`: TOML text to a validated plan
  (:func:`load_plan`) and back (:func:`to_toml`), and the bundled plans;
- :mod:`~analytics.incentives.plans.scenarios`: revisions saved in the store, and the plan
  choices a page can start from.

The semantics of every field are in docs/methods/incentives.md and docs/methods/scorecard.md.
"""

from analytics.incentives.plans.loader import (
    PLANS_DIR,
    REFERENCE_PLAN,
    bundled_plans,
    load_plan,
    plan_from_dict,
    plan_hash,
    reference_plan,
    to_toml,
)
from analytics.incentives.plans.model import (
    COMMISSION_MODES,
    DEAL_TYPES,
    DIMENSIONS,
    GRADES,
    GRADING_METHODS,
    METRICS,
    NORMALISE_METHODS,
    OVER_BUDGET_MODES,
    THRESHOLD_GRADES,
    WEIGHT_TOLERANCE,
    BaseBonus,
    Budget,
    Commission,
    Innovation,
    MetricInfo,
    Pairs,
    Plan,
    PlanError,
    RoleWeights,
    ScorecardConfig,
    TeamPool,
    Tier,
    rescale_weights,
    validate,
    with_dimension_weight,
    with_metric_weight,
)
from analytics.incentives.plans.scenarios import (
    MAX_SCENARIO_NAME,
    SCENARIO_COLUMNS,
    list_scenarios,
    load_choice,
    load_scenario,
    parse_scenario_ref,
    plan_choices,
    save_scenario,
)

__all__ = [
    "COMMISSION_MODES",
    "DEAL_TYPES",
    "DIMENSIONS",
    "GRADES",
    "GRADING_METHODS",
    "MAX_SCENARIO_NAME",
    "METRICS",
    "NORMALISE_METHODS",
    "OVER_BUDGET_MODES",
    "PLANS_DIR",
    "REFERENCE_PLAN",
    "SCENARIO_COLUMNS",
    "THRESHOLD_GRADES",
    "WEIGHT_TOLERANCE",
    "BaseBonus",
    "Budget",
    "Commission",
    "Innovation",
    "MetricInfo",
    "Pairs",
    "Plan",
    "PlanError",
    "RoleWeights",
    "ScorecardConfig",
    "TeamPool",
    "Tier",
    "bundled_plans",
    "list_scenarios",
    "load_choice",
    "load_plan",
    "load_scenario",
    "parse_scenario_ref",
    "plan_choices",
    "plan_from_dict",
    "plan_hash",
    "reference_plan",
    "rescale_weights",
    "save_scenario",
    "to_toml",
    "validate",
    "with_dimension_weight",
    "with_metric_weight",
]
