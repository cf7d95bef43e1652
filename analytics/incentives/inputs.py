"""The pay engine's inputs: one quarter read from the store once, for every rep in the plan.

:func:`load_inputs` reads everything :func:`analytics.incentives.compute` needs for one
quarter into a :class:`PayInputs` (NumPy arrays aligned with ``reps``), company-wide,
because pools, ranks and the budget depend on every rep; the scope only decides which of
those reps a result may show. The history arrays feed the Monte Carlo
(:mod:`analytics.incentives.monte_carlo`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.access import NOBODY, Scope
from analytics.facts import rep_quarter_won
from analytics.filters import Filters
from analytics.incentives.scorecard import load_metrics, normalise, visible_rep_ids
from analytics.periods import Quarter
from analytics.store import Store

#: Past quarters (including the simulated one) the Monte Carlo bootstraps from.
HISTORY_QUARTERS = 8


@dataclass(frozen=True)
class PayInputs:
    """One quarter's engine inputs (company-wide) plus which reps the scope may see.

    ``reps`` has one row per rep in the plan (positive target), in the order of every array.
    ``won_by_type`` is (reps, 3) in :data:`analytics.incentives.plans.DEAL_TYPES` order, in
    the store's currency (CNY).
    ``history_won`` is (reps, quarters, 3) and ``history_target`` (reps, quarters) for
    ``history_quarters`` (oldest first, ending with this quarter; NaN target = not active).
    ``metrics`` is the scorecard metric frame of every active rep (normalised scores in
    ``normalised[method]``), used for grades.
    """

    quarter: str
    reps: pd.DataFrame
    won_by_type: np.ndarray
    gross_profit: np.ndarray
    target: np.ndarray
    target_gp: np.ndarray
    salary: np.ndarray
    points: np.ndarray
    collaboration: np.ndarray
    team_codes: np.ndarray
    team_ids: tuple[str, ...]
    visible: np.ndarray
    metrics: pd.DataFrame
    normalised: dict[str, pd.DataFrame]
    history_quarters: tuple[str, ...]
    history_won: np.ndarray
    history_target: np.ndarray
    excluded_reps: int
    excluded_won: float
    #: who asked: decides whether results may show individual pay lines (fails closed)
    viewer: Scope = NOBODY

    @property
    def n(self) -> int:
        """Reps in the plan."""
        return len(self.target)


def _history(store: Store, quarter: Quarter, rep_ids: list[str]) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """Won by type and targets per rep for up to HISTORY_QUARTERS quarters ending with ``quarter``.

    The won amounts come from the shared rep-quarter relation
    (:func:`analytics.facts.rep_quarter_won`); a rep-quarter counts when the rep has a
    positive target in it. Returns the quarter labels (oldest first), won (reps, quarters,
    3) in :data:`~analytics.incentives.plans.DEAL_TYPES` order and targets (reps, quarters;
    NaN where the rep had no positive target).
    """
    quarters = [
        str(q)
        for q in sorted(
            {quarter, *[Quarter.parse(x) for x in store.query("SELECT DISTINCT quarter FROM targets")["quarter"]]}
        )
        if q <= quarter
    ][-HISTORY_QUARTERS:]
    first = Quarter.parse(quarters[0]).start
    won_sql, won_params = rep_quarter_won(first, quarter.end)
    df = store.query(
        f"""WITH d AS ({won_sql})
           SELECT t.rep_id, t.quarter, t.target_amount::DOUBLE AS target,
                  coalesce(sum(d.won_amount) FILTER (WHERE d.deal_type = 'new'), 0) AS won_new,
                  coalesce(sum(d.won_amount) FILTER (WHERE d.deal_type = 'renewal'), 0) AS won_renewal,
                  coalesce(sum(d.won_amount) FILTER (WHERE d.deal_type = 'upsell'), 0) AS won_upsell
           FROM targets AS t LEFT JOIN d USING (rep_id, quarter)
           WHERE list_contains(?::VARCHAR[], t.quarter) AND t.target_amount > 0
           GROUP BY t.rep_id, t.quarter, t.target_amount""",  # noqa: S608 - the shared relation, bound parameters
        [*won_params, quarters],
    )
    n, h = len(rep_ids), len(quarters)
    won = np.zeros((n, h, 3))
    target = np.full((n, h), np.nan)
    ri = pd.Index(rep_ids).get_indexer(df["rep_id"])
    qi = pd.Index(quarters).get_indexer(df["quarter"])
    ok = ri >= 0
    target[ri[ok], qi[ok]] = df["target"].to_numpy()[ok]
    won[ri[ok], qi[ok]] = df[["won_new", "won_renewal", "won_upsell"]].to_numpy()[ok]
    return tuple(quarters), won, target


def load_inputs(store: Store, filters: Filters, scope: Scope) -> PayInputs:
    """Read everything the engine needs for one quarter (company-wide; visibility from ``scope``).

    Parameters
    ----------
    store
        The store.
    filters
        The quarter is the one in which ``filters.end`` falls
        (:meth:`analytics.periods.Quarter.of`); ``filters.region_ids`` / ``filters.team_ids``
        restrict which reps results show. Segments do not apply (pay is per rep).
    scope
        The identity's scope: which reps results may show, and whether they may show
        individual pay (kept as :attr:`PayInputs.viewer`).

    Returns
    -------
    PayInputs
        Pools, ranks and the budget depend on every rep, so the inputs cover the whole
        company; :func:`analytics.incentives.compute` returns rows only for the reps
        ``scope`` may see within the region / team selections.
    """
    q = Quarter.of(filters.end)
    metrics = load_metrics(store, str(q))
    deals = store.query(
        """SELECT rep_id,
                  coalesce(sum(amount) FILTER (WHERE deal_type = 'new'), 0)::DOUBLE AS won_new,
                  coalesce(sum(amount) FILTER (WHERE deal_type = 'renewal'), 0)::DOUBLE AS won_renewal,
                  coalesce(sum(amount) FILTER (WHERE deal_type = 'upsell'), 0)::DOUBLE AS won_upsell,
                  coalesce(sum(gross_profit), 0)::DOUBLE AS gross_profit
           FROM deals WHERE signed_at BETWEEN ? AND ? GROUP BY rep_id""",
        [q.start, q.end],
    ).set_index("rep_id")
    points = store.query(
        "SELECT rep_id, sum(points)::DOUBLE AS points FROM innovations WHERE quarter = ? GROUP BY rep_id", [str(q)]
    ).set_index("rep_id")["points"]
    in_plan = (metrics["target_amount"].fillna(0) > 0).to_numpy()
    reps = metrics.loc[in_plan, ["rep_id", "rep_name", "team_id", "region_id", "role"]].reset_index(drop=True)
    ids = reps["rep_id"].tolist()
    d = deals.reindex(ids).fillna(0.0)
    outside = deals.drop(index=[r for r in ids if r in deals.index])
    plan_rows = metrics[in_plan].reset_index(drop=True)
    team_codes, team_uniques = pd.factorize(reps["team_id"], sort=True)
    visible = visible_rep_ids(store, scope, regions=filters.region_ids, teams=filters.team_ids)
    hist_q, hist_won, hist_target = _history(store, q, ids)
    return PayInputs(
        quarter=str(q),
        reps=reps,
        won_by_type=d[["won_new", "won_renewal", "won_upsell"]].to_numpy(dtype=float),
        gross_profit=d["gross_profit"].to_numpy(dtype=float),
        target=plan_rows["target_amount"].to_numpy(dtype=float),
        target_gp=plan_rows["target_gross_profit"].to_numpy(dtype=float),
        salary=plan_rows["monthly_salary"].fillna(0).to_numpy(dtype=float),
        points=points.reindex(ids).fillna(0.0).to_numpy(dtype=float),
        collaboration=plan_rows["collaboration_score"].to_numpy(dtype=float),
        team_codes=team_codes.astype(np.int64),
        team_ids=tuple(team_uniques),
        visible=reps["rep_id"].isin(visible).to_numpy(),
        metrics=metrics,
        normalised={m: normalise(metrics, m) for m in ("percentile", "zscore")},
        history_quarters=hist_q,
        history_won=hist_won,
        history_target=hist_target,
        excluded_reps=len(outside),
        excluded_won=float(outside[["won_new", "won_renewal", "won_upsell"]].sum().sum()),
        viewer=scope,
    )
