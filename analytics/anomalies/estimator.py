"""Anomalous unit-weeks: a robust, seasonality-proof weekly detector with a cross-sectional check.

How a point's expected value and band are built (a *unit* is a region, or a team):

1. **Robust baseline.** The unit's baseline weeks ``B`` are its last ``window_weeks`` (13)
   weeks before ``t`` that were not themselves anomalous (``|score| >= exclude_z``), so a
   past anomaly never contaminates the baseline. The baseline level is pooled over ``B``
   (mean count or sum per week; pooled rate or mean amount).
2. **Cross-sectional check.** The baseline is scaled by the company-wide factor ``g`` of
   week ``t``: the *other* units' observed / expected value this week (plus one pseudo-event
   on each side, so a reference with no event cannot force the expectation to zero).
   Company-wide movements (holiday weeks, the quarter-end push, the annual wave and trend)
   move the reference as much as the unit, so they cancel: expected = baseline x ``g``.
3. **Residual under the sampling law.** Counts (leads): negative binomial (Poisson sampling
   plus the Gamma uncertainty of a baseline of ``S`` events); proportions (conversion):
   binomial, widened by the baseline rate's own variance; sums (won revenue): compound
   Poisson with the deal amounts' first three moments, approximated by a translated gamma;
   means (average deal value): the same for the mean of the week's deals. Discrete laws use
   the mid-p score ``Phi^-1(P(X < x) + P(X = x)/2)``.
4. **Overdispersion, robustly.** ``phi = max(1, (1.4826 * MAD(residuals of the last
   scale_weeks baseline weeks))^2)``; the robust z-score is ``z = residual / sqrt(phi)``.
5. **Segments and multiplicity.** Each unit-week is tested on its total and on each segment
   (a collapse confined to one segment is otherwise diluted); the unit-week's score is the
   most extreme series' z after a Bonferroni correction over the ``k`` series tested, so the
   false-alarm rate per unit-week stays at the nominal level of the sensitivity. A series'
   band uses the same adjusted threshold, so a row is flagged exactly when its value lies
   outside its band.

The detector follows the scikit-learn estimator contract (:class:`WeeklyAnomalyDetector`).
References: Leys et al. (2013), JESP 49(4) (MAD-based robust z); Lancaster (1961) (mid-p);
Seal (1977), Scand. Actuarial J. (translated gamma); Bonferroni correction for the segments.
The metrics and their definitions: :mod:`analytics.anomalies.metrics`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import binom, nbinom, norm
from scipy.stats import gamma as gamma_dist
from sklearn.base import BaseEstimator

from analytics.anomalies.laws import (
    Z_CAP,
    adjusted_threshold,
    amount_moments,
    binom_midp_z,
    discrete_band,
    nanmedian_last,
    nbinom_midp_z,
    tg_tails,
    translated_gamma,
    two_sided_z,
)
from analytics.anomalies.metrics import DEFAULT_SENSITIVITY, INPUT_COLUMNS, TOTAL

#: Lower band edge (in money) when zero revenue is anomalous but any deal at all is not.
ZERO_EDGE = 1.0
#: Sampling laws the detector knows (its ``kind`` parameter).
KINDS = ("count", "proportion", "sum", "mean")


class WeeklyAnomalyDetector(BaseEstimator):
    """Robust weekly baseline with a cross-sectional reference (scikit-learn contract).

    Parameters
    ----------
    kind
        ``count`` (leads), ``proportion`` (conversion), ``sum`` (won revenue) or ``mean``
        (average deal value); decides the sampling law of the residual (module docstring).
    sensitivity
        Robust z threshold for a flag (band half-width); larger flags less. Must be > 0.
    window_weeks
        Baseline weeks (the last non-anomalous weeks before the point). At least 2.
    min_history_weeks
        Fewest baseline weeks for a point to be scored; fewer gives NaN. 1..window_weeks.
    scale_weeks
        Weeks of past residuals whose MAD estimates the overdispersion. At least 2.
    exclude_z
        Unit-weeks whose score reaches this are left out of later baselines (independent of
        ``sensitivity``, so expected values do not move with the slider). Must be > 0.
    min_baseline_events
        Fewest events in a series' baseline for it to be scored: leads (count), wins
        (proportion) or deals (sum, mean). A rate or a deal size estimated from one or two
        events is too uncertain to call anything anomalous. 0 or more.
    ref_prior_events
        Pseudo-events added to the observed and the expected side of the company-wide factor
        (a Gamma prior centred on 1): a reference with no event this week shrinks towards 1
        instead of forcing the expectation to 0. 0 or more.
    cross_sectional
        Scale the baseline by the other units' movement in the same week.

    Input ``X``: a DataFrame with columns ``unit``, ``series``, ``week_start`` (Mondays),
    ``num``, ``den``, ``sq``, ``cu`` (see :func:`analytics.anomalies.panel.detector_input`); one row per unit, series
    and week. Missing weeks count as zero activity.

    Attributes (learned by :meth:`fit`)
    ----------
    units_, series_, weeks_
        The grid's axes (weeks dense from the first to the last week of ``X``).
    result_
        One row per (unit, series, week) with ``actual``, ``expected``, ``lower``,
        ``upper``, ``z`` (robust z), ``phi`` (overdispersion), ``ref_factor`` (company-wide
        factor ``g``), ``exposure`` (``den``), ``k`` (series tested that unit-week),
        ``score`` (the unit-week's adjusted score), ``n_baseline``.
    unit_scores_
        One row per (unit, week): ``score``, ``series`` (the most extreme one), ``k``,
        ``n_baseline``, ``flagged`` (``|score| >= sensitivity``), ``excluded``.
    baseline_weeks_
        ``(unit, week_start) -> tuple of week_start`` that formed the baseline.
    """

    def __init__(
        self,
        *,
        kind: str = "count",
        sensitivity: float = DEFAULT_SENSITIVITY,
        window_weeks: int = 13,
        min_history_weeks: int = 6,
        scale_weeks: int = 26,
        exclude_z: float = 3.0,
        min_baseline_events: int = 10,
        ref_prior_events: float = 1.0,
        cross_sectional: bool = True,
    ) -> None:
        self.kind = kind
        self.sensitivity = sensitivity
        self.window_weeks = window_weeks
        self.min_history_weeks = min_history_weeks
        self.scale_weeks = scale_weeks
        self.exclude_z = exclude_z
        self.min_baseline_events = min_baseline_events
        self.ref_prior_events = ref_prior_events
        self.cross_sectional = cross_sectional

    # -- validation --------------------------------------------------------------------
    def _validate_params(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind={self.kind!r} is not one of {', '.join(KINDS)}.")
        for name in ("sensitivity", "exclude_z"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value) or value <= 0:
                raise ValueError(f"{name}={value!r} must be a positive number (a robust z threshold, e.g. 3.0).")
        for name, lo in (("window_weeks", 2), ("scale_weeks", 2), ("min_history_weeks", 1), ("min_baseline_events", 0)):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < lo:
                raise ValueError(f"{name}={value!r} must be a whole number of weeks >= {lo}.")
        if self.min_history_weeks > self.window_weeks:
            raise ValueError(
                f"min_history_weeks={self.min_history_weeks!r} cannot exceed window_weeks={self.window_weeks!r}."
            )
        value = self.ref_prior_events
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value) or value < 0:
            raise ValueError(f"ref_prior_events={value!r} must be a number >= 0 (pseudo-events, e.g. 1).")
        if not isinstance(self.cross_sectional, (bool, np.bool_)):
            raise ValueError(f"cross_sectional={self.cross_sectional!r} must be True or False.")

    @staticmethod
    def _validate_input(X: pd.DataFrame) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            raise ValueError(
                f"X must be a DataFrame with unit, series, week_start, num, den, sq, cu; got {type(X).__name__}."
            )
        missing = [c for c in ("unit", "series", "week_start", *INPUT_COLUMNS) if c not in X.columns]
        if missing:
            raise ValueError(f"X lacks the column(s) {', '.join(missing)}.")
        X = X.copy()
        X["week_start"] = pd.to_datetime(X["week_start"])
        not_monday = X.loc[X["week_start"].dt.dayofweek != 0, "week_start"]
        if len(not_monday):
            raise ValueError(f"week_start {not_monday.iloc[0].date()} is not a Monday (weeks start on Monday).")
        for c in INPUT_COLUMNS:
            values = pd.to_numeric(X[c], errors="coerce").astype(float)
            bad = X.loc[~np.isfinite(values) | (values < 0), c]
            if len(bad):
                raise ValueError(f"{c}={bad.iloc[0]!r} is not a non-negative number.")
            X[c] = values
        if X.duplicated(["unit", "series", "week_start"]).any():
            dup = X.loc[X.duplicated(["unit", "series", "week_start"]), ["unit", "series", "week_start"]].iloc[0]
            raise ValueError(
                f"X has more than one row for unit {dup['unit']!r}, series {dup['series']!r}, "
                f"week {dup['week_start'].date()}."
            )
        return X

    # -- estimator API -----------------------------------------------------------------
    def fit(self, X: pd.DataFrame, y: object = None) -> WeeklyAnomalyDetector:
        """Learn every point's baseline, band and score from the panel ``X``; return self."""
        self._validate_params()
        X = self._validate_input(X)
        self.history_ = X
        self._run(X)
        return self

    def score(self, X: pd.DataFrame) -> np.ndarray:
        """Robust z-score of each row of ``X`` (one per row, like ``score_samples``; NaN where unscored).

        Rows are scored against the fitted history plus ``X`` itself (rows of ``X`` replace
        fitted rows with the same unit, series and week), so scoring the fitted panel
        reproduces :attr:`result_` and scoring a new week uses the fitted baseline.
        """
        return self._result_for(X)["z"].to_numpy()

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """-1 for rows outside their band (anomalous), 1 otherwise (scikit-learn's convention)."""
        res = self._result_for(X)
        out = (res["actual"] < res["lower"]) | (res["actual"] > res["upper"])
        return np.where(out.to_numpy(), -1, 1)

    def _result_for(self, X: pd.DataFrame) -> pd.DataFrame:
        if not hasattr(self, "result_"):
            raise ValueError("This WeeklyAnomalyDetector is not fitted yet; call fit(X) first.")
        X = self._validate_input(X)
        keys = ["unit", "series", "week_start"]
        if X.equals(self.history_):
            res = self.result_
        else:
            union = pd.concat([self.history_, X]).drop_duplicates(keys, keep="last")
            twin = WeeklyAnomalyDetector(**self.get_params())
            twin.history_ = union
            twin._run(union)
            res = twin.result_
        res = res.assign(week_start=pd.to_datetime(res["week_start"]))
        return X[keys].merge(res, on=keys, how="left")

    # -- the sequential pass -------------------------------------------------------------
    def _run(self, X: pd.DataFrame) -> None:
        units = sorted(X["unit"].astype(str).unique())
        series = sorted(X["series"].astype(str).unique(), key=lambda s: (s != TOTAL, s))
        weeks = (
            pd.date_range(X["week_start"].min(), X["week_start"].max(), freq="7D") if len(X) else pd.DatetimeIndex([])
        )
        self.units_, self.series_, self.weeks_ = units, series, [w.date() for w in weeks]
        shape = (len(units), len(series), len(weeks))
        arr = {c: np.zeros(shape) for c in INPUT_COLUMNS}
        if len(X):
            ui = pd.Categorical(X["unit"].astype(str), categories=units).codes
            gi = pd.Categorical(X["series"].astype(str), categories=series).codes
            ti = ((X["week_start"] - weeks[0]).dt.days // 7).to_numpy()
            for c in arr:
                arr[c][ui, gi, ti] = X[c].to_numpy()
        self._pass(arr)

    def _pass(self, arr: dict[str, np.ndarray]) -> None:
        """Walk the weeks in order: baseline from earlier non-excluded weeks, residual, scale, score."""
        U, G, T = arr["num"].shape
        ref = {c: a.sum(axis=0, keepdims=True) - a for c, a in arr.items()}
        series_on = (arr["num"] + arr["den"]).sum(axis=2) > 0
        active = (arr["num"] + arr["den"]).sum(axis=1) > 0
        names = ("expected", "e", "z", "phi", "ref_factor", "p1", "p2", "p3")
        out = {c: np.full((U, G, T), np.nan) for c in names}
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = self.kind in ("proportion", "mean")
            out["actual"] = np.where(series_on[:, :, None], arr["num"] / arr["den"] if ratio else arr["num"], np.nan)
        n_base = np.zeros((U, T), dtype=int)
        k_arr = np.zeros((U, T), dtype=int)
        score = np.full((U, T), np.nan)
        best = np.full((U, T), -1, dtype=int)
        excluded = np.zeros((U, T), dtype=bool)
        eligible: list[list[int]] = [[] for _ in range(U)]
        self._baseline_idx: dict[tuple[int, int], tuple[int, ...]] = {}
        for t in range(T):
            M = np.zeros((U, T))
            for u in range(U):
                b = eligible[u][-self.window_weeks :]
                M[u, b] = 1.0
                n_base[u, t] = len(b)
                self._baseline_idx[u, t] = tuple(b)
            s = {c: np.einsum("ugt,ut->ug", a, M) for c, a in arr.items()}
            rs = {c: np.einsum("ugt,ut->ug", a, M) for c, a in ref.items()}
            now = {c: a[:, :, t] for c, a in arr.items()}
            ref_now = {c: a[:, :, t] for c, a in ref.items()}
            events = s["num"] if self.kind in ("count", "proportion") else s["den"]
            ok = (n_base[:, t] >= self.min_history_weeks)[:, None] & series_on & (events >= self.min_baseline_events)
            nb = np.maximum(n_base[:, t], 1)[:, None].astype(float)
            with np.errstate(divide="ignore", invalid="ignore"):
                mu, g = self._expected(s, rs, ref_now, nb)
                e, params = self._residual(now, s, rs, mu, g, nb)
            e = np.where(ok & np.isfinite(e) & np.isfinite(mu), e, np.nan)
            phi = self._overdispersion(out["e"], eligible)
            z = e / np.sqrt(phi)
            for c, v in (
                ("e", e),
                ("z", z),
                ("phi", phi),
                ("expected", mu),
                ("ref_factor", g),
                ("p1", params[0]),
                ("p2", params[1]),
                ("p3", params[2]),
            ):
                out[c][:, :, t] = np.where(ok & (np.isfinite(e) | (c in ("expected", "ref_factor"))), v, np.nan)
            k = np.isfinite(z).sum(axis=1)
            j = np.where(np.isfinite(z), np.abs(z), -1.0).argmax(axis=1)
            zbest = z[np.arange(U), j]
            p_adj = np.minimum(1.0, 2 * norm.sf(np.abs(zbest)) * np.maximum(k, 1))
            sc = np.where(p_adj >= 1, 0.0, np.sign(zbest) * norm.isf(p_adj / 2))
            score[:, t] = np.where(k > 0, np.clip(sc, -Z_CAP, Z_CAP), np.nan)
            k_arr[:, t] = k
            best[:, t] = np.where(k > 0, j, -1)
            excluded[:, t] = (k > 0) & (np.abs(np.nan_to_num(score[:, t])) >= self.exclude_z)
            for u in range(U):
                if active[u, t] and not excluded[u, t]:
                    eligible[u].append(t)
        lower, upper = self._bands(out, arr["den"], k_arr)
        out["lower"], out["upper"] = lower, upper
        self._collect(out, arr["den"], n_base, k_arr, score, best, excluded)

    def _expected(
        self, s: dict[str, np.ndarray], rs: dict[str, np.ndarray], ref_now: dict[str, np.ndarray], nb: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Expected value and company-wide factor ``g`` (1 where no reference is available).

        ``g`` = the other units' observed / expected events this week, each side plus
        ``ref_prior_events`` pseudo-events, so a sparse reference (no win at all in one segment
        company-wide) is shrunk towards 1 instead of setting the expectation to 0.
        """
        k = float(self.ref_prior_events)
        if self.kind == "proportion":
            own = np.where(s["num"] > 0, s["num"], 0.5) / s["den"]
            expected_ref = ref_now["den"] * rs["num"] / rs["den"]  # wins the others would have at baseline rates
            g = (ref_now["num"] + k) / (expected_ref + k)
        elif self.kind == "mean":
            own = s["num"] / s["den"]
            ref_mean = rs["num"] / rs["den"]
            g = (ref_now["num"] / ref_mean + k) / (ref_now["den"] + k)  # deals' worth at baseline means
        elif self.kind == "count":
            own = np.where(s["num"] > 0, s["num"], 0.5) / nb
            g = (ref_now["num"] + k) / (rs["num"] / nb + k)
        else:  # sum: pseudo-events are baseline-sized deals
            own = s["num"] / nb
            deal = rs["num"] / rs["den"]
            g = (ref_now["num"] + k * deal) / (rs["num"] / nb + k * deal)
        g = np.where(np.isfinite(g) & (g > 0) & bool(self.cross_sectional), g, 1.0)
        mu = own * g
        return (np.clip(mu, 0.0, 1.0) if self.kind == "proportion" else mu), g

    def _residual(
        self,
        now: dict[str, np.ndarray],
        s: dict[str, np.ndarray],
        rs: dict[str, np.ndarray],
        mu: np.ndarray,
        g: np.ndarray,
        nb: np.ndarray,
    ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Normal score of the week's value under its sampling law, and the law's parameters."""
        nan = np.full(mu.shape, np.nan)
        if self.kind == "count":
            # Poisson sampling; the baseline rate's Gamma(S + 1/2) uncertainty makes it negative binomial
            r = s["num"] + 0.5
            return nbinom_midp_z(now["num"], r, mu), (r, nan, nan)
        if self.kind == "proportion":
            # binomial sampling, widened by the variance of the baseline rate (beta-binomial variance)
            n = now["den"]
            own = mu / g
            base_var = g**2 * own * (1 - np.minimum(own, 1.0)) / s["den"]
            samp_var = mu * (1 - mu) / n
            infl = np.where(samp_var > 0, 1 + base_var / samp_var, 1.0)
            return binom_midp_z(now["num"], n, mu) / np.sqrt(infl), (n, infl, nan)
        m1, m2, m3 = amount_moments(s, rs)
        if self.kind == "sum":
            lam = mu / m1  # expected deals
            var = lam * m2 * (1 + g / nb)  # compound Poisson, plus the baseline mean's own variance
            skew = lam * m3 / var**1.5
            p0 = np.exp(-lam)  # no deal at all
            x = now["num"]
            cdf, sf = tg_tails(x, mu, var, skew)
            lower = np.where(x > 0, np.maximum(cdf, p0), 0.5 * p0)
            upper = np.where(x > 0, np.minimum(sf, 1 - p0), 1 - 0.5 * p0)
            return two_sided_z(x, mu, lower, upper), (var, skew, p0)
        # mean of the week's deals (amounts scaled by g)
        n = now["den"]
        amp2 = g**2 * (m2 - m1**2)
        amp3 = g**3 * (m3 - 3 * m1 * m2 + 2 * m1**3)
        var = amp2 / n + amp2 / s["den"]
        skew = amp3 / (np.sqrt(amp2) ** 3 * np.sqrt(n))
        x = now["num"] / n
        e = two_sided_z(x, mu, *tg_tails(x, mu, var, skew))
        return np.where(n > 0, e, np.nan), (var, skew, nan)

    def _overdispersion(self, e_hist: np.ndarray, eligible: list[list[int]]) -> np.ndarray:
        """``max(1, (1.4826 MAD)^2)`` of each series' residuals over its last scale_weeks baseline weeks."""
        U, S = e_hist.shape[0], self.scale_weeks
        idx = np.full((U, S), -1)
        for u in range(U):
            past = eligible[u][-S:]
            if past:
                idx[u, S - len(past) :] = past
        ep = np.where(idx[:, None, :] >= 0, np.take_along_axis(e_hist, np.maximum(idx, 0)[:, None, :], axis=2), np.nan)
        med = nanmedian_last(ep)
        mad = nanmedian_last(np.abs(ep - med[:, :, None]))
        n_ok = np.isfinite(ep).sum(axis=2)
        return np.where((n_ok >= 4) & np.isfinite(mad), np.maximum(1.0, (1.4826 * mad) ** 2), 1.0)

    def _bands(self, out: dict[str, np.ndarray], den: np.ndarray, k_arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Band at the multiplicity-adjusted threshold, in the metric's units (flagged iff outside)."""
        mu = out["expected"]
        width = adjusted_threshold(self.sensitivity, k_arr)[:, None, :] * np.sqrt(out["phi"])
        ok = np.isfinite(mu) & np.isfinite(width) & np.isfinite(out["p1"])
        lower, upper = np.full(mu.shape, np.nan), np.full(mu.shape, np.nan)
        if not ok.any():
            return lower, upper
        m, w = mu[ok], width[ok]
        p1, p2, p3 = out["p1"][ok], out["p2"][ok], out["p3"][ok]
        with np.errstate(all="ignore"):
            if self.kind == "count":
                lo, hi = discrete_band(nbinom, norm.sf(w), p1, p1 / (p1 + m))
            elif self.kind == "proportion":
                lo, hi = discrete_band(binom, norm.sf(w * np.sqrt(p2)), p1, m)
                lo, hi = lo / p1, hi / p1
            else:
                alpha = norm.sf(w)
                shape, scale, shift = translated_gamma(m, p1, p2)
                lo = shift + scale * gamma_dist.ppf(alpha, shape)
                shape, scale, shift = translated_gamma(m, p1, p2, cap=False)
                hi = shift + scale * gamma_dist.isf(alpha, shape)
                if self.kind == "sum":
                    # revenue 0 has probability p0 (no deal): inside the band while p0/2 >= alpha; a
                    # positive amount x is flagged low only when max(TG cdf(x), p0) < alpha
                    lo = np.where(0.5 * p3 >= alpha, 0.0, np.maximum(ZERO_EDGE, np.where(p3 < alpha, lo, 0.0)))
        lower[ok] = np.maximum(lo, 0.0)
        upper[ok] = hi
        return lower, upper

    def _collect(
        self,
        out: dict[str, np.ndarray],
        den: np.ndarray,
        n_base: np.ndarray,
        k_arr: np.ndarray,
        score: np.ndarray,
        best: np.ndarray,
        excluded: np.ndarray,
    ) -> None:
        U, G, T = out["z"].shape
        uu, gg, tt = (a.ravel() for a in np.meshgrid(np.arange(U), np.arange(G), np.arange(T), indexing="ij"))
        weeks = np.array(self.weeks_, dtype=object)
        res = pd.DataFrame(
            {
                "unit": np.array(self.units_, dtype=object)[uu],
                "series": np.array(self.series_, dtype=object)[gg],
                "week_start": weeks[tt] if T else np.array([], dtype=object),
                **{c: out[c].ravel() for c in ("actual", "expected", "lower", "upper", "z", "phi", "ref_factor")},
                "exposure": den.ravel(),
                "k": k_arr[uu, tt],
                "score": score[uu, tt],
                "n_baseline": n_base[uu, tt],
            }
        )
        self.result_ = res[res["actual"].notna() | res["expected"].notna()].reset_index(drop=True)
        us, ts = (a.ravel() for a in np.meshgrid(np.arange(U), np.arange(T), indexing="ij"))
        sc = score.ravel()
        self.unit_scores_ = pd.DataFrame(
            {
                "unit": np.array(self.units_, dtype=object)[us],
                "week_start": weeks[ts] if T else np.array([], dtype=object),
                "score": sc,
                "series": [self.series_[j] if j >= 0 else None for j in best.ravel()],
                "k": k_arr.ravel(),
                "n_baseline": n_base.ravel(),
                "flagged": np.abs(np.nan_to_num(sc)) >= self.sensitivity,
                "excluded": excluded.ravel(),
            }
        )
        self.baseline_weeks_ = {
            (self.units_[u], self.weeks_[t]): tuple(self.weeks_[b] for b in idx)
            for (u, t), idx in self._baseline_idx.items()
        }
