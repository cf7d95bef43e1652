"""The AIPW (doubly robust) estimator with cross-fitting, and the design helpers it uses.

Estimator (Robins, Rotnitzky & Zhao 1994; cross-fitting as in Chernozhukov et al. 2018,
"Double/debiased machine learning", Econometrics Journal 21):

.. math::

    \\psi_1 = \\hat m_1(X) + T (Y - \\hat m_1(X)) / \\hat e(X), \\qquad
    \\psi_0 = \\hat m_0(X) + (1 - T)(Y - \\hat m_0(X)) / (1 - \\hat e(X))

    \\hat\\mu_a = \\text{mean}(\\psi_a), \\quad \\text{diff} = \\hat\\mu_1 - \\hat\\mu_0, \\quad
    \\text{lift} = \\hat\\mu_1 / \\hat\\mu_0 - 1

where :math:`\\hat e` (propensity) and :math:`\\hat m_a` (conversion in arm ``a``) are
L2-regularised logistic regressions on one-hot covariates, each predicted for a unit by
models fitted on the other folds. Units whose propensity is outside ``[TRIM, 1 - TRIM]``
are dropped (Crump et al. 2009). Uncertainty: a cluster bootstrap of the per-unit scores
(clusters resampled with replacement, nuisance models held fixed, which cross-fitting
justifies to first order); intervals are ``estimate +/- 1.96 SE`` for the difference and on
the log scale for the lift; the p-value is Wald. One cohesive algorithm: the estimator, its
nuisance models and the balance statistic of its weights.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.stats import norm
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from analytics.stats import CONFIDENCE

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

_Z = float(norm.ppf(0.5 + CONFIDENCE / 2))


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
