"""The pilot estimators on a teams x quarters panel: matched DiD, synthetic control, synthetic DiD.

Pure NumPy, batched over rows: row 0 is the real pilot, the other rows are placebo pilots
(control teams posing as the pilot). :func:`estimate_panel` returns the effect with its
placebo interval, p-value and minimum detectable effect (docs/methods/pilots.md).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import nnls
from scipy.stats import norm

from analytics.stats import CONFIDENCE

METHODS = ("did", "sc", "sdid")
#: Placebo draws (all combinations are used when there are fewer).
DEFAULT_PLACEBOS = 400
#: Matched control teams per pilot team for ``did``.
DEFAULT_MATCHES = 3
#: The analysis needs at least this many quarters before the start ...
MIN_PRE_QUARTERS = 2
#: ... and this many placebo draws for an interval.
MIN_PLACEBOS = 10
LEVEL = CONFIDENCE
POWER = 0.80
#: Multiplier of the placebo SD that gives the minimum detectable effect.
MDE_FACTOR = float(norm.ppf(1 - (1 - LEVEL) / 2) + norm.ppf(POWER))
_FW_MAX_ITER = 3000
#: Weight solvers stop when the objective falls by less than (this x sigma)^2 (synthdid's rule).
_MIN_DECREASE = 1e-5
#: ... or by less than this share of its value (rows that cannot fit exactly converge slowly).
_REL_DECREASE = 1e-7
#: Steps between convergence checks of the weight solvers.
_CHECK_EVERY = 10


def _project_simplex(v: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Euclidean projection of each row of ``v`` onto the simplex over its ``mask`` entries.

    Duchi, Shalev-Shwartz, Singer & Chandra (2008), "Efficient projections onto the
    l1-ball", ICML; entries outside the mask are 0.
    """
    u = np.where(mask, v, -np.inf)
    s = -np.sort(-u, axis=1)
    finite = np.isfinite(s)
    css = np.cumsum(np.where(finite, s, 0.0), axis=1) - 1.0
    k = np.arange(1, v.shape[1] + 1)
    cond = finite & (s - css / k > 0)
    rho = np.maximum(cond.sum(axis=1), 1)
    theta = css[np.arange(len(v)), rho - 1] / rho
    return np.where(mask, np.maximum(v - theta[:, None], 0.0), 0.0)


def simplex_least_squares(
    a: np.ndarray, c: np.ndarray, mask: np.ndarray, eta: float, *, min_decrease: float | None = None
) -> np.ndarray:
    """Solve ``min_w ||a w - c_b||^2 / m + eta ||w||^2`` over the simplex, for each row b.

    ``a`` is m x N, ``c`` is B x m and ``mask`` B x N (allowed units per row). Accelerated
    projected gradient (FISTA, Beck & Teboulle 2009) with :func:`_project_simplex`; it stops
    when no row's objective fell by more than ``min_decrease`` over the last
    ``_CHECK_EVERY`` steps (synthdid uses ``(1e-5 sigma)^2``), or after ``_FW_MAX_ITER`` steps.
    Returns B x N weights (non-negative, summing to 1 over each row's mask).
    """
    m = max(a.shape[0], 1)
    # Since the weights sum to 1, subtracting the same vector from every column of ``a`` and
    # from ``c`` leaves ``a w - c`` unchanged; removing the cross-unit mean conditions the problem.
    shift = a.mean(axis=1)
    a, c = a - shift[:, None], c - shift[None, :]
    lip = 2.0 * (float(np.linalg.norm(a, 2)) ** 2 / m + eta) + 1e-12
    tol = min_decrease if min_decrease is not None else 1e-14 * (float(np.mean(c**2)) + 1.0)
    counts = mask.sum(axis=1, keepdims=True)
    w = np.where(mask, 1.0 / np.maximum(counts, 1), 0.0)
    z, t = w.copy(), 1.0

    def objective(x: np.ndarray) -> np.ndarray:
        return ((x @ a.T - c) ** 2).sum(axis=1) / m + eta * (x**2).sum(axis=1)

    last = objective(w)
    for k in range(1, _FW_MAX_ITER + 1):
        grad = 2.0 * (((z @ a.T) - c) @ a / m + eta * z)
        w_new = _project_simplex(z - grad / lip, mask)
        t_new = (1.0 + math.sqrt(1.0 + 4.0 * t * t)) / 2.0
        z = w_new + (t - 1.0) / t_new * (w_new - w)
        w, t = w_new, t_new
        if k % _CHECK_EVERY == 0:
            now = objective(w)
            if (np.abs(last - now) <= np.maximum(tol, _REL_DECREASE * now)).all():
                break
            last = now
    return w


def sc_weights(a: np.ndarray, c: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Synthetic-control weights: ``min_w ||a w - c_b||^2`` with ``w >= 0``, ``sum(w) = 1``, per row b.

    Solved exactly by non-negative least squares (Lawson & Hanson 1974,
    :func:`scipy.optimize.nnls`) with the sum constraint appended as a heavily weighted row;
    the solution is sparse (at most ``m + 1`` controls), as is usual for synthetic control.
    ``a`` is m x N, ``c`` B x m, ``mask`` B x N. Returns B x N weights.
    """
    shift = a.mean(axis=1)  # the constraint makes a common shift of a and c irrelevant; it helps conditioning
    a2, c2 = a - shift[:, None], c - shift[None, :]
    big = 1e3 * (float(np.abs(a2).max(initial=0.0)) + float(np.abs(c2).max(initial=0.0)) + 1.0)
    out = np.zeros(mask.shape)
    for b in range(len(mask)):
        idx = np.flatnonzero(mask[b])
        if not len(idx):
            continue
        w, _ = nnls(np.vstack([a2[:, idx], np.full(len(idx), big)]), np.r_[c2[b], big], maxiter=50 * len(idx))
        out[b, idx] = w / w.sum() if w.sum() > 0 else 1.0 / len(idx)
    return out


def _time_weights(y: np.ndarray, control: np.ndarray, pre: np.ndarray, eta: float, min_decrease: float) -> np.ndarray:
    """SDID time weights per row: pre-period weights whose control average best predicts
    the post-period average, with an intercept (Arkhangelsky et al. 2021, eq. 2.3)."""
    ypre, ypost = y[:, pre], y[:, ~pre].mean(axis=1)
    m = control.astype(float)
    n0 = np.maximum(m.sum(axis=1), 1.0)
    mu = (m @ ypre) / n0[:, None]
    nu = (m @ ypost) / n0
    gram = np.einsum("bn,nt,ns->bts", m, ypre, ypre) / n0[:, None, None] - mu[:, :, None] * mu[:, None, :]
    vec = np.einsum("bn,nt,n->bt", m, ypre, ypost) / n0[:, None] - mu * nu[:, None]
    t0 = ypre.shape[1]
    lip = 2.0 * (np.linalg.eigvalsh(gram)[:, -1] + eta) + 1e-12
    full = np.ones((len(m), t0), dtype=bool)
    lam = np.full((len(m), t0), 1.0 / t0)
    z, t = lam.copy(), 1.0

    def objective(x: np.ndarray) -> np.ndarray:  # up to a constant per row
        return np.einsum("bt,bts,bs->b", x, gram, x) - 2 * (vec * x).sum(axis=1) + eta * (x**2).sum(axis=1)

    last = objective(lam)
    for k in range(1, _FW_MAX_ITER + 1):
        grad = 2.0 * (np.einsum("bts,bs->bt", gram, z) - vec + eta * z)
        lam_new = _project_simplex(z - grad / lip[:, None], full)
        t_new = (1.0 + math.sqrt(1.0 + 4.0 * t * t)) / 2.0
        z = lam_new + (t - 1.0) / t_new * (lam_new - lam)
        lam, t = lam_new, t_new
        if k % _CHECK_EVERY == 0:
            now = objective(lam)
            if np.abs(last - now).max() <= min_decrease:
                break
            last = now
    return lam


def features(y: np.ndarray, pre: np.ndarray) -> np.ndarray:
    """Standardised pre-period level and trend (OLS slope per quarter) of every unit."""
    ypre = y[:, pre]
    x = np.arange(ypre.shape[1], dtype=float)
    x = x - x.mean()
    level = ypre.mean(axis=1)
    slope = (ypre - level[:, None]) @ x / max(float(x @ x), 1e-12)
    feats = np.column_stack([level, slope])
    sd = feats.std(axis=0)
    return feats / np.where(sd > 0, sd, 1.0)


def _matched_weights(feats: np.ndarray, treated: np.ndarray, control: np.ndarray, n_matches: int) -> np.ndarray:
    """Equal weights on the ``n_matches`` nearest controls of each treated unit (greedy,
    without replacement, treated units in index order); all controls when 0."""
    w = np.zeros(treated.shape)
    for b in range(len(treated)):
        pool = np.flatnonzero(control[b])
        if n_matches <= 0 or n_matches * treated[b].sum() >= len(pool):
            w[b, pool] = 1.0 / max(len(pool), 1)
            continue
        chosen: list[int] = []
        free = np.ones(len(pool), dtype=bool)
        for i in np.flatnonzero(treated[b]):
            d = np.linalg.norm(feats[pool] - feats[i], axis=1)
            d[~free] = np.inf
            pick = np.argsort(d, kind="stable")[:n_matches]
            free[pick] = False
            chosen.extend(pool[pick])
        w[b, chosen] = 1.0 / len(chosen)
    return w


@dataclass(frozen=True)
class _Fit:
    """Estimates for every row: effect, per-quarter effects, unit and time weights."""

    effect: np.ndarray  # B
    effects: np.ndarray  # B x T
    treated_path: np.ndarray  # B x T
    omega: np.ndarray  # B x N
    lam: np.ndarray  # B x T0


def _fit(
    method: str, y: np.ndarray, treated: np.ndarray, control: np.ndarray, pre: np.ndarray, n_matches: int, sigma: float
) -> _Fit:
    """Run one estimator for every row of the treated / control masks (B x N each)."""
    n1 = treated.sum(axis=1)
    y1 = (treated.astype(float) @ y) / n1[:, None]
    ypre = y[:, pre]
    t0, t1 = int(pre.sum()), int((~pre).sum())
    tol = (_MIN_DECREASE * sigma) ** 2
    if method == "did":
        omega = _matched_weights(features(y, pre), treated, control, n_matches)
        lam = np.full((len(y1), t0), 1.0 / t0)
    elif method == "sc":
        omega = sc_weights(ypre.T, y1[:, pre], control)
        lam = np.zeros((len(y1), t0))
    elif method == "sdid":
        zeta = (float(n1.mean()) * t1) ** 0.25 * sigma
        a = ypre.T - ypre.mean(axis=1)[None, :]
        c = y1[:, pre] - y1[:, pre].mean(axis=1, keepdims=True)
        omega = simplex_least_squares(a, c, control, zeta**2, min_decrease=tol)
        lam = _time_weights(y, control, pre, (1e-6 * sigma) ** 2, tol)
    else:
        raise ValueError(f"'{method}' is not a method; choose one of: {', '.join(METHODS)}.")
    gap = y1 - omega @ y
    effects = gap - (lam * gap[:, pre]).sum(axis=1, keepdims=True)
    return _Fit(effect=effects[:, ~pre].mean(axis=1), effects=effects, treated_path=y1, omega=omega, lam=lam)


def _placebo_sets(pool: np.ndarray, n1: int, n_placebo: int, seed: int) -> list[tuple[int, ...]]:
    """Every n1-subset of the pool when there are at most ``n_placebo``, else a random sample."""
    if len(pool) - n1 < 1 or n1 < 1:
        return []
    total = math.comb(len(pool), n1)
    if total <= n_placebo:
        return [tuple(c) for c in itertools.combinations(pool.tolist(), n1)]
    rng = np.random.default_rng(seed)
    seen: set[tuple[int, ...]] = set()
    out = []
    while len(out) < n_placebo:
        draw = tuple(sorted(rng.choice(pool, size=n1, replace=False).tolist()))
        if draw not in seen:
            seen.add(draw)
            out.append(draw)
    return out


@dataclass(frozen=True)
class PanelEstimate:
    """The result of :func:`estimate_panel` (all arrays follow the panel's quarters)."""

    method: str
    effect: float
    lo: float
    hi: float
    p_value: float
    mde: float
    se: float
    n_placebo: int
    effects: np.ndarray  # per quarter (pre quarters: pre-period misfit)
    effects_lo: np.ndarray
    effects_hi: np.ndarray
    treated_path: np.ndarray
    control_path: np.ndarray
    weights: np.ndarray  # per unit of the panel
    placebo_effects: np.ndarray
    mde_by_post: np.ndarray  # MDE using only the first k post quarters, k = 1..T_post
    pre_rmse: float


def _nan_estimate(method: str, t: int, n: int, t1: int) -> PanelEstimate:
    nan_t = np.full(t, np.nan)
    return PanelEstimate(
        method,
        *(math.nan,) * 6,
        0,
        nan_t,
        nan_t,
        nan_t,
        nan_t,
        nan_t,
        np.zeros(n),
        np.array([]),
        np.full(t1, np.nan),
        math.nan,
    )


def estimate_panel(
    y: np.ndarray,
    treated: np.ndarray,
    pool: np.ndarray,
    pre: np.ndarray,
    *,
    method: str = "sdid",
    n_matches: int = DEFAULT_MATCHES,
    n_placebo: int = DEFAULT_PLACEBOS,
    seed: int = 0,
) -> PanelEstimate:
    """Effect, placebo interval, p-value and MDE for one panel (pure NumPy).

    Parameters
    ----------
    y
        N x T matrix, one row per team, one column per quarter (no missing values).
    treated, pool
        Boolean vectors of length N: the pilot teams, and the candidate control teams.
    pre
        Boolean vector of length T: True for quarters before the start.
    method
        ``did`` (matched DiD), ``sc`` (synthetic control) or ``sdid`` (synthetic DiD).
    n_matches
        Controls matched to each pilot team for ``did`` (0 = all controls).
    n_placebo
        Placebo draws of ``sum(treated)`` pool teams (all subsets when fewer exist).
    seed
        Seed of the placebo sample.

    Returns
    -------
    PanelEstimate
        ``effect`` is the average post-period effect; ``lo``/``hi`` the 95% placebo
        interval ``[effect - q97.5, effect - q2.5]`` of the placebo estimates; ``p_value``
        ``(1 + #{|placebo| >= |effect|}) / (1 + B)``; ``mde`` = 2.80 x SD(placebo).
        Fewer than ``MIN_PLACEBOS`` placebo draws leave ``lo``, ``hi``, ``p_value`` and
        ``mde`` NaN.
    """
    y = np.asarray(y, dtype=float)
    treated, pool, pre = (
        np.asarray(treated, bool),
        np.asarray(pool, bool) & ~np.asarray(treated, bool),
        np.asarray(pre, bool),
    )
    n, t = y.shape
    t0, t1 = int(pre.sum()), int((~pre).sum())
    if t0 < MIN_PRE_QUARTERS or t1 < 1 or treated.sum() < 1 or pool.sum() < 1:
        return _nan_estimate(method, t, n, t1)
    pool_idx = np.flatnonzero(pool)
    diffs = np.diff(y[np.ix_(pool_idx, np.flatnonzero(pre))], axis=1)
    sigma = float(diffs.std(ddof=1)) if diffs.size > 1 else 0.0
    sigma = sigma if sigma > 0 else float(np.abs(y).mean() or 1.0) * 1e-3
    sets = _placebo_sets(pool_idx, int(treated.sum()), n_placebo, seed)
    rows_t = np.zeros((1 + len(sets), n), dtype=bool)
    rows_c = np.zeros_like(rows_t)
    rows_t[0], rows_c[0] = treated, pool
    for b, s in enumerate(sets, start=1):
        rows_t[b, list(s)] = True
        rows_c[b] = pool
        rows_c[b, list(s)] = False
    fit = _fit(method, y, rows_t, rows_c, pre, n_matches, sigma)
    effect = float(fit.effect[0])
    eff0 = fit.effects[0]
    placebo = fit.effect[1:]
    b = len(placebo)
    lo = hi = p = mde = se = math.nan
    elo = ehi = np.full(t, np.nan)
    mde_post = np.full(t1, np.nan)
    if b >= MIN_PLACEBOS:
        q_lo, q_hi = (1 - LEVEL) / 2, 1 - (1 - LEVEL) / 2
        lo = effect - float(np.quantile(placebo, q_hi))
        hi = effect - float(np.quantile(placebo, q_lo))
        p = float((1 + np.sum(np.abs(placebo) >= abs(effect) - 1e-12)) / (1 + b))
        se = float(placebo.std(ddof=1))
        mde = MDE_FACTOR * se
        pe = fit.effects[1:]
        elo = eff0 - np.quantile(pe, q_hi, axis=0)
        ehi = eff0 - np.quantile(pe, q_lo, axis=0)
        post_cols = pe[:, ~pre]
        mde_post = np.array([MDE_FACTOR * post_cols[:, : k + 1].mean(axis=1).std(ddof=1) for k in range(t1)])
    pre_rmse = float(np.sqrt(np.mean(eff0[pre] ** 2)))
    return PanelEstimate(
        method=method,
        effect=effect,
        lo=lo,
        hi=hi,
        p_value=p,
        mde=mde,
        se=se,
        n_placebo=b,
        effects=eff0,
        effects_lo=elo,
        effects_hi=ehi,
        treated_path=fit.treated_path[0],
        control_path=fit.treated_path[0] - eff0,
        weights=fit.omega[0],
        placebo_effects=placebo,
        mde_by_post=mde_post,
        pre_rmse=pre_rmse,
    )
