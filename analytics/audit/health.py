"""Incentive-system health audit: what incentives cost, what they bought, and their side effects.

Twice a year (per half-year, with each quarter shown) the audit relates incentive cost,
return, satisfaction / NPS and growth, and checks for side effects of the accelerator.
Definitions (docs/methods/audit.md):

- *incentive cost*: the plan's payout per rep per quarter (base bonus, commission with
  accelerator, innovation pool, team pool) from the incentive engine,
  :func:`analytics.incentives.simulate` (default plan: data/plans/reference.toml).
- *salary cost*: monthly base salary x 3, prorated for reps hired during the quarter.
- *cost of sales*: salary cost + incentive cost; *cost-of-sales ratio* = cost of sales /
  revenue.
- *ROI* (incremental gross profit per unit of incentive) = (gross profit in the period -
  gross profit in the same period a year earlier) / incentive cost in the period. It is a
  year-on-year comparison, not a causal effect; its 95% interval comes from resampling
  reps (nonparametric bootstrap, Efron & Tibshirani 1993).
- *attainment* = won amount of the plan's deal types signed in the quarter / target;
  shares of rep-quarters at or above the base threshold (80%), quota (100%) and the
  accelerator start (120%), with Wilson intervals. *Drift*: two-sample Kolmogorov-Smirnov
  test and population stability index (PSI, deciles of the earlier distribution) between
  consecutive quarters.
- *satisfaction*: mean of the ``satisfaction`` rep metric (t interval); *NPS* = % promoters
  (9-10) - % detractors (0-6) of the quarter's responses, with the normal interval of a
  difference of two multinomial shares.
- *side effects*: rep-quarters in the accelerator band (attainment >= accelerator start)
  vs the others, on renewal rate (per renewal due, :func:`renewal_dues`), NPS (per
  response of the rep's accounts) and complaint rate (per rep-quarter). The difference
  is adjusted for segment mix and quarter by least squares with standard errors clustered
  by rep (CR1, Cameron & Miller 2015); a within-rep version (rep fixed effects) is also
  reported.
"""

from __future__ import annotations

import argparse
import html
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats as sps

from analytics.access import Scope
from analytics.filters import Filters, where
from analytics.incentives.plan_messages import plan_name
from analytics.periods import Quarter, parse_half, quarters_between
from analytics.stats import CONFIDENCE, safe_ratio, wilson
from analytics.store import Store

#: A renewal signed this many days before its due date still counts.
RENEWAL_EARLY_DAYS = 60
#: ... and this many days after it; dues whose grace period ends after the store's last
#: signed deal are not yet decided and are left out.
RENEWAL_GRACE_DAYS = 30
#: Days after a new or renewal deal at which the next renewal falls due.
RENEWAL_TERM_DAYS = 365
#: Bootstrap resamples for the ROI interval.
ROI_BOOTSTRAP = 1000
#: Side-effect outcomes: name -> (unit, higher is better).
SIDE_EFFECT_OUTCOMES = {"renewal_rate": ("share", True), "nps": ("points", True), "complaint_rate": ("rate", False)}
#: Attainment quantiles reported per quarter.
QUANTILES = (0.10, 0.25, 0.50, 0.75, 0.90)
_Z = float(sps.norm.ppf(0.5 + CONFIDENCE / 2))
ROI_DEFINITION = (
    "ROI = (gross profit in the period - gross profit in the same period a year earlier) / incentive cost in the period"
)
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
LOCALES_DIR = Path(__file__).resolve().parents[2] / "locales"


@dataclass(frozen=True)
class Finding:
    """A plain-language finding: an English template, its parameters and their kinds.

    ``kinds`` maps a parameter name to how it is formatted (``percent``, ``signed_percent``,
    ``number``, ``signed_number``, ``money``, ``count``, ``p``, ``text``); the page and the
    report translate ``template`` and format each parameter for the chosen language.
    ``level`` is ``info``, ``good`` or ``warning``.
    """

    template: str
    params: dict[str, object] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    level: str = "info"

    def english(self) -> str:
        """The finding in English with plain number formatting (CLI, logs)."""
        return self.render(lambda s: s, _plain_format)

    def render(self, translate: Callable[[str], str], fmt: Callable[[object, str], str]) -> str:
        """``translate(template)`` filled with ``fmt(value, kind)`` for every parameter."""
        text = translate(self.template)
        return text.format(**{k: fmt(v, self.kinds.get(k, "")) for k, v in self.params.items()})


def _plain_format(value: object, kind: str) -> str:
    if isinstance(value, float | np.floating | int | np.integer) and not isinstance(value, bool):
        v = float(value)
        if math.isnan(v):
            return "—"
        return {
            "percent": f"{v:.1%}",
            "signed_percent": f"{v:+.1%}",
            "p": f"{v:.3f}",
            "count": f"{v:,.0f}",
            "money": f"¥{v:,.0f}",
            "signed_number": f"{v:+,.2f}",
        }.get(kind, f"{v:,.2f}")
    return str(value)


def _quarter_sql(column: str) -> str:
    """SQL text giving the quarter label (2025Q3) of a fixed date column."""
    return f"(year({column})::VARCHAR || 'Q' || quarter({column})::VARCHAR)"


def _dims(filters: Filters | None, column: str, attr: str) -> tuple[str, list[object]]:
    """A dimension restriction (fixed column name, bound values) from the shared filters."""
    values = getattr(filters, attr) if filters is not None else ()
    if not values:
        return "TRUE", []
    return f"list_contains(?::VARCHAR[], {column})", [list(values)]


# --------------------------------------------------------------------------------------
# facts: renewals due, NPS responses, rep-quarters
# --------------------------------------------------------------------------------------
def renewal_dues(store: Store, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Renewals that fell due in the period, and whether each was renewed.

    Definition: every ``new`` or ``renewal`` deal on an account makes one renewal fall due
    ``RENEWAL_TERM_DAYS`` (365) days after it was signed; the due is *renewed* when a
    ``renewal`` deal on the same account is signed between ``RENEWAL_EARLY_DAYS`` (60)
    days before and ``RENEWAL_GRACE_DAYS`` (30) days after the due date. The due belongs
    to the rep who signed the deal that created it. Dues whose grace period ends after the
    store's last signed deal are still open and left out. Renewal rate = renewed / due.

    Grain: one row per renewal due. Columns: ``account_id``, ``rep_id``, ``team_id``,
    ``region_id``, ``segment``, ``due_date``, ``quarter`` (of the due date), ``renewed``
    (bool). Filters apply to the due date, the rep's team and region, and the account's
    segment; the scope to the owning rep.
    """
    sql_where, params = where(filters, scope, "due_date", alias="due")
    return store.query(
        f"""WITH due AS (
                SELECT row_number() OVER () AS due_no, d.account_id, d.rep_id, d.team_id, d.region_id, d.segment,
                       (d.signed_at + CAST(? AS INTEGER))::DATE AS due_date
                FROM v_deals AS d
                WHERE d.deal_type IN ('new', 'renewal') AND d.account_id IS NOT NULL),
            renewals AS (SELECT account_id, signed_at FROM deals WHERE deal_type = 'renewal')
            SELECT due.account_id, due.rep_id, due.team_id, due.region_id, due.segment, due.due_date,
                   {_quarter_sql("due.due_date")} AS quarter,
                   count(r.account_id) > 0 AS renewed
            FROM due LEFT JOIN renewals AS r
              ON r.account_id = due.account_id
             AND r.signed_at BETWEEN due.due_date - CAST(? AS INTEGER) AND due.due_date + CAST(? AS INTEGER)
            WHERE {sql_where}
              AND due.due_date + CAST(? AS INTEGER) <= (SELECT max(signed_at) FROM deals)
            GROUP BY due.due_no, due.account_id, due.rep_id, due.team_id, due.region_id, due.segment, due.due_date
            ORDER BY due.due_date, due.account_id""",  # noqa: S608 - predicate from fixed names + placeholders
        [RENEWAL_TERM_DAYS, RENEWAL_EARLY_DAYS, RENEWAL_GRACE_DAYS, *params, RENEWAL_GRACE_DAYS],
    )


def nps_responses(store: Store, filters: Filters, scope: Scope) -> pd.DataFrame:
    """NPS survey responses with the account's owning rep.

    The owner of an account is the rep of its first signed deal; responses of accounts
    with no deal cannot be attributed to a rep and are left out. Promoters score 9-10,
    detractors 0-6; NPS = 100 x (share of promoters - share of detractors).

    Grain: one row per response. Columns: ``account_id``, ``responded_at``, ``quarter``,
    ``score``, ``rep_id``, ``team_id``, ``region_id``, ``segment``, ``nps_value`` (+100
    promoter, 0 passive, -100 detractor; its mean is the NPS).
    """
    sql_where, params = where(filters, scope, "responded_at", alias="x")
    return store.query(
        f"""WITH owner AS (
                SELECT account_id, arg_min(rep_id, signed_at) AS rep_id
                FROM deals WHERE account_id IS NOT NULL GROUP BY account_id)
            SELECT * FROM (
                SELECT n.account_id, n.responded_at, {_quarter_sql("n.responded_at")} AS quarter, n.score,
                       o.rep_id, r.team_id, coalesce(a.region_id, r.region_id) AS region_id, a.segment,
                       CASE WHEN n.score >= 9 THEN 100 WHEN n.score <= 6 THEN -100 ELSE 0 END AS nps_value
                FROM nps AS n
                JOIN owner AS o USING (account_id)
                JOIN v_reps AS r ON r.rep_id = o.rep_id
                LEFT JOIN accounts AS a ON a.account_id = n.account_id) AS x
            WHERE {sql_where}
            ORDER BY responded_at, account_id""",  # noqa: S608 - predicate from fixed names + placeholders
        params,
    )


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
    deal. ``attainment`` = revenue / target (NaN when the target is 0). ``salary_cost`` =
    monthly salary x 3 x the share of the quarter's days the rep was employed. The
    region and team selections of ``filters`` apply (segment and dates do not: a target
    cannot be split by segment, and the quarters are given).

    Grain: one row per rep per quarter. Columns: ``rep_id``, ``team_id``, ``region_id``,
    ``role``, ``quarter``, ``monthly_salary``, ``target``, ``target_gp``, ``revenue``,
    ``gross_profit``, ``attainment``, ``salary_cost``.
    """
    cols = [
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
    ]
    if not quarters:
        return pd.DataFrame(columns=cols)
    qs = [Quarter.parse(q) for q in quarters]
    s_sql, s_params = scope.clause("r.rep_id")
    r_sql, r_params = _dims(filters, "r.region_id", "region_ids")
    t_sql, t_params = _dims(filters, "r.team_id", "team_ids")
    lo, hi = min(qs).start, max(qs).end
    df = store.query(
        f"""WITH rev AS (
                SELECT d.rep_id, {_quarter_sql("d.signed_at")} AS quarter,
                       coalesce(sum(d.amount) FILTER (WHERE list_contains(?::VARCHAR[], d.deal_type)), 0)::DOUBLE
                           AS revenue,
                       coalesce(sum(d.gross_profit), 0)::DOUBLE AS gross_profit
                FROM deals AS d WHERE d.signed_at BETWEEN ? AND ? GROUP BY 1, 2)
            SELECT r.rep_id, r.team_id, r.region_id, r.role, t.quarter, r.monthly_salary::DOUBLE AS monthly_salary,
                   r.hire_date, t.target_amount::DOUBLE AS target, t.target_gross_profit::DOUBLE AS target_gp,
                   coalesce(rev.revenue, 0) AS revenue, coalesce(rev.gross_profit, 0) AS gross_profit
            FROM targets AS t
            JOIN v_reps AS r ON r.rep_id = t.rep_id
            LEFT JOIN rev ON rev.rep_id = t.rep_id AND rev.quarter = t.quarter
            WHERE list_contains(?::VARCHAR[], t.quarter) AND {s_sql} AND {r_sql} AND {t_sql}
            ORDER BY t.quarter, r.rep_id""",  # noqa: S608 - fixed names + placeholders
        [list(deal_types), lo, hi, [str(q) for q in qs], *s_params, *r_params, *t_params],
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


# --------------------------------------------------------------------------------------
# incentive cost
# --------------------------------------------------------------------------------------
def _load_plan(plan_path: str | None) -> object:
    """The plan to cost (the bundled reference plan by default)."""
    from analytics.incentives import plans

    return plans.load_plan(plan_path) if plan_path else plans.reference_plan()


def incentive_pay(store: Store, filters: Filters | None, scope: Scope, rq: pd.DataFrame, plan: object) -> pd.Series:
    """Incentive pay per row of ``rq`` (rep-quarters), priced with ``plan``.

    Each quarter is priced by the incentive engine, :func:`analytics.incentives.simulate`
    (its per-rep ``total_pay``: base bonus, commission with accelerator, innovation and
    team pools, budget scaling; docs/methods/incentives.md), with the same scope and
    region / team selection. Rows the engine does not price (no positive target) get 0.
    """
    from analytics import incentives

    out = pd.Series(0.0, index=rq.index)
    regions = tuple(filters.region_ids) if filters else ()
    teams = tuple(filters.team_ids) if filters else ()
    for q, idx in rq.groupby("quarter").groups.items():
        res = incentives.simulate(store, plan, str(q), scope, regions=regions, teams=teams)  # type: ignore[arg-type]
        pay = res.per_rep.set_index("rep_id")["total_pay"].astype(float)
        out.loc[idx] = rq.loc[idx, "rep_id"].map(pay).fillna(0.0).to_numpy(float)
    return out


# --------------------------------------------------------------------------------------
# statistics
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Difference:
    """An adjusted difference (coefficient of the treatment) with its cluster-robust interval."""

    diff: float
    se: float
    lo: float
    hi: float
    p_value: float
    n: int
    n_clusters: int


def adjusted_difference(
    frame: pd.DataFrame,
    outcome: str,
    treatment: str,
    *,
    categorical: tuple[str, ...] = (),
    numeric: tuple[str, ...] = (),
    cluster: str,
    absorb: str | None = None,
    level: float = CONFIDENCE,
) -> Difference:
    """OLS coefficient of ``treatment`` with cluster-robust (CR1) standard errors.

    ``y = a + b * treatment + sum(c_k * dummies of categorical) + sum(d_k * numeric) + e``;
    with ``absorb`` the model has one fixed effect per ``absorb`` value (within
    transformation, so no intercept). Variance: ``G/(G-1) * (N-1)/(N-K) * (X'X)^-1
    (sum_g X_g' u_g u_g' X_g) (X'X)^-1``; the interval and p-value use a t distribution
    with ``G - 1`` degrees of freedom (Cameron & Miller 2015, "A Practitioner's Guide to
    Cluster-Robust Inference"). Rows with a missing value are dropped; fewer than 3
    clusters or no variation in the treatment give NaN.
    """
    needed = list(dict.fromkeys([outcome, treatment, *categorical, *numeric, cluster, *([absorb] if absorb else [])]))
    use = frame[needed].dropna()
    nan = Difference(math.nan, math.nan, math.nan, math.nan, math.nan, len(use), int(use[cluster].nunique()))
    if len(use) < 4 or use[treatment].nunique() < 2 or use[cluster].nunique() < 3:
        return nan
    parts = [use[[treatment]].astype(float)]
    if numeric:
        parts.append(use[list(numeric)].astype(float))
    for c in categorical:
        parts.append(pd.get_dummies(use[c].astype(str), prefix=c, drop_first=True, dtype=float))
    x = pd.concat(parts, axis=1)
    y = use[outcome].astype(float)
    if absorb:
        x = x - x.groupby(use[absorb]).transform("mean")
        y = y - y.groupby(use[absorb]).transform("mean")
    else:
        x.insert(0, "_const", 1.0)
    keep = [c for c in x.columns if c in (treatment, "_const") or x[c].std() > 1e-12]
    xm, ym = x[keep].to_numpy(float), y.to_numpy(float)
    if np.abs(xm[:, keep.index(treatment)]).max() < 1e-12:
        return nan
    beta, *_ = np.linalg.lstsq(xm, ym, rcond=None)
    u = ym - xm @ beta
    bread = np.linalg.pinv(xm.T @ xm)
    groups = pd.factorize(use[cluster])[0]
    scores = np.zeros((groups.max() + 1, xm.shape[1]))
    np.add.at(scores, groups, xm * u[:, None])
    g, n, k = scores.shape[0], len(ym), xm.shape[1]
    if n - k <= 0:
        return nan
    vcov = g / (g - 1) * (n - 1) / (n - k) * bread @ (scores.T @ scores) @ bread
    j = keep.index(treatment)
    b, se = float(beta[j]), float(math.sqrt(max(vcov[j, j], 0.0)))
    tcrit = float(sps.t.ppf(0.5 + level / 2, g - 1))
    p = float(2 * sps.t.sf(abs(b / se), g - 1)) if se > 0 else math.nan
    return Difference(b, se, b - tcrit * se, b + tcrit * se, p, n, g)


def nps_with_interval(values: np.ndarray) -> tuple[float, float, float]:
    """NPS of responses coded +100 / 0 / -100, with its normal 95% interval.

    With promoter share p and detractor share d over n responses, NPS = 100 (p - d) and
    Var = 100^2 (p + d - (p - d)^2) / n.
    """
    v = np.asarray(values, dtype=float)
    n = len(v)
    if n == 0:
        return math.nan, math.nan, math.nan
    p, d = float(np.mean(v > 0)), float(np.mean(v < 0))
    nps = 100 * (p - d)
    se = 100 * math.sqrt(max(p + d - (p - d) ** 2, 0.0) / n)
    return nps, nps - _Z * se, nps + _Z * se


def mean_with_interval(values: np.ndarray) -> tuple[float, float, float]:
    """Mean with its t interval (NaN bounds with fewer than 2 values)."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if len(v) == 0:
        return math.nan, math.nan, math.nan
    m = float(v.mean())
    if len(v) < 2:
        return m, math.nan, math.nan
    half = float(sps.t.ppf(0.5 + CONFIDENCE / 2, len(v) - 1)) * float(v.std(ddof=1)) / math.sqrt(len(v))
    return m, m - half, m + half


def psi(expected: np.ndarray, actual: np.ndarray, bins: int = 10) -> float:
    """Population stability index of ``actual`` against ``expected`` over deciles of ``expected``.

    PSI = sum_i (a_i - e_i) ln(a_i / e_i) with bin shares floored at 0.0001 (Siddiqi 2006).
    Below 0.1 is usually read as stable, 0.1-0.25 as a moderate shift, above 0.25 as a
    large shift.
    """
    e = np.asarray(expected, dtype=float)
    a = np.asarray(actual, dtype=float)
    e, a = e[~np.isnan(e)], a[~np.isnan(a)]
    if len(e) < bins or len(a) == 0:
        return math.nan
    edges = np.unique(np.quantile(e, np.linspace(0, 1, bins + 1)[1:-1]))
    ei = np.bincount(np.searchsorted(edges, e, side="right"), minlength=len(edges) + 1) / len(e)
    ai = np.bincount(np.searchsorted(edges, a, side="right"), minlength=len(edges) + 1) / len(a)
    ei, ai = np.maximum(ei, 1e-4), np.maximum(ai, 1e-4)
    return float(np.sum((ai - ei) * np.log(ai / ei)))


# --------------------------------------------------------------------------------------
# the audit
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AuditResult:
    """The health audit of one half-year (see :func:`health_audit`).

    ``quarterly`` (one row per quarter from the first quarter with targets to the half's
    end) and ``halves`` (one row per half-year) share these columns: ``reps``
    (rep-quarters), ``revenue``, ``gross_profit``, ``incentive_cost``, ``salary_cost``,
    ``cost_of_sales``, ``cost_of_sales_ratio``, ``incentive_per_revenue``,
    ``gp_prev_year``, ``incremental_gp``, ``roi``, ``roi_lo``, ``roi_hi``,
    ``gp_per_incentive``, ``revenue_growth_yoy``, ``share_threshold`` / ``share_quota`` /
    ``share_accelerator`` (each with ``_lo`` / ``_hi``), ``att_p10`` ... ``att_p90``,
    ``ks_stat``, ``ks_p``, ``psi`` (drift against the previous row), ``satisfaction``
    (+``_lo``/``_hi``), ``nps`` (+``_lo``/``_hi``), ``nps_responses``.
    ``side_effects`` (one row per outcome): ``outcome``, ``unit``, ``accel_mean``,
    ``other_mean``, ``raw_diff``, ``diff``, ``lo``, ``hi``, ``p_value`` (segment- and
    quarter-adjusted), ``within_diff``, ``within_lo``, ``within_hi``, ``within_p`` (rep
    fixed effects), ``n_accel``, ``n_other``, ``n_reps``, ``worse`` (True when the
    adjusted difference is significantly in the bad direction).
    ``attainment``: one row per rep-quarter, ``quarter``, ``attainment``, ``band``.
    """

    half: str
    quarters: tuple[str, ...]
    previous_half: str
    plan_name: str
    accelerator_start: float
    threshold: float
    quarterly: pd.DataFrame
    halves: pd.DataFrame
    side_effects: pd.DataFrame
    attainment: pd.DataFrame
    findings: tuple[Finding, ...] = ()
    roi_definition: str = ROI_DEFINITION

    @property
    def ok(self) -> bool:
        """True when the half has rep-quarters to audit."""
        return bool(len(self.quarterly)) and self.half in set(self.halves["half"])

    def half_row(self, half: str | None = None) -> pd.Series:
        """The ``halves`` row of ``half`` (default: the audited half)."""
        rows = self.halves[self.halves["half"] == (half or self.half)]
        return rows.iloc[0] if len(rows) else pd.Series(dtype=object)


SIDE_EFFECT_TEMPLATES = {
    "renewal_rate": "Side effect on renewals: the renewal rate of accelerator-band reps differs by {diff} percentage "
    "points from other reps with the same segment mix (95% interval {lo} to {hi}, p = {p}).",
    "nps": "Side effect on NPS: accounts of accelerator-band reps give an NPS {diff} points different from other "
    "reps' accounts with the same segment mix (95% interval {lo} to {hi}, p = {p}).",
    "complaint_rate": "Side effect on complaints: the complaint rate of accelerator-band reps differs by {diff} from "
    "other reps with the same segment mix (95% interval {lo} to {hi}, p = {p}).",
}


def half_of(quarter: str) -> str:
    """``2025Q3`` -> ``2025H2``."""
    q = Quarter.parse(quarter)
    return f"{q.year}H{1 if q.q <= 2 else 2}"


def half_quarters(half: str) -> tuple[str, ...]:
    """The two quarters of a half-year (``2025H2`` -> 2025Q3, 2025Q4); ValueError when malformed."""
    start, end = parse_half(half)
    return tuple(str(q) for q in quarters_between(start, end))


def previous_half(half: str) -> str:
    """``2025H2`` -> ``2025H1``; ``2025H1`` -> ``2024H2``."""
    start, _ = parse_half(half)
    return f"{start.year - 1}H2" if start.month == 1 else f"{start.year}H1"


def audit_halves(store: Store) -> list[str]:
    """Half-years that have quarterly targets, oldest first (the audit's choices)."""
    qs = store.query("SELECT DISTINCT quarter FROM targets")["quarter"]
    return sorted({half_of(q) for q in qs}, key=lambda h: (int(h[:4]), h[-1]))


def _roi(cur: pd.DataFrame, prev: pd.DataFrame, seed: int) -> tuple[float, float, float, float]:
    """ROI with a rep bootstrap: (roi, lo, hi, gp_prev). ``cur``/``prev`` hold rep rows."""
    if not len(prev) or not len(cur):
        return math.nan, math.nan, math.nan, math.nan
    g_cur = cur.groupby("rep_id")["gross_profit"].sum()
    g_prev = prev.groupby("rep_id")["gross_profit"].sum()
    c_cur = cur.groupby("rep_id")["incentive_pay"].sum()
    reps = g_cur.index.union(g_prev.index)
    a = g_cur.reindex(reps, fill_value=0.0).to_numpy(float)
    b = g_prev.reindex(reps, fill_value=0.0).to_numpy(float)
    c = c_cur.reindex(reps, fill_value=0.0).to_numpy(float)
    roi = float(safe_ratio(a.sum() - b.sum(), c.sum()))
    if math.isnan(roi) or len(reps) < 2:
        return roi, math.nan, math.nan, float(b.sum())
    rng = np.random.default_rng(seed)
    w = rng.multinomial(len(reps), np.full(len(reps), 1 / len(reps)), size=ROI_BOOTSTRAP).astype(float)
    boot = safe_ratio(w @ (a - b), w @ c)
    boot = boot[~np.isnan(boot)]
    lo, hi = np.quantile(boot, [(1 - CONFIDENCE) / 2, 1 - (1 - CONFIDENCE) / 2])
    return roi, float(lo), float(hi), float(b.sum())


def _year_before(quarters: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"{Quarter.parse(q).year - 1}Q{Quarter.parse(q).q}" for q in quarters)


def _period_row(
    label: str,
    quarters: tuple[str, ...],
    prev_label_quarters: tuple[str, ...] | None,
    rq: pd.DataFrame,
    sat: pd.DataFrame,
    nps: pd.DataFrame,
    threshold: float,
    accel: float,
    seed: int,
) -> dict[str, object]:
    """One row of ``quarterly`` / ``halves`` for the given quarters."""
    cur = rq[rq["quarter"].isin(quarters)]
    prev_year = rq[rq["quarter"].isin(_year_before(quarters))]
    has_prev = set(_year_before(quarters)) <= set(rq["quarter"])
    revenue, gp = float(cur["revenue"].sum()), float(cur["gross_profit"].sum())
    cost, salary = float(cur["incentive_pay"].sum()), float(cur["salary_cost"].sum())
    roi, roi_lo, roi_hi, gp_prev = _roi(cur, prev_year, seed) if has_prev else (math.nan,) * 4
    att = cur["attainment"].to_numpy(float)
    att = att[~np.isnan(att)]
    row: dict[str, object] = {
        "reps": len(cur),
        "revenue": revenue,
        "gross_profit": gp,
        "incentive_cost": cost,
        "salary_cost": salary,
        "cost_of_sales": cost + salary,
        "cost_of_sales_ratio": float(safe_ratio(cost + salary, revenue)),
        "incentive_per_revenue": float(safe_ratio(cost, revenue)),
        "gp_prev_year": gp_prev,
        "incremental_gp": gp - gp_prev if has_prev else math.nan,
        "roi": roi,
        "roi_lo": roi_lo,
        "roi_hi": roi_hi,
        "gp_per_incentive": float(safe_ratio(gp, cost)),
        "revenue_growth_yoy": float(safe_ratio(revenue - prev_year["revenue"].sum(), prev_year["revenue"].sum()))
        if has_prev
        else math.nan,
    }
    for name, cut in (("threshold", threshold), ("quota", 1.0), ("accelerator", accel)):
        k, n = int((att >= cut).sum()), len(att)
        lo, hi = wilson(k, n)
        row[f"share_{name}"] = float(safe_ratio(k, n))
        row[f"share_{name}_lo"], row[f"share_{name}_hi"] = float(lo), float(hi)
    for qv in QUANTILES:
        row[f"att_p{round(qv * 100)}"] = float(np.quantile(att, qv)) if len(att) else math.nan
    if prev_label_quarters is not None:
        before = rq[rq["quarter"].isin(prev_label_quarters)]["attainment"].to_numpy(float)
        before = before[~np.isnan(before)]
        if len(before) >= 2 and len(att) >= 2:
            ks = sps.ks_2samp(before, att)
            row["ks_stat"], row["ks_p"] = float(ks.statistic), float(ks.pvalue)
        else:
            row["ks_stat"] = row["ks_p"] = math.nan
        row["psi"] = psi(before, att)
    else:
        row["ks_stat"] = row["ks_p"] = row["psi"] = math.nan
    s = sat[sat["quarter"].isin(quarters)]["value"].to_numpy(float)
    row["satisfaction"], row["satisfaction_lo"], row["satisfaction_hi"] = mean_with_interval(s)
    v = nps[nps["quarter"].isin(quarters)]["nps_value"].to_numpy(float)
    row["nps"], row["nps_lo"], row["nps_hi"] = nps_with_interval(v)
    row["nps_responses"] = len(v)
    return row


def _segment_mix(store: Store, scope: Scope, quarters: tuple[str, ...]) -> pd.DataFrame:
    """Share of each rep's closed leads per segment per quarter (wide: rep_id, quarter, mix_<segment>)."""
    s_sql, s_params = scope.clause("rep_id")
    df = store.query(
        f"""SELECT rep_id, {_quarter_sql("closed_at")} AS quarter, segment, count(*) AS n
            FROM leads WHERE status <> 'open' AND list_contains(?::VARCHAR[], {_quarter_sql("closed_at")})
              AND {s_sql} GROUP BY ALL""",  # noqa: S608 - fixed names + placeholders
        [list(quarters), *s_params],
    )
    if not len(df):
        return pd.DataFrame(columns=["rep_id", "quarter"])
    wide = df.pivot_table(index=["rep_id", "quarter"], columns="segment", values="n", fill_value=0)
    wide = wide.div(wide.sum(axis=1), axis=0)
    wide.columns = [f"mix_{c}" for c in wide.columns]
    return wide.reset_index()


def side_effects(
    store: Store, filters: Filters | None, scope: Scope, rq: pd.DataFrame, quarters: tuple[str, ...], accel: float
) -> pd.DataFrame:
    """Accelerator-band rep-quarters vs the others on renewal rate, NPS and complaint rate.

    See the module docstring; grain: one row per outcome (columns in :class:`AuditResult`).
    """
    cols = [
        "outcome",
        "unit",
        "accel_mean",
        "other_mean",
        "raw_diff",
        "diff",
        "lo",
        "hi",
        "p_value",
        "within_diff",
        "within_lo",
        "within_hi",
        "within_p",
        "n_accel",
        "n_other",
        "n_reps",
        "worse",
    ]
    band = rq[rq["quarter"].isin(quarters)][["rep_id", "quarter", "attainment"]].copy()
    if not len(band):
        return pd.DataFrame(columns=cols)
    band["accel"] = (band["attainment"] >= accel).astype(float)
    band = band.drop(columns="attainment")
    qs = [Quarter.parse(q) for q in quarters]
    span = Filters(
        start=min(qs).start,
        end=max(qs).end,
        region_ids=filters.region_ids if filters else (),
        team_ids=filters.team_ids if filters else (),
    )
    dues = renewal_dues(store, span, scope).merge(band, on=["rep_id", "quarter"], how="inner")
    dues["y"] = dues["renewed"].astype(float)
    resp = nps_responses(store, span, scope).merge(band, on=["rep_id", "quarter"], how="inner")
    resp["y"] = resp["nps_value"].astype(float)
    s_sql, s_params = scope.clause("rep_id")
    comp = store.query(
        f"""SELECT rep_id, quarter, value AS y FROM rep_metrics
            WHERE metric = 'complaint_rate' AND list_contains(?::VARCHAR[], quarter) AND {s_sql}""",  # noqa: S608
        [list(quarters), *s_params],
    ).merge(band, on=["rep_id", "quarter"], how="inner")
    mix = _segment_mix(store, scope, quarters)
    comp = comp.merge(mix, on=["rep_id", "quarter"], how="left")
    mix_cols = tuple(sorted(c for c in comp.columns if c.startswith("mix_")))[1:]
    comp[list(mix_cols)] = comp[list(mix_cols)].fillna(comp[list(mix_cols)].mean())
    designs = {
        "renewal_rate": (dues, ("segment", "quarter"), ()),
        "nps": (resp, ("segment", "quarter"), ()),
        "complaint_rate": (comp, ("quarter",), mix_cols),
    }
    rows = []
    for name, (df, cats, nums) in designs.items():
        unit, higher_better = SIDE_EFFECT_OUTCOMES[name]
        df = df.copy()
        for c in cats:
            df[c] = df[c].fillna("unknown")
        a, o = df[df["accel"] == 1]["y"], df[df["accel"] == 0]["y"]
        adj = adjusted_difference(df, "y", "accel", categorical=cats, numeric=nums, cluster="rep_id")
        within = adjusted_difference(
            df, "y", "accel", categorical=cats, numeric=nums, cluster="rep_id", absorb="rep_id"
        )
        bad = (adj.hi < 0) if higher_better else (adj.lo > 0)
        rows.append(
            {
                "outcome": name,
                "unit": unit,
                "accel_mean": float(a.mean()) if len(a) else math.nan,
                "other_mean": float(o.mean()) if len(o) else math.nan,
                "raw_diff": float(a.mean() - o.mean()) if len(a) and len(o) else math.nan,
                "diff": adj.diff,
                "lo": adj.lo,
                "hi": adj.hi,
                "p_value": adj.p_value,
                "within_diff": within.diff,
                "within_lo": within.lo,
                "within_hi": within.hi,
                "within_p": within.p_value,
                "n_accel": len(a),
                "n_other": len(o),
                "n_reps": int(df["rep_id"].nunique()),
                "worse": bool(bad) if not math.isnan(adj.diff) else False,
            }
        )
    return pd.DataFrame(rows, columns=cols)


def health_audit(
    store: Store,
    filters: Filters | None,
    scope: Scope,
    *,
    half: str,
    plan_path: str | None = None,
    side_window: str = "half",
    seed: int = 0,
) -> AuditResult:
    """The incentive-system health audit of one half-year.

    Parameters
    ----------
    half
        The audited half-year, ``2025H2``.
    plan_path
        Plan TOML that prices the incentives (default: data/plans/reference.toml).
    side_window
        ``half`` (side effects over the half's quarters) or ``history`` (every quarter up
        to the half's end, for more power).
    seed
        Seed of the ROI bootstrap.

    The shared filters' region and team selections restrict the reps; their dates and
    segment selection do not apply (the half sets the period, targets cannot be split by
    segment). Quarters without targets are not audited.
    """
    quarters = half_quarters(half)
    plan = _load_plan(plan_path)
    accel = float(plan.accelerator_start)  # type: ignore[attr-defined]
    threshold = float(plan.base_bonus.threshold)  # type: ignore[attr-defined]
    if math.isnan(accel):
        accel = 1.2
    end = Quarter.parse(quarters[-1])
    known = store.query("SELECT DISTINCT quarter FROM targets")["quarter"]
    history = tuple(sorted((q for q in known if Quarter.parse(q) <= end), key=Quarter.parse))
    rq = rep_quarters(store, filters, scope, quarters=history, deal_types=tuple(plan.deal_types))  # type: ignore[attr-defined]
    rq["incentive_pay"] = incentive_pay(store, filters, scope, rq, plan) if len(rq) else pd.Series(dtype=float)
    present = tuple(q for q in history if q in set(rq["quarter"]))
    first = Quarter.parse(present[0]) if present else end
    span = Filters(
        start=first.start,
        end=end.end,
        region_ids=filters.region_ids if filters else (),
        team_ids=filters.team_ids if filters else (),
    )
    nps = nps_responses(store, span, scope) if present else pd.DataFrame(columns=["quarter", "nps_value"])
    s_sql, s_params = scope.clause("m.rep_id")
    r_sql, r_params = _dims(filters, "r.region_id", "region_ids")
    t_sql, t_params = _dims(filters, "r.team_id", "team_ids")
    sat = store.query(
        f"""SELECT m.quarter, m.value FROM rep_metrics AS m JOIN v_reps AS r ON r.rep_id = m.rep_id
            WHERE m.metric = 'satisfaction' AND {s_sql} AND {r_sql} AND {t_sql}""",  # noqa: S608 - fixed names
        [*s_params, *r_params, *t_params],
    )
    qrows = []
    for i, q in enumerate(present):
        row = _period_row(q, (q,), (present[i - 1],) if i else None, rq, sat, nps, threshold, accel, seed)
        qrows.append({"quarter": q, "half": half_of(q), **row})
    quarterly = pd.DataFrame(qrows)
    halves_list = sorted({half_of(q) for q in present}, key=lambda h: (int(h[:4]), h[-1]))
    hrows = []
    for i, h in enumerate(halves_list):
        hq = tuple(q for q in half_quarters(h) if q in present)
        prev = tuple(q for q in half_quarters(halves_list[i - 1]) if q in present) if i else None
        hrows.append(
            {"half": h, "quarters": ",".join(hq), **_period_row(h, hq, prev, rq, sat, nps, threshold, accel, seed)}
        )
    halves = pd.DataFrame(hrows)
    audited = tuple(q for q in quarters if q in present)
    window = audited if side_window == "half" else present
    effects = side_effects(store, filters, scope, rq, window, accel) if window else pd.DataFrame()
    band = rq[["quarter", "attainment"]].copy()
    band["band"] = pd.cut(
        band["attainment"].fillna(0.0),
        [-np.inf, threshold, 1.0, accel, np.inf],
        right=False,
        labels=["below_threshold", "threshold", "quota", "accelerator"],
    ).astype(str)
    result = AuditResult(
        half=half,
        quarters=quarters,
        previous_half=previous_half(half),
        plan_name=str(plan.name),  # type: ignore[attr-defined]
        accelerator_start=accel,
        threshold=threshold,
        quarterly=quarterly,
        halves=halves,
        side_effects=effects,
        attainment=band.reset_index(drop=True),
    )
    return AuditResult(**{**result.__dict__, "findings": tuple(audit_findings(result))})


def audit_findings(r: AuditResult) -> list[Finding]:
    """Plain-language findings of an audit (English templates with parameters)."""
    if not r.ok:
        return [
            Finding(
                "No targets or deals in {half} for the selected teams: nothing to audit.",
                {"half": r.half},
                {"half": "text"},
                "warning",
            )
        ]
    out: list[Finding] = []
    cur, prev = r.half_row(), r.half_row(r.previous_half)
    change = (
        float(safe_ratio(cur["incentive_cost"] - prev["incentive_cost"], prev["incentive_cost"]))
        if len(prev)
        else math.nan
    )
    out.append(
        Finding(
            "Incentives cost {cost} in {half} ({share} of revenue; cost of sales including salaries {cos_share}); "
            "{change} against {prev}.",
            {
                "cost": cur["incentive_cost"],
                "half": r.half,
                "share": cur["incentive_per_revenue"],
                "cos_share": cur["cost_of_sales_ratio"],
                "change": change,
                "prev": r.previous_half,
            },
            {
                "cost": "money",
                "half": "text",
                "share": "percent",
                "cos_share": "percent",
                "change": "signed_percent",
                "prev": "text",
            },
        )
    )
    if not math.isnan(cur["roi"]):
        lvl = "good" if cur["roi_lo"] > 0 else ("warning" if cur["roi_hi"] < 0 else "info")
        out.append(
            Finding(
                "Each yuan of incentive came with {roi} yuan of extra gross profit compared with the same half a year "
                "earlier (95% interval {lo} to {hi}). This is a year-on-year comparison, not proof that incentives "
                "caused the growth.",
                {"roi": cur["roi"], "lo": cur["roi_lo"], "hi": cur["roi_hi"]},
                {"roi": "number", "lo": "number", "hi": "number"},
                lvl,
            )
        )
    else:
        out.append(Finding("ROI needs the same half a year earlier, which the store does not hold.", level="info"))
    thr = cur["share_threshold"]
    out.append(
        Finding(
            "{share} of rep-quarters reached the base threshold ({threshold} of target; the plan intends about 80%), "
            "{quota} reached quota and {accel} reached the accelerator band.",
            {"share": thr, "threshold": r.threshold, "quota": cur["share_quota"], "accel": cur["share_accelerator"]},
            {"share": "percent", "threshold": "percent", "quota": "percent", "accel": "percent"},
            "warning" if abs(thr - 0.8) > 0.1 else "info",
        )
    )
    if not math.isnan(cur.get("ks_p", math.nan)):
        moved = cur["ks_p"] < 1 - CONFIDENCE or (not math.isnan(cur["psi"]) and cur["psi"] > 0.25)
        out.append(
            Finding(
                "The attainment distribution shifted against {prev} (median {median}; KS p = {p}, PSI {psi})."
                if moved
                else "The attainment distribution is stable against {prev} (median {median}; KS p = {p}, PSI {psi}).",
                {"prev": r.previous_half, "median": cur["att_p50"], "p": cur["ks_p"], "psi": cur["psi"]},
                {"prev": "text", "median": "percent", "p": "p", "psi": "number"},
                "warning" if moved else "info",
            )
        )
    if len(prev) and not math.isnan(cur["nps"]):
        out.append(
            Finding(
                "NPS {nps} in {half} ({change} points against {prev}); rep satisfaction {sat} out of 10 "
                "({sat_change} against {prev}).",
                {
                    "nps": cur["nps"],
                    "half": r.half,
                    "change": cur["nps"] - prev["nps"],
                    "prev": r.previous_half,
                    "sat": cur["satisfaction"],
                    "sat_change": cur["satisfaction"] - prev["satisfaction"],
                },
                {
                    "nps": "number",
                    "half": "text",
                    "change": "signed_number",
                    "prev": "text",
                    "sat": "number",
                    "sat_change": "signed_number",
                },
            )
        )
    kinds = {"diff": "signed_number", "lo": "signed_number", "hi": "signed_number", "p": "p"}
    for _, s in r.side_effects.iterrows():
        if not s["worse"]:
            continue
        scale = 100.0 if s["unit"] == "share" else 1.0
        params = {"diff": s["diff"] * scale, "lo": s["lo"] * scale, "hi": s["hi"] * scale, "p": s["p_value"]}
        out.append(Finding(SIDE_EFFECT_TEMPLATES[s["outcome"]], params, kinds, "warning"))
    if len(r.side_effects) and r.side_effects["worse"].any():
        out.append(
            Finding(
                "Accelerator earners appear to neglect existing customers: consider adding renewal rate "
                "or NPS to the scorecard, or a clawback on lost renewals.",
                level="warning",
            )
        )
    elif len(r.side_effects):
        out.append(
            Finding(
                "No side effect found: accelerator-band reps do as well as others on renewal rate, NPS "
                "and complaint rate (segment-adjusted, 95% intervals).",
                level="good",
            )
        )
    return out


# --------------------------------------------------------------------------------------
# language and formatting for the report (pure: no Streamlit; mirrors ui.i18n / ui.format)
# --------------------------------------------------------------------------------------
LANGS = ("en", "zh")
_BABEL = {"en": "en_US", "zh": "zh_Hans_CN"}


@lru_cache(maxsize=4)
def catalogue(lang: str) -> dict[str, str]:
    """msgid -> translation from every ``locales/<lang>/LC_MESSAGES/*.po`` (empty for English)."""
    from babel.messages.pofile import read_po

    out: dict[str, str] = {}
    folder = LOCALES_DIR / lang / "LC_MESSAGES"
    if lang == "en" or not folder.exists():
        return out
    for po in sorted(folder.glob("*.po")):
        with po.open("rb") as fh:
            cat = read_po(fh, locale=_BABEL.get(lang, lang))
        for msg in cat:
            if msg.id and msg.string:
                key = msg.id[0] if isinstance(msg.id, tuple) else msg.id
                out[key] = msg.string[0] if isinstance(msg.string, tuple) else msg.string
    return out


def translator(lang: str) -> Callable[..., str]:
    """``tr(msgid, **params)`` for ``lang``: the translation (or the English) with params filled."""
    cat = catalogue(lang)

    def tr(msgid: str, **params: object) -> str:
        text = cat.get(msgid, msgid)
        return text.format(**params) if params else text

    return tr


def formatter(lang: str) -> Callable[[object, str], str]:
    """``fmt(value, kind)`` for ``lang`` (kinds as in :class:`Finding`), with Babel like ui.format."""
    from babel.numbers import format_decimal, format_percent

    loc = _BABEL.get(lang, "en_US")
    tr = translator(lang)

    def money(v: float) -> str:
        sign, a = ("-" if v < 0 else ""), abs(v)
        if lang == "zh":
            if a >= 1e8:
                return f"{sign}¥{a / 1e8:,.2f}亿"
            if a >= 1e4:
                return f"{sign}¥{a / 1e4:,.1f}万"
            return f"{sign}¥{a:,.0f}"
        for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
            if a >= div:
                return f"{sign}¥{a / div:,.2f}{suffix}"
        return f"{sign}¥{a:,.0f}"

    def fmt(value: object, kind: str = "") -> str:
        if kind == "msg":
            return tr(str(value))
        if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
            return str(value)
        v = float(value)
        if math.isnan(v):
            return "—"
        if kind == "percent":
            return format_percent(v, format="#,##0.0%", locale=loc)
        if kind == "signed_percent":
            return ("+" if v >= 0 else "-") + format_percent(abs(v), format="#,##0.0%", locale=loc)
        if kind == "money":
            return money(v)
        if kind == "count":
            return format_decimal(round(v), locale=loc)
        if kind == "p":
            return "<0.001" if v < 0.001 else format_decimal(v, format="0.000", locale=loc)
        if kind == "signed_number":
            return ("+" if v >= 0 else "-") + format_decimal(abs(v), format="#,##0.00", locale=loc)
        return format_decimal(v, format="#,##0.00", locale=loc)

    return fmt


# --------------------------------------------------------------------------------------
# figures (pure plotly; the page reuses them through ui/pilots_charts.py)
# --------------------------------------------------------------------------------------
PALETTE = ["#1f6feb", "#d1495b", "#edae49", "#00798c", "#66a182", "#8d6cab"]


def _layout(fig: object, title: str, x: str, y: str) -> object:
    fig.update_layout(
        title=title,
        xaxis_title=x,
        yaxis_title=y,
        template="plotly_white",  # type: ignore[attr-defined]
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"orientation": "h", "y": -0.2},
        height=380,
    )
    return fig


def cost_figure(quarterly: pd.DataFrame, labels: dict[str, str]) -> object:
    """Incentive and salary cost per quarter (stacked bars) with ROI on a second axis.

    ``labels``: title, x, y, incentive, salary, roi, roi_axis.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(specs=[[{"secondary_y": True}]])
    x = quarterly["quarter"] if len(quarterly) else []
    fig.add_trace(go.Bar(x=x, y=quarterly.get("incentive_cost"), name=labels["incentive"], marker_color=PALETTE[1]))
    fig.add_trace(
        go.Bar(x=x, y=quarterly.get("salary_cost"), name=labels["salary"], marker_color=PALETTE[0], opacity=0.5)
    )
    if len(quarterly):
        err = {
            "type": "data",
            "symmetric": False,
            "array": quarterly["roi_hi"] - quarterly["roi"],
            "arrayminus": quarterly["roi"] - quarterly["roi_lo"],
        }
        fig.add_trace(
            go.Scatter(
                x=x,
                y=quarterly["roi"],
                name=labels["roi"],
                mode="lines+markers",
                error_y=err,
                line={"color": PALETTE[3]},
            ),
            secondary_y=True,
        )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title_text=labels["roi_axis"], tickformat=".1f", rangemode="tozero", secondary_y=True)
    return _layout(fig, labels["title"], labels["x"], labels["y"])


def bands_figure(quarterly: pd.DataFrame, labels: dict[str, str]) -> object:
    """Share of rep-quarters at the threshold, quota and accelerator with Wilson intervals.

    ``labels``: title, x, y, threshold, quota, accelerator.
    """
    import plotly.graph_objects as go

    fig = go.Figure()
    for i, name in enumerate(("threshold", "quota", "accelerator")):
        if not len(quarterly):
            break
        col = f"share_{name}"
        err = _interval_bars(quarterly, col)
        fig.add_trace(
            go.Scatter(
                x=quarterly["quarter"],
                y=quarterly[col],
                name=labels[name],
                mode="lines+markers",
                error_y=err,
                line={"color": PALETTE[i]},
            )
        )
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    return _layout(fig, labels["title"], labels["x"], labels["y"])


def _interval_bars(frame: pd.DataFrame, col: str) -> dict[str, object]:
    """Plotly asymmetric error bars from ``col``, ``col_lo`` and ``col_hi``."""
    return {
        "type": "data",
        "symmetric": False,
        "array": frame[f"{col}_hi"] - frame[col],
        "arrayminus": frame[col] - frame[f"{col}_lo"],
    }


def attainment_figure(attainment: pd.DataFrame, labels: dict[str, str], *, clip: float = 3.0) -> object:
    """Attainment distribution per quarter (box plots, values clipped at ``clip``). ``labels``: title, x, y."""
    import plotly.graph_objects as go

    fig = go.Figure()
    if len(attainment):
        fig.add_trace(
            go.Box(
                x=attainment["quarter"],
                y=attainment["attainment"].clip(upper=clip),
                marker_color=PALETTE[0],
                boxpoints=False,
                name=labels["y"],
            )
        )
    fig.update_yaxes(tickformat=".0%")
    fig.update_layout(showlegend=False)
    return _layout(fig, labels["title"], labels["x"], labels["y"])


def satisfaction_figure(quarterly: pd.DataFrame, labels: dict[str, str]) -> object:
    """NPS (left axis) and rep satisfaction (right axis) per quarter with 95% intervals.

    ``labels``: title, x, nps, satisfaction.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(specs=[[{"secondary_y": True}]])
    if len(quarterly):
        for col, color, second in (("nps", PALETTE[1], False), ("satisfaction", PALETTE[3], True)):
            err = _interval_bars(quarterly, col)
            fig.add_trace(
                go.Scatter(
                    x=quarterly["quarter"],
                    y=quarterly[col],
                    name=labels[col],
                    mode="lines+markers",
                    error_y=err,
                    line={"color": color},
                ),
                secondary_y=second,
            )
    fig.update_yaxes(title_text=labels["satisfaction"], tickformat=".1f", secondary_y=True)
    return _layout(fig, labels["title"], labels["x"], labels["nps"])


def growth_figure(quarterly: pd.DataFrame, labels: dict[str, str]) -> object:
    """Revenue and gross profit per quarter (bars) and year-on-year revenue growth (line).

    ``labels``: title, x, y, revenue, gross_profit, growth.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(specs=[[{"secondary_y": True}]])
    if len(quarterly):
        fig.add_trace(
            go.Bar(x=quarterly["quarter"], y=quarterly["revenue"], name=labels["revenue"], marker_color=PALETTE[0])
        )
        fig.add_trace(
            go.Bar(
                x=quarterly["quarter"],
                y=quarterly["gross_profit"],
                name=labels["gross_profit"],
                marker_color=PALETTE[4],
            )
        )
        fig.add_trace(
            go.Scatter(
                x=quarterly["quarter"],
                y=quarterly["revenue_growth_yoy"],
                name=labels["growth"],
                mode="lines+markers",
                line={"color": PALETTE[1]},
            ),
            secondary_y=True,
        )
    fig.update_yaxes(tickformat=".0%", title_text=labels["growth"], secondary_y=True)
    return _layout(fig, labels["title"], labels["x"], labels["y"])


def side_effects_figure(effects: pd.DataFrame, labels: dict[str, str]) -> object:
    """Adjusted difference (accelerator band - others) per outcome with its 95% interval.

    One panel per outcome (units differ). ``labels``: title, and one label per outcome name.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    names = list(effects["outcome"]) if len(effects) else []
    fig = make_subplots(rows=1, cols=max(len(names), 1), subplot_titles=[labels.get(n, n) for n in names] or [""])
    for i, (_, row) in enumerate(effects.iterrows(), start=1):
        scale = 100.0 if row["unit"] == "share" else 1.0
        color = PALETTE[1] if row["worse"] else PALETTE[0]
        fig.add_trace(
            go.Scatter(
                x=[row["diff"] * scale],
                y=[""],
                mode="markers",
                marker={"size": 12, "color": color},
                showlegend=False,
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": [(row["hi"] - row["diff"]) * scale],
                    "arrayminus": [(row["diff"] - row["lo"]) * scale],
                },
            ),
            row=1,
            col=i,
        )
        fig.add_vline(x=0, line_dash="dash", line_color="grey", row=1, col=i)
    fig.update_layout(
        title=labels["title"], template="plotly_white", height=260, margin={"l": 10, "r": 10, "t": 70, "b": 10}
    )
    return fig


def audit_figures(result: AuditResult, tr: Callable[..., str]) -> dict[str, object]:
    """Every chart of the audit with translated labels (keys: cost, bands, attainment, satisfaction, growth, side)."""
    q = result.quarterly
    quarter = tr("Quarter")
    return {
        "cost": cost_figure(
            q,
            {
                "title": tr("Incentive and salary cost per quarter, with ROI"),
                "x": quarter,
                "y": tr("Cost (CNY)"),
                "incentive": tr("Incentive cost"),
                "salary": tr("Salary cost"),
                "roi": tr("ROI (incremental gross profit per yuan of incentive)"),
                "roi_axis": tr("ROI"),
            },
        ),
        "bands": bands_figure(
            q,
            {
                "title": tr("Share of reps at threshold, quota and accelerator"),
                "x": quarter,
                "y": tr("Share of reps"),
                "threshold": tr("Reached base threshold"),
                "quota": tr("Reached quota"),
                "accelerator": tr("In accelerator band"),
            },
        ),
        "attainment": attainment_figure(
            result.attainment, {"title": tr("Attainment distribution per quarter"), "x": quarter, "y": tr("Attainment")}
        ),
        "satisfaction": satisfaction_figure(
            q,
            {
                "title": tr("NPS and rep satisfaction"),
                "x": quarter,
                "nps": tr("NPS"),
                "satisfaction": tr("Rep satisfaction (0-10)"),
            },
        ),
        "growth": growth_figure(
            q,
            {
                "title": tr("Growth: revenue and gross profit per quarter"),
                "x": quarter,
                "y": tr("CNY"),
                "revenue": tr("Revenue"),
                "gross_profit": tr("Gross profit"),
                "growth": tr("Revenue growth year on year"),
            },
        ),
        "side": side_effects_figure(
            result.side_effects,
            {
                "title": tr("Side effects: accelerator band minus other reps (segment-adjusted, 95% interval)"),
                "renewal_rate": tr("Renewal rate (percentage points)"),
                "nps": tr("NPS (points)"),
                "complaint_rate": tr("Complaint rate"),
            },
        ),
    }


# --------------------------------------------------------------------------------------
# the one-click report
# --------------------------------------------------------------------------------------
#: Columns of the quarterly table in the report: (column, label, kind).
REPORT_COLUMNS = (
    ("incentive_cost", "Incentive cost", "money"),
    ("salary_cost", "Salary cost", "money"),
    ("revenue", "Revenue", "money"),
    ("gross_profit", "Gross profit", "money"),
    ("cost_of_sales_ratio", "Cost of sales / revenue", "percent"),
    ("roi", "ROI", "number"),
    ("share_threshold", "Reached base threshold", "percent"),
    ("share_accelerator", "In accelerator band", "percent"),
    ("att_p50", "Median attainment", "percent"),
    ("nps", "NPS", "number"),
    ("satisfaction", "Rep satisfaction (0-10)", "number"),
)


def period_table(result: AuditResult) -> pd.DataFrame:
    """The half-years, then the quarters, with the :data:`REPORT_COLUMNS` (raw values).

    Grain: one row per half-year or quarter. Columns: ``period`` and each report column.
    """
    cols = [c for c, _, _ in REPORT_COLUMNS]
    if not result.ok:
        return pd.DataFrame(columns=["period", *cols])
    halves = result.halves.rename(columns={"half": "period"})[["period", *cols]]
    quarters = result.quarterly.rename(columns={"quarter": "period"})[["period", *cols]]
    return pd.concat([halves, quarters], ignore_index=True)


def report_html(result: AuditResult, *, lang: str = "en", generated: date | None = None) -> str:
    """The audit as one self-contained HTML page (plotly.js inlined; no network needed)."""
    import jinja2

    tr, fmt = translator(lang), formatter(lang)
    figs = audit_figures(result, tr)
    charts = []
    for i, (key, fig) in enumerate(figs.items()):
        charts.append(
            {
                "key": key,
                "html": fig.to_html(
                    full_html=False,
                    include_plotlyjs=(i == 0),  # type: ignore[attr-defined]
                    config={"displaylogo": False},
                ),
            }
        )
    periods = period_table(result)
    table = {
        "head": [tr("Period"), *[tr(label) for _, label, _ in REPORT_COLUMNS]],
        "rows": [
            [str(p["period"]), *[fmt(p[col], kind) for col, _, kind in REPORT_COLUMNS]]
            for p in periods.to_dict(orient="records")
        ],
    }
    effects = []
    names = {"renewal_rate": tr("Renewal rate"), "nps": tr("NPS"), "complaint_rate": tr("Complaint rate")}
    for _, s in result.side_effects.iterrows():
        scale = 100.0 if s["unit"] == "share" else 1.0
        effects.append(
            {
                "outcome": names.get(s["outcome"], s["outcome"]),
                "accel": fmt(s["accel_mean"] * scale),
                "other": fmt(s["other_mean"] * scale),
                "diff": fmt(s["diff"] * scale, "signed_number"),
                "ci": f"{fmt(s['lo'] * scale, 'signed_number')} … {fmt(s['hi'] * scale, 'signed_number')}",
                "p": fmt(s["p_value"], "p"),
                "within": fmt(s["within_diff"] * scale, "signed_number"),
                "n": f"{fmt(s['n_accel'], 'count')} / {fmt(s['n_other'], 'count')}",
                "worse": bool(s["worse"]),
            }
        )
    source = tr(
        "Incentive cost: the pay of the plan {plan} computed by the incentive engine for every rep and "
        "quarter (base bonus, commission with accelerator, innovation and team pools).",
        plan=plan_name(result.plan_name, lang),
    )
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)), autoescape=jinja2.select_autoescape(["html", "j2"])
    )
    return env.get_template("audit_report.html.j2").render(
        lang=lang,
        title=tr("Incentive system health audit {half}", half=result.half),
        subtitle=tr(
            "Quarters {quarters}; compared with {prev}. Generated {day}.",
            quarters=", ".join(result.quarters),
            prev=result.previous_half,
            day=(generated or date.today()).isoformat(),
        ),
        findings_title=tr("Findings"),
        charts_title=tr("Charts"),
        table_title=tr("Figures per half-year and quarter"),
        side_title=tr("Side-effect checks"),
        method_title=tr("Definitions"),
        findings=[{"level": f.level, "text": f.render(tr, fmt)} for f in result.findings],
        charts=charts,
        table=table,
        effects=effects,
        effects_head=[
            tr("Outcome"),
            tr("Accelerator band"),
            tr("Other reps"),
            tr("Adjusted difference"),
            tr("95% interval"),
            tr("p-value"),
            tr("Within-rep difference"),
            tr("Observations (band / other)"),
        ],
        definitions=[
            tr(ROI_DEFINITION),
            source,
            tr(
                "Renewal rate: renewals signed within 60 days before to 30 days after the due date / renewals due; a "
                "new or renewal deal makes the next renewal due 365 days later."
            ),
            tr(
                "NPS: % promoters (9-10) minus % detractors (0-6) of survey responses; an account belongs to the rep "
                "of its first deal."
            ),
            tr(
                "Side effects are differences between rep-quarters in the accelerator band (attainment at or above "
                "{accel}) and the others, adjusted for segment mix and quarter by least squares with standard errors "
                "clustered by rep; the within-rep difference compares each rep with themself.",
                accel=fmt(result.accelerator_start, "percent"),
            ),
        ],
        escape=html.escape,
    )


def render_report(
    store: Store, filters: Filters | None, scope: Scope, *, half: str, lang: str = "en", plan_path: str | None = None
) -> str:
    """Run :func:`health_audit` and render it with :func:`report_html`."""
    if lang not in LANGS:
        raise ValueError(f"'{lang}' is not a report language; use en or zh.")
    return report_html(health_audit(store, filters, scope, half=half, plan_path=plan_path), lang=lang)


# --------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------
def _cmd_audit_report(args: argparse.Namespace) -> int:
    from analytics.cli.common import UserError, cli_scope, open_store

    store = open_store(args.db)
    try:
        half_quarters(args.half)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    halves = audit_halves(store)
    if args.half not in halves:
        raise UserError(f"The store has no targets in {args.half}; choose one of: {', '.join(halves) or 'none'}.")
    try:
        text = render_report(store, None, cli_scope(args), half=args.half, lang=args.lang, plan_path=args.plan)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"audit report for {args.half} written to {out} ({len(text) / 1e6:.1f} MB)")
    return 0


def _cmd_audit(args: argparse.Namespace) -> int:
    from analytics.cli.common import UserError, cli_scope, emit, open_store

    store = open_store(args.db)
    try:
        result = health_audit(store, None, cli_scope(args), half=args.half, plan_path=args.plan)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    table = {"quarterly": result.quarterly, "halves": result.halves, "side_effects": result.side_effects}[args.table]
    if args.format == "json":
        emit(
            {
                "half": result.half,
                "plan": result.plan_name,
                "roi_definition": result.roi_definition,
                "findings": [f.english() for f in result.findings],
                args.table: [{k: _json(v) for k, v in row.items()} for row in table.to_dict(orient="records")],
            },
            "json",
            args.out,
        )
    else:
        emit(table, args.format, args.out)
    return 0


def _json(v: object) -> object:
    if isinstance(v, float | np.floating):
        return None if math.isnan(float(v)) else float(v)
    if isinstance(v, np.integer | np.bool_):
        return v.item()
    return v


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``audit`` and ``audit-report`` commands."""
    from analytics.cli.common import add_db

    p = sub.add_parser("audit-report", help="one-click HTML health audit of a half-year (charts + findings)")
    add_db(p)
    p.add_argument("--half", required=True, help="half-year to audit, e.g. 2025H2")
    p.add_argument("--out", required=True, help="HTML file to write")
    p.add_argument("--lang", choices=LANGS, default="en", help="report language (en or zh)")
    p.add_argument("--plan", help="plan TOML that prices incentives (default data/plans/reference.toml)")
    p.set_defaults(func=_cmd_audit_report)

    p = sub.add_parser("audit", help="health-audit tables of a half-year (quarterly, halves or side_effects)")
    add_db(p)
    p.add_argument("--half", required=True, help="half-year to audit, e.g. 2025H2")
    p.add_argument("--table", choices=("quarterly", "halves", "side_effects"), default="halves")
    p.add_argument("--plan", help="plan TOML that prices incentives (default data/plans/reference.toml)")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.add_argument("--out", help="write the result to this file instead of stdout")
    p.set_defaults(func=_cmd_audit)
