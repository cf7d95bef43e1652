"""Pilot evaluation: did a scheme piloted in a few teams move a metric, against control teams?

The unit is a team and the period a quarter: each team's metric is averaged per quarter
(:func:`team_panel`), giving a teams x quarters panel. The pilot teams are *treated* from
the start quarter on; every other team in scope that is not itself flagged as a pilot is a
candidate *control*. Three estimators compare the average of the treated teams with a
weighted average of control teams (docs/methods/pilots.md):

- ``did``: difference-in-differences against *matched* controls: for every pilot team,
  the ``n_matches`` control teams nearest in pre-period level and trend (standardised
  Euclidean distance), equally weighted. Effect = (treated - controls) after the start
  minus (treated - controls) before it.
- ``sc``: synthetic control (Abadie, Diamond & Hainmueller 2010): non-negative control
  weights summing to 1 that reproduce the treated pre-period path (exact non-negative least
  squares); effect = average gap after the start.
- ``sdid``: synthetic difference-in-differences (Arkhangelsky, Athey, Hirshberg, Imbens &
  Wager 2021, AER): unit weights with an intercept and ridge penalty
  ``zeta = (N_treated * T_post)^(1/4) * sigma`` plus time weights over the pre-period,
  then a weighted DiD (without the paper's sparsification step).

Inference is valid with few treated teams: the whole estimator (matching or weights
included) is re-run with ``n_treated`` control teams pretending to be the pilot
(placebo-in-space, as in Abadie et al. 2010 and Conley & Taber 2011). With placebo
estimates ``e_b`` the interval is ``[effect - q97.5(e), effect - q2.5(e)]``, the p-value
is ``(1 + #{|e_b| >= |effect|}) / (1 + B)``, and the minimum detectable effect at 80%
power and 5% two-sided level is ``(z_0.975 + z_0.8) * sd(e)`` (Bloom 1995). A
placebo-in-time check re-runs the analysis inside the pre-period with a fake start.

CLI: :func:`register` adds ``pilot`` and, from :mod:`analytics.audit`, ``audit`` and
``audit-report`` (one entry in ``analytics.cli.COMMAND_MODULES``).
"""

from __future__ import annotations

import argparse
import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import nnls
from scipy.stats import norm

from analytics.access import Scope
from analytics.audit.health import Finding, nps_responses, renewal_dues
from analytics.filters import Filters
from analytics.periods import Quarter
from analytics.stats import CONFIDENCE
from analytics.store import Store

#: Metrics computed from leads, deals and NPS (any rep_metrics metric name also works).
BUILTIN_METRICS = ("conversion", "revenue_per_rep", "renewal_rate", "nps")
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
#: Quarters where fewer than this share of teams have a value are left out (e.g. renewals
#: only start falling due a year into the data).
MIN_TEAM_COVERAGE = 0.5
#: Warn when the pilot teams average fewer observations (reps, leads...) per quarter than this
#: share of the median control team: the placebo interval assumes they are equally noisy.
SMALL_PILOT_SHARE = 0.75
#: Placebo draws for each placebo-in-time start.
TIME_PLACEBOS = 200
_FW_MAX_ITER = 3000
#: Weight solvers stop when the objective falls by less than (this x sigma)^2 (synthdid's rule).
_MIN_DECREASE = 1e-5
#: ... or by less than this share of its value (rows that cannot fit exactly converge slowly).
_REL_DECREASE = 1e-7
#: Steps between convergence checks of the weight solvers.
_CHECK_EVERY = 10


# --------------------------------------------------------------------------------------
# data: one value per team per quarter
# --------------------------------------------------------------------------------------
def available_metrics(store: Store) -> list[str]:
    """The built-in metrics followed by every metric name stored in ``rep_metrics``."""
    df = store.query("SELECT DISTINCT metric FROM rep_metrics ORDER BY metric")
    return [*BUILTIN_METRICS, *[m for m in df["metric"] if m not in BUILTIN_METRICS]]


def pilot_flags(store: Store) -> tuple[tuple[str, ...], str | None]:
    """Teams flagged ``is_pilot`` in the store and their (earliest) start quarter."""
    df = store.query("SELECT team_id, pilot_start_quarter FROM teams WHERE is_pilot ORDER BY team_id")
    starts = sorted(str(Quarter.parse(q)) for q in df["pilot_start_quarter"].dropna())
    return tuple(df["team_id"]), (starts[0] if starts else None)


def _dims(filters: Filters | None, column: str, values_attr: str) -> tuple[str, list[object]]:
    """A dimension restriction (fixed column name, bound values) from the shared filters."""
    values = getattr(filters, values_attr) if filters is not None else ()
    if not values:
        return "TRUE", []
    return f"list_contains(?::VARCHAR[], {column})", [list(values)]


def _window(store: Store, metric: str) -> list[str]:
    """Quarters with data for the metric, oldest first: the leads' period for the built-in
    metrics (a few renewals signed before the first lead do not open a quarter), the stored
    quarters for a ``rep_metrics`` metric."""
    if metric in BUILTIN_METRICS:
        row = store.query("SELECT min(created_at) AS lo, max(coalesce(closed_at, created_at)) AS hi FROM leads").iloc[0]
        if pd.isna(row["lo"]):
            return []
        q, last = Quarter.of(pd.Timestamp(row["lo"]).date()), Quarter.of(pd.Timestamp(row["hi"]).date())
        out = []
        while q <= last:
            out.append(str(q))
            q = q.next()
        return out
    qs = store.query("SELECT DISTINCT quarter FROM rep_metrics WHERE metric = ?", [metric])["quarter"]
    return [str(q) for q in sorted(Quarter.parse(x) for x in qs)]


def team_panel(
    store: Store, filters: Filters | None, scope: Scope, *, metric: str, balanced: bool = True
) -> pd.DataFrame:
    """The metric per team per quarter.

    Definitions by metric:

    - ``conversion``: won / closed among the team's leads closed in the quarter.
    - ``revenue_per_rep``: amount of deals signed in the quarter / reps hired by its end.
    - ``renewal_rate``: renewed / due among renewals due in the quarter
      (:func:`analytics.audit.renewal_dues`).
    - ``nps``: % promoters - % detractors among the quarter's responses of the team's
      accounts (:func:`analytics.audit.nps_responses`), in points (-100..100).
    - any other name: the mean of that ``rep_metrics`` metric over the team's reps. With
      ``balanced`` only reps with a value in every quarter of the store are used, so a
      new hire or a leaver does not move the team average.

    The date range and team selection of ``filters`` are ignored (the pilot design sets
    both); its region selection restricts the teams, its segment selection the leads,
    deals and NPS responses counted. The scope restricts the reps.

    Grain: one row per team per quarter with data. Columns: ``team_id``, ``quarter``,
    ``value``, ``n`` (reps, closed leads, dues or responses behind the value).
    """
    if metric not in BUILTIN_METRICS:
        known = available_metrics(store)
        if metric not in known:
            raise ValueError(f"'{metric}' is not a metric in this store; choose one of: {', '.join(known)}.")
    quarters = _window(store, metric)
    cols = ["team_id", "quarter", "value", "n"]
    if not quarters:
        return pd.DataFrame(columns=cols)
    first, last = Quarter.parse(quarters[0]), Quarter.parse(quarters[-1])
    span = Filters(
        start=first.start,
        end=last.end,
        region_ids=filters.region_ids if filters else (),
        segments=filters.segments if filters else (),
    )
    s_sql, s_params = scope.clause("r.rep_id")
    r_sql, r_params = _dims(filters, "r.region_id", "region_ids")
    if metric == "conversion":
        g_sql, g_params = _dims(filters, "l.segment", "segments")
        df = store.query(
            f"""SELECT r.team_id, year(l.closed_at)::VARCHAR || 'Q' || quarter(l.closed_at)::VARCHAR AS quarter,
                       avg((l.status = 'won')::INTEGER) AS value, count(*) AS n
                FROM leads AS l JOIN v_reps AS r ON r.rep_id = l.rep_id
                WHERE l.status <> 'open' AND l.closed_at BETWEEN ? AND ? AND {s_sql} AND {r_sql} AND {g_sql}
                GROUP BY 1, 2""",  # noqa: S608 - fixed names + placeholders
            [span.start, span.end, *s_params, *r_params, *g_params],
        )
    elif metric == "revenue_per_rep":
        g_sql, g_params = _dims(filters, "d.segment", "segments")
        rev = store.query(
            f"""SELECT r.team_id, year(d.signed_at)::VARCHAR || 'Q' || quarter(d.signed_at)::VARCHAR AS quarter,
                       sum(d.amount)::DOUBLE AS revenue
                FROM v_deals AS d JOIN v_reps AS r ON r.rep_id = d.rep_id
                WHERE d.signed_at BETWEEN ? AND ? AND {s_sql} AND {r_sql} AND {g_sql}
                GROUP BY 1, 2""",  # noqa: S608 - fixed names + placeholders
            [span.start, span.end, *s_params, *r_params, *g_params],
        )
        reps = store.query(
            f"SELECT r.team_id, r.hire_date FROM v_reps AS r WHERE {s_sql} AND {r_sql}",  # noqa: S608
            [*s_params, *r_params],
        )
        rows = []
        for q in quarters:
            end = Quarter.parse(q).end
            counts = reps[pd.to_datetime(reps["hire_date"]).dt.date <= end].groupby("team_id").size()
            rows.append(pd.DataFrame({"team_id": counts.index, "quarter": q, "n": counts.to_numpy()}))
        heads = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["team_id", "quarter", "n"])
        df = heads.merge(rev, on=["team_id", "quarter"], how="left")
        df["value"] = df["revenue"].fillna(0.0) / df["n"]
    elif metric in ("renewal_rate", "nps"):
        rows = renewal_dues(store, span, scope) if metric == "renewal_rate" else nps_responses(store, span, scope)
        col = "renewed" if metric == "renewal_rate" else "nps_value"
        rows[col] = rows[col].astype(float)
        df = rows.groupby(["team_id", "quarter"])[col].agg(value="mean", n="size").reset_index()
    else:
        raw = store.query(
            f"""SELECT r.team_id, m.quarter, m.rep_id, m.value
                FROM rep_metrics AS m JOIN v_reps AS r ON r.rep_id = m.rep_id
                WHERE m.metric = ? AND {s_sql} AND {r_sql}""",  # noqa: S608 - fixed names + placeholders
            [metric, *s_params, *r_params],
        )
        if balanced and len(raw):
            per_rep = raw.groupby("rep_id")["quarter"].nunique()
            raw = raw[raw["rep_id"].isin(per_rep.index[per_rep == len(quarters)])]
        df = raw.groupby(["team_id", "quarter"])["value"].agg(value="mean", n="size").reset_index()
    df = df[df["quarter"].isin(quarters)]
    df["n"] = df["n"].astype(int)
    df["value"] = df["value"].astype(float)
    return df[cols].sort_values(["team_id", "quarter"], key=_quarter_key).reset_index(drop=True)


def _quarter_key(col: pd.Series) -> pd.Series:
    if col.name == "quarter":
        return col.map(lambda q: (Quarter.parse(q).year, Quarter.parse(q).q))
    return col


# --------------------------------------------------------------------------------------
# estimation core: batched over rows (row 0 = the real pilot, the rest = placebos)
# --------------------------------------------------------------------------------------
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


def _features(y: np.ndarray, pre: np.ndarray) -> np.ndarray:
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
        omega = _matched_weights(_features(y, pre), treated, control, n_matches)
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


# --------------------------------------------------------------------------------------
# the pilot evaluation
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PilotResult:
    """A pilot evaluation (see :func:`evaluate_pilot`).

    ``series`` (one row per quarter): ``quarter``, ``period`` (pre/post), ``treated``
    (average of the pilot teams), ``control`` (the weighted controls, shifted by the
    method's pre-period adjustment), ``effect`` (= treated - control), ``effect_lo``,
    ``effect_hi`` (95% placebo band). ``controls`` (one row per control team with
    weight > 0): ``team_id``, ``weight``, ``pre_level``, ``pre_slope``, ``distance``
    (standardised distance to the nearest pilot team in level and trend).
    ``estimates`` (one row per method): ``method``, ``effect``, ``lo``, ``hi``,
    ``p_value``, ``mde``, ``pre_rmse``. ``placebo_in_time`` (one row per fake start):
    ``fake_start``, ``effect``, ``lo``, ``hi``, ``p_value``. ``mde_by_post``: ``post_quarters``,
    ``mde``. ``placebo_effects``: the placebo-in-space estimates of the chosen method.
    """

    metric: str
    teams: tuple[str, ...]
    start: str
    method: str
    effect: float
    lo: float
    hi: float
    p_value: float
    mde: float
    n_placebo: int
    n_pool: int
    baseline: float
    pre_rmse: float
    series: pd.DataFrame
    controls: pd.DataFrame
    estimates: pd.DataFrame
    placebo_in_time: pd.DataFrame
    mde_by_post: pd.DataFrame
    placebo_effects: tuple[float, ...]
    findings: tuple[Finding, ...] = field(default_factory=tuple)
    pilot_size: float = math.nan
    pool_size: float = math.nan

    @property
    def ok(self) -> bool:
        """True when an effect could be estimated."""
        return not math.isnan(self.effect)

    def to_dict(self) -> dict[str, object]:
        """The JSON shape of the ``pilot`` command."""

        def rows(df: pd.DataFrame) -> list[dict[str, object]]:
            return [{k: _clean(v) for k, v in r.items()} for r in df.to_dict(orient="records")]

        return {
            "metric": self.metric,
            "teams": list(self.teams),
            "start": self.start,
            "method": self.method,
            "effect": _clean(self.effect),
            "lo": _clean(self.lo),
            "hi": _clean(self.hi),
            "p_value": _clean(self.p_value),
            "mde": _clean(self.mde),
            "level": LEVEL,
            "interval": "placebo over control teams (Conley-Taber)",
            "n_placebo": self.n_placebo,
            "n_pool": self.n_pool,
            "baseline": _clean(self.baseline),
            "pre_rmse": _clean(self.pre_rmse),
            "controls": rows(self.controls[["team_id", "weight"]]),
            "series": rows(self.series),
            "estimates": rows(self.estimates),
            "placebo_in_time": rows(self.placebo_in_time),
            "mde_by_post": rows(self.mde_by_post),
            "findings": [f.english() for f in self.findings],
        }


def _clean(v: object) -> object:
    if isinstance(v, float | np.floating):
        return None if math.isnan(float(v)) else round(float(v), 6)
    if isinstance(v, np.integer):
        return int(v)
    return v


def _empty_result(metric: str, teams: tuple[str, ...], start: str, method: str, note: Finding) -> PilotResult:
    nan = math.nan
    return PilotResult(
        metric=metric,
        teams=teams,
        start=start,
        method=method,
        effect=nan,
        lo=nan,
        hi=nan,
        p_value=nan,
        mde=nan,
        n_placebo=0,
        n_pool=0,
        baseline=nan,
        pre_rmse=nan,
        series=pd.DataFrame(columns=["quarter", "period", "treated", "control", "effect", "effect_lo", "effect_hi"]),
        controls=pd.DataFrame(columns=["team_id", "weight", "pre_level", "pre_slope", "distance"]),
        estimates=pd.DataFrame(columns=["method", "effect", "lo", "hi", "p_value", "mde", "pre_rmse"]),
        placebo_in_time=pd.DataFrame(columns=["fake_start", "effect", "lo", "hi", "p_value"]),
        mde_by_post=pd.DataFrame(columns=["post_quarters", "mde"]),
        placebo_effects=(),
        findings=(note,),
    )


def evaluate_pilot(
    store: Store,
    filters: Filters | None,
    scope: Scope,
    *,
    teams: tuple[str, ...] = (),
    start: str | None = None,
    metric: str = "collaboration_score",
    method: str = "auto",
    controls: tuple[str, ...] = (),
    same_type: bool = False,
    n_matches: int = DEFAULT_MATCHES,
    n_placebo: int = DEFAULT_PLACEBOS,
    balanced: bool = True,
    last_quarter: str | None = None,
    seed: int = 0,
) -> PilotResult:
    """Evaluate a pilot against control teams (see the module docstring).

    Parameters
    ----------
    teams
        Pilot team ids; empty = the teams flagged ``is_pilot`` in the store.
    start
        First quarter of the pilot (``2025Q2``); None = the flagged start quarter.
    metric
        A built-in metric (:data:`BUILTIN_METRICS`) or any ``rep_metrics`` metric name.
    method
        ``did``, ``sc``, ``sdid`` or ``auto`` (``sdid`` with fewer than 10 pilot teams,
        else ``did``). Every method is also reported in ``estimates``.
    controls
        Candidate control teams; empty = every other team in scope that is not a flagged
        pilot team.
    same_type
        Keep only candidate controls of the pilot teams' team types.
    n_matches
        Matched controls per pilot team for ``did``.
    n_placebo
        Placebo draws for the interval and p-value.
    balanced
        For ``rep_metrics`` metrics, average only reps present in every quarter.
    last_quarter
        Ignore quarters after this one (default: all).
    seed
        Seed of the placebo sample (results are reproducible).
    """
    flag_teams, flag_start = pilot_flags(store)
    teams = tuple(dict.fromkeys(teams)) or flag_teams
    start = start or flag_start
    chosen = method if method != "auto" else ("sdid" if 0 < len(teams) < 10 else "did")
    if chosen not in METHODS:
        raise ValueError(f"'{method}' is not a method; choose auto, {', '.join(METHODS)}.")
    if not teams or not start:
        return _empty_result(
            metric,
            teams,
            start or "",
            chosen,
            Finding("Choose the pilot teams and the start quarter (the store flags no pilot).", level="warning"),
        )
    start_q = Quarter.parse(start)
    panel = team_panel(store, filters, scope, metric=metric, balanced=balanced)
    if last_quarter:
        last_q = Quarter.parse(last_quarter)
        panel = panel[panel["quarter"].map(lambda q: Quarter.parse(q) <= last_q)]
    wide = panel.pivot(index="team_id", columns="quarter", values="value") if len(panel) else pd.DataFrame()
    if len(wide):
        wide = wide[sorted(wide.columns, key=Quarter.parse)]
        covered = wide.notna().mean(axis=0) >= MIN_TEAM_COVERAGE
        wide = wide.loc[:, covered.to_numpy()]
        # a metric that starts later for a pilot team (e.g. its first renewals) starts the window later
        present = [tm for tm in teams if tm in wide.index]
        while wide.shape[1] and present and wide.loc[present, wide.columns[0]].isna().any():
            wide = wide.iloc[:, 1:]
    missing = [tm for tm in teams if tm not in wide.index or wide.loc[tm].isna().any()]
    if missing:
        return _empty_result(
            metric,
            teams,
            str(start_q),
            chosen,
            Finding(
                "No {metric} value in every quarter for pilot team(s) {teams}; they cannot be evaluated "
                "(check the teams, your access scope and the filters).",
                {"metric": metric, "teams": ", ".join(missing)},
                {"metric": "text", "teams": "text"},
                "warning",
            ),
        )
    wide = wide.dropna()
    team_types = store.query("SELECT team_id, team_type FROM teams").set_index("team_id")["team_type"]
    pilot_types = {team_types.get(tm) for tm in teams}
    candidates = [
        tm
        for tm in (controls or wide.index)
        if tm in wide.index
        and tm not in teams
        and (controls or tm not in flag_teams)
        and (not same_type or team_types.get(tm) in pilot_types)
    ]
    quarters = list(wide.columns)
    pre = np.array([Quarter.parse(q) < start_q for q in quarters])
    if pre.sum() < MIN_PRE_QUARTERS or (~pre).sum() < 1 or not candidates:
        return _empty_result(
            metric,
            teams,
            str(start_q),
            chosen,
            Finding(
                "Too little data: the evaluation needs at least {k} quarters before {start}, one from it on, "
                "and at least one control team (found {pre} before, {post} after, {n} control teams).",
                {
                    "k": MIN_PRE_QUARTERS,
                    "start": str(start_q),
                    "pre": int(pre.sum()),
                    "post": int((~pre).sum()),
                    "n": len(candidates),
                },
                {"k": "count", "start": "text", "pre": "count", "post": "count", "n": "count"},
                "warning",
            ),
        )
    units = [*teams, *candidates]
    y = wide.loc[units].to_numpy(dtype=float)
    is_t = np.array([u in teams for u in units])
    is_pool = ~is_t
    ests = {
        m: estimate_panel(y, is_t, is_pool, pre, method=m, n_matches=n_matches, n_placebo=n_placebo, seed=seed)
        for m in METHODS
    }
    est = ests[chosen]
    series = pd.DataFrame(
        {
            "quarter": quarters,
            "period": np.where(pre, "pre", "post"),
            "treated": est.treated_path,
            "control": est.control_path,
            "effect": est.effects,
            "effect_lo": est.effects_lo,
            "effect_hi": est.effects_hi,
        }
    )
    feats = _features(y, pre)
    ypre = y[:, pre]
    x = np.arange(ypre.shape[1], dtype=float) - (ypre.shape[1] - 1) / 2
    level = ypre.mean(axis=1)
    slope = (ypre - level[:, None]) @ x / max(float(x @ x), 1e-12)
    dist = np.array([np.linalg.norm(feats[is_t] - feats[i], axis=1).min() for i in range(len(units))])
    ctrl = pd.DataFrame(
        {"team_id": units, "weight": est.weights, "pre_level": level, "pre_slope": slope, "distance": dist}
    )[~is_t]
    ctrl = ctrl[ctrl["weight"] > 1e-4].sort_values(["weight", "distance"], ascending=[False, True])
    estimates = pd.DataFrame(
        [
            {
                "method": m,
                "effect": e.effect,
                "lo": e.lo,
                "hi": e.hi,
                "p_value": e.p_value,
                "mde": e.mde,
                "pre_rmse": e.pre_rmse,
            }
            for m, e in ests.items()
        ]
    )
    pit = _placebo_in_time(y, is_t, is_pool, pre, quarters, chosen, n_matches, min(n_placebo, TIME_PLACEBOS), seed)
    mde_post = pd.DataFrame({"post_quarters": np.arange(1, int((~pre).sum()) + 1), "mde": est.mde_by_post})
    baseline = float(est.treated_path[pre].mean())
    sizes = panel.groupby("team_id")["n"].mean()
    result = PilotResult(
        metric=metric,
        teams=teams,
        start=str(start_q),
        method=chosen,
        effect=est.effect,
        lo=est.lo,
        hi=est.hi,
        p_value=est.p_value,
        mde=est.mde,
        n_placebo=est.n_placebo,
        n_pool=len(candidates),
        baseline=baseline,
        pre_rmse=est.pre_rmse,
        series=series,
        controls=ctrl.reset_index(drop=True),
        estimates=estimates,
        placebo_in_time=pit,
        mde_by_post=mde_post,
        placebo_effects=tuple(float(v) for v in est.placebo_effects),
        pilot_size=float(sizes.reindex(list(teams)).mean()),
        pool_size=float(sizes.reindex(candidates).median()),
    )
    return _with_findings(result)


def _placebo_in_time(
    y: np.ndarray,
    is_t: np.ndarray,
    is_pool: np.ndarray,
    pre: np.ndarray,
    quarters: list[str],
    method: str,
    n_matches: int,
    n_placebo: int,
    seed: int,
) -> pd.DataFrame:
    """The same analysis inside the pre-period, pretending the pilot started earlier."""
    cols = ["fake_start", "effect", "lo", "hi", "p_value"]
    pre_idx = np.flatnonzero(pre)
    rows = []
    for k in range(MIN_PRE_QUARTERS, len(pre_idx)):
        sub = y[:, pre_idx]
        fake_pre = np.arange(len(pre_idx)) < k
        e = estimate_panel(
            sub, is_t, is_pool, fake_pre, method=method, n_matches=n_matches, n_placebo=n_placebo, seed=seed
        )
        rows.append(
            {"fake_start": quarters[pre_idx[k]], "effect": e.effect, "lo": e.lo, "hi": e.hi, "p_value": e.p_value}
        )
    return pd.DataFrame(rows, columns=cols)


def _with_findings(r: PilotResult) -> PilotResult:
    """Attach plain-language findings (English templates + parameters)."""
    out: list[Finding] = []
    num = {
        "effect": "number",
        "lo": "number",
        "hi": "number",
        "p": "p",
        "mde": "number",
        "n": "count",
        "metric": "text",
        "rel": "signed_percent",
    }
    params = {
        "effect": r.effect,
        "lo": r.lo,
        "hi": r.hi,
        "p": r.p_value,
        "mde": r.mde,
        "n": r.n_pool,
        "metric": r.metric,
        "rel": r.effect / r.baseline if r.baseline else math.nan,
    }
    if math.isnan(r.p_value):
        out.append(
            Finding(
                "Only {n} control teams: too few placebo comparisons for an interval or a p-value.",
                {"n": r.n_pool},
                {"n": "count"},
                "warning",
            )
        )
    elif r.p_value < 1 - LEVEL and (r.lo > 0 or r.hi < 0):
        out.append(
            Finding(
                "The pilot changed {metric} by {effect} ({rel} of the pre-pilot level; 95% interval {lo} to {hi}, "
                "p = {p}), compared with {n} control teams.",
                params,
                num,
                "good",
            )
        )
    else:
        out.append(
            Finding(
                "No detectable effect on {metric}: the estimate {effect} (95% interval {lo} to {hi}, p = {p}) is within "
                "what control teams show by chance.",
                params,
                num,
                "info",
            )
        )
    if not math.isnan(r.mde):
        out.append(
            Finding(
                "With this design (these pilot teams, {post} quarters after the start) only effects of about {mde} "
                "or more would be detected reliably (80% power).",
                {"mde": r.mde, "post": len(r.mde_by_post)},
                {"mde": "number", "post": "count"},
                "info",
            )
        )
    bad = r.placebo_in_time[r.placebo_in_time["p_value"] < 1 - LEVEL] if len(r.placebo_in_time) else []
    if len(bad):
        first = bad.iloc[0]
        out.append(
            Finding(
                "Placebo-in-time check failed: pretending the pilot started in {q} shows an effect of {effect} "
                "(p = {p}) before anything changed; the pilot and control teams were already drifting apart, so treat "
                "the estimate with caution.",
                {"q": first["fake_start"], "effect": first["effect"], "p": first["p_value"]},
                {"q": "text", "effect": "number", "p": "p"},
                "warning",
            )
        )
    elif len(r.placebo_in_time):
        out.append(
            Finding(
                "Placebo-in-time check passed: no effect appears at fake start quarters before the pilot.", level="good"
            )
        )
    if r.pilot_size < SMALL_PILOT_SHARE * r.pool_size:
        out.append(
            Finding(
                "The pilot teams' values rest on fewer observations ({pilot} per team and quarter) than a typical "
                "control team's ({pool}), so they are noisier and the interval may be too narrow.",
                {"pilot": r.pilot_size, "pool": r.pool_size},
                {"pilot": "decimal", "pool": "decimal"},
                "warning",
            )
        )
    return PilotResult(**{**r.__dict__, "findings": tuple(out)})


# --------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------
def _cmd_pilot(args: argparse.Namespace) -> int:
    from analytics.cli.common import UserError, cli_scope, emit, open_store

    store = open_store(args.db)
    teams = tuple(v.strip() for v in (args.teams or "").split(",") if v.strip())
    controls = tuple(v.strip() for v in (args.controls or "").split(",") if v.strip())
    known = set(store.query("SELECT team_id FROM teams")["team_id"])
    unknown = [tm for tm in (*teams, *controls) if tm not in known]
    if unknown:
        raise UserError(f"Unknown team id(s): {', '.join(unknown)}; list the teams with 'python -m analytics info'.")
    if args.start:
        try:
            Quarter.parse(args.start)
        except ValueError as exc:
            raise UserError(str(exc)) from exc
    try:
        result = evaluate_pilot(
            store,
            None,
            cli_scope(args),
            teams=teams,
            start=args.start,
            metric=args.metric,
            method=args.method,
            controls=controls,
            same_type=args.same_type,
            n_matches=args.matches,
            n_placebo=args.placebos,
            seed=args.seed,
        )
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    if args.format == "json":
        emit(result.to_dict(), "json", args.out)
    elif args.format == "csv":
        emit(result.series, "csv", args.out)
    else:
        d = result.to_dict()
        head = "\n".join(
            f"{k}: {d[k]}"
            for k in ("metric", "teams", "start", "method", "effect", "lo", "hi", "p_value", "mde", "n_placebo")
        )
        text = head + "\ncontrols: " + ", ".join(f"{c['team_id']} ({c['weight']:.2f})" for c in d["controls"])
        text += "\n\n" + (result.series.to_string(index=False) if len(result.series) else "(no rows)")
        text += "\n\n" + "\n".join(d["findings"]) + "\n"  # type: ignore[arg-type]
        if args.out:
            from pathlib import Path

            Path(args.out).write_text(text, encoding="utf-8")
        else:
            print(text, end="")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``pilot`` and ``audit-report`` commands."""
    from analytics import audit
    from analytics.cli.common import add_db

    p = sub.add_parser("pilot", help="evaluate a pilot against control teams (DiD / synthetic control / SDID)")
    add_db(p)
    p.add_argument("--teams", default="", help="comma-separated pilot team ids (default: the store's pilot flags)")
    p.add_argument("--start", help="first pilot quarter, e.g. 2025Q2 (default: the store's pilot flag)")
    p.add_argument(
        "--metric",
        default="collaboration_score",
        help="conversion, revenue_per_rep, renewal_rate, nps, or any per-rep quarterly metric",
    )
    p.add_argument("--method", default="auto", choices=("auto", *METHODS))
    p.add_argument("--controls", default="", help="comma-separated candidate control teams (default: all others)")
    p.add_argument("--same-type", action="store_true", help="only control teams of the pilot teams' types")
    p.add_argument("--matches", type=int, default=DEFAULT_MATCHES, help="matched controls per pilot team (did)")
    p.add_argument("--placebos", type=int, default=DEFAULT_PLACEBOS, help="placebo draws for the interval")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--format",
        choices=("table", "csv", "json"),
        default="table",
        help="json: the full result object; csv: the per-quarter series",
    )
    p.add_argument("--out", help="write the result to this file instead of stdout")
    p.set_defaults(func=_cmd_pilot)
    audit.register(sub)
