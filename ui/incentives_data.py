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

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_requests import ScriptRequestType
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from analytics import incentives
from analytics.incentives import scorecard
from analytics.incentives.plans import Plan, ScorecardConfig
from ui import data


def newer_run_pending() -> bool:
    """Whether the browser has asked for another run (a newer widget change) since this one began."""
    ctx = get_script_run_ctx()
    requests = getattr(ctx, "script_requests", None)
    return requests is not None and getattr(requests, "_state", None) == ScriptRequestType.RERUN


def yield_to_newer_run() -> None:
    """End this fragment run here when a newer widget change waits, so it runs at once.

    Streamlit 1.67 lets a widget change inside a fragment wait until the running fragment run
    has finished (only ``st.rerun(scope="fragment")`` or a whole-app rerun preempt it,
    ``ScriptRequests.on_scriptrunner_yield``), so a slider moved five times would wait for the
    slow parts of an older value. A page calls this between its slow parts: the fragment is
    rerun with the newest widget values and the elements not yet redrawn stay until then.
    Does nothing during a whole-app run. Reads Streamlit's private request state, checked by
    tests/e2e/test_e2e_sliders.py.
    """
    ctx = get_script_run_ctx()
    if ctx is not None and ctx.fragment_ids_this_run and newer_run_pending():
        st.rerun(scope="fragment")


def compute_plan(lab: LabData, plan: Plan) -> incentives.SimulationResult:
    """Every visible rep's pay under ``plan``, with the grades of its scorecard from the cache."""
    return incentives.compute(lab.inputs, plan, graded=lab.grades(plan))


def grade_scorecard(inputs: incentives.PayInputs, card: ScorecardConfig) -> pd.DataFrame:
    """Every active rep's scores and grade under the scorecard ``card`` (:func:`analytics.incentives.grade_reps`)."""
    return incentives.grade_reps(inputs, card)


def draws_for(inputs: incentives.PayInputs, deal_types: tuple[str, ...], draws: int) -> incentives.AttainmentDraws:
    """The Monte Carlo's simulated attainments for plans counting ``deal_types``."""
    return incentives.attainment_draws(inputs, deal_types, draws=draws)


def risk_plan(lab: LabData, plan: Plan, *, draws: int, shift: float) -> incentives.RiskResult:
    """Monte Carlo of the total cost under ``plan``, on the cached attainment draws of its deal types."""
    att = lab.attainment(tuple(plan.deal_types), draws)
    return incentives.risk(lab.inputs, plan, draws=draws, shift=shift, attainment=att)


def compare_plans(lab: LabData, a: Plan, b: Plan) -> pd.DataFrame:
    """Winners and losers from plan ``a`` to plan ``b`` (:func:`analytics.incentives.compare`)."""
    return incentives.compare(lab.compute(a), lab.compute(b))


def migrate_scorecards(lab: LabData, a: ScorecardConfig, b: ScorecardConfig) -> Any:
    """Grade migration of the visible reps from scorecard ``a`` to ``b``.

    The same as :func:`analytics.incentives.grade_migration` of the two plans' results (grades
    depend on the scorecard only), so it is computed once per pair of scorecards, not per move
    of a pay parameter.
    """
    shown = set(lab.inputs.reps.loc[lab.inputs.visible, "rep_id"])
    before, after = lab.grades_of(a), lab.grades_of(b)
    return scorecard.migration(before[before["rep_id"].isin(shown)], after[after["rep_id"].isin(shown)])


def trace_rep(lab: LabData, plan: Plan, rep_id: str) -> pd.DataFrame:
    """One rep's payout lines under ``plan`` (:func:`analytics.incentives.trace`)."""
    return incentives.trace(lab.compute(plan), rep_id)


def statement_reps(lab: LabData, plan: Plan, rep_ids: tuple[str, ...]) -> pd.DataFrame:
    """Payout statements of ``rep_ids`` under ``plan`` (:func:`analytics.incentives.statement`)."""
    return incentives.statement(lab.compute(plan), rep_ids)


#: Results a :class:`LabData` keeps in memory (most recently used first).
MEMO_ENTRIES = 32


@dataclass(frozen=True, eq=False)
class LabData:
    """One quarter's engine inputs for one identity, with every engine call cached.

    ``key`` identifies ``inputs`` completely for the result cache and includes the scope.
    Results are also kept on the object for the page's own reruns (the lab's fragment keeps
    the object of the last whole-page run): a cache hit through :func:`ui.data.run_with` costs
    a data-version query, hashing the arguments and unpickling (copying) the result, and one
    slider move reads the baseline's results a dozen times. Callers must not modify the
    results.
    """

    inputs: incentives.PayInputs
    key: tuple[Any, ...]
    _memo: OrderedDict[Any, Any] = field(default_factory=OrderedDict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _call(self, fn: Any, obj: Any, *args: Any, **kwargs: Any) -> Any:
        """``data.run_with(self.key, fn, obj, *args, **kwargs)``, remembered on this object."""
        memo_key = (fn.__module__, fn.__qualname__, args, tuple(sorted(kwargs.items())))
        with self._lock:
            if memo_key in self._memo:
                self._memo.move_to_end(memo_key)
                return self._memo[memo_key]
        value = data.run_with(self.key, fn, obj, *args, **kwargs)
        with self._lock:
            self._memo[memo_key] = value
            while len(self._memo) > MEMO_ENTRIES:
                self._memo.popitem(last=False)
        return value

    @property
    def roles(self) -> list[str]:
        """The roles of the quarter's reps, sorted."""
        return sorted({str(r) for r in self.inputs.reps["role"].dropna()})

    def quick(self, plan: Plan) -> incentives.QuickResult:
        """The summary of ``plan`` and each visible rep's total pay: the cheap part of :meth:`compute`."""
        return self._call(incentives.quick, self.inputs, plan)

    def grades_of(self, card: ScorecardConfig) -> pd.DataFrame:
        """Every active rep's scores and grade under the scorecard ``card``."""
        return self._call(grade_scorecard, self.inputs, card)

    def grades(self, plan: Plan) -> pd.DataFrame:
        """Every active rep's scores and grade under ``plan``'s scorecard."""
        return self.grades_of(plan.scorecard)

    def compute(self, plan: Plan) -> incentives.SimulationResult:
        """Every visible rep's pay under ``plan``."""
        return self._call(compute_plan, self, plan)

    def attainment(self, deal_types: tuple[str, ...], draws: int) -> incentives.AttainmentDraws:
        """The Monte Carlo's simulated attainments for plans counting ``deal_types`` (kept on this
        object too: a cache hit would copy the (draws, reps) array on every move)."""
        return self._call(draws_for, self.inputs, deal_types, draws)

    def risk(self, plan: Plan, *, draws: int, shift: float) -> incentives.RiskResult:
        """Monte Carlo of the total cost under ``plan``."""
        return self._call(risk_plan, self, plan, draws=draws, shift=shift)

    def payout_curve(self, plan: Plan) -> pd.DataFrame:
        """Pay of the typical rep against attainment under ``plan``."""
        return self._call(incentives.payout_curve, self.inputs, plan)

    def gainers_losers(self, a: Plan, b: Plan) -> tuple[int, int]:
        """How many reps gain and lose from plan ``a`` to plan ``b`` (from the cheap results)."""
        return incentives.gainers_losers(self.quick(a), self.quick(b))

    def compare(self, a: Plan, b: Plan) -> pd.DataFrame:
        """Winners and losers from plan ``a`` to plan ``b``."""
        return self._call(compare_plans, self, a, b)

    def migration(self, a: Plan, b: Plan) -> Any:
        """Grade migration from plan ``a`` to plan ``b`` (cached per pair of scorecards)."""
        return self._call(migrate_scorecards, self, a.scorecard, b.scorecard)

    def trace(self, plan: Plan, rep_id: str) -> pd.DataFrame:
        """One rep's payout lines under ``plan``."""
        return self._call(trace_rep, self, plan, rep_id)

    def statement(self, plan: Plan, rep_ids: list[str] | tuple[str, ...]) -> pd.DataFrame:
        """Payout statements of ``rep_ids`` under ``plan``."""
        return self._call(statement_reps, self, plan, tuple(rep_ids))
