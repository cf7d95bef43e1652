"""Loading the audit's facts: rep-quarters, incentive pay, satisfaction, complaints, segment mix.

Every loader states its grain. Renewal dues and NPS responses are shared relations of the
base (:func:`analytics.facts.renewal_dues`, :func:`analytics.facts.nps_responses`).
"""

from __future__ import annotations

import pandas as pd

from analytics.access import Scope
from analytics.facts import quarter_label_sql, rep_quarter_won
from analytics.filters import Filters
from analytics.incentives import plans, simulate
from analytics.periods import Quarter, half_key, half_of
from analytics.stats import safe_ratio
from analytics.store import Store

#: Columns of :func:`rep_quarters`.
REP_QUARTER_COLUMNS = (
    "rep_id",
    "team_id",
    "region_id",
    "role",
    "quarter",
    "monthly_salary",
    "target",
    "target_gp",
    "revenue",
    "gross_profit",
    "attainment",
    "salary_cost",
)


def _dims(filters: Filters | None, column: str, attr: str) -> tuple[str, list[object]]:
    """A dimension restriction (fixed column name, bound values) from the shared filters."""
    values = getattr(filters, attr) if filters is not None else ()
    if not values:
        return "TRUE", []
    return f"list_contains(?::VARCHAR[], {column})", [list(values)]


def audit_halves(store: Store) -> list[str]:
    """Half-years that have quarterly targets, oldest first (the audit's choices)."""
    qs = store.query("SELECT DISTINCT quarter FROM targets")["quarter"]
    return sorted({half_of(q) for q in qs}, key=half_key)


def target_quarters(store: Store, last: Quarter) -> tuple[str, ...]:
    """Quarters with targets up to and including ``last``, oldest first."""
    known = store.query("SELECT DISTINCT quarter FROM targets")["quarter"]
    return tuple(sorted((q for q in known if Quarter.parse(q) <= last), key=Quarter.parse))


def rep_quarters(
    store: Store,
    filters: Filters | None,
    scope: Scope,
    *,
    quarters: tuple[str, ...],
    deal_types: tuple[str, ...] = ("new", "renewal", "upsell"),
) -> pd.DataFrame:
    """Revenue, gross profit, target and salary per rep per quarter.

    Rep-quarters are those with a target row. ``revenue`` counts deals of ``deal_types``
    signed in the quarter (the plan's attainment basis); ``gross_profit`` counts every
    deal (both from :func:`analytics.facts.rep_quarter_won`). ``attainment`` = revenue /
    target (NaN when the target is 0). ``salary_cost`` = monthly salary x 3 x the share
    of the quarter's days the rep was employed. The region and team selections of
    ``filters`` apply (segment and dates do not: a target cannot be split by segment, and
    the quarters are given).

    Grain: one row per rep per quarter. Columns: :data:`REP_QUARTER_COLUMNS`.
    """
    cols = list(REP_QUARTER_COLUMNS)
    if not quarters:
        return pd.DataFrame(columns=cols)
    qs = [Quarter.parse(q) for q in quarters]
    s_sql, s_params = scope.clause("r.rep_id")
    r_sql, r_params = _dims(filters, "r.region_id", "region_ids")
    t_sql, t_params = _dims(filters, "r.team_id", "team_ids")
    won_sql, won_params = rep_quarter_won(min(qs).start, max(qs).end)
    df = store.query(
        f"""WITH won AS ({won_sql}),
            rev AS (
                SELECT rep_id, quarter,
                       coalesce(sum(won_amount) FILTER (WHERE list_contains(?::VARCHAR[], deal_type)), 0)::DOUBLE
                           AS revenue,
                       coalesce(sum(gross_profit), 0)::DOUBLE AS gross_profit
                FROM won GROUP BY 1, 2)
            SELECT r.rep_id, r.team_id, r.region_id, r.role, t.quarter, r.monthly_salary::DOUBLE AS monthly_salary,
                   r.hire_date, t.target_amount::DOUBLE AS target, t.target_gross_profit::DOUBLE AS target_gp,
                   coalesce(rev.revenue, 0) AS revenue, coalesce(rev.gross_profit, 0) AS gross_profit
            FROM targets AS t
            JOIN v_reps AS r ON r.rep_id = t.rep_id
            LEFT JOIN rev ON rev.rep_id = t.rep_id AND rev.quarter = t.quarter
            WHERE list_contains(?::VARCHAR[], t.quarter) AND {s_sql} AND {r_sql} AND {t_sql}
            ORDER BY t.quarter, r.rep_id""",  # noqa: S608 - fixed names + placeholders
        [*won_params, list(deal_types), [str(q) for q in qs], *s_params, *r_params, *t_params],
    )
    if not len(df):
        return pd.DataFrame(columns=cols)
    df["attainment"] = safe_ratio(df["revenue"], df["target"])
    q_start = df["quarter"].map(lambda q: pd.Timestamp(Quarter.parse(q).start))
    q_end = df["quarter"].map(lambda q: pd.Timestamp(Quarter.parse(q).end))
    hired = pd.to_datetime(df["hire_date"])
    days = (q_end - q_start).dt.days + 1
    employed = ((q_end - hired.where(hired > q_start, q_start)).dt.days + 1).clip(lower=0) / days
    df["salary_cost"] = df["monthly_salary"] * 3 * employed.clip(upper=1.0)
    df["target_gp"] = df["target_gp"].fillna(0.0)
    return df[cols].reset_index(drop=True)


def load_plan(plan_path: str | None) -> plans.Plan:
    """The plan to cost (the bundled reference plan, data/plans/reference.toml, by default)."""
    return plans.load_plan(plan_path) if plan_path else plans.reference_plan()


def incentive_pay(store: Store, filters: Filters | None, scope: Scope, rq: pd.DataFrame, plan: plans.Plan) -> pd.Series:
    """Incentive pay per row of ``rq`` (rep-quarters), priced with ``plan``.

    Each quarter is priced by the incentive engine, :func:`analytics.incentives.simulate`
    (its per-rep ``total_pay``: base bonus, commission with accelerator, innovation and
    team pools, budget scaling; docs/methods/incentives.md), with the same scope and
    region / team selection. Rows the engine does not price (no positive target) get 0.
    Returns a float Series aligned with ``rq``'s index.
    """
    out = pd.Series(0.0, index=rq.index)
    regions = tuple(filters.region_ids) if filters else ()
    teams = tuple(filters.team_ids) if filters else ()
    for q, idx in rq.groupby("quarter").groups.items():
        res = simulate(store, plan, str(q), scope, regions=regions, teams=teams)
        pay = res.per_rep.set_index("rep_id")["total_pay"].astype(float)
        out.loc[idx] = rq.loc[idx, "rep_id"].map(pay).fillna(0.0).to_numpy(float)
    return out


def rep_satisfaction(store: Store, filters: Filters | None, scope: Scope) -> pd.DataFrame:
    """The ``satisfaction`` rep metric of every rep in scope and in the region / team selection.

    Grain: one row per rep per quarter with a value. Columns: ``quarter``, ``value``.
    """
    s_sql, s_params = scope.clause("m.rep_id")
    r_sql, r_params = _dims(filters, "r.region_id", "region_ids")
    t_sql, t_params = _dims(filters, "r.team_id", "team_ids")
    return store.query(
        f"""SELECT m.quarter, m.value FROM rep_metrics AS m JOIN v_reps AS r ON r.rep_id = m.rep_id
            WHERE m.metric = 'satisfaction' AND {s_sql} AND {r_sql} AND {t_sql}""",  # noqa: S608 - fixed names
        [*s_params, *r_params, *t_params],
    )


def complaint_rates(store: Store, scope: Scope, quarters: tuple[str, ...]) -> pd.DataFrame:
    """The ``complaint_rate`` rep metric in ``quarters``.

    Grain: one row per rep per quarter with a value. Columns: ``rep_id``, ``quarter``, ``y``.
    """
    s_sql, s_params = scope.clause("rep_id")
    return store.query(
        f"""SELECT rep_id, quarter, value AS y FROM rep_metrics
            WHERE metric = 'complaint_rate' AND list_contains(?::VARCHAR[], quarter) AND {s_sql}""",  # noqa: S608
        [list(quarters), *s_params],
    )


def segment_mix(store: Store, scope: Scope, quarters: tuple[str, ...]) -> pd.DataFrame:
    """Share of each rep's closed leads per segment per quarter.

    Grain: one row per rep per quarter with closed leads. Columns: ``rep_id``, ``quarter``,
    ``mix_<segment>`` (shares summing to 1 over the segments).
    """
    s_sql, s_params = scope.clause("rep_id")
    quarter = quarter_label_sql("closed_at")
    df = store.query(
        f"""SELECT rep_id, {quarter} AS quarter, segment, count(*) AS n
            FROM leads WHERE status <> 'open' AND list_contains(?::VARCHAR[], {quarter})
              AND {s_sql} GROUP BY ALL""",  # noqa: S608 - fixed names + placeholders
        [list(quarters), *s_params],
    )
    if not len(df):
        return pd.DataFrame(columns=["rep_id", "quarter"])
    wide = df.pivot_table(index=["rep_id", "quarter"], columns="segment", values="n", fill_value=0)
    wide = wide.div(wide.sum(axis=1), axis=0)
    wide.columns = [f"mix_{c}" for c in wide.columns]
    return wide.reset_index()
