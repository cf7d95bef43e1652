"""Key drivers of top performers: which behaviour and collaboration metrics separate them.

Per quarter, reps with a target are ranked by *attainment* = amount of deals (new, renewal,
upsell) signed in the quarter / the quarter's target. The *top performers* are the top
decile (``ceil(10%)`` of the reps) or the top ``N``. For each metric in
:data:`DRIVER_METRICS` we report

- the share of the top performers who are *better than the median* of all reps in the
  selection (above it, or below it for metrics where lower is better), against the share
  of all reps who are (about 50%), with an exact two-sided binomial test
  (``scipy.stats.binomtest``) and Benjamini-Hochberg q-values across metrics;
- a standardised effect: the coefficient per 1 SD of the metric in an L2-regularised
  logistic regression of "is a top performer" on all metrics together (z-scored; missing
  values set to the median), with a 95% percentile interval from a bootstrap over reps;
- permutation importance (Breiman 2001) from a gradient-boosted tree model: the mean drop
  in cross-validated ROC AUC when the metric's values are shuffled, which also catches
  non-linear effects.

These are associations among reps, not causal effects: a metric can separate top
performers because both follow from skill or territory (docs/methods/talk-tracks.md).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import binomtest, rankdata
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from analytics.access import Scope
from analytics.filters import Filters, where
from analytics.findings import Finding
from analytics.periods import Quarter
from analytics.stats import CONFIDENCE, benjamini_hochberg, safe_ratio
from analytics.store import Store

#: metric -> (dimension, higher is better, English label). needs_discovery_score comes from
#: the calls table (mean over the rep's calls in the quarter); the rest from rep_metrics.
DRIVER_METRICS: dict[str, tuple[str, bool, str]] = {
    "needs_discovery_score": ("behaviour", True, "needs-discovery depth"),
    "solution_innovation": ("behaviour", True, "solution innovation"),
    "complaint_rate": ("behaviour", False, "complaint rate"),
    "approval_error_rate": ("behaviour", False, "contract-approval error rate"),
    "collaboration_score": ("collaboration", True, "collaboration score"),
    "peer_review_score": ("collaboration", True, "peer (360) review score"),
    "mentoring_hours": ("collaboration", True, "mentoring hours"),
    "cross_dept_response_hours": ("collaboration", False, "cross-department response time"),
}
#: Business-result metrics shown in the rep profile: metric -> (higher is better, label).
RESULT_METRICS: dict[str, tuple[bool, str]] = {
    "attainment": (True, "attainment"),
    "won_amount": (True, "won revenue"),
    "conversion_rate": (True, "conversion rate"),
}
#: The seed's composite claim: strong on needs discovery AND on collaboration.
COMPOSITE = ("needs_discovery_score", "collaboration_score")
#: Share of reps in the top decile.
TOP_SHARE = 0.10
#: Fewest reps with a target for the analysis to run.
MIN_REPS = 20
#: Fewest top performers (and fewest others).
MIN_TOP = 3
#: Bootstrap draws for the logistic coefficients, and their seed.
N_BOOT = 200
SEED = 20240607
#: Inverse L2 strength of the logistic regression (scikit-learn's ``C``).
LOGIT_C = 1.0
#: Shuffles per metric and fold for the permutation importance.
PERM_REPEATS = 10

EFFECT_COLUMNS = (
    "metric",
    "dimension",
    "higher_is_better",
    "n_reps",
    "n_missing",
    "n_top",
    "k_better",
    "share_better",
    "expected_share",
    "p_value",
    "q_value",
    "top_mean",
    "rest_mean",
    "median",
    "coef_per_sd",
    "coef_lo",
    "coef_hi",
    "odds_ratio",
    "perm_importance",
    "perm_importance_sd",
)
PROFILE_COLUMNS = (
    "dimension",
    "metric",
    "higher_is_better",
    "rep_value",
    "team_mean",
    "top_decile_mean",
    "median",
    "rep_percentile",
    "team_percentile",
    "top_decile_percentile",
)


@dataclass(frozen=True)
class Drivers:
    """The drivers view for one quarter.

    Attributes
    ----------
    quarter
        The quarter analysed (``2025Q3``).
    reps
        One row per rep with a target in the quarter (filters and scope applied):
        ``rep_id, rep_name, team_id, team_name, region_id, target, won_amount, attainment,
        closed_leads, won_leads, conversion_rate``, one column per metric of
        :data:`DRIVER_METRICS` (NaN when missing), ``rank`` (1 = best attainment) and
        ``is_top``.
    effects
        One row per metric with data (:data:`EFFECT_COLUMNS`).
    findings
        The "k of the top N" statements (one per metric, then the composite one).
    n_reps, n_top
        Reps analysed and top performers among them.
    top
        The top-N choice (None: top decile).
    message
        Set when the analysis cannot run (too few reps); the reason.
    """

    quarter: str
    reps: pd.DataFrame
    effects: pd.DataFrame
    findings: tuple[Finding, ...]
    n_reps: int
    n_top: int
    top: int | None
    message: Finding | None = None


def _quarter(quarter: str | Quarter | None, filters: Filters) -> Quarter:
    if quarter is None:
        return Quarter.of(filters.end)
    return quarter if isinstance(quarter, Quarter) else Quarter.parse(quarter)


def rep_table(store: Store, filters: Filters, scope: Scope, *, quarter: str | None = None) -> pd.DataFrame:
    """Attainment, conversion and driver metrics per rep for one quarter.

    Grain: one row per rep in scope with a positive target in the quarter (region and team
    filters apply to the rep's team; the segment filter does not apply, since targets are
    not split by segment). ``quarter`` defaults to the quarter containing ``filters.end``.
    Columns: see :attr:`Drivers.reps` (without ``rank`` / ``is_top``).
    """
    q = _quarter(quarter, filters)
    w_sql, w_params = where(filters, scope, "q_day", alias="r", dims=("region", "team"))
    metrics = [m for m in DRIVER_METRICS if m != "needs_discovery_score"]
    df = store.query(
        f"""WITH reps_in AS (
                SELECT r.rep_id, r.rep_name, r.team_id, r.team_name, r.region_id
                FROM (SELECT *, ?::DATE AS q_day FROM v_reps) AS r WHERE {w_sql}),
            tgt AS (SELECT rep_id, target_amount::DOUBLE AS target FROM targets WHERE quarter = ? AND target_amount > 0),
            won AS (SELECT rep_id, sum(amount)::DOUBLE AS won_amount FROM deals
                    WHERE signed_at BETWEEN ? AND ? GROUP BY rep_id),
            conv AS (SELECT rep_id, count(*) AS closed_leads, count(*) FILTER (WHERE status = 'won') AS won_leads
                     FROM leads WHERE status <> 'open' AND closed_at BETWEEN ? AND ? GROUP BY rep_id),
            disc AS (SELECT rep_id, avg(needs_discovery_score) AS needs_discovery_score FROM calls
                     WHERE CAST(called_at AS DATE) BETWEEN ? AND ? GROUP BY rep_id)
            SELECT i.*, t.target, coalesce(w.won_amount, 0) AS won_amount,
                   coalesce(c.closed_leads, 0) AS closed_leads, coalesce(c.won_leads, 0) AS won_leads,
                   d.needs_discovery_score
            FROM reps_in AS i JOIN tgt AS t USING (rep_id) LEFT JOIN won AS w USING (rep_id)
            LEFT JOIN conv AS c USING (rep_id) LEFT JOIN disc AS d USING (rep_id)
            ORDER BY i.rep_id""",  # noqa: S608 - predicate built from fixed names
        [q.start, *w_params, str(q), q.start, q.end, q.start, q.end, q.start, q.end],
    )
    long = store.query(
        f"""SELECT m.rep_id, m.metric, m.value FROM rep_metrics AS m
            WHERE m.quarter = ? AND list_contains(?::VARCHAR[], m.metric) AND {scope.clause("m.rep_id")[0]}""",  # noqa: S608
        [str(q), metrics, *scope.clause("m.rep_id")[1]],
    )
    wide = long.pivot_table(index="rep_id", columns="metric", values="value", aggfunc="mean")
    df = df.merge(wide, left_on="rep_id", right_index=True, how="left")
    for m in metrics:
        if m not in df.columns:
            df[m] = np.nan
    df["attainment"] = safe_ratio(df["won_amount"], df["target"])
    df["conversion_rate"] = safe_ratio(df["won_leads"], df["closed_leads"])
    cols = [
        "rep_id",
        "rep_name",
        "team_id",
        "team_name",
        "region_id",
        "target",
        "won_amount",
        "attainment",
        "closed_leads",
        "won_leads",
        "conversion_rate",
        *DRIVER_METRICS,
    ]
    out = df[cols].copy()
    for c in ("target", "won_amount", "attainment", "conversion_rate", *DRIVER_METRICS):
        out[c] = out[c].astype(float)
    return out.reset_index(drop=True)


def mark_top(reps: pd.DataFrame, top: int | None) -> pd.DataFrame:
    """Add ``rank`` (1 = highest attainment; ties by rep_id) and ``is_top`` (top decile or top ``top``)."""
    out = reps.sort_values(["attainment", "rep_id"], ascending=[False, True], na_position="last").copy()
    out["rank"] = np.arange(1, len(out) + 1)
    n_top = top if top is not None else math.ceil(TOP_SHARE * len(out))
    out["is_top"] = out["rank"] <= n_top
    return out.sort_values("rep_id").reset_index(drop=True)


def better_than_median(values: pd.Series, higher_is_better: bool) -> tuple[pd.Series, float]:
    """Which values are strictly better than the median of all (NaN: not better), and the median."""
    med = float(values.median())
    better = values > med if higher_is_better else values < med
    return better & values.notna(), med


def _standardised(reps: pd.DataFrame, metrics: list[str]) -> np.ndarray:
    x = reps[metrics].to_numpy(dtype=float)
    med = np.nanmedian(x, axis=0)
    x = np.where(np.isnan(x), med, x)
    sd = x.std(axis=0)
    return (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0)


def logistic_effects(
    z: np.ndarray, is_top: np.ndarray, *, n_boot: int = N_BOOT, seed: int = SEED, c: float = LOGIT_C
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """L2-logistic coefficients per 1 SD and their 95% percentile bootstrap interval (reps resampled).

    Returns ``(coef, lo, hi)``; draws without both classes are skipped.
    """

    def fit(xz: np.ndarray, yz: np.ndarray) -> np.ndarray:
        model = LogisticRegression(C=c, solver="newton-cholesky", max_iter=100)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(xz, yz)
        return model.coef_[0]

    y = np.asarray(is_top, dtype=int)
    rng = np.random.default_rng(seed)
    draws = []
    with threadpool_limits(limits=1):  # tiny models: threads only add overhead
        coef = fit(z, y)
        for _ in range(n_boot):
            idx = rng.integers(0, len(y), len(y))
            if 0 < y[idx].sum() < len(idx):
                draws.append(fit(z[idx], y[idx]))
    if len(draws) < 2:
        nan = np.full(z.shape[1], np.nan)
        return coef, nan, nan
    d = np.array(draws)
    alpha = (1 - CONFIDENCE) / 2
    return coef, np.quantile(d, alpha, axis=0), np.quantile(d, 1 - alpha, axis=0)


def roc_auc(y: np.ndarray, score: np.ndarray) -> np.ndarray:
    """ROC AUC of each column of ``score`` (Mann-Whitney U / (n1 n0), ties counted half)."""
    y = np.asarray(y, dtype=bool)
    s = np.asarray(score, dtype=float)
    s = s.reshape(len(y), -1)
    n1, n0 = int(y.sum()), int((~y).sum())
    if n1 == 0 or n0 == 0:
        return np.full(s.shape[1], np.nan)
    ranks = rankdata(s, axis=0)
    return (ranks[y].sum(axis=0) - n1 * (n1 + 1) / 2) / (n1 * n0)


def tree_importance(
    z: np.ndarray, is_top: np.ndarray, *, seed: int = SEED, repeats: int = PERM_REPEATS
) -> tuple[np.ndarray, np.ndarray]:
    """Cross-validated permutation importance (drop in ROC AUC) from a gradient-boosted tree model.

    Stratified k-fold (k = min(5, top performers, others)); in each fold the model is fitted
    on the other folds and each metric is shuffled ``repeats`` times in the held-out fold
    (Breiman 2001; the same quantity as ``sklearn.inspection.permutation_importance`` with
    ``scoring="roc_auc"``, with all shuffles scored in one batch). Returns the mean and SD
    of the AUC drop over folds and shuffles.
    """
    y = np.asarray(is_top, dtype=int)
    k = int(min(5, y.sum(), len(y) - y.sum()))
    n_feat = z.shape[1]
    if k < 2:
        nan = np.full(n_feat, np.nan)
        return nan, nan
    rng = np.random.default_rng(seed)
    drops = []
    # one thread: on a few hundred reps, OpenMP thread start-up costs more than it saves
    with threadpool_limits(limits=1):
        for train, test in StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(z, y):
            model = HistGradientBoostingClassifier(
                max_depth=3,
                max_iter=100,
                learning_rate=0.1,
                min_samples_leaf=5,
                early_stopping=False,
                random_state=seed,
            )
            model.fit(z[train], y[train])
            xt, yt = z[test], y[test]
            base = roc_auc(yt, model.predict_proba(xt)[:, 1])[0]
            batch = np.repeat(xt[None, :, :], n_feat * repeats, axis=0)  # (feature x repeat, rows, features)
            for j in range(n_feat):
                for r in range(repeats):
                    batch[j * repeats + r, :, j] = xt[rng.permutation(len(xt)), j]
            scores = model.predict_proba(batch.reshape(-1, n_feat))[:, 1].reshape(n_feat * repeats, len(xt))
            drops.append((base - roc_auc(yt, scores.T)).reshape(n_feat, repeats))
    all_drops = np.concatenate(drops, axis=1)
    return all_drops.mean(axis=1), all_drops.std(axis=1)


def _statement(metric: str, higher: bool, k: int, n_top: int, expected: float, p: float) -> Finding:
    params = {"better_n": k, "top_n": n_top, "metric": metric, "expected_pct": expected, "p_p": p}
    if higher:
        return Finding(
            "{better_n} of the top {top_n} are above the median on {metric} "
            "(vs {expected_pct} of all reps; p = {p_p}).",
            params,
        )
    return Finding(
        "{better_n} of the top {top_n} are below the median on {metric}, where lower is better "
        "(vs {expected_pct} of all reps; p = {p_p}).",
        params,
    )


def key_drivers(
    store: Store,
    filters: Filters,
    scope: Scope,
    *,
    quarter: str | None = None,
    top: int | None = None,
    n_boot: int = N_BOOT,
    seed: int = SEED,
) -> Drivers:
    """Which behaviour and collaboration metrics separate the quarter's top performers.

    Parameters
    ----------
    store, filters, scope
        The store, the selection (region / team of the rep; the date range only picks the
        default quarter) and the access scope.
    quarter
        ``2025Q3``; default the quarter containing ``filters.end``.
    top
        Top-N performers; None for the top decile.
    n_boot, seed
        Bootstrap draws for the coefficient intervals, and the random seed.

    Returns
    -------
    Drivers
        See the module docstring for every number.
    """
    if top is not None and top < 1:
        raise ValueError(f"--top {top} must be a positive number of reps.")
    q = _quarter(quarter, filters)
    reps = rep_table(store, filters, scope, quarter=str(q))
    empty = pd.DataFrame(columns=list(EFFECT_COLUMNS))
    if len(reps) < MIN_REPS:
        return Drivers(
            str(q),
            mark_top(reps, top),
            empty,
            (),
            len(reps),
            0,
            top,
            Finding(
                "Only {reps_n} reps with a target in {quarter} are in the selection; at least {min_n} are needed "
                "to compare top performers with the rest. Widen the region or team filter.",
                {"reps_n": len(reps), "quarter": str(q), "min_n": MIN_REPS},
            ),
        )
    reps = mark_top(reps, top)
    n_top = int(reps["is_top"].sum())
    if n_top < MIN_TOP or len(reps) - n_top < MIN_TOP:
        return Drivers(
            str(q),
            reps,
            empty,
            (),
            len(reps),
            n_top,
            top,
            Finding(
                "The top group must hold at least {min_n} reps and leave at least {min_n} others; "
                "{top_n} of {reps_n} does not. Choose another number.",
                {"min_n": MIN_TOP, "top_n": n_top, "reps_n": len(reps)},
            ),
        )
    metrics = [m for m in DRIVER_METRICS if reps[m].notna().any()]
    is_top = reps["is_top"].to_numpy()
    rows, findings = [], []
    for m in metrics:
        _, higher, _ = DRIVER_METRICS[m]
        better, med = better_than_median(reps[m], higher)
        k = int(better[is_top].sum())
        expected = float(better.mean())
        p = float(binomtest(k, n_top, expected).pvalue) if 0 < expected < 1 else float("nan")
        rows.append(
            {
                "metric": m,
                "dimension": DRIVER_METRICS[m][0],
                "higher_is_better": higher,
                "n_reps": len(reps),
                "n_missing": int(reps[m].isna().sum()),
                "n_top": n_top,
                "k_better": k,
                "share_better": k / n_top,
                "expected_share": expected,
                "p_value": p,
                "top_mean": float(reps.loc[is_top, m].mean()),
                "rest_mean": float(reps.loc[~is_top, m].mean()),
                "median": med,
            }
        )
    effects = pd.DataFrame(rows)
    effects["q_value"] = benjamini_hochberg(effects["p_value"].to_numpy(dtype=float))
    z = _standardised(reps, metrics)
    coef, lo, hi = logistic_effects(z, is_top, n_boot=n_boot, seed=seed)
    imp, imp_sd = tree_importance(z, is_top, seed=seed)
    effects["coef_per_sd"], effects["coef_lo"], effects["coef_hi"] = coef, lo, hi
    effects["odds_ratio"] = np.exp(coef)
    effects["perm_importance"], effects["perm_importance_sd"] = imp, imp_sd
    effects = effects[list(EFFECT_COLUMNS)]
    for r in effects.itertuples():
        findings.append(
            _statement(
                r.metric, bool(r.higher_is_better), int(r.k_better), n_top, float(r.expected_share), float(r.p_value)
            )
        )
    if all(m in metrics for m in COMPOSITE):
        both = np.ones(len(reps), dtype=bool)
        for m in COMPOSITE:
            both &= better_than_median(reps[m], DRIVER_METRICS[m][1])[0].to_numpy()
        k, expected = int(both[is_top].sum()), float(both.mean())
        p = float(binomtest(k, n_top, expected).pvalue) if 0 < expected < 1 else float("nan")
        findings.append(
            Finding(
                "{better_n} of the top {top_n} are above the median on both {metric} and {metric2} "
                "(vs {expected_pct} of all reps; p = {p_p}).",
                {
                    "better_n": k,
                    "top_n": n_top,
                    "metric": COMPOSITE[0],
                    "metric2": COMPOSITE[1],
                    "expected_pct": expected,
                    "p_p": p,
                },
            )
        )
    return Drivers(str(q), reps, effects, tuple(findings), len(reps), n_top, top)


def rep_profile(
    store: Store, filters: Filters, scope: Scope, *, rep_id: str, quarter: str | None = None
) -> pd.DataFrame:
    """One rep's metrics on the three dimensions against their team and the top decile.

    Grain: one row per metric (results, behaviour, collaboration). Columns
    (:data:`PROFILE_COLUMNS`): ``rep_value``; ``team_mean`` (mean over the rep's team
    in the selection, the rep included); ``top_decile_mean`` (mean over the top decile by
    attainment); ``median`` (all reps in the selection); ``rep_percentile`` (share of reps
    with a value the rep matches or beats, in the metric's better direction), and the same
    position for the team mean and the top-decile mean (``team_percentile``,
    ``top_decile_percentile``), so the three compare on one 0-1 scale. Empty when the rep
    has no target in the quarter or is outside the selection.
    """
    reps = mark_top(rep_table(store, filters, scope, quarter=quarter), None)
    me = reps[reps["rep_id"] == rep_id]
    if me.empty:
        return pd.DataFrame(columns=list(PROFILE_COLUMNS))
    me = me.iloc[0]
    team = reps[reps["team_id"] == me["team_id"]]
    top = reps[reps["is_top"]]
    rows = []
    spec = [("results", m, hib) for m, (hib, _) in RESULT_METRICS.items()]
    spec += [(dim, m, hib) for m, (dim, hib, _) in DRIVER_METRICS.items()]
    for dim, m, hib in spec:
        vals = reps[m].dropna()
        mine, team_mean, top_mean = float(me[m]), float(team[m].mean()), float(top[m].mean())
        rows.append(
            {
                "dimension": dim,
                "metric": m,
                "higher_is_better": hib,
                "rep_value": mine,
                "team_mean": team_mean,
                "top_decile_mean": top_mean,
                "median": float(vals.median()) if not vals.empty else float("nan"),
                "rep_percentile": percentile_position(vals, mine, hib),
                "team_percentile": percentile_position(vals, team_mean, hib),
                "top_decile_percentile": percentile_position(vals, top_mean, hib),
            }
        )
    return pd.DataFrame(rows, columns=list(PROFILE_COLUMNS))


def percentile_position(values: pd.Series, value: float, higher_is_better: bool) -> float:
    """Share of ``values`` that ``value`` matches or beats in the better direction (NaN if undefined)."""
    if math.isnan(value) or values.empty:
        return float("nan")
    return float((values <= value).mean() if higher_is_better else (values >= value).mean())


def metric_label(metric: str) -> str:
    """The English label of a metric (the page translates it)."""
    if metric in DRIVER_METRICS:
        return DRIVER_METRICS[metric][2]
    if metric in RESULT_METRICS:
        return RESULT_METRICS[metric][1]
    return metric.replace("_", " ")
