"""Talk-track impact: raw and adjusted (doubly robust) effects of call talk tracks on conversion.

For every talk-track tag found by call analysis, a closed lead is *treated* when at least one
of its calls up to its close date used the tag. For each tag we report

- the raw conversion (won / closed) of treated and untreated leads with Wilson intervals,
  their difference and ratio (what a BI "key influencer" visual shows), and
- an *adjusted* effect: augmented inverse-propensity weighting (AIPW, doubly robust) with
  cross-fitting, controlling for pre-treatment covariates only: lead source, customer
  segment, region, the quarter the lead was created, the deal-size band (a function of the
  segment, see below) and the rep (rep fixed effects, which absorb rep skill).

Estimator (Robins, Rotnitzky & Zhao 1994; cross-fitting as in Chernozhukov et al. 2018,
"Double/debiased machine learning", Econometrics Journal 21):

.. math::

    \\psi_1 = \\hat m_1(X) + T (Y - \\hat m_1(X)) / \\hat e(X), \\qquad
    \\psi_0 = \\hat m_0(X) + (1 - T)(Y - \\hat m_0(X)) / (1 - \\hat e(X))

    \\hat\\mu_a = \\text{mean}(\\psi_a), \\quad \\text{diff} = \\hat\\mu_1 - \\hat\\mu_0, \\quad
    \\text{lift} = \\hat\\mu_1 / \\hat\\mu_0 - 1

where :math:`\\hat e` (propensity) and :math:`\\hat m_a` (conversion in arm ``a``) are
L2-regularised logistic regressions on one-hot covariates, each predicted for a lead by
models fitted on the other folds. Leads whose propensity is outside
``[TRIM, 1 - TRIM]`` are dropped (the estimand is then the average effect over leads that
could plausibly have been treated either way; Crump et al. 2009). Uncertainty: a
rep-clustered bootstrap of the per-lead scores (reps resampled with replacement, nuisance
models held fixed, which cross-fitting justifies to first order); intervals are
``estimate +/- 1.96 SE`` for the difference and on the log scale for the lift; p-values are
Wald; q-values are Benjamini-Hochberg across the reported tags. docs/methods/talk-tracks.md
states the causal assumptions and their limits.
"""

from __future__ import annotations

import argparse
import math
import sys
import warnings
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.stats import norm
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from analytics.access import Scope
from analytics.filters import Filters, where
from analytics.periods import Quarter
from analytics.stats import CONFIDENCE, benjamini_hochberg, safe_ratio, wilson
from analytics.store import Store

#: A tag is reported only with at least this many treated and this many untreated leads.
MIN_GROUP_LEADS = 100
#: ... and with leads from at least this many reps (the bootstrap resamples reps).
MIN_REPS = 10
#: Trimming rule: drop leads whose cross-fitted propensity is below TRIM or above 1 - TRIM.
TRIM = 0.05
#: Cross-fitting folds.
N_FOLDS = 3
#: Rep-clustered bootstrap draws.
N_BOOT = 1000
#: Seed of the fold split and the bootstrap (results are reproducible).
SEED = 20240607
#: Inverse L2 strength of the logistic nuisance models (scikit-learn's ``C``).
LOGIT_C = 1.0
#: Above this many columns the nuisance models use L-BFGS instead of Newton-Cholesky.
NEWTON_MAX_FEATURES = 2500
#: Deal-size bands by the segment's typical (median) new-deal amount, CNY: below the first
#: bound "small", below the second "medium", else "large".
DEAL_SIZE_BOUNDS = (50_000.0, 200_000.0)
#: Covariates of the nuisance models (one-hot each). All are known before any call.
COVARIATES = ("source", "segment", "region_id", "created_quarter", "deal_size_band", "rep_id")
#: Covariates shown in the balance table (rep_id is summarised by rep_skill_proxy).
BALANCE_COVARIATES = ("source", "segment", "region_id", "created_quarter", "deal_size_band")
#: Propensity histogram bins for the overlap plot.
OVERLAP_BINS = 20
#: Share of the period's leads still open above which the page warns.
OPEN_SHARE_WARNING = 0.2
#: Most closed leads one analysis fits its models on. A larger selection is analysed on a
#: random sample of this size (each lead kept with the same probability, decided by a hash of
#: its id, so the sample is the same on every run and independent of talk tracks and outcome).
#: Memory grows with the leads analysed: 1.1M leads take ~2.4 GB, 9.4M did not fit in 12 GB.
MAX_LEADS = 1_500_000
#: Resolution of the hash sample: a lead is kept when ``hash(lead_id, SAMPLE_SALT) %
#: SAMPLE_BUCKETS`` is below the sample share times this.
SAMPLE_BUCKETS = 1 << 20
#: Salt of the sample hash. Without it the sample keeps only leads whose plain ``hash(lead_id)``
#: has small low bits, which are the bits DuckDB's join hash tables use to pick a slot: the
#: kept leads crowd into a few slots and joining them to their calls took 580 s instead of 3 s
#: on 1.5M leads.
SAMPLE_SALT = "talk-track sample"

_Z = float(norm.ppf(0.5 + CONFIDENCE / 2))
ADJUSTED_FOR = "source, segment, region, quarter, deal size and rep"


@dataclass(frozen=True)
class Finding:
    """A plain-language statement: an English template and its parameters.

    The page translates ``template`` and formats the parameters by their name suffix:
    ``*_pct`` a proportion shown as a percentage (0.19 -> 19%), ``*_signed`` a signed
    percentage, ``*_n`` a count, ``*_p`` a p- or q-value; ``tag`` / ``metric`` are stored
    values the page replaces with display names; anything else is shown as is.
    """

    template: str
    params: dict[str, object] = field(default_factory=dict)

    def english(self) -> str:
        """The statement in English with plain number formatting (for the CLI and logs)."""
        out = {}
        for key, value in self.params.items():
            if key.endswith("_signed") and isinstance(value, float):
                out[key] = f"{value:+.1%}"
            elif key.endswith("_pct") and isinstance(value, float):
                out[key] = f"{value:.1%}"
            elif key.endswith("_p") and isinstance(value, float):
                out[key] = f"{value:.3f}"
            else:
                out[key] = value
        return self.template.format(**out)


@dataclass(frozen=True)
class AipwEstimate:
    """The result of :func:`aipw` for one binary treatment.

    ``propensity`` holds the cross-fitted propensity of every input row; ``kept`` marks
    the rows inside the trimming bounds (those the estimate uses).
    """

    mu1: float
    mu0: float
    diff: float
    diff_se: float
    diff_lo: float
    diff_hi: float
    lift: float
    lift_lo: float
    lift_hi: float
    p_value: float
    n_used: int
    n_trimmed: int
    n_clusters: int
    propensity: np.ndarray = field(repr=False)
    kept: np.ndarray = field(repr=False)


@dataclass(frozen=True)
class TalkTrackImpact:
    """Everything the page and the CLI show for one selection.

    Attributes
    ----------
    effects
        One row per tag (see :data:`EFFECT_COLUMNS`), ordered by tag.
    balance
        One row per tag x covariate level: ``tag, covariate, level, mean_treated,
        mean_control, smd_before, smd_after`` (standardised mean differences before and
        after inverse-propensity weighting, on the kept leads for ``after``).
    overlap
        One row per tag x propensity bin x group: ``tag, bin_lo, bin_hi, group``
        (``treated`` / ``control``), ``leads``.
    findings
        One headline per tag, in the order of ``effects``.
    n_leads, n_open
        Closed leads analysed; leads created in the period that are still open (excluded).
    n_closed
        Closed leads in the selection: ``n_leads`` unless the selection had more than
        ``max_leads`` and a random sample of them was analysed (see :attr:`sampled`).
    message
        Set when nothing could be analysed (no closed leads, no tags); the reason.
    """

    effects: pd.DataFrame
    balance: pd.DataFrame
    overlap: pd.DataFrame
    findings: tuple[Finding, ...]
    n_leads: int
    n_open: int
    message: Finding | None = None
    n_closed: int = -1

    def __post_init__(self) -> None:
        if self.n_closed < 0:  # not sampled: every closed lead was analysed
            object.__setattr__(self, "n_closed", self.n_leads)

    @property
    def sampled(self) -> bool:
        """True when the estimates come from a random sample of the selection's closed leads."""
        return self.n_leads < self.n_closed

    @property
    def open_share(self) -> float:
        """Share of the period's leads still open (NaN without leads)."""
        return float(safe_ratio(self.n_open, self.n_open + self.n_closed))


#: Columns of :attr:`TalkTrackImpact.effects` (and of the CLI output), in order.
EFFECT_COLUMNS = (
    "tag",
    "n_treated",
    "n_control",
    "raw_rate_treated",
    "raw_rate_control",
    "adj_diff",
    "adj_diff_lo",
    "adj_diff_hi",
    "adj_lift",
    "adj_lift_lo",
    "adj_lift_hi",
    "q_value",
    "reported",
    "raw_rate_treated_lo",
    "raw_rate_treated_hi",
    "raw_rate_control_lo",
    "raw_rate_control_hi",
    "raw_diff",
    "raw_lift",
    "adj_rate_treated",
    "adj_rate_control",
    "p_value",
    "n_trimmed",
    "n_reps",
    "reason",
)


# -- the estimator ---------------------------------------------------------------------


def _logistic(n_features: int, c: float) -> LogisticRegression:
    """The nuisance model: L2 logistic regression (Newton-Cholesky while the Hessian is small)."""
    solver = "newton-cholesky" if n_features <= NEWTON_MAX_FEATURES else "lbfgs"
    return LogisticRegression(C=c, solver=solver, max_iter=100 if solver == "newton-cholesky" else 300)


def _fit_predict(
    x_cells: sp.csr_matrix,
    cell_train: np.ndarray,
    y_train: np.ndarray,
    c: float,
    warm: LogisticRegression | None = None,
) -> tuple[np.ndarray, LogisticRegression | None]:
    """P(y = 1 | cell) for every cell, from an L2 logistic regression fitted on the training rows.

    Rows with the same covariates (the same cell) are fitted as two weighted rows (the
    successes and the failures of the cell), which gives exactly the fit on the individual
    rows, much faster. ``warm``, a model fitted on another fold, is refitted starting from
    its coefficients (same optimum, fewer Newton steps). A training set with one class
    only (or none) predicts its mean (or 0.5). Returns the predictions and the model.
    """
    n_cells = x_cells.shape[0]
    if len(y_train) == 0:
        return np.full(n_cells, 0.5), warm
    mean = float(y_train.mean())
    if mean in (0.0, 1.0):
        return np.full(n_cells, mean), warm
    n = np.bincount(cell_train, minlength=n_cells).astype(float)
    s = np.bincount(cell_train, weights=y_train, minlength=n_cells)
    pos, neg = np.flatnonzero(s > 0), np.flatnonzero(n - s > 0)
    x = sp.vstack([x_cells[pos], x_cells[neg]], format="csr")
    y = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
    w = np.r_[s[pos], (n - s)[neg]]
    model = warm if warm is not None else _logistic(x.shape[1], c)
    model.warm_start = warm is not None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x, y, sample_weight=w)
    return model.predict_proba(x_cells)[:, 1], model


def cells_of(x: sp.csr_matrix) -> tuple[np.ndarray, sp.csr_matrix]:
    """Group identical rows of a one-hot design: each row's cell index and the design of each cell.

    A design that is not one-hot (rows with different numbers of ones, or other values) is
    not grouped: every row is its own cell.
    """
    x = sp.csr_matrix(x)
    x.sort_indices()
    counts = np.diff(x.indptr)
    one_hot_rows = len(counts) > 0 and counts[0] > 0 and (counts == counts[0]).all() and (x.data == 1).all()
    if not one_hot_rows:
        return np.arange(x.shape[0], dtype=np.int64), x
    _, first, cell = np.unique(x.indices.reshape(-1, int(counts[0])), axis=0, return_index=True, return_inverse=True)
    return np.asarray(cell, dtype=np.int64).ravel(), x[first]


def cross_fit(
    x: sp.csr_matrix,
    treated: np.ndarray,
    converted: np.ndarray,
    *,
    folds: int = N_FOLDS,
    seed: int = SEED,
    c: float = LOGIT_C,
    cells: tuple[np.ndarray, sp.csr_matrix] | None = None,
    warm: dict[str, LogisticRegression | None] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cross-fitted propensity ``e``, and conversion models ``m1`` (treated) and ``m0`` (untreated).

    Rows are split at random into ``folds`` folds; each row's predictions come from models
    fitted on the other folds (Chernozhukov et al. 2018). ``cells`` (from :func:`cells_of`)
    may be passed when several treatments share ``x``; so may ``warm``, a dict that keeps
    the last fitted model of each kind (``e``, ``m1``, ``m0``) so the next fit starts from
    its coefficients (the optimum is the same; it only saves Newton steps). Returns
    ``(e, m1, m0)``.
    """
    n = x.shape[0]
    cell, x_cells = cells if cells is not None else cells_of(x)
    fold = np.random.default_rng(seed).permutation(n) % folds
    t = np.asarray(treated, dtype=bool)
    y = np.asarray(converted, dtype=float)
    out = {"e": np.empty(n), "m1": np.empty(n), "m0": np.empty(n)}
    models: dict[str, LogisticRegression | None] = warm if warm is not None else {}
    # one BLAS thread: the models are small, and threads spinning on a busy machine cost more than they gain
    with threadpool_limits(limits=1, user_api="blas"):
        for k in range(folds):
            test, train = fold == k, fold != k
            ct, tt, yt = cell[train], t[train], y[train]
            ck = cell[test]
            for name, rows, target in (("e", slice(None), tt.astype(float)), ("m1", tt, yt[tt]), ("m0", ~tt, yt[~tt])):
                pred, models[name] = _fit_predict(x_cells, ct[rows], target, c, models.get(name))
                out[name][test] = pred[ck]
    return out["e"], out["m1"], out["m0"]


def aipw(
    x: sp.csr_matrix,
    treated: np.ndarray,
    converted: np.ndarray,
    clusters: np.ndarray,
    *,
    folds: int = N_FOLDS,
    trim: float = TRIM,
    n_boot: int = N_BOOT,
    seed: int = SEED,
    c: float = LOGIT_C,
    cells: tuple[np.ndarray, sp.csr_matrix] | None = None,
    warm: dict[str, LogisticRegression | None] | None = None,
) -> AipwEstimate:
    """Cross-fitted AIPW estimate of the effect of a binary treatment on a binary outcome.

    Parameters
    ----------
    x
        Covariates (rows = units), e.g. one-hot columns; pre-treatment only.
    treated, converted
        Boolean treatment and outcome per row.
    clusters
        Integer cluster id per row (the rep); the bootstrap resamples whole clusters.
    folds, trim, n_boot, seed, c
        Cross-fitting folds, propensity trimming bound, bootstrap draws, random seed and
        the logistic models' inverse L2 strength.
    cells, warm
        Optional precomputed :func:`cells_of` ``(x)`` and a dict of models to start from
        (see :func:`cross_fit`); both save time across treatments on the same ``x``.

    Returns
    -------
    AipwEstimate
        ``diff`` = mu1 - mu0 (absolute change in conversion), ``lift`` = mu1 / mu0 - 1, each
        with a 95% interval from the rep-clustered bootstrap standard error (the lift on
        the log scale), and the Wald p-value of ``diff``.
    """
    t = np.asarray(treated, dtype=bool)
    y = np.asarray(converted, dtype=float)
    e, m1, m0 = cross_fit(x, t, y, folds=folds, seed=seed, c=c, cells=cells, warm=warm)
    kept = (e >= trim) & (e <= 1 - trim)
    tk, yk, ek, m1k, m0k = t[kept], y[kept], e[kept], m1[kept], m0[kept]
    psi1 = m1k + tk * (yk - m1k) / ek
    psi0 = m0k + (~tk) * (yk - m0k) / (1 - ek)
    _, cl = np.unique(np.asarray(clusters)[kept], return_inverse=True)
    cl = np.asarray(cl, dtype=np.int64).ravel()
    n_cl = int(cl.max()) + 1 if len(cl) else 0
    nan = float("nan")
    if n_cl == 0 or tk.all() or not tk.any():
        return AipwEstimate(
            nan, nan, nan, nan, nan, nan, nan, nan, nan, nan, int(kept.sum()), int((~kept).sum()), n_cl, e, kept
        )
    mu1, mu0 = float(psi1.mean()), float(psi0.mean())
    s1 = np.bincount(cl, weights=psi1, minlength=n_cl)
    s0 = np.bincount(cl, weights=psi0, minlength=n_cl)
    cnt = np.bincount(cl, minlength=n_cl).astype(float)
    rng = np.random.default_rng([seed, 1])
    w = rng.multinomial(n_cl, np.full(n_cl, 1.0 / n_cl), size=n_boot).astype(float)
    den = w @ cnt
    b1, b0 = (w @ s1) / den, (w @ s0) / den
    diff = mu1 - mu0
    se = float(np.std(b1 - b0, ddof=1)) if n_boot > 1 else nan
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio_b = np.log(b1 / b0)
    ok = np.isfinite(log_ratio_b)
    lr_se = float(np.std(log_ratio_b[ok], ddof=1)) if ok.sum() > 1 else nan
    if mu1 > 0 and mu0 > 0:
        lr = math.log(mu1 / mu0)
        lift, lift_lo, lift_hi = math.exp(lr) - 1, math.exp(lr - _Z * lr_se) - 1, math.exp(lr + _Z * lr_se) - 1
    else:
        lift = lift_lo = lift_hi = nan
    p = float(2 * norm.sf(abs(diff) / se)) if se > 0 else nan
    return AipwEstimate(
        mu1=mu1,
        mu0=mu0,
        diff=diff,
        diff_se=se,
        diff_lo=diff - _Z * se,
        diff_hi=diff + _Z * se,
        lift=lift,
        lift_lo=lift_lo,
        lift_hi=lift_hi,
        p_value=p,
        n_used=int(kept.sum()),
        n_trimmed=int((~kept).sum()),
        n_clusters=n_cl,
        propensity=e,
        kept=kept,
    )


def one_hot(frame: pd.DataFrame, columns: tuple[str, ...]) -> tuple[sp.csr_matrix, list[tuple[str, str]]]:
    """Sparse one-hot design (one column per observed level of each column; no intercept).

    Returns the matrix and the ``(column, level)`` label of each of its columns.
    """
    n = len(frame)
    labels: list[tuple[str, str]] = []
    if not columns or n == 0:
        return sp.csr_matrix((n, 0)), labels
    codes_all = []
    for col in columns:
        codes, uniques = pd.factorize(frame[col].astype("string").fillna("(missing)"), sort=True)
        codes_all.append(codes + len(labels))
        labels += [(col, str(u)) for u in uniques]
    indices = np.column_stack(codes_all).ravel()
    indptr = np.arange(0, n * len(columns) + 1, len(columns))
    return sp.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(n, len(labels))), labels


def standardised_difference(
    values: np.ndarray, treated: np.ndarray, weights: np.ndarray | None = None, *, scale: float | None = None
) -> float:
    """(Weighted) mean of the treated minus mean of the untreated, over ``scale``.

    ``scale`` defaults to the pooled unweighted SD, sqrt((var_t + var_c) / 2), the usual
    denominator of balance tables (Austin 2009), so before/after values compare.
    """
    v = np.asarray(values, dtype=float)
    t = np.asarray(treated, dtype=bool)
    w = np.ones(len(v)) if weights is None else np.asarray(weights, dtype=float)
    if not t.any() or t.all() or w[t].sum() <= 0 or w[~t].sum() <= 0:
        return float("nan")
    if scale is None:
        scale = math.sqrt((v[t].var() + v[~t].var()) / 2)
    diff = np.average(v[t], weights=w[t]) - np.average(v[~t], weights=w[~t])
    return float(diff / scale) if scale > 0 else 0.0


# -- the data --------------------------------------------------------------------------


def closed_leads(store: Store, filters: Filters, scope: Scope) -> int:
    """Closed leads created in the period (filters and scope applied)."""
    w_sql, w_params = where(filters, scope, "created_at")
    return int(store.scalar(f"SELECT count(*) FROM v_leads WHERE status <> 'open' AND {w_sql}", w_params))  # noqa: S608


def lead_table(
    store: Store, filters: Filters, scope: Scope, *, sample_share: float = 1.0
) -> tuple[pd.DataFrame, list[str], int]:
    """Closed leads created in the period with their covariates and tag flags.

    Returns ``(frame, tags, n_open)``. Grain of ``frame``: one row per closed lead created
    in the period (filters and scope applied). Columns: ``lead_id, rep_id, source,
    segment, region_id, created_quarter, deal_size_band, converted`` (bool) and one bool
    column ``t_<i>`` per tag in ``tags`` (sorted): at least one call of the lead up to its
    close date used ``tags[i]``. ``n_open`` counts the period's leads still open.

    With ``sample_share`` below 1 each closed lead is kept with that probability, decided by
    a salted hash of its id (:data:`SAMPLE_BUCKETS`, :data:`SAMPLE_SALT`): the same leads on every run, whatever their
    calls or outcome. ``n_open`` is never sampled.
    """
    if not 0 < sample_share <= 1:
        raise ValueError(f"sample_share {sample_share} must be above 0 and at most 1.")
    o_sql, o_params = where(filters, scope, "created_at")  # the period's leads, never sampled
    w_sql, w_params = o_sql, o_params
    if sample_share < 1:
        w_sql = f"({o_sql}) AND hash(lead_id, ?) % {SAMPLE_BUCKETS} < ?"
        w_params = [*o_params, SAMPLE_SALT, math.ceil(sample_share * SAMPLE_BUCKETS)]
    tags_df = store.query(
        f"""SELECT DISTINCT tag FROM (
                SELECT unnest(c.talk_tracks) AS tag
                FROM calls AS c JOIN (SELECT lead_id, closed_at FROM v_leads WHERE status <> 'open' AND {w_sql}) AS l
                  USING (lead_id)
                WHERE CAST(c.called_at AS DATE) <= l.closed_at)
            WHERE tag IS NOT NULL AND tag <> '' ORDER BY tag""",  # noqa: S608 - predicate from fixed names
        w_params,
    )
    tags = [str(t) for t in tags_df["tag"]]
    flags = ", ".join(f"coalesce(bool_or(list_contains(c.talk_tracks, ?)), FALSE) AS t_{i}" for i in range(len(tags)))
    flag_sql = f", {flags}" if tags else ""
    size = store.query(
        f"""SELECT segment, median(amount)::DOUBLE AS typical FROM v_deals
            WHERE deal_type = 'new' AND segment IS NOT NULL AND {scope.clause()[0]} GROUP BY segment""",  # noqa: S608
        scope.clause()[1],
    )
    frame = store.query(
        f"""WITH base AS (
                SELECT lead_id, rep_id, source, segment, region_id, created_at, closed_at, status = 'won' AS converted
                FROM v_leads WHERE status <> 'open' AND {w_sql})
            SELECT b.lead_id, b.rep_id, b.source, b.segment, b.region_id,
                   year(b.created_at) || 'Q' || quarter(b.created_at) AS created_quarter,
                   b.converted {flag_sql}
            FROM base AS b LEFT JOIN calls AS c
              ON c.lead_id = b.lead_id AND CAST(c.called_at AS DATE) <= b.closed_at
            GROUP BY ALL ORDER BY b.lead_id""",  # noqa: S608 - predicate and aliases from fixed names
        [*w_params, *tags],
    )
    typical = dict(zip(size["segment"], size["typical"], strict=True))
    lo, hi = DEAL_SIZE_BOUNDS
    bands = {s: ("small" if v < lo else "medium" if v < hi else "large") for s, v in typical.items()}
    frame["deal_size_band"] = frame["segment"].map(bands).fillna("unknown")
    n_open = int(store.scalar(f"SELECT count(*) FROM v_leads WHERE status = 'open' AND {o_sql}", o_params))  # noqa: S608
    return frame, tags, n_open


# -- the analysis ----------------------------------------------------------------------


def _raw(t: np.ndarray, y: np.ndarray) -> dict[str, float]:
    n1, n0 = int(t.sum()), int((~t).sum())
    k1, k0 = int(y[t].sum()), int(y[~t].sum())
    lo1, hi1 = wilson(k1, n1)
    lo0, hi0 = wilson(k0, n0)
    r1, r0 = float(safe_ratio(k1, n1)), float(safe_ratio(k0, n0))
    return {
        "n_treated": n1,
        "n_control": n0,
        "raw_rate_treated": r1,
        "raw_rate_control": r0,
        "raw_rate_treated_lo": float(lo1),
        "raw_rate_treated_hi": float(hi1),
        "raw_rate_control_lo": float(lo0),
        "raw_rate_control_hi": float(hi0),
        "raw_diff": r1 - r0,
        "raw_lift": float(safe_ratio(r1, r0)) - 1,
    }


def _guard(raw: dict[str, float], n_reps: int, min_group: int) -> tuple[str, Finding | None]:
    """Why a tag is hidden ('' and None when it is reported)."""
    if raw["n_treated"] < min_group:
        return (
            f"only {raw['n_treated']} leads used it; at least {min_group} are needed",
            Finding(
                "'{tag}' is not reported: only {used_n} closed leads used it (at least {min_n} are needed).",
                {"used_n": raw["n_treated"], "min_n": min_group},
            ),
        )
    if raw["n_control"] < min_group:
        return (
            f"only {raw['n_control']} leads did not use it; at least {min_group} are needed",
            Finding(
                "'{tag}' is not reported: only {unused_n} closed leads did not use it (at least {min_n} are needed).",
                {"unused_n": raw["n_control"], "min_n": min_group},
            ),
        )
    if n_reps < MIN_REPS:
        return (
            f"the leads come from only {n_reps} reps; at least {MIN_REPS} are needed for the interval",
            Finding(
                "'{tag}' is not reported: the leads come from only {reps_n} reps "
                "(at least {min_n} are needed to estimate the uncertainty).",
                {"reps_n": n_reps, "min_n": MIN_REPS},
            ),
        )
    return "", None


def headline(row: pd.Series) -> Finding:
    """The plain-language statement for one reported tag (adjusted and raw lift)."""
    params = {
        "tag": row["tag"],
        "lift_pct": abs(row["adj_lift"]),
        "lo_signed": row["adj_lift_lo"],
        "hi_signed": row["adj_lift_hi"],
        "raw_signed": row["raw_lift"],
        "q_p": row["q_value"],
        "adjusted_for": ADJUSTED_FOR,
    }
    significant = row["q_value"] < 1 - CONFIDENCE
    if significant and row["adj_lift"] > 0:
        template = (
            "Using '{tag}' raises conversion by {lift_pct} ({lo_signed} to {hi_signed}) after adjusting for "
            "{adjusted_for}; the raw comparison says {raw_signed}."
        )
    elif significant:
        template = (
            "Using '{tag}' lowers conversion by {lift_pct} ({lo_signed} to {hi_signed}) after adjusting for "
            "{adjusted_for}; the raw comparison says {raw_signed}."
        )
    else:
        template = (
            "No clear effect of '{tag}' after adjusting for {adjusted_for}: {adj_signed} ({lo_signed} to "
            "{hi_signed}, q = {q_p}); the raw comparison says {raw_signed}."
        )
        params["adj_signed"] = row["adj_lift"]
    return Finding(template, params)


def _balance_rows(
    tag: str, xb: sp.csr_matrix, labels: list[tuple[str, str]], proxy: np.ndarray, t: np.ndarray, est: AipwEstimate
) -> list[dict[str, object]]:
    """SMD before (all leads, unweighted) and after (kept leads, IPW weights) for each covariate level.

    ``xb`` is the one-hot design of :data:`BALANCE_COVARIATES` (``labels`` names its
    columns); ``proxy`` the rep-skill proxy. The denominator is the pooled unweighted SD
    of the two groups before weighting (Austin 2009), so before and after compare.
    """
    e, kept = est.propensity, est.kept
    t1, t0 = t.astype(float), (~t).astype(float)
    w = np.where(t, 1 / e, 1 / (1 - e)) * kept
    w1, w0 = w * t1, w * t0
    mean1, mean0 = (xb.T @ t1) / t1.sum(), (xb.T @ t0) / t0.sum()
    scale = np.sqrt((mean1 * (1 - mean1) + mean0 * (1 - mean0)) / 2)
    after1 = (xb.T @ w1) / w1.sum() if w1.sum() > 0 else np.full(len(labels), np.nan)
    after0 = (xb.T @ w0) / w0.sum() if w0.sum() > 0 else np.full(len(labels), np.nan)
    v = np.where(np.isnan(proxy), np.nanmean(proxy) if (~np.isnan(proxy)).any() else 0.0, proxy)
    p_scale = math.sqrt((v[t].var() + v[~t].var()) / 2)
    rows = []
    for j, (cov, level) in enumerate(labels):
        rows.append(
            {
                "tag": tag,
                "covariate": cov,
                "level": level,
                "mean_treated": float(mean1[j]),
                "mean_control": float(mean0[j]),
                "smd_before": float(safe_ratio(mean1[j] - mean0[j], scale[j])),
                "smd_after": float(safe_ratio(after1[j] - after0[j], scale[j])),
            }
        )
    rows.append(
        {
            "tag": tag,
            "covariate": "rep_skill_proxy",
            "level": "",
            "mean_treated": float(v[t].mean()),
            "mean_control": float(v[~t].mean()),
            "smd_before": standardised_difference(v, t, scale=p_scale),
            "smd_after": standardised_difference(v[kept], t[kept], w[kept], scale=p_scale),
        }
    )
    return rows


def _overlap_rows(tag: str, t: np.ndarray, e: np.ndarray) -> list[dict[str, object]]:
    edges = np.linspace(0, 1, OVERLAP_BINS + 1)
    rows = []
    for group, mask in (("treated", t), ("control", ~t)):
        counts, _ = np.histogram(e[mask], bins=edges)
        rows += [
            {
                "tag": tag,
                "bin_lo": float(edges[i]),
                "bin_hi": float(edges[i + 1]),
                "group": group,
                "leads": int(counts[i]),
            }
            for i in range(OVERLAP_BINS)
        ]
    return rows


def _adjusted_columns(est: AipwEstimate | None) -> dict[str, float | int]:
    """The adjusted columns of one effects row (NaN for a hidden tag)."""
    if est is None:
        nan = float("nan")
        values: tuple[float, ...] = (nan,) * 10
    else:
        values = (
            est.diff,
            est.diff_lo,
            est.diff_hi,
            est.lift,
            est.lift_lo,
            est.lift_hi,
            est.mu1,
            est.mu0,
            est.p_value,
            est.n_trimmed,
        )
    keys = (
        "adj_diff",
        "adj_diff_lo",
        "adj_diff_hi",
        "adj_lift",
        "adj_lift_lo",
        "adj_lift_hi",
        "adj_rate_treated",
        "adj_rate_control",
        "p_value",
        "n_trimmed",
    )
    out: dict[str, float | int] = dict(zip(keys, values, strict=True))
    out["n_trimmed"] = 0 if est is None else int(est.n_trimmed)
    return out


def impact(
    store: Store,
    filters: Filters,
    scope: Scope,
    *,
    min_group: int = MIN_GROUP_LEADS,
    trim: float = TRIM,
    folds: int = N_FOLDS,
    n_boot: int = N_BOOT,
    seed: int = SEED,
    max_leads: int | None = None,
) -> TalkTrackImpact:
    """Raw and adjusted conversion effect of every talk-track tag (leads created in the period).

    Parameters
    ----------
    store, filters, scope
        The store, the selection (date range on ``created_at``, region / team / segment)
        and the access scope (leads of reps in scope).
    min_group
        Minimum treated and untreated leads for a tag to be reported (default 100).
    trim, folds, n_boot, seed
        Propensity trimming bound, cross-fitting folds, bootstrap draws, random seed.
    max_leads
        With more closed leads than this in the selection, a random sample of about this
        many is analysed (the result says so). ``None``: :data:`MAX_LEADS`; ``0``: all leads.

    Returns
    -------
    TalkTrackImpact
        Effects per tag (:data:`EFFECT_COLUMNS`), balance and overlap diagnostics and one
        headline per tag. The module docstring gives the estimator.
    """
    if not 0 <= trim < 0.5:
        raise ValueError(f"trim {trim} must be at least 0 and below 0.5.")
    if folds < 2:
        raise ValueError(f"folds {folds} must be at least 2.")
    limit = MAX_LEADS if max_leads is None else max_leads
    if limit < 0:
        raise ValueError(f"max_leads {max_leads} must be 0 (all leads) or more.")
    n_closed = closed_leads(store, filters, scope)
    share = 1.0 if limit == 0 or n_closed <= limit else limit / n_closed
    frame, tags, n_open = lead_table(store, filters, scope, sample_share=share)
    empty = TalkTrackImpact(
        effects=pd.DataFrame(columns=list(EFFECT_COLUMNS)),
        balance=pd.DataFrame(
            columns=["tag", "covariate", "level", "mean_treated", "mean_control", "smd_before", "smd_after"]
        ),
        overlap=pd.DataFrame(columns=["tag", "bin_lo", "bin_hi", "group", "leads"]),
        findings=(),
        n_leads=len(frame),
        n_open=n_open,
        n_closed=n_closed if share < 1 else len(frame),
    )
    if frame.empty:
        return replace(
            empty,
            message=Finding(
                "No closed leads were created in the selected period and filters; choose a longer or earlier period."
            ),
        )
    if not tags:
        return replace(
            empty,
            message=Finding(
                "None of the {leads_n} closed leads in the selection has a call with a talk-track tag.",
                {"leads_n": len(frame)},
            ),
        )
    y = frame["converted"].to_numpy(dtype=bool)
    rep_codes, rep_ids = pd.factorize(frame["rep_id"])
    # rep's conversion on their OTHER leads: a diagnostic of rep skill for the balance table only
    wins = np.bincount(rep_codes, weights=y.astype(float))
    cnt = np.bincount(rep_codes).astype(float)
    frame["rep_skill_proxy"] = safe_ratio(wins[rep_codes] - y, cnt[rep_codes] - 1)
    x, _ = one_hot(frame, COVARIATES)
    cells = cells_of(x)
    warm: dict[str, LogisticRegression | None] = {}
    xb, labels = one_hot(frame, BALANCE_COVARIATES)
    proxy = frame["rep_skill_proxy"].to_numpy(dtype=float)
    n_reps = len(rep_ids)
    rows, findings, balance, overlap = [], [], [], []
    for i, tag in enumerate(tags):
        t = frame[f"t_{i}"].to_numpy(dtype=bool)
        raw = _raw(t, y)
        reason, hidden = _guard(raw, n_reps, min_group)
        row: dict[str, object] = {"tag": tag, **raw, "n_reps": n_reps, "reason": reason, "reported": not reason}
        if reason:
            row.update(_adjusted_columns(None))
            findings.append(Finding(hidden.template, {"tag": tag, **hidden.params}))  # type: ignore[union-attr]
        else:
            est = aipw(x, t, y, rep_codes, folds=folds, trim=trim, n_boot=n_boot, seed=seed, cells=cells, warm=warm)
            row.update(_adjusted_columns(est))
            balance += _balance_rows(tag, xb, labels, proxy, t, est)
            overlap += _overlap_rows(tag, t, est.propensity)
            findings.append(Finding("", {}))  # filled once the q-values are known
        rows.append(row)
    effects = pd.DataFrame(rows)
    effects["q_value"] = benjamini_hochberg(effects["p_value"].to_numpy(dtype=float))
    effects = effects[list(EFFECT_COLUMNS)]
    findings = [headline(r) if r["reported"] else f for (_, r), f in zip(effects.iterrows(), findings, strict=True)]
    return TalkTrackImpact(
        effects=effects,
        balance=pd.DataFrame(balance, columns=empty.balance.columns),
        overlap=pd.DataFrame(overlap, columns=empty.overlap.columns),
        findings=tuple(findings),
        n_leads=len(frame),
        n_open=n_open,
        n_closed=empty.n_closed,
    )


def sample_note(result: TalkTrackImpact) -> Finding:
    """The sentence that says a result comes from a random sample of the selection's leads."""
    return Finding(
        "The selection has {closed_n} closed leads; to stay within memory and time the estimates use a random "
        "sample of {leads_n} of them ({share_pct}), the same on every run. Intervals and q-values reflect the sample; "
        "a shorter period or a region uses every lead.",
        {"closed_n": result.n_closed, "leads_n": result.n_leads, "share_pct": result.n_leads / result.n_closed},
    )


# -- CLI -------------------------------------------------------------------------------


def _cmd_talk_tracks(args: argparse.Namespace) -> int:
    from analytics.cli.common import UserError, cli_scope, emit, filters_from_args, open_store

    if not 0 <= args.trim < 0.5:
        raise UserError(f"--trim {args.trim} must be at least 0 and below 0.5 (the default is {TRIM}).")
    if args.min_leads < 1 or args.boot < 10:
        raise UserError("--min-leads must be at least 1 and --boot at least 10.")
    if args.max_leads < 0:
        raise UserError(f"--max-leads {args.max_leads} must be 0 (all leads) or more (the default is {MAX_LEADS}).")
    store = open_store(args.db)
    filters = filters_from_args(args, store)
    result = impact(
        store,
        filters,
        cli_scope(args),
        min_group=args.min_leads,
        trim=args.trim,
        n_boot=args.boot,
        seed=args.seed,
        max_leads=args.max_leads,
    )
    if result.sampled:
        print(f"note: {sample_note(result).english()}", file=sys.stderr)
    if result.message is not None:
        print(f"note: {result.message.english()}", file=sys.stderr)
    if args.table == "balance":
        emit(result.balance, args.format, args.out)
    elif args.table == "overlap":
        emit(result.overlap, args.format, args.out)
    elif args.table == "findings":
        tags = result.effects["tag"].tolist()
        emit(
            pd.DataFrame(
                {"tag": tags, "statement": [f.english() for f in result.findings]}, columns=["tag", "statement"]
            ),
            args.format,
            args.out,
        )
    else:
        emit(result.effects, args.format, args.out)
    return 0


def _cmd_drivers(args: argparse.Namespace) -> int:
    from analytics.cli.common import UserError, cli_scope, data_range, emit, filters_from_args, open_store
    from analytics.talk_tracks import drivers

    if args.top is not None and args.top < 1:
        raise UserError(f"--top {args.top} must be a positive number of reps.")
    store = open_store(args.db)
    if not args.quarter:
        args.quarter = str(Quarter.of(data_range(store)[1]))
    filters = filters_from_args(args, store)
    scope = cli_scope(args)
    if args.profile:
        profile = drivers.rep_profile(store, filters, scope, rep_id=args.profile, quarter=args.quarter)
        if profile.empty:
            print(
                f"note: rep {args.profile} has no target in {args.quarter} or is outside the selection.",
                file=sys.stderr,
            )
        emit(profile, args.format, args.out)
        return 0
    result = drivers.key_drivers(store, filters, scope, quarter=args.quarter, top=args.top, n_boot=args.boot)
    if result.message is not None:
        print(f"note: {result.message.english()}", file=sys.stderr)
    if args.table == "reps":
        emit(result.reps, args.format, args.out)
    elif args.table == "findings":
        emit(
            pd.DataFrame({"statement": [f.english() for f in result.findings]}, columns=["statement"]),
            args.format,
            args.out,
        )
    else:
        emit(result.effects, args.format, args.out)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``talk-tracks`` and ``drivers`` commands."""
    from analytics.cli.common import add_db, add_filters, add_format

    p = sub.add_parser("talk-tracks", help="raw and adjusted (AIPW) conversion effect of each talk-track tag")
    add_db(p)
    add_filters(p)
    add_format(p)
    p.add_argument(
        "--table",
        choices=("effects", "balance", "overlap", "findings"),
        default="effects",
        help="effects per tag (default), covariate balance, propensity overlap, or headlines",
    )
    p.add_argument(
        "--min-leads",
        type=int,
        default=MIN_GROUP_LEADS,
        help=f"hide tags with fewer treated or untreated leads (default {MIN_GROUP_LEADS})",
    )
    p.add_argument(
        "--trim", type=float, default=TRIM, help=f"drop leads with propensity outside [trim, 1 - trim] (default {TRIM})"
    )
    p.add_argument("--boot", type=int, default=N_BOOT, help=f"rep-clustered bootstrap draws (default {N_BOOT})")
    p.add_argument("--seed", type=int, default=SEED, help="random seed of the folds and the bootstrap")
    p.add_argument(
        "--max-leads",
        type=int,
        default=MAX_LEADS,
        help=f"analyse a random sample of about this many closed leads when the selection has more "
        f"(default {MAX_LEADS:,}; 0 = all, which needs ~2 GB of memory per million leads)",
    )
    p.set_defaults(func=_cmd_talk_tracks)

    p = sub.add_parser("drivers", help="which behaviour / collaboration metrics separate a quarter's top performers")
    add_db(p)
    add_filters(p)
    add_format(p)
    p.add_argument("--top", type=int, default=None, help="top N reps by attainment (default: the top decile)")
    p.add_argument(
        "--table",
        choices=("effects", "reps", "findings"),
        default="effects",
        help="one row per metric (default), per rep, or the plain-language statements",
    )
    p.add_argument("--profile", metavar="REP_ID", help="instead: one rep against their team and the top decile")
    p.add_argument("--boot", type=int, default=200, help="bootstrap draws for the coefficient intervals")
    p.set_defaults(func=_cmd_drivers)
