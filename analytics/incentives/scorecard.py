"""Three-dimension scorecard: results, behaviour quality and collaboration, per rep per quarter.

Every metric of :data:`analytics.incentives.plans.METRICS` is computed per rep and quarter from the store
(:func:`load_metrics`), normalised within the rep's role and quarter (:func:`normalise`), and
combined with the plan's weights into dimension scores, a total score and a grade
(:func:`score`). Definitions, formulas and limits are in docs/methods/scorecard.md.

- *Normalisation*: ``percentile`` gives the mid-rank percentile
  ``100 * (rank - 0.5) / n`` among the role-quarter's reps with a value (average ranks for
  ties; lower-is-better metrics are ranked on the negated value); ``zscore`` gives the
  T-score ``50 + 10 * (x - mean) / sd`` (population sd; 50 when sd is 0), clipped to 0-100.
- *Weights*: ``dimension = sum(w_m * s_m) / sum(w_m)`` over the dimension's metrics that
  have a value; ``total = sum(W_d * dimension_d) / sum(W_d)`` over dimensions with a score.
  Missing metrics therefore re-weight the others rather than count as zero.
- *Grades*: ``thresholds`` (minimum total per grade) or ``forced`` (shares by rank within
  role and quarter: the rep ranked ``r`` of ``n`` gets the first grade whose cumulative
  share exceeds ``(r - 1) / n``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.access import Scope
from analytics.filters import Filters
from analytics.incentives.plans import (
    DIMENSIONS,
    GRADES,
    METRICS,
    NORMALISE_METHODS,
    Plan,
    ScorecardConfig,
    reference_plan,
)
from analytics.periods import Quarter
from analytics.store import Store

#: Metric columns in a fixed order (the catalogue's order).
METRIC_NAMES = tuple(METRICS)
#: Renewals signed this many days before / after the quarter still count for it.
RENEWAL_WINDOW_DAYS = 15
#: Weakest metrics listed per rep on the improvement list.
WEAKEST_SHOWN = 3
#: Grades on the improvement list.
IMPROVEMENT_GRADES = ("B", "C", "D")
#: Identity columns of the per-rep frames.
REP_COLUMNS = ("rep_id", "rep_name", "team_id", "region_id", "role")
#: Raw inputs kept next to the metrics (used by the incentive engine).
EXTRA_COLUMNS = ("target_amount", "target_gross_profit", "monthly_salary")


def _quarter_params(q: Quarter) -> dict[str, object]:
    """Bound parameters of the metric query for quarter ``q``."""
    year_ago = Quarter(q.year - 1, q.q)
    return {
        "quarter": str(q),
        "start": q.start,
        "end": q.end,
        "next_start": q.next().start,
        "ya_start": year_ago.start,
        "ya_end": year_ago.end,
        "window": RENEWAL_WINDOW_DAYS,
    }


_METRICS_SQL = """
WITH pop AS (
    SELECT rep_id FROM targets WHERE quarter = $quarter
    UNION SELECT rep_id FROM rep_metrics WHERE quarter = $quarter),
won AS (
    SELECT rep_id, sum(amount)::DOUBLE AS gmv FROM deals
    WHERE signed_at BETWEEN $start AND $end GROUP BY rep_id),
closed AS (
    SELECT rep_id, count(*) AS closed_leads, count(*) FILTER (WHERE status = 'won') AS won_leads,
           count(*) FILTER (WHERE status = 'won' AND source = 'referral') AS referral_won
    FROM leads WHERE status <> 'open' AND closed_at BETWEEN $start AND $end GROUP BY rep_id),
calls_q AS (
    SELECT rep_id, count(*) AS n_calls, avg(needs_discovery_score) AS needs_discovery FROM calls
    WHERE called_at >= $start::TIMESTAMP AND called_at < $next_start::TIMESTAMP GROUP BY rep_id),
acc_q AS (
    SELECT DISTINCT rep_id, account_id FROM deals
    WHERE signed_at BETWEEN $start AND $end AND account_id IS NOT NULL),
acc_gp AS (
    SELECT account_id, coalesce(sum(gross_profit), 0)::DOUBLE AS gp FROM deals
    WHERE signed_at <= $end AND account_id IN (SELECT account_id FROM acc_q) GROUP BY account_id),
clv AS (
    SELECT rep_id, avg(gp) AS clv_proxy FROM acc_q JOIN acc_gp USING (account_id) GROUP BY rep_id),
due AS (
    SELECT DISTINCT rep_id, account_id FROM deals
    WHERE deal_type IN ('new', 'renewal') AND account_id IS NOT NULL AND signed_at BETWEEN $ya_start AND $ya_end),
renewed AS (
    SELECT DISTINCT account_id FROM deals WHERE deal_type = 'renewal'
    AND signed_at BETWEEN $start - to_days($window::INTEGER) AND $end + to_days($window::INTEGER)),
ren AS (
    SELECT rep_id, count(*) AS due_accounts, count(r.account_id) AS renewed_accounts
    FROM due LEFT JOIN renewed AS r USING (account_id) GROUP BY rep_id),
rep_acc AS (
    SELECT DISTINCT rep_id, account_id FROM deals WHERE signed_at <= $end AND account_id IS NOT NULL),
nps_q AS (
    SELECT ra.rep_id, count(*) AS nps_responses,
           100.0 * (count(*) FILTER (WHERE n.score >= 9) - count(*) FILTER (WHERE n.score <= 6)) / count(*) AS nps
    FROM rep_acc AS ra JOIN nps AS n ON n.account_id = ra.account_id
    WHERE n.responded_at BETWEEN $start AND $end GROUP BY ra.rep_id),
rm AS (
    SELECT rep_id,
        max(value) FILTER (WHERE metric = 'solution_innovation') AS solution_innovation,
        max(value) FILTER (WHERE metric = 'complaint_rate') AS complaint_rate,
        max(value) FILTER (WHERE metric = 'approval_error_rate') AS approval_error_rate,
        max(value) FILTER (WHERE metric = 'cross_dept_response_hours') AS cross_dept_response_hours,
        max(value) FILTER (WHERE metric = 'mentoring_hours') AS mentoring_hours,
        max(value) FILTER (WHERE metric = 'peer_review_score' AND coalesce(trim(evidence), '') <> '')
            AS peer_review_score,
        max(value) FILTER (WHERE metric = 'collaboration_score') AS collaboration_score,
        max(value) FILTER (WHERE metric = 'satisfaction') AS satisfaction,
        max(value) FILTER (WHERE metric = 'strategic_project_score') AS strategic_project_score
    FROM rep_metrics WHERE quarter = $quarter GROUP BY rep_id)
SELECT
    p.rep_id, r.rep_name, r.team_id, r.region_id, r.role, $quarter AS quarter,
    r.monthly_salary::DOUBLE AS monthly_salary,
    t.target_amount::DOUBLE AS target_amount, t.target_gross_profit::DOUBLE AS target_gross_profit,
    CASE WHEN t.target_amount > 0 THEN coalesce(w.gmv, 0) / t.target_amount::DOUBLE END AS attainment,
    coalesce(w.gmv, 0) AS gmv,
    CASE WHEN c.closed_leads > 0 THEN c.won_leads / c.closed_leads END AS close_rate,
    clv.clv_proxy,
    CASE WHEN ren.due_accounts > 0 THEN ren.renewed_accounts / ren.due_accounts END AS renewal_rate,
    CASE WHEN c.won_leads > 0 THEN c.referral_won / c.won_leads END AS referral_rate,
    rm.strategic_project_score,
    k.needs_discovery,
    CASE WHEN k.n_calls > 0 THEN 100.0 * coalesce(c.won_leads, 0) / k.n_calls END AS call_efficiency,
    rm.solution_innovation, rm.complaint_rate, rm.approval_error_rate, nps_q.nps,
    rm.cross_dept_response_hours, rm.mentoring_hours, rm.peer_review_score, rm.collaboration_score,
    rm.satisfaction, coalesce(nps_q.nps_responses, 0) AS nps_responses,
    coalesce(ren.due_accounts, 0) AS renewals_due, coalesce(k.n_calls, 0) AS calls
FROM pop AS p
JOIN v_reps AS r USING (rep_id)
LEFT JOIN targets AS t ON t.rep_id = p.rep_id AND t.quarter = $quarter
LEFT JOIN won AS w ON w.rep_id = p.rep_id
LEFT JOIN closed AS c ON c.rep_id = p.rep_id
LEFT JOIN calls_q AS k ON k.rep_id = p.rep_id
LEFT JOIN clv ON clv.rep_id = p.rep_id
LEFT JOIN ren ON ren.rep_id = p.rep_id
LEFT JOIN nps_q ON nps_q.rep_id = p.rep_id
LEFT JOIN rm ON rm.rep_id = p.rep_id
ORDER BY p.rep_id
"""


def load_metrics(store: Store, quarter: str) -> pd.DataFrame:
    """Every scorecard metric for every rep active in ``quarter`` (company-wide, unscoped).

    Grain: one row per rep with a target or rep_metrics row in the quarter. Columns:
    ``rep_id, rep_name, team_id, region_id, role, quarter, monthly_salary, target_amount,
    target_gross_profit``, one column per metric of :data:`analytics.incentives.plans.METRICS` (NaN when
    the rep has no data for it), plus ``satisfaction, nps_responses, renewals_due, calls``.
    Callers must restrict rows to a scope before showing them (:func:`visible_rep_ids`);
    normalisation needs the whole role, so this is computed unscoped.
    """
    q = Quarter.parse(quarter)
    df = store.query(_METRICS_SQL, _quarter_params(q))
    for col in (*METRIC_NAMES, *EXTRA_COLUMNS, "satisfaction"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
    return df


def visible_rep_ids(
    store: Store, scope: Scope, *, regions: tuple[str, ...] = (), teams: tuple[str, ...] = ()
) -> set[str]:
    """Reps the scope may see, within the optional region / team selections."""
    s_sql, s_params = scope.clause("rep_id")
    df = store.query(
        f"""SELECT rep_id FROM v_reps WHERE ({s_sql})
            AND (len(?::VARCHAR[]) = 0 OR list_contains(?::VARCHAR[], region_id))
            AND (len(?::VARCHAR[]) = 0 OR list_contains(?::VARCHAR[], team_id))""",  # noqa: S608 - scope.clause
        [*s_params, list(regions), list(regions), list(teams), list(teams)],
    )
    return set(df["rep_id"])


# -- normalisation and weighting (pure) ------------------------------------------------
def normalise(metrics: pd.DataFrame, method: str = "percentile") -> pd.DataFrame:
    """Metric scores 0-100 within role and quarter (see the module docstring).

    Returns a frame aligned with ``metrics`` with one column per metric name (NaN where the
    raw value is missing).
    """
    if metrics.empty:
        return pd.DataFrame({m: pd.Series(dtype=float) for m in METRIC_NAMES}, index=metrics.index)
    keys = [metrics["role"].fillna(""), metrics["quarter"]]
    signed = pd.DataFrame(
        {m: metrics[m] if METRICS[m].higher_is_better else -metrics[m] for m in METRIC_NAMES}, index=metrics.index
    )
    grouped = signed.groupby(keys)
    if method == "percentile":
        ranks = grouped.rank(method="average")
        counts = grouped.transform("count")
        out = 100.0 * (ranks - 0.5) / counts.where(counts > 0)
    elif method == "zscore":
        mean = grouped.transform("mean")
        sd = grouped.transform(lambda s: s.std(ddof=0))
        z = (signed - mean) / sd.where(sd > 0)
        out = (50.0 + 10.0 * z).clip(0.0, 100.0)
        out = out.where(~(sd == 0) | signed.isna(), 50.0)
    else:
        raise ValueError(f"'{method}' is not a normalisation method; use percentile or zscore.")
    return out.astype(float)


def _weight_matrix(roles: np.ndarray, config: ScorecardConfig, dimension: str) -> np.ndarray:
    """(reps, metrics) weights of each metric inside ``dimension`` for each rep's role."""
    w = np.zeros((len(roles), len(METRIC_NAMES)))
    for role in np.unique(roles):
        weights = config.weights_for(str(role)).metric_weights(dimension)
        row = np.array([weights.get(m, 0.0) for m in METRIC_NAMES])
        w[roles == role] = row
    return w


def _dimension_matrix(roles: np.ndarray, config: ScorecardConfig) -> np.ndarray:
    """(reps, dimensions) dimension weights per rep's role."""
    w = np.zeros((len(roles), len(DIMENSIONS)))
    for role in np.unique(roles):
        dims = config.weights_for(str(role)).dimension_weights()
        w[roles == role] = [dims[d] for d in DIMENSIONS]
    return w


def _weighted_mean(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Row-wise sum(w * v) / sum(w) over entries with a value (NaN where no weight has a value)."""
    have = ~np.isnan(values) & (weights > 0)
    wsum = np.where(have, weights, 0.0).sum(axis=1)
    num = np.where(have, weights * np.nan_to_num(values), 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(wsum > 0, num / np.where(wsum > 0, wsum, 1.0), np.nan)


def grade_scores(total: np.ndarray, groups: np.ndarray, rep_ids: np.ndarray, config: ScorecardConfig) -> np.ndarray:
    """Grade per rep (object array; None where the total is missing)."""
    grades = np.full(len(total), None, dtype=object)
    ok = ~np.isnan(total)
    if config.grading == "thresholds":
        th = dict(config.thresholds)
        out = np.where(
            total >= th["A+"],
            "A+",
            np.where(total >= th["A"], "A", np.where(total >= th["B"], "B", np.where(total >= th["C"], "C", "D"))),
        )
        grades[ok] = out[ok]
        return grades
    shares = dict(config.forced)
    cum = np.cumsum([shares[g] for g in GRADES])
    frame = pd.DataFrame({"g": groups, "t": total, "id": rep_ids})[ok]
    frame = frame.sort_values(["g", "t", "id"], ascending=[True, False, True])
    pos = frame.groupby("g").cumcount().to_numpy()
    n = frame.groupby("g")["t"].transform("size").to_numpy()
    p = pos / n
    idx = (p[:, None] >= cum[None, :] - 1e-9).sum(axis=1).clip(0, len(GRADES) - 1)
    grades[frame.index.to_numpy()] = np.array(GRADES, dtype=object)[idx]
    return grades


def score(metrics: pd.DataFrame, config: ScorecardConfig, *, normalised: pd.DataFrame | None = None) -> pd.DataFrame:
    """Dimension scores, total score, rank within role and grade for every row of ``metrics``.

    Parameters
    ----------
    metrics
        Output of :func:`load_metrics` (one or more quarters; index 0..n-1).
    config
        The plan's scorecard configuration.
    normalised
        Precomputed :func:`normalise` output for ``config.normalise`` (optional, for speed).

    Returns
    -------
    DataFrame
        Same rows and index: identity columns, ``quarter``, ``results_score``,
        ``behaviour_score``, ``collaboration_score``, ``total_score``, ``rank_in_role``
        (1 = best; ties share the better rank), ``reps_in_role`` and ``grade``.
    """
    metrics = metrics.reset_index(drop=True)
    scores = normalised if normalised is not None else normalise(metrics, config.normalise)
    values = scores[list(METRIC_NAMES)].to_numpy(dtype=float)
    roles = metrics["role"].fillna("").to_numpy(dtype=object)
    out = metrics[[*REP_COLUMNS, "quarter"]].copy()
    dims = np.column_stack([_weighted_mean(values, _weight_matrix(roles, config, d)) for d in DIMENSIONS])
    for i, d in enumerate(DIMENSIONS):
        out[f"{d}_score"] = dims[:, i]
    total = _weighted_mean(dims, _dimension_matrix(roles, config))
    out["total_score"] = total
    groups = pd.Series(roles).astype(str) + "|" + metrics["quarter"].astype(str)
    out["rank_in_role"] = pd.Series(total).groupby(groups).rank(method="min", ascending=False).astype("Int64")
    out["reps_in_role"] = pd.Series(total).groupby(groups).transform("count").astype(int)
    out["grade"] = grade_scores(total, groups.to_numpy(), metrics["rep_id"].to_numpy(), config)
    return out


# -- results for pages and the CLI -----------------------------------------------------
@dataclass(frozen=True)
class ScorecardResult:
    """The scorecard of one quarter for the reps a scope may see.

    Attributes
    ----------
    quarter
        The quarter scored.
    per_rep
        One row per visible rep active in the quarter: ``rep_id, rep_name, team_id,
        region_id, role, quarter, results_score, behaviour_score, collaboration_score,
        total_score, rank_in_role, reps_in_role, grade, previous_grade, promotion_watch``.
    metrics
        One row per visible rep and metric weighted for the rep's role: ``rep_id, metric,
        dimension, value`` (raw), ``score`` (0-100), ``weight`` (inside the dimension).
    promotion
        Reps graded A+ in this quarter and the previous one (the rows of ``per_rep``).
    improvement
        Reps graded B or below: identity, ``grade, total_score`` and ``weakest_1..3`` with
        ``weakest_1_score..3`` (their lowest-scoring weighted metrics).
    grade_counts
        ``grade, reps`` for every grade (0 when none).
    """

    quarter: str
    per_rep: pd.DataFrame
    metrics: pd.DataFrame
    promotion: pd.DataFrame
    improvement: pd.DataFrame
    grade_counts: pd.DataFrame


def _long_metrics(metrics: pd.DataFrame, scores: pd.DataFrame, config: ScorecardConfig) -> pd.DataFrame:
    rows = []
    roles = metrics["role"].fillna("").to_numpy(dtype=object)
    for d in DIMENSIONS:
        w = _weight_matrix(roles, config, d)
        for j, m in enumerate(METRIC_NAMES):
            if METRICS[m].dimension != d or not (w[:, j] > 0).any():
                continue
            keep = w[:, j] > 0
            rows.append(
                pd.DataFrame(
                    {
                        "rep_id": metrics["rep_id"].to_numpy()[keep],
                        "metric": m,
                        "dimension": d,
                        "value": metrics[m].to_numpy()[keep],
                        "score": scores[m].to_numpy()[keep],
                        "weight": w[keep, j],
                    }
                )
            )
    if not rows:
        return pd.DataFrame(columns=["rep_id", "metric", "dimension", "value", "score", "weight"])
    return pd.concat(rows, ignore_index=True).sort_values(["rep_id", "dimension", "metric"], ignore_index=True)


def improvement_list(per_rep: pd.DataFrame, long: pd.DataFrame) -> pd.DataFrame:
    """Reps graded B or below with their weakest weighted metrics (lowest scores first)."""
    cols = [*REP_COLUMNS, "grade", "total_score"]
    low = per_rep[per_rep["grade"].isin(IMPROVEMENT_GRADES)][cols]
    weak = long[long["rep_id"].isin(low["rep_id"]) & long["score"].notna()]
    weak = weak.sort_values(["rep_id", "score", "metric"]).groupby("rep_id").head(WEAKEST_SHOWN)
    weak = weak.assign(k=weak.groupby("rep_id").cumcount() + 1)
    wide = low.copy()
    for k in range(1, WEAKEST_SHOWN + 1):
        part = weak[weak["k"] == k].set_index("rep_id")
        wide[f"weakest_{k}"] = wide["rep_id"].map(part["metric"])
        wide[f"weakest_{k}_score"] = wide["rep_id"].map(part["score"]).astype(float)
    return wide.sort_values(["total_score", "rep_id"], ignore_index=True)


def scorecard(store: Store, filters: Filters, scope: Scope, *, plan: Plan | None = None) -> ScorecardResult:
    """Score every rep of one quarter (and the previous quarter, for the promotion watch).

    Parameters
    ----------
    store
        The store.
    filters
        The quarter scored is the one in which ``filters.end`` falls
        (:meth:`analytics.periods.Quarter.of`); ``filters.region_ids`` / ``filters.team_ids``
        restrict which reps are shown (they do not change anyone's score). Segments do not
        apply.
    scope
        The identity's scope (rows outside it are dropped after normalising over the whole
        role).
    plan
        The plan whose scorecard weights and grading apply (default: the reference plan).

    Returns
    -------
    ScorecardResult
        The visible reps' scores and grades, their metrics, the promotion watch and the
        improvement list.
    """
    plan = plan or reference_plan()
    q = Quarter.of(filters.end)
    cur = load_metrics(store, str(q))
    prev = load_metrics(store, str(q.prev()))
    both = pd.concat([cur, prev], ignore_index=True)
    normalised = normalise(both, plan.scorecard.normalise)
    scored = score(both, plan.scorecard, normalised=normalised)
    is_cur = (both["quarter"] == str(q)).to_numpy()
    now, before = scored[is_cur].reset_index(drop=True), scored[~is_cur]
    now["previous_grade"] = now["rep_id"].map(before.set_index("rep_id")["grade"])
    now["promotion_watch"] = (now["grade"] == "A+") & (now["previous_grade"] == "A+")
    visible = visible_rep_ids(store, scope, regions=filters.region_ids, teams=filters.team_ids)
    keep = now["rep_id"].isin(visible).to_numpy()
    per_rep = now[keep].sort_values(["role", "rank_in_role", "rep_id"], ignore_index=True)
    long = _long_metrics(
        cur[keep].reset_index(drop=True), normalised[is_cur][keep].reset_index(drop=True), plan.scorecard
    )
    counts = per_rep["grade"].value_counts()
    grade_counts = pd.DataFrame({"grade": list(GRADES), "reps": [int(counts.get(g, 0)) for g in GRADES]})
    return ScorecardResult(
        quarter=str(q),
        per_rep=per_rep,
        metrics=long,
        promotion=per_rep[per_rep["promotion_watch"]].reset_index(drop=True),
        improvement=improvement_list(per_rep, long),
        grade_counts=grade_counts,
    )


@dataclass(frozen=True)
class WhatIf:
    """Grade migration between two weightings of the same quarter.

    ``matrix``: from-grade (rows) x to-grade (columns) rep counts, every grade present.
    ``movers``: reps whose grade or rank changed: identity, ``grade_before, grade_after,
    rank_before, rank_after, rank_change`` (positive = moved up), ``score_before,
    score_after``; grade changes first, then by the size of the rank change.
    """

    matrix: pd.DataFrame
    movers: pd.DataFrame
    changed_grades: int
    reps: int


def migration(before: pd.DataFrame, after: pd.DataFrame) -> WhatIf:
    """Compare two scored frames (same reps) and return the migration matrix and the movers."""
    cols = [*REP_COLUMNS, "grade", "rank_in_role", "total_score"]
    m = before[cols].merge(
        after[["rep_id", "grade", "rank_in_role", "total_score"]], on="rep_id", suffixes=("_before", "_after")
    )
    m = m.rename(
        columns={
            "rank_in_role_before": "rank_before",
            "rank_in_role_after": "rank_after",
            "total_score_before": "score_before",
            "total_score_after": "score_after",
        }
    )
    code = {g: i for i, g in enumerate(GRADES)}
    before_code = m["grade_before"].map(code).to_numpy(dtype=float)
    after_code = m["grade_after"].map(code).to_numpy(dtype=float)
    both = ~np.isnan(before_code) & ~np.isnan(after_code)
    cells = before_code[both].astype(np.int64) * len(GRADES) + after_code[both].astype(np.int64)
    counts = np.bincount(cells, minlength=len(GRADES) ** 2).reshape(len(GRADES), len(GRADES))
    matrix = pd.DataFrame(
        counts,
        index=pd.CategoricalIndex(GRADES, categories=GRADES, name="from_grade"),
        columns=pd.CategoricalIndex(GRADES, categories=GRADES, name="to_grade"),
    )
    m["rank_change"] = (m["rank_before"] - m["rank_after"]).astype("Int64")
    changed = m["grade_before"].fillna("") != m["grade_after"].fillna("")
    movers = m[changed | (m["rank_change"].fillna(0) != 0)].copy()
    movers["grade_changed"] = changed[movers.index]
    movers["abs_change"] = movers["rank_change"].abs()
    movers = movers.sort_values(["grade_changed", "abs_change", "rep_id"], ascending=[False, False, True])
    movers = movers.drop(columns=["abs_change"]).reset_index(drop=True)
    return WhatIf(matrix=matrix.astype(int), movers=movers, changed_grades=int(changed.sum()), reps=len(m))


@dataclass(frozen=True)
class QuarterMetrics:
    """One quarter's scorecard metrics, normalised once, and the reps a scope may see of them.

    ``metrics``: :func:`load_metrics` (company-wide); ``normalised``: method -> :func:`normalise`
    of it, for the methods a scorecard may use; ``visible``: :func:`visible_rep_ids` of the
    scope within the filters' regions and teams. A page keeps it while a weight moves, so each
    move only re-weights (:func:`what_if_on`).
    """

    quarter: str
    metrics: pd.DataFrame
    normalised: dict[str, pd.DataFrame]
    visible: frozenset[str]


def quarter_metrics(store: Store, filters: Filters, scope: Scope) -> QuarterMetrics:
    """:class:`QuarterMetrics` of the quarter ``filters.end`` falls in, for ``scope``."""
    quarter = str(Quarter.of(filters.end))
    cur = load_metrics(store, quarter).reset_index(drop=True)
    return QuarterMetrics(
        quarter=quarter,
        metrics=cur,
        normalised={m: normalise(cur, m) for m in NORMALISE_METHODS},
        visible=frozenset(visible_rep_ids(store, scope, regions=filters.region_ids, teams=filters.team_ids)),
    )


def score_visible(data: QuarterMetrics, card: ScorecardConfig) -> pd.DataFrame:
    """:func:`score` of the quarter under the scorecard ``card``, restricted to the visible reps."""
    scored = score(data.metrics, card, normalised=data.normalised[card.normalise])
    return scored[scored["rep_id"].isin(data.visible)]


def what_if_on(data: QuarterMetrics, *, plan: Plan, new_plan: Plan) -> WhatIf:
    """:func:`what_if` on metrics loaded and normalised once (the same result)."""
    return migration(score_visible(data, plan.scorecard), score_visible(data, new_plan.scorecard))


def what_if(store: Store, filters: Filters, scope: Scope, *, plan: Plan, new_plan: Plan) -> WhatIf:
    """Grade migration when ``plan``'s scorecard is replaced by ``new_plan``'s (e.g. a new weight).

    Parameters
    ----------
    store, filters, scope
        As for :func:`scorecard`: the quarter in which ``filters.end`` falls, the region /
        team selections and the identity's scope decide which reps are returned.
    plan, new_plan
        The scorecard before and after the change.

    Scores are normalised over the whole role-quarter; only visible reps are returned.
    """
    return what_if_on(quarter_metrics(store, filters, scope), plan=plan, new_plan=new_plan)
