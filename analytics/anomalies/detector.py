"""Anomalous region-weeks: a robust, seasonality-proof weekly detector with a cross-sectional check.

Definitions (docs/methods/anomalies.md, docs/glossary.md):

- *week*: an ISO week; ``week_start`` is its Monday.
- *leads*: leads created in the week.
- *conversion rate*: won / closed among leads closed (won or lost) in the week (by
  ``closed_at``), as on the Overview page. Open leads are not in the denominator.
- *won revenue*: ``deals.amount`` signed in the week (by ``signed_at``; new, renewal and
  upsell), CNY.
- *average deal value*: won revenue / number of deals signed in the week, CNY.

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
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binom, nbinom, norm
from scipy.stats import gamma as gamma_dist
from sklearn.base import BaseEstimator

from analytics.access import Scope
from analytics.filters import Filters, where
from analytics.periods import iso_week_label
from analytics.store import Store

#: Series label of a unit's total (all segments together).
TOTAL = "*"
#: Stored segment label for rows without a segment.
NO_SEGMENT = "(none)"
#: Unit columns by level (fixed names; never user input).
LEVEL_COLUMNS = {"region": "region_id", "team": "team_id"}
#: Columns of :func:`weekly_panel` that hold weekly aggregates.
PANEL_VALUES = ("leads", "closed", "won", "deals", "won_revenue", "won_revenue_sq", "won_revenue_cu", "new_revenue")
#: Residuals are clipped to this many standard deviations (a tail probability underflows beyond).
Z_CAP = 50.0
#: Default robust z threshold (the CLI's ``--sensitivity``).
DEFAULT_SENSITIVITY = 3.0
#: Lower band edge (CNY) when zero revenue is anomalous but any deal at all is not.
ZERO_EDGE = 1.0
_KINDS = ("count", "proportion", "sum", "mean")
_EARLIEST = date(1970, 1, 1)


@dataclass(frozen=True)
class Metric:
    """How one weekly metric is read from the panel and modelled.

    ``kind``: ``count`` (Poisson), ``proportion`` (binomial ``num / den``), ``sum``
    (compound Poisson, ``sq`` holds the sum of squared amounts) or ``mean`` (``num / den``
    with ``sq`` for the variance). ``unit`` says how values are shown: count, rate or money.
    """

    name: str
    kind: str
    num: str
    den: str | None
    sq: str | None
    cu: str | None
    unit: str
    label: str


METRICS: dict[str, Metric] = {
    "won_revenue": Metric(
        "won_revenue", "sum", "won_revenue", "deals", "won_revenue_sq", "won_revenue_cu", "money", "won revenue"
    ),
    "conversion_rate": Metric("conversion_rate", "proportion", "won", "closed", None, None, "rate", "conversion rate"),
    "leads": Metric("leads", "count", "leads", None, None, None, "count", "leads"),
    "avg_deal_value": Metric(
        "avg_deal_value",
        "mean",
        "won_revenue",
        "deals",
        "won_revenue_sq",
        "won_revenue_cu",
        "money",
        "average deal value",
    ),
}
DEFAULT_METRIC = "won_revenue"


def metric_spec(name: str) -> Metric:
    """The :class:`Metric` called ``name``; ValueError naming the choices otherwise."""
    if name not in METRICS:
        raise ValueError(f"Unknown metric '{name}'; choose one of {', '.join(METRICS)}.")
    return METRICS[name]


def level_column(level: str) -> str:
    """The unit column for ``region`` or ``team``; ValueError otherwise."""
    if level not in LEVEL_COLUMNS:
        raise ValueError(f"Unknown level '{level}'; choose region or team.")
    return LEVEL_COLUMNS[level]


# -- data ------------------------------------------------------------------------------


def weekly_panel(store: Store, filters: Filters, scope: Scope, *, level: str = "region") -> pd.DataFrame:
    """Weekly aggregates per unit and segment, from the first data week to the filter's end.

    Grain: one row per (``unit``, ``segment``, ``week_start``) that has any activity. The
    history before ``filters.start`` is always included (the baseline needs it), so a week's
    result never depends on the chosen period. The segment filter restricts the rows; region
    and team selections do not (they choose what is *reported*, while the cross-sectional
    reference uses every unit the scope can see).

    Columns: ``unit`` (region_id or team_id), ``segment`` (NULL -> ``(none)``),
    ``week_start`` (Monday, ``datetime.date``), ``leads`` (created), ``closed``, ``won``
    (by close date), ``deals``, ``won_revenue``, ``won_revenue_sq`` / ``won_revenue_cu``
    (sums of squared / cubed amounts), ``new_revenue`` (deal_type ``new`` only), all by
    signed date.
    """
    col = level_column(level)
    history = filters.shifted_to(_EARLIEST, filters.end)
    w_created, p_created = where(history, scope, "created_at", dims=("segment",))
    w_closed, p_closed = where(history, scope, "closed_at", dims=("segment",))
    w_signed, p_signed = where(history, scope, "signed_at", dims=("segment",))
    seg = f"coalesce(segment, '{NO_SEGMENT}')"
    df = store.query(
        f"""WITH created AS (
                SELECT {col} AS unit, {seg} AS segment, date_trunc('week', created_at)::DATE AS week_start,
                       count(*) AS leads
                FROM v_leads WHERE {w_created} GROUP BY ALL),
            closed AS (
                SELECT {col} AS unit, {seg} AS segment, date_trunc('week', closed_at)::DATE AS week_start,
                       count(*) AS closed, count(*) FILTER (WHERE status = 'won') AS won
                FROM v_leads WHERE status <> 'open' AND {w_closed} GROUP BY ALL),
            signed AS (
                SELECT {col} AS unit, {seg} AS segment, date_trunc('week', signed_at)::DATE AS week_start,
                       count(*) AS deals, sum(amount)::DOUBLE AS won_revenue,
                       sum(amount::DOUBLE * amount::DOUBLE) AS won_revenue_sq,
                       sum(amount::DOUBLE * amount::DOUBLE * amount::DOUBLE) AS won_revenue_cu,
                       coalesce(sum(amount) FILTER (WHERE deal_type = 'new'), 0)::DOUBLE AS new_revenue
                FROM v_deals WHERE {w_signed} GROUP BY ALL)
            SELECT unit, segment, week_start,
                   coalesce(leads, 0) AS leads, coalesce(closed, 0) AS closed, coalesce(won, 0) AS won,
                   coalesce(deals, 0) AS deals, coalesce(won_revenue, 0)::DOUBLE AS won_revenue,
                   coalesce(won_revenue_sq, 0)::DOUBLE AS won_revenue_sq,
                   coalesce(won_revenue_cu, 0)::DOUBLE AS won_revenue_cu,
                   coalesce(new_revenue, 0)::DOUBLE AS new_revenue
            FROM created FULL JOIN closed USING (unit, segment, week_start)
                 FULL JOIN signed USING (unit, segment, week_start)
            WHERE unit IS NOT NULL
            ORDER BY unit, segment, week_start""",  # noqa: S608 - fixed column names and bound predicates
        [*p_created, *p_closed, *p_signed],
    )
    df["week_start"] = pd.to_datetime(df["week_start"]).dt.date
    for c in ("leads", "closed", "won", "deals"):
        df[c] = df[c].astype("int64")
    return df


def detector_input(panel: pd.DataFrame, metric: str, *, by_segment: bool = True) -> pd.DataFrame:
    """Long input of :class:`WeeklyAnomalyDetector` for one metric.

    Grain: one row per (``unit``, ``series``, ``week_start``); ``series`` is ``*`` for the
    unit's total and the segment otherwise (only when ``by_segment`` and the panel has more
    than one segment). Columns ``num``, ``den`` (1 for counts), ``sq``, ``cu`` (0 when the
    metric has no amounts).
    """
    spec = metric_spec(metric)
    base = panel[["unit", "segment", "week_start"]].copy()
    base["num"] = panel[spec.num].astype(float).to_numpy()
    base["den"] = panel[spec.den].astype(float).to_numpy() if spec.den else 1.0
    base["sq"] = panel[spec.sq].astype(float).to_numpy() if spec.sq else 0.0
    base["cu"] = panel[spec.cu].astype(float).to_numpy() if spec.cu else 0.0
    total = base.groupby(["unit", "week_start"], as_index=False)[list(INPUT_COLUMNS)].sum()
    total["series"] = TOTAL
    parts = [total]
    if by_segment and panel["segment"].nunique() > 1:
        parts.append(base.rename(columns={"segment": "series"}))
    out = pd.concat(parts, ignore_index=True)
    return out[["unit", "series", "week_start", *INPUT_COLUMNS]]


# -- the detector ----------------------------------------------------------------------

#: Per-row input columns of the detector.
INPUT_COLUMNS = ("num", "den", "sq", "cu")


def _midp_z(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Normal score of a mid-p tail pair (``lower + upper = 1``), precise in both tails."""
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(lower < upper, norm.ppf(lower), norm.isf(upper))
    return np.clip(z, -Z_CAP, Z_CAP)


def nbinom_midp_z(x: np.ndarray, size: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Mid-p normal score ``Phi^-1(P(X < x) + P(X = x)/2)``, X negative binomial (mean mu, shape size)."""
    p = size / (size + mu)
    f = nbinom.pmf(x, size, p)
    return _midp_z(nbinom.cdf(x - 1, size, p) + 0.5 * f, nbinom.sf(x, size, p) + 0.5 * f)


def binom_midp_z(x: np.ndarray, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Mid-p normal score for X ~ Binomial(n, p) (NaN where n is 0)."""
    p = np.clip(p, 0.0, 1.0)
    f = binom.pmf(x, n, p)
    z = _midp_z(binom.cdf(x - 1, n, p) + 0.5 * f, binom.sf(x, n, p) + 0.5 * f)
    return np.where(n > 0, z, np.nan)


def _discrete_band(dist: Any, alpha: np.ndarray, *args: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Smallest / largest integer whose mid-p stays inside ``[alpha, 1 - alpha]``."""

    def midp(k: np.ndarray) -> np.ndarray:
        return dist.cdf(k - 1, *args) + 0.5 * dist.pmf(k, *args)

    k0 = dist.ppf(alpha, *args)
    lower = np.where(midp(k0) >= alpha, k0, k0 + 1)
    k1 = dist.ppf(1 - alpha, *args)
    upper = np.where(midp(k1) <= 1 - alpha, k1, k1 - 1)
    return lower, upper


def _nanmedian_last(a: np.ndarray) -> np.ndarray:
    """Median over the last axis ignoring NaN (NaN where a row has none); fast for small rows."""
    srt = np.sort(a, axis=-1)  # NaN sort last
    n = np.isfinite(a).sum(axis=-1)
    lo = np.take_along_axis(srt, np.maximum((n - 1) // 2, 0)[..., None], axis=-1)[..., 0]
    hi = np.take_along_axis(srt, np.maximum(n // 2, 0)[..., None], axis=-1)[..., 0]
    return np.where(n > 0, (lo + hi) / 2, np.nan)


def _amount_moments(s: dict[str, np.ndarray], rs: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
    """Raw moments ``(m1, m2, m3)`` of one deal's amount for each series.

    The level ``m1`` is the series' own baseline mean; the *shape* (coefficient of variation
    and skewness) is pooled over every unit's deals of the same series in the same weeks, so a
    baseline with one or two deals still gets a sensible spread.
    """
    m1 = s["num"] / s["den"]
    n0 = s["den"] + rs["den"]
    a1, a2, a3 = ((s[c] + rs[c]) / n0 for c in ("num", "sq", "cu"))
    var = np.maximum(a2 - a1**2, 0.0)
    cv2 = var / a1**2
    skew = (a3 - 3 * a1 * a2 + 2 * a1**3) / np.where(var > 0, var, np.nan) ** 1.5
    sd = np.sqrt(cv2) * m1
    m2 = sd**2 + m1**2
    m3 = skew * sd**3 + 3 * m1 * m2 - 2 * m1**3
    return m1, m2, m3


def translated_gamma(
    mu: np.ndarray, var: np.ndarray, skew: np.ndarray, *, cap: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(shape, scale, shift)`` of the gamma matching mean, variance and skewness.

    X ~ shift + Gamma(shape, scale) with shape = 4/skew^2, scale = skew*sd/2, shift = mu - 2 sd/skew
    (the translated gamma approximation of actuarial science, Seal 1977). With ``cap`` the
    skewness is capped at 2 x the coefficient of variation, which keeps the shift <= 0: the
    lower tail then has no impossible lower bound above zero for very heavy-tailed amounts.
    The detector uses the capped fit for the lower tail and the uncapped one (the full
    skewness) for the upper tail. The skewness is floored at 1e-3 (then nearly normal).
    """
    sd = np.sqrt(var)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.minimum(skew, 2 * sd / mu) if cap else skew
        g = np.clip(g, 1e-3, None)
        return 4 / g**2, g * sd / 2, mu - 2 * sd / g


def _tg_tails(x: np.ndarray, mu: np.ndarray, var: np.ndarray, skew: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(P(X <= x), P(X >= x))``: lower tail from the capped fit, upper tail from the full-skew fit."""
    shape, scale, shift = translated_gamma(mu, var, skew)
    lower = gamma_dist.cdf((x - shift) / scale, shape)
    shape, scale, shift = translated_gamma(mu, var, skew, cap=False)
    upper = gamma_dist.sf((x - shift) / scale, shape)
    return lower, upper


def _two_sided_z(x: np.ndarray, mu: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Normal score from the tail on the side of ``mu`` that ``x`` lies on."""
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(x >= mu, norm.isf(upper), norm.ppf(lower))
    return np.clip(z, -Z_CAP, Z_CAP)


def adjusted_threshold(sensitivity: float, k: np.ndarray | int) -> np.ndarray:
    """Per-series z threshold when ``k`` series share one unit-week (Bonferroni)."""
    k = np.maximum(np.asarray(k, dtype=float), 1.0)
    return norm.isf(norm.sf(sensitivity) / k)


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
    ``num``, ``den``, ``sq``, ``cu`` (see :func:`detector_input`); one row per unit, series
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
        if self.kind not in _KINDS:
            raise ValueError(f"kind={self.kind!r} is not one of {', '.join(_KINDS)}.")
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
        m1, m2, m3 = _amount_moments(s, rs)
        if self.kind == "sum":
            lam = mu / m1  # expected deals
            var = lam * m2 * (1 + g / nb)  # compound Poisson, plus the baseline mean's own variance
            skew = lam * m3 / var**1.5
            p0 = np.exp(-lam)  # no deal at all
            x = now["num"]
            cdf, sf = _tg_tails(x, mu, var, skew)
            lower = np.where(x > 0, np.maximum(cdf, p0), 0.5 * p0)
            upper = np.where(x > 0, np.minimum(sf, 1 - p0), 1 - 0.5 * p0)
            return _two_sided_z(x, mu, lower, upper), (var, skew, p0)
        # mean of the week's deals (amounts scaled by g)
        n = now["den"]
        amp2 = g**2 * (m2 - m1**2)
        amp3 = g**3 * (m3 - 3 * m1 * m2 + 2 * m1**3)
        var = amp2 / n + amp2 / s["den"]
        skew = amp3 / (np.sqrt(amp2) ** 3 * np.sqrt(n))
        x = now["num"] / n
        e = _two_sided_z(x, mu, *_tg_tails(x, mu, var, skew))
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
        med = _nanmedian_last(ep)
        mad = _nanmedian_last(np.abs(ep - med[:, :, None]))
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
                lo, hi = _discrete_band(nbinom, norm.sf(w), p1, p1 / (p1 + m))
            elif self.kind == "proportion":
                lo, hi = _discrete_band(binom, norm.sf(w * np.sqrt(p2)), p1, m)
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


# -- the product-level analysis -----------------------------------------------------------


@dataclass(frozen=True)
class Note:
    """A user-facing message: English template and parameters (the page translates it)."""

    template: str
    params: dict[str, object] = field(default_factory=dict)

    def english(self) -> str:
        """The message in English (for the CLI)."""
        return self.template.format(**self.params)


@dataclass(frozen=True)
class Detection:
    """What :func:`detect` found for one metric.

    ``anomalies``: one row per flagged unit-week inside the period, most severe first:
    ``unit``, ``week_start``, ``week_label`` (``2025-W32``), ``metric``, ``series`` (``*`` or
    the segment whose band was crossed), ``direction`` (down / up), ``actual``,
    ``expected``, ``lower``, ``upper`` (of that series), ``score`` (adjusted robust z),
    ``money_at_stake`` (CNY, ``expected - actual`` in money terms; NaN for leads without
    revenue history), ``top_driver`` (``segment:term`` of the largest contribution in the
    direction of the change, see :mod:`analytics.explain`), ``top_driver_share``.

    ``series``: one row per (unit, series, week) inside the period, for charts (columns as
    :attr:`WeeklyAnomalyDetector.result_` plus ``flagged``). ``notes``: messages such as a
    too-short history. ``scored_weeks``: unit-weeks inside the period that had a score.
    """

    metric: str
    level: str
    sensitivity: float
    anomalies: pd.DataFrame
    series: pd.DataFrame
    notes: tuple[Note, ...]
    scored_weeks: int


ANOMALY_COLUMNS = [
    "unit",
    "week_start",
    "week_label",
    "metric",
    "series",
    "direction",
    "actual",
    "expected",
    "lower",
    "upper",
    "score",
    "money_at_stake",
    "top_driver",
    "top_driver_share",
]


def fit_detector(
    panel: pd.DataFrame,
    metric: str = DEFAULT_METRIC,
    *,
    sensitivity: float = DEFAULT_SENSITIVITY,
    by_segment: bool = True,
    **params: Any,
) -> WeeklyAnomalyDetector:
    """A :class:`WeeklyAnomalyDetector` fitted on one metric of a :func:`weekly_panel`."""
    spec = metric_spec(metric)
    det = WeeklyAnomalyDetector(kind=spec.kind, sensitivity=sensitivity, **params)
    return det.fit(detector_input(panel, metric, by_segment=by_segment))


def detect(
    panel: pd.DataFrame,
    filters: Filters,
    *,
    metric: str = DEFAULT_METRIC,
    level: str = "region",
    sensitivity: float = DEFAULT_SENSITIVITY,
    by_segment: bool = True,
    **params: Any,
) -> Detection:
    """Flag unit-weeks of ``panel`` inside ``filters``' period (and region/team selection).

    Parameters
    ----------
    panel
        :func:`weekly_panel` for the same filters, scope and level.
    filters
        The period to report and the units to list (``region_ids`` for regions,
        ``team_ids`` for teams).
    metric
        ``won_revenue`` (default), ``conversion_rate``, ``leads`` or ``avg_deal_value``.
    sensitivity
        Robust z threshold (default 3.0); lower flags more.
    by_segment
        Also test each segment's series (Bonferroni-adjusted), see the module docstring.
    params
        Detector parameters (``window_weeks``, ``min_history_weeks``, ...).
    """
    from analytics.anomalies import explain

    spec = metric_spec(metric)
    level_column(level)
    if not np.isfinite(sensitivity) or sensitivity <= 0:
        raise ValueError(f"sensitivity {sensitivity!r} must be a positive number such as 3.0.")
    notes: list[Note] = []
    empty = pd.DataFrame(columns=ANOMALY_COLUMNS)
    if panel.empty:
        notes.append(Note("No leads or deals in the selection; nothing to check."))
        return Detection(metric, level, sensitivity, empty, pd.DataFrame(), tuple(notes), 0)
    det = fit_detector(panel, metric, sensitivity=sensitivity, by_segment=by_segment, **params)
    chosen = filters.region_ids if level == "region" else filters.team_ids
    in_period = [w for w in det.weeks_ if filters.start - timedelta(days=6) <= w <= filters.end]
    us = det.unit_scores_
    us = us[us["week_start"].isin(in_period)]
    if chosen:
        us = us[us["unit"].isin(chosen)]
        missing = sorted(set(chosen) - set(det.units_))
        for u in missing:
            notes.append(Note("{unit} has no leads or deals in the selection.", {"unit": u}))
    scored = us[us["score"].notna()]
    if len(us) and scored.empty:
        notes.append(
            Note(
                "The history is too short for a baseline: each point needs at least {n} earlier weeks "
                "with activity. Choose a later period.",
                {"n": det.min_history_weeks},
            )
        )
    elif len(us) > len(scored):
        short = sorted(set(us.loc[us["score"].isna(), "unit"]) - set(scored["unit"]))
        for u in short:
            notes.append(Note("{unit} has too little history for a baseline in this period.", {"unit": u}))
    res = det.result_
    res = res[res["week_start"].isin(in_period) & (res["unit"].isin(us["unit"].unique()))].copy()
    flagged = scored[scored["flagged"]]
    res = res.merge(us[["unit", "week_start", "flagged"]], on=["unit", "week_start"], how="left")
    res["flagged"] = res["flagged"].fillna(False).astype(bool) & (
        (res["actual"] < res["lower"]) | (res["actual"] > res["upper"])
    )
    rows = []
    by_unit = dict(tuple(panel[panel["unit"].isin(flagged["unit"].unique())].groupby("unit")))
    indexed = res.set_index(["unit", "week_start", "series"]).sort_index()
    for rec in flagged.itertuples(index=False):
        if (rec.unit, rec.week_start, rec.series) not in indexed.index:
            continue
        r0 = indexed.loc[(rec.unit, rec.week_start, rec.series)]
        g = indexed.loc[(rec.unit, rec.week_start, TOTAL), "ref_factor"] if rec.series != TOTAL else r0["ref_factor"]
        unit_panel = by_unit[rec.unit]
        driver = explain.segment_driver(unit_panel, det, spec.name, rec.unit, rec.week_start, g=float(g))
        rows.append(
            {
                "unit": rec.unit,
                "week_start": rec.week_start,
                "week_label": iso_week_label(rec.week_start),
                "metric": spec.name,
                "series": rec.series,
                "direction": "down" if rec.score < 0 else "up",
                "actual": r0["actual"],
                "expected": r0["expected"],
                "lower": r0["lower"],
                "upper": r0["upper"],
                "score": rec.score,
                "money_at_stake": _money_at_stake(unit_panel, det, spec, rec.unit, rec.week_start, rec.series, r0),
                "top_driver": driver[0],
                "top_driver_share": driver[1],
            }
        )
    anomalies = pd.DataFrame(rows, columns=ANOMALY_COLUMNS)
    if len(anomalies):
        anomalies["_sev"] = anomalies["score"].abs()
        anomalies["_money"] = anomalies["money_at_stake"].abs().fillna(0)
        anomalies = anomalies.sort_values(["_sev", "_money"], ascending=False).drop(columns=["_sev", "_money"])
        anomalies = anomalies.reset_index(drop=True)
    return Detection(spec.name, level, sensitivity, anomalies, res.reset_index(drop=True), tuple(notes), len(scored))


def _money_at_stake(
    panel: pd.DataFrame, det: WeeklyAnomalyDetector, spec: Metric, unit: str, week: date, series: str, row: pd.Series
) -> float:
    """``expected - actual`` in CNY: revenue directly, or lost units x the baseline value per unit."""
    gap = float(row["expected"] - row["actual"])
    if spec.name == "won_revenue":
        return gap
    base = det.baseline_weeks_.get((unit, week), ())
    sub = panel[(panel["unit"] == unit) & panel["week_start"].isin(base)]
    if series != TOTAL:
        sub = sub[sub["segment"] == series]
    this = panel[(panel["unit"] == unit) & (panel["week_start"] == week)]
    if series != TOTAL:
        this = this[this["segment"] == series]
    revenue = float(sub["won_revenue"].sum())
    if spec.name == "conversion_rate":
        per_win = revenue / sub["won"].sum() if sub["won"].sum() else np.nan
        return gap * float(this["closed"].sum()) * per_win
    if spec.name == "leads":
        return gap * (revenue / sub["leads"].sum()) if sub["leads"].sum() else np.nan
    return gap * float(this["deals"].sum())  # avg_deal_value


def find_anomalies(
    store: Store,
    filters: Filters,
    scope: Scope,
    *,
    metric: str = DEFAULT_METRIC,
    level: str = "region",
    sensitivity: float = DEFAULT_SENSITIVITY,
    by_segment: bool = True,
) -> Detection:
    """:func:`weekly_panel` + :func:`detect` in one call (the CLI and the benchmark use it)."""
    panel = weekly_panel(store, filters, scope, level=level)
    return detect(panel, filters, metric=metric, level=level, sensitivity=sensitivity, by_segment=by_segment)


# -- CLI ---------------------------------------------------------------------------------


def _cmd_anomalies(args: argparse.Namespace) -> int:
    from analytics.cli.common import UserError, cli_scope, emit, filters_from_args, open_store

    store = open_store(args.db)
    filters = filters_from_args(args, store)
    if args.metric not in METRICS:
        raise UserError(f"--metric '{args.metric}' is not known; choose one of {', '.join(METRICS)}.")
    if not np.isfinite(args.sensitivity) or args.sensitivity <= 0:
        raise UserError(f"--sensitivity {args.sensitivity} must be a positive number such as 3.0.")
    result = find_anomalies(
        store,
        filters,
        cli_scope(args),
        metric=args.metric,
        level=args.level,
        sensitivity=args.sensitivity,
        by_segment=not args.total_only,
    )
    for note in result.notes:
        print(f"note: {note.english()}", file=sys.stderr)
    out = result.anomalies.rename(columns={"unit": args.level})
    cols = [
        args.level,
        "week_start",
        "metric",
        "actual",
        "expected",
        "lower",
        "upper",
        "score",
        "top_driver",
        "week_label",
        "series",
        "direction",
        "money_at_stake",
        "top_driver_share",
    ]
    emit(out[cols], args.format, args.out)
    return 0


def _cmd_explain(args: argparse.Namespace) -> int:
    from analytics.anomalies import explain
    from analytics.cli.common import UserError, _parse_date, cli_scope, emit, filters_from_args, open_store

    store = open_store(args.db)
    if bool(args.region) == bool(args.team):
        raise UserError("Give exactly one of --region R or --team T.")
    level, unit = ("region", args.region) if args.region else ("team", args.team)
    week = _parse_date(args.week, "--week")
    if args.metric not in METRICS:
        raise UserError(f"--metric '{args.metric}' is not known; choose one of {', '.join(METRICS)}.")
    args.region = args.team = ""
    filters = filters_from_args(args, store)
    try:
        result = explain.explain(
            store,
            filters,
            cli_scope(args),
            unit=unit,
            week=week,
            metric=args.metric,
            level=level,
            sensitivity=args.sensitivity,
        )
    except explain.ExplainError as exc:
        raise UserError(str(exc)) from exc
    emit(result.to_dict(), "json", args.out)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``anomalies`` and ``explain`` commands."""
    from analytics.cli.common import add_db, add_filters, add_format

    p = sub.add_parser("anomalies", help="flag region-weeks whose metric left its expected band")
    add_db(p)
    add_filters(p)
    add_format(p)
    p.add_argument("--metric", default=DEFAULT_METRIC, help=f"one of {', '.join(METRICS)} (default {DEFAULT_METRIC})")
    p.add_argument(
        "--sensitivity",
        type=float,
        default=DEFAULT_SENSITIVITY,
        help="robust z threshold; lower flags more (default 3.0)",
    )
    p.add_argument("--level", choices=tuple(LEVEL_COLUMNS), default="region", help="watch regions or teams")
    p.add_argument("--total-only", action="store_true", help="test only each unit's total, not its segments")
    p.set_defaults(func=_cmd_anomalies)

    p = sub.add_parser("explain", help="decompose one region-week's change into segment / source / rep terms")
    add_db(p)
    p.add_argument("--region", default="", help="region id (or use --team)")
    p.add_argument("--team", default="", help="team id, to explain a team-week")
    p.add_argument("--week", required=True, help="any day of the week (YYYY-MM-DD); the Monday is used")
    p.add_argument("--metric", default=DEFAULT_METRIC, help=f"one of {', '.join(METRICS)} (default {DEFAULT_METRIC})")
    p.add_argument(
        "--sensitivity", type=float, default=DEFAULT_SENSITIVITY, help="band width in robust z (default 3.0)"
    )
    p.add_argument("--segment", default="", help="comma-separated segments to restrict the data to")
    p.add_argument("--format", choices=("json",), default="json", help="output format (json)")
    p.add_argument("--out", help="write the result to this file instead of stdout")
    p.set_defaults(func=_cmd_explain, date_from=None, date_to=None, quarter=None)
