"""Shift-share (Shapley) decomposition of one unit-week's change into mix, rate, value and volume terms.

**What is decomposed.** The gap between the week's actual value and the detector's
expected value (:mod:`analytics.anomalies`). The expected value is the unit's pooled
baseline over its baseline weeks ``B`` scaled by the company-wide factor ``g`` of that week,
so the decomposition's baseline adds up to exactly the detector's expected value, and its
terms add up to exactly ``actual - expected``.

Each metric is a sum over keys ``k`` (segments, lead sources or reps) of a product of factors:

- conversion rate ``C = sum_k m_k c_k`` (``m_k`` share of the closed leads, ``c_k``
  won / closed): terms **mix** and **rate**; the baseline rate is ``g c0_k``.
- won revenue ``R = sum_k N m_k c_k v_k + o_k`` (``N`` closed leads, ``v_k`` new-deal
  revenue per win, ``o_k`` renewals, upsells and new deals not matched to a win closed that
  week): terms **volume** (``N``, reported once for all keys), **mix**, **rate**, **value**
  and **other**; the baseline volume and other revenue are scaled by ``g``.
- leads ``L = sum_k L_k``: one **volume** term per key, baseline ``g L0_k``.
- average deal value ``A = sum_k w_k a_k`` (``w_k`` share of deals, ``a_k`` average
  value): terms **mix** and **value**; the baseline value is ``g a0_k``.

**Which variant.** The symmetric (Shapley) decomposition: each factor's term is the average
of its effect over every order in which the factors can be changed from baseline to current.
For two factors this is Kitagawa's midpoint formula,
``mix_k = (m_k - m0_k)(c_k + c0_k)/2`` and ``rate_k = (c_k - c0_k)(m_k + m0_k)/2``. It is
exact (no residual or interaction term) and does not depend on an arbitrary order, unlike
"mix at baseline rates, rate at current mix", whose split changes when the roles are swapped.
References: Kitagawa (1955), JASA 50:1168-1194; Das Gupta (1993), *Standardization and
Decomposition of Rates*, US Census Bureau P23-186; Shorrocks (2013), J. Econ. Inequality 11:99-126.

Undefined factors (a rate with no closed leads) take the other side's value, so they add
nothing; their key's volume or mix term carries the whole change, and the sum stays exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import combinations
from math import factorial

import numpy as np
import pandas as pd

from analytics.anomalies.estimator import WeeklyAnomalyDetector
from analytics.anomalies.metrics import TOTAL, metric_spec

#: Factor names per metric, in product order.
FACTORS = {
    "conversion_rate": ("mix", "rate"),
    "won_revenue": ("volume", "mix", "rate", "value"),
    "leads": ("volume",),
    "avg_deal_value": ("mix", "value"),
}
#: How each term's before/after values are shown.
TERM_UNITS = {"volume": "count", "mix": "rate", "rate": "rate", "value": "money", "other": "money"}
DECOMPOSITION_COLUMNS = ["dimension", "key", "term", "contribution", "share", "before", "after", "value_unit"]


def shapley_products(base: np.ndarray, cur: np.ndarray) -> np.ndarray:
    """Shapley decomposition of ``prod(cur) - prod(base)`` over the factors of each row.

    ``base`` and ``cur`` are ``(rows, K)``; returns ``(rows, K)`` whose rows sum exactly
    (up to rounding) to ``prod(cur, axis=1) - prod(base, axis=1)``. Term of factor ``k``:
    ``sum over S (subsets of the other factors) |S|!(K-|S|-1)!/K! * (cur_k - base_k) *
    prod_{j in S} cur_j * prod_{j not in S, j != k} base_j``.
    """
    base = np.atleast_2d(np.asarray(base, dtype=float))
    cur = np.atleast_2d(np.asarray(cur, dtype=float))
    rows, K = base.shape
    out = np.zeros((rows, K))
    for k in range(K):
        others = [j for j in range(K) if j != k]
        for r in range(K):
            weight = factorial(r) * factorial(K - r - 1) / factorial(K)
            for S in combinations(others, r):
                prod = np.ones(rows)
                for j in others:
                    prod = prod * (cur[:, j] if j in S else base[:, j])
                out[:, k] += weight * (cur[:, k] - base[:, k]) * prod
    return out


def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den != 0, num / np.where(den == 0, 1.0, den), np.nan)


def _fill(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Undefined factors take the other side's value (0 when both are undefined)."""
    a2 = np.where(np.isnan(a), b, a)
    b2 = np.where(np.isnan(b), a, b)
    return np.nan_to_num(a2), np.nan_to_num(b2)


@dataclass(frozen=True)
class Decomposition:
    """Terms of ``actual - expected`` for one metric along one dimension.

    ``terms``: one row per (key, term), largest absolute contribution first; columns
    ``dimension``, ``key``, ``term``, ``contribution`` (metric units), ``share`` (of the
    total change; NaN when the change is 0), ``before`` / ``after`` (the factor's baseline
    and current value), ``value_unit`` (count / rate / money). The terms sum to
    ``actual - expected``.
    """

    dimension: str
    metric: str
    actual: float
    expected: float
    terms: pd.DataFrame

    @property
    def change(self) -> float:
        """``actual - expected``."""
        return self.actual - self.expected

    def top_driver(self) -> pd.Series | None:
        """The term contributing most in the direction of the change (None without a change)."""
        if self.terms.empty or not np.isfinite(self.change) or self.change == 0:
            return None
        t = self.terms
        i = t["contribution"].idxmin() if self.change < 0 else t["contribution"].idxmax()
        row = t.loc[i]
        if np.sign(row["contribution"]) != np.sign(self.change):
            return None
        return row


def decompose(
    cur: pd.DataFrame, base: pd.DataFrame, metric: str, g: float, *, dimension: str = "segment"
) -> Decomposition:
    """Shift-share decomposition of one metric's change between a baseline and a week.

    Parameters
    ----------
    cur, base
        One row per key with the metric's aggregates: ``leads``; ``closed``, ``won``;
        ``closed``, ``won``, ``matched`` (new-deal revenue of keys with a win that week),
        ``revenue``; or ``deals``, ``revenue``. ``base`` holds *weekly averages* over the
        baseline weeks (for the pooled, weekly-summed version of ``matched``).
    metric
        ``conversion_rate``, ``won_revenue``, ``leads`` or ``avg_deal_value``.
    g
        Company-wide factor of the week (1 for none), applied as the module docstring says.
    """
    metric_spec(metric)
    keys = sorted(set(cur["key"]).union(base["key"]), key=str)
    c = cur.set_index("key").reindex(keys).fillna(0.0)
    b = base.set_index("key").reindex(keys).fillna(0.0)
    g = float(g) if np.isfinite(g) else 1.0
    factors = FACTORS[metric]
    other_cur = other_base = None
    if metric == "conversion_rate":
        n, n0 = c["closed"].sum(), b["closed"].sum()
        m, m0 = _fill(
            _safe_div(c["closed"], n) if n else np.full(len(keys), np.nan),
            _safe_div(b["closed"], n0) if n0 else np.full(len(keys), np.nan),
        )
        r, r0 = _fill(_safe_div(c["won"], c["closed"]), g * _safe_div(b["won"], b["closed"]))
        fc, fb = np.c_[m, r], np.c_[m0, r0]
        actual = float(c["won"].sum() / n) if n else np.nan
        expected = float(g * b["won"].sum() / n0) if n0 else np.nan
    elif metric == "won_revenue":
        n, n0 = float(c["closed"].sum()), float(b["closed"].sum())
        m, m0 = _fill(
            _safe_div(c["closed"], n) if n else np.full(len(keys), np.nan),
            _safe_div(b["closed"], n0) if n0 else np.full(len(keys), np.nan),
        )
        r, r0 = _fill(_safe_div(c["won"], c["closed"]), _safe_div(b["won"], b["closed"]))
        v, v0 = _fill(_safe_div(c["matched"], c["won"]), _safe_div(b["matched"], b["won"]))
        fc = np.c_[np.full(len(keys), n), m, r, v]
        fb = np.c_[np.full(len(keys), g * n0), m0, r0, v0]
        other_cur = (c["revenue"] - c["matched"]).to_numpy(float)
        other_base = g * (b["revenue"] - b["matched"]).to_numpy(float)
        actual, expected = float(c["revenue"].sum()), float(g * b["revenue"].sum())
    elif metric == "leads":
        fc, fb = c[["leads"]].to_numpy(float), g * b[["leads"]].to_numpy(float)
        actual, expected = float(fc.sum()), float(fb.sum())
    else:  # avg_deal_value
        d, d0 = c["deals"].sum(), b["deals"].sum()
        w, w0 = _fill(
            _safe_div(c["deals"], d) if d else np.full(len(keys), np.nan),
            _safe_div(b["deals"], d0) if d0 else np.full(len(keys), np.nan),
        )
        a, a0 = _fill(_safe_div(c["revenue"], c["deals"]), g * _safe_div(b["revenue"], b["deals"]))
        fc, fb = np.c_[w, a], np.c_[w0, a0]
        actual = float(c["revenue"].sum() / d) if d else np.nan
        expected = float(g * b["revenue"].sum() / d0) if d0 else np.nan
    if not (np.isfinite(actual) and np.isfinite(expected)):
        return Decomposition(dimension, metric, actual, expected, pd.DataFrame(columns=DECOMPOSITION_COLUMNS))
    contrib = shapley_products(fb, fc)
    rows = []
    for i, key in enumerate(keys):
        for j, term in enumerate(factors):
            if term == "volume" and metric == "won_revenue":
                continue
            rows.append((dimension, key, term, contrib[i, j], fb[i, j], fc[i, j]))
    if metric == "won_revenue":
        rows.append((dimension, TOTAL, "volume", contrib[:, 0].sum(), fb[0, 0], fc[0, 0]))
        for i, key in enumerate(keys):
            rows.append((dimension, key, "other", other_cur[i] - other_base[i], other_base[i], other_cur[i]))  # type: ignore[index]
    terms = pd.DataFrame(rows, columns=["dimension", "key", "term", "contribution", "before", "after"])
    total = actual - expected
    terms["share"] = terms["contribution"] / total if total else np.nan
    terms["value_unit"] = terms["term"].map(TERM_UNITS)
    terms = terms.reindex(terms["contribution"].abs().sort_values(ascending=False, kind="stable").index)
    return Decomposition(dimension, metric, actual, expected, terms[DECOMPOSITION_COLUMNS].reset_index(drop=True))


def keyed_aggregates(
    frame: pd.DataFrame, key: str, metric: str, weeks: tuple[date, ...], week: date
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Current-week and baseline (weekly average) aggregates per key: the input of :func:`decompose`.

    Parameters
    ----------
    frame
        Weekly rows keyed by ``key`` with ``week_start`` and any of ``leads``, ``closed``,
        ``won``, ``deals``, ``won_revenue``, ``new_revenue`` (a weekly panel, or
        :func:`analytics.anomalies.behaviour.dimension_frame`).
    key
        The key column (renamed to ``key``).
    metric
        Unused by the aggregation; kept so callers state which metric they prepare.
    weeks, week
        The baseline weeks (averaged) and the current week.
    """
    f = frame.rename(columns={key: "key"}).copy()
    f["matched"] = np.where(f["won"] > 0, f["new_revenue"], 0.0) if "won" in f else 0.0
    f["revenue"] = f["won_revenue"] if "won_revenue" in f else 0.0
    cols = ["leads", "closed", "won", "deals", "revenue", "matched"]
    cols = [c for c in cols if c in f]
    cur = f[f["week_start"] == week].groupby("key", as_index=False)[cols].sum()
    base = f[f["week_start"].isin(weeks)].groupby("key", as_index=False)[cols].sum()
    base[cols] = base[cols] / max(len(weeks), 1)
    return cur, base


def reference_point(det: WeeklyAnomalyDetector, unit: str, week: date) -> tuple[float, pd.Series | None]:
    """The company-wide factor ``g`` of one unit-week and the detector's row for the unit's total.

    ``(1.0, None)`` when the detector has no row for that unit-week.
    """
    res = det.result_
    row = res[(res["unit"] == unit) & (res["week_start"] == week) & (res["series"] == TOTAL)]
    if row.empty:
        return 1.0, None
    return float(row["ref_factor"].iloc[0]), row.iloc[0]


def segment_driver(
    panel: pd.DataFrame, det: WeeklyAnomalyDetector, metric: str, unit: str, week: date, *, g: float | None = None
) -> tuple[str, float]:
    """``(segment:term, share of the change)`` of the top driver of one unit-week ("", NaN if none).

    ``panel`` may be the whole :func:`~analytics.anomalies.weekly_panel` or just the unit's rows;
    ``g`` (the unit total's company-wide factor) is looked up in the detector when not given.
    """
    weeks = det.baseline_weeks_.get((unit, week), ())
    if g is None:
        g, _ = reference_point(det, unit, week)
    sub = panel[panel["unit"] == unit]
    cur, base = keyed_aggregates(sub, "segment", metric, weeks, week)
    dec = decompose(cur, base, metric, g)
    top = dec.top_driver()
    if top is None:
        return "", float("nan")
    return f"{top['key']}:{top['term']}", float(top["share"])
