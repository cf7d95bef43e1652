"""Cached incentive-engine calls for the Incentive lab.

The engine works on one quarter's :class:`analytics.incentives.PayInputs`, which is large and
slow to hash, so every call goes through :func:`ui.data.run_with` keyed on what identifies the
inputs (quarter, scope, shown regions and teams) instead of the inputs themselves. Plans are
frozen, hashable values and are part of each cache key. Calls that combine two results
(winners and losers, grade migration) or read one rep's lines (trace, statement) take plans,
not results, so their cache key stays small; the functions below are module level so the
cache can name them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from analytics import incentives
from analytics.incentives.plans import Plan
from ui import data


def compare_plans(inputs: incentives.PayInputs, a: Plan, b: Plan) -> pd.DataFrame:
    """Winners and losers from plan ``a`` to plan ``b`` (:func:`analytics.incentives.compare`)."""
    return incentives.compare(incentives.compute(inputs, a), incentives.compute(inputs, b))


def migrate_plans(inputs: incentives.PayInputs, a: Plan, b: Plan) -> Any:
    """Grade migration from plan ``a`` to plan ``b`` (:func:`analytics.incentives.grade_migration`)."""
    return incentives.grade_migration(incentives.compute(inputs, a), incentives.compute(inputs, b))


def trace_rep(inputs: incentives.PayInputs, plan: Plan, rep_id: str) -> pd.DataFrame:
    """One rep's payout lines under ``plan`` (:func:`analytics.incentives.trace`)."""
    return incentives.trace(incentives.compute(inputs, plan), rep_id)


def statement_reps(inputs: incentives.PayInputs, plan: Plan, rep_ids: tuple[str, ...]) -> pd.DataFrame:
    """Payout statements of ``rep_ids`` under ``plan`` (:func:`analytics.incentives.statement`)."""
    return incentives.statement(incentives.compute(inputs, plan), rep_ids)


@dataclass(frozen=True, eq=False)
class LabData:
    """One quarter's engine inputs for one identity, with every engine call cached.

    ``key`` identifies ``inputs`` completely for the result cache and includes the scope.
    """

    inputs: incentives.PayInputs
    key: tuple[Any, ...]

    @property
    def roles(self) -> list[str]:
        """The roles of the quarter's reps, sorted."""
        return sorted({str(r) for r in self.inputs.reps["role"].dropna()})

    def compute(self, plan: Plan) -> incentives.SimulationResult:
        """Every visible rep's pay under ``plan``."""
        return data.run_with(self.key, incentives.compute, self.inputs, plan)

    def risk(self, plan: Plan, *, draws: int, shift: float) -> Any:
        """Monte Carlo of the total cost under ``plan``."""
        return data.run_with(self.key, incentives.risk, self.inputs, plan, draws=draws, shift=shift)

    def payout_curve(self, plan: Plan) -> pd.DataFrame:
        """Pay of the typical rep against attainment under ``plan``."""
        return data.run_with(self.key, incentives.payout_curve, self.inputs, plan)

    def compare(self, a: Plan, b: Plan) -> pd.DataFrame:
        """Winners and losers from plan ``a`` to plan ``b``."""
        return data.run_with(self.key, compare_plans, self.inputs, a, b)

    def migration(self, a: Plan, b: Plan) -> Any:
        """Grade migration from plan ``a`` to plan ``b``."""
        return data.run_with(self.key, migrate_plans, self.inputs, a, b)

    def trace(self, plan: Plan, rep_id: str) -> pd.DataFrame:
        """One rep's payout lines under ``plan``."""
        return data.run_with(self.key, trace_rep, self.inputs, plan, rep_id)

    def statement(self, plan: Plan, rep_ids: list[str] | tuple[str, ...]) -> pd.DataFrame:
        """Payout statements of ``rep_ids`` under ``plan``."""
        return data.run_with(self.key, statement_reps, self.inputs, plan, tuple(rep_ids))
