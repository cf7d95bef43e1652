"""Explain one unit-week: shift-share decomposition of the change, and the behaviour deltas.

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

from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import combinations
from math import factorial
from typing import Any

import numpy as np
import pandas as pd

from analytics import anomalies as an
from analytics.access import Scope
from analytics.filters import Filters, where
from analytics.periods import iso_week_label, week_start
from analytics.store import Store

#: Behaviour changes with |z| at least this are named in the summary.
NOTABLE_Z = 2.0
#: Reps listed in the by-rep decomposition (largest contributions first).
TOP_REPS = 15
#: Key columns of the decomposition dimensions (fixed names; never user input).
DIMENSIONS = {"segment": "segment", "source": "source", "rep": "rep_id"}
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


class ExplainError(ValueError):
    """A request that cannot be explained (unknown unit, week outside the data, short history).

    ``template`` and ``params`` let the page translate the message; ``str()`` is the English.
    """

    def __init__(self, template: str, **params: object) -> None:
        self.template = template
        self.params = params
        super().__init__(template.format(**params))


@dataclass(frozen=True)
class Finding:
    """A plain-language statement: English template and parameters (the page translates).

    Parameter names say how to show them: ``*_pct`` percentage, ``*_signed`` signed
    percentage, ``*_money`` CNY, ``*_n`` count, ``*_num`` a number; ``unit``, ``segment``,
    ``tag`` are stored values shown by display name; ``metric`` and ``term`` are message ids.
    """

    template: str
    params: dict[str, object] = field(default_factory=dict)

    def english(self) -> str:
        """The statement in English with plain number formatting (CLI, logs)."""
        out: dict[str, object] = {}
        for key, value in self.params.items():
            if key.endswith("_signed"):
                out[key] = f"{float(value):+.0%}"  # type: ignore[arg-type]
            elif key.endswith("_pct"):
                out[key] = f"{float(value):.1%}"  # type: ignore[arg-type]
            elif key.endswith("_money"):
                out[key] = f"¥{float(value):,.0f}"  # type: ignore[arg-type]
            elif key.endswith("_n"):
                out[key] = f"{float(value):,.0f}"  # type: ignore[arg-type]
            elif key.endswith("_num"):
                out[key] = f"{float(value):.1f}"  # type: ignore[arg-type]
            elif key in ("segment", "unit", "tag") or key == "term":
                out[key] = str(value).replace("_", " ")
            elif key == "metric":
                out[key] = an.metric_spec(str(value)).label
            else:
                out[key] = value
        return self.template.format(**out)


# -- the decomposition -------------------------------------------------------------------


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
    an.metric_spec(metric)
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
        rows.append((dimension, an.TOTAL, "volume", contrib[:, 0].sum(), fb[0, 0], fc[0, 0]))
        for i, key in enumerate(keys):
            rows.append((dimension, key, "other", other_cur[i] - other_base[i], other_base[i], other_cur[i]))  # type: ignore[index]
    terms = pd.DataFrame(rows, columns=["dimension", "key", "term", "contribution", "before", "after"])
    total = actual - expected
    terms["share"] = terms["contribution"] / total if total else np.nan
    terms["value_unit"] = terms["term"].map(TERM_UNITS)
    terms = terms.reindex(terms["contribution"].abs().sort_values(ascending=False, kind="stable").index)
    return Decomposition(dimension, metric, actual, expected, terms[DECOMPOSITION_COLUMNS].reset_index(drop=True))


def _keyed(
    frame: pd.DataFrame, key: str, metric: str, weeks: tuple[date, ...], week: date
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Current-week and baseline (weekly average) aggregates per key from a weekly keyed frame."""
    f = frame.rename(columns={key: "key"}).copy()
    f["matched"] = np.where(f["won"] > 0, f["new_revenue"], 0.0) if "won" in f else 0.0
    f["revenue"] = f["won_revenue"] if "won_revenue" in f else 0.0
    cols = ["leads", "closed", "won", "deals", "revenue", "matched"]
    cols = [c for c in cols if c in f]
    cur = f[f["week_start"] == week].groupby("key", as_index=False)[cols].sum()
    base = f[f["week_start"].isin(weeks)].groupby("key", as_index=False)[cols].sum()
    base[cols] = base[cols] / max(len(weeks), 1)
    return cur, base


def _ref_factor(det: an.WeeklyAnomalyDetector, unit: str, week: date) -> tuple[float, pd.Series | None]:
    res = det.result_
    row = res[(res["unit"] == unit) & (res["week_start"] == week) & (res["series"] == an.TOTAL)]
    if row.empty:
        return 1.0, None
    return float(row["ref_factor"].iloc[0]), row.iloc[0]


def segment_driver(
    panel: pd.DataFrame, det: an.WeeklyAnomalyDetector, metric: str, unit: str, week: date, *, g: float | None = None
) -> tuple[str, float]:
    """``(segment:term, share of the change)`` of the top driver of one unit-week ("", NaN if none).

    ``panel`` may be the whole :func:`~analytics.anomalies.weekly_panel` or just the unit's rows;
    ``g`` (the unit total's company-wide factor) is looked up in the detector when not given.
    """
    weeks = det.baseline_weeks_.get((unit, week), ())
    if g is None:
        g, _ = _ref_factor(det, unit, week)
    sub = panel[panel["unit"] == unit]
    cur, base = _keyed(sub, "segment", metric, weeks, week)
    dec = decompose(cur, base, metric, g)
    top = dec.top_driver()
    if top is None:
        return "", float("nan")
    return f"{top['key']}:{top['term']}", float(top["share"])


# -- the explanation of one unit-week ------------------------------------------------------


@dataclass(frozen=True)
class Explanation:
    """Everything the drill-down shows for one unit-week.

    ``point``: the detector's row for the unit's total (actual, expected, lower, upper, z,
    score...). ``decompositions``: dimension -> :class:`Decomposition` (segment, source,
    rep). ``behaviour``: one row per (segment scope, behaviour): ``scope`` (``*`` or a
    segment), ``behaviour`` (``talk_track`` or ``needs_discovery_score``), ``tag``,
    ``before`` / ``after`` (share of calls using the tag, or the mean score), ``change``,
    ``z`` (two-proportion / Welch z of after vs before), ``calls_before`` (weekly average),
    ``calls_after``, ``others_before`` / ``others_after`` (the other units, same weeks).
    ``summary``: plain-language findings. ``rep_names``: rep_id -> name.
    """

    unit: str
    level: str
    week_start: date
    metric: str
    sensitivity: float
    baseline_weeks: tuple[date, ...]
    ref_factor: float
    point: dict[str, Any]
    decompositions: dict[str, Decomposition]
    behaviour: pd.DataFrame
    summary: tuple[Finding, ...]
    rep_names: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the ``explain`` command's output)."""
        seg = self.decompositions["segment"]
        top = seg.top_driver()

        def rows(df: pd.DataFrame) -> list[dict[str, Any]]:
            return [{k: _plain(v) for k, v in r.items()} for r in df.to_dict(orient="records")]

        return {
            self.level: self.unit,
            "week_start": self.week_start.isoformat(),
            "week_label": iso_week_label(self.week_start),
            "metric": self.metric,
            **{k: _plain(v) for k, v in self.point.items()},
            "change": _plain(seg.change),
            "change_pct": _plain(seg.change / seg.expected if seg.expected else np.nan),
            "ref_factor": _plain(self.ref_factor),
            "baseline_weeks": [w.isoformat() for w in self.baseline_weeks],
            "top_driver": None if top is None else f"{top['key']}:{top['term']}",
            "top_driver_share": None if top is None else _plain(top["share"]),
            "summary": [f.english() for f in self.summary],
            "decomposition": {d: rows(dec.terms) for d, dec in self.decompositions.items()},
            "behaviour": rows(self.behaviour),
        }


def _plain(v: Any) -> Any:
    if isinstance(v, (np.floating, float)):
        return None if not np.isfinite(v) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if isinstance(v, date):
        return v.isoformat()
    return v


def _dimension_frame(
    store: Store, filters: Filters, scope: Scope, unit_col: str, unit: str, key: str, first: date, last: date
) -> pd.DataFrame:
    """Weekly aggregates of one unit by ``key`` (source or rep_id) between two Mondays."""
    win = filters.shifted_to(first, last + timedelta(days=6))
    w_created, p_created = where(win, scope, "created_at", dims=("segment",))
    w_closed, p_closed = where(win, scope, "closed_at", dims=("segment",))
    w_signed, p_signed = where(win, scope, "signed_at", dims=("segment",))
    k = f"coalesce({key}::VARCHAR, '{an.NO_SEGMENT}')"
    df = store.query(
        f"""WITH created AS (
                SELECT {k} AS key, date_trunc('week', created_at)::DATE AS week_start, count(*) AS leads
                FROM v_leads WHERE {unit_col} = ? AND {w_created} GROUP BY ALL),
            closed AS (
                SELECT {k} AS key, date_trunc('week', closed_at)::DATE AS week_start, count(*) AS closed,
                       count(*) FILTER (WHERE status = 'won') AS won
                FROM v_leads WHERE {unit_col} = ? AND status <> 'open' AND {w_closed} GROUP BY ALL),
            signed AS (
                SELECT {k} AS key, date_trunc('week', signed_at)::DATE AS week_start, count(*) AS deals,
                       sum(amount)::DOUBLE AS won_revenue,
                       coalesce(sum(amount) FILTER (WHERE deal_type = 'new'), 0)::DOUBLE AS new_revenue
                FROM v_deals WHERE {unit_col} = ? AND {w_signed} GROUP BY ALL)
            SELECT key, week_start, coalesce(leads, 0) AS leads, coalesce(closed, 0) AS closed,
                   coalesce(won, 0) AS won, coalesce(deals, 0) AS deals,
                   coalesce(won_revenue, 0)::DOUBLE AS won_revenue, coalesce(new_revenue, 0)::DOUBLE AS new_revenue
            FROM created FULL JOIN closed USING (key, week_start) FULL JOIN signed USING (key, week_start)""",  # noqa: S608
        [unit, *p_created, unit, *p_closed, unit, *p_signed],
    )
    df["week_start"] = pd.to_datetime(df["week_start"]).dt.date
    return df


def behaviour_deltas(
    store: Store,
    filters: Filters,
    scope: Scope,
    *,
    unit_col: str,
    unit: str,
    week: date,
    baseline_weeks: tuple[date, ...],
) -> pd.DataFrame:
    """Talk-track use and needs-discovery score in the week vs the baseline weeks (see :class:`Explanation`).

    Share of calls using a tag: calls on the unit's leads in the week whose ``talk_tracks``
    contain the tag / all such calls; the baseline pools the baseline weeks' calls. ``z`` is
    the two-proportion z with pooled variance; for the mean score the Welch z.
    """
    columns = [
        "scope",
        "behaviour",
        "tag",
        "before",
        "after",
        "change",
        "z",
        "calls_before",
        "calls_after",
        "others_before",
        "others_after",
    ]
    weeks = [*baseline_weeks, week]
    win = filters.shifted_to(min(weeks), week + timedelta(days=6))
    w_sql, params = where(win, scope, "called_at", dims=("segment",))
    base_sql = f"""SELECT ({unit_col} = ?) AS mine, coalesce(segment, '{an.NO_SEGMENT}') AS segment,
                          (date_trunc('week', called_at)::DATE = ?) AS now, talk_tracks, needs_discovery_score AS nd
                   FROM v_calls
                   WHERE {unit_col} IS NOT NULL AND {w_sql}
                     AND list_contains(?::DATE[], date_trunc('week', called_at)::DATE)"""  # noqa: S608 - fixed names
    # One pass over the calls (joined to their leads for region and segment): the call counts
    # and the tag counts come from the same materialised rows, told apart by ``tag IS NULL``.
    both = store.query(
        f"""WITH base AS MATERIALIZED ({base_sql}),
            calls AS (SELECT mine, segment, now, count(*) AS calls, coalesce(sum(nd), 0) AS s1,
                             coalesce(sum(nd * nd), 0) AS s2, count(nd) AS n_nd
                      FROM base GROUP BY ALL),
            tags AS (SELECT mine, segment, now, tag, count(*) AS k
                     FROM (SELECT mine, segment, now, unnest(list_distinct(talk_tracks)) AS tag FROM base)
                     WHERE tag IS NOT NULL GROUP BY ALL)
            SELECT mine, segment, now, NULL::VARCHAR AS tag, calls, s1, s2, n_nd, NULL::BIGINT AS k FROM calls
            UNION ALL
            SELECT mine, segment, now, tag, NULL, NULL, NULL, NULL, k FROM tags""",  # noqa: S608 - fixed names
        [unit, week, *params, weeks],
    )
    is_calls = both["tag"].isna()
    calls = both.loc[is_calls, ["mine", "segment", "now", "calls", "s1", "s2", "n_nd"]].reset_index(drop=True)
    tags = both.loc[~is_calls, ["mine", "segment", "now", "tag", "k"]].reset_index(drop=True)
    if calls.empty or not calls["mine"].any():
        return pd.DataFrame(columns=columns)
    all_calls = calls.assign(segment=an.TOTAL).groupby(["mine", "segment", "now"], as_index=False).sum()
    all_tags = tags.assign(segment=an.TOTAL).groupby(["mine", "segment", "now", "tag"], as_index=False).sum()
    calls = pd.concat([all_calls, calls], ignore_index=True).set_index(["mine", "segment", "now"])
    tags = pd.concat([all_tags, tags], ignore_index=True).set_index(["mine", "segment", "now", "tag"])["k"]
    nb = max(len(baseline_weeks), 1)
    scopes = [
        an.TOTAL,
        *sorted(calls.loc[True].index.get_level_values("segment").unique().drop(an.TOTAL, errors="ignore")),
    ]

    def get(frame: pd.Series | pd.DataFrame, key: tuple, col: str | None = None) -> float:
        try:
            v = frame.loc[key] if col is None else frame.loc[key, col]
        except KeyError:
            return 0.0
        return float(v)

    rows = []
    for sc in scopes:
        n0, n1 = get(calls, (True, sc, False), "calls"), get(calls, (True, sc, True), "calls")
        if n0 == 0 and n1 == 0:
            continue
        o0, o1 = get(calls, (False, sc, False), "calls"), get(calls, (False, sc, True), "calls")
        for tag in sorted(tags.index.get_level_values("tag").unique()):
            k0, k1 = get(tags, (True, sc, False, tag)), get(tags, (True, sc, True, tag))
            p0 = k0 / n0 if n0 else np.nan
            p1 = k1 / n1 if n1 else np.nan
            pooled = (k0 + k1) / (n0 + n1)
            se = np.sqrt(pooled * (1 - pooled) * (1 / n0 + 1 / n1)) if n0 and n1 else np.nan
            z = (p1 - p0) / se if np.isfinite(se) and se > 0 else np.nan
            q0 = get(tags, (False, sc, False, tag)) / o0 if o0 else np.nan
            q1 = get(tags, (False, sc, True, tag)) / o1 if o1 else np.nan
            rows.append((sc, "talk_track", tag, p0, p1, p1 - p0, z, n0 / nb, n1, q0, q1))
        stats = []
        for mine, now in ((True, False), (True, True), (False, False), (False, True)):
            n = get(calls, (mine, sc, now), "n_nd")
            s1, s2 = get(calls, (mine, sc, now), "s1"), get(calls, (mine, sc, now), "s2")
            mean = s1 / n if n else np.nan
            var = (s2 - n * mean**2) / (n - 1) if n > 1 else np.nan
            stats.append((mean, var, n))
        (m0, v0, c0), (m1, v1, c1) = stats[0], stats[1]
        se = np.sqrt(v0 / c0 + v1 / c1) if c0 > 1 and c1 > 1 else np.nan
        z = (m1 - m0) / se if np.isfinite(se) and se > 0 else np.nan
        rows.append((sc, "needs_discovery_score", "", m0, m1, m1 - m0, z, n0 / nb, n1, stats[2][0], stats[3][0]))
    return pd.DataFrame(rows, columns=columns)


def explain(
    store: Store,
    filters: Filters,
    scope: Scope,
    *,
    unit: str,
    week: date,
    metric: str = an.DEFAULT_METRIC,
    level: str = "region",
    sensitivity: float = an.DEFAULT_SENSITIVITY,
    by_segment: bool = True,
    **params: Any,
) -> Explanation:
    """Decompose one unit-week's change vs its expected value, and list behaviour changes.

    Parameters
    ----------
    unit
        Region id (or team id with ``level="team"``).
    week
        Any day of the ISO week; its Monday is used.
    metric, level, sensitivity, by_segment, params
        As for :func:`analytics.anomalies.detect` (the same detector gives the baseline weeks,
        the company-wide factor and the band).

    Raises
    ------
    ExplainError
        Unknown unit, week outside the data, or too little history for a baseline.
    """
    spec = an.metric_spec(metric)
    unit_col = an.level_column(level)
    week = week_start(week)
    panel = an.weekly_panel(store, filters, scope, level=level)
    if panel.empty:
        raise ExplainError("The selection has no leads or deals; nothing to explain.")
    if unit not in set(panel["unit"]):
        raise ExplainError(
            "'{unit}' has no leads or deals in the selection; choose one of {choices}.",
            unit=unit,
            choices=", ".join(sorted(panel["unit"].unique())[:20]),
        )
    det = an.fit_detector(panel, spec.name, sensitivity=sensitivity, by_segment=by_segment, **params)
    if week not in det.weeks_:
        raise ExplainError(
            "The week of {week} is outside the data ({first} to {last}).",
            week=week.isoformat(),
            first=det.weeks_[0].isoformat(),
            last=det.weeks_[-1].isoformat(),
        )
    g, point_row = _ref_factor(det, unit, week)
    base_weeks = det.baseline_weeks_.get((unit, week), ())
    if point_row is None or len(base_weeks) < det.min_history_weeks or not np.isfinite(point_row["expected"]):
        raise ExplainError(
            "'{unit}' has too little history before {week} for a baseline: it needs {n} earlier "
            "weeks with activity and at least {events} events in them. Choose a later week.",
            unit=unit,
            week=week.isoformat(),
            n=det.min_history_weeks,
            events=det.min_baseline_events,
        )
    us = det.unit_scores_
    u_row = us[(us["unit"] == unit) & (us["week_start"] == week)].iloc[0]
    point = {k: point_row[k] for k in ("actual", "expected", "lower", "upper", "z", "phi")}
    point.update(
        {
            "score": u_row["score"],
            "flagged": bool(u_row["flagged"]),
            "flagged_series": u_row["series"] if bool(u_row["flagged"]) else None,
        }
    )
    decs = {}
    cur, base = _keyed(panel[panel["unit"] == unit], "segment", spec.name, base_weeks, week)
    decs["segment"] = decompose(cur, base, spec.name, g, dimension="segment")
    first = min(base_weeks)
    for dim in ("source", "rep"):
        frame = _dimension_frame(store, filters, scope, unit_col, unit, DIMENSIONS[dim], first, week)
        cur, base = _keyed(frame, "key", spec.name, base_weeks, week)
        dec = decompose(cur, base, spec.name, g, dimension=dim)
        if dim == "rep":
            dec = Decomposition(dim, dec.metric, dec.actual, dec.expected, dec.terms.head(TOP_REPS * 3))
        decs[dim] = dec
    behaviour = behaviour_deltas(
        store, filters, scope, unit_col=unit_col, unit=unit, week=week, baseline_weeks=base_weeks
    )
    rep_ids = sorted(set(decs["rep"].terms["key"]) - {an.TOTAL})
    names = store.query("SELECT rep_id, rep_name FROM reps WHERE list_contains(?::VARCHAR[], rep_id)", [rep_ids])
    summary = summarise(unit, week, spec.name, decs["segment"], behaviour)
    return Explanation(
        unit=unit,
        level=level,
        week_start=week,
        metric=spec.name,
        sensitivity=sensitivity,
        baseline_weeks=tuple(base_weeks),
        ref_factor=g,
        point=point,
        decompositions=decs,
        behaviour=behaviour,
        summary=summary,
        rep_names=dict(zip(names["rep_id"], names["rep_name"], strict=True)),
    )


_HEADLINE = {
    "money": "{unit}, week {week}: {metric} {change_signed} vs expected ({actual_money} against {expected_money}).",
    "rate": "{unit}, week {week}: {metric} {change_signed} vs expected ({actual_pct} against {expected_pct}).",
    "count": "{unit}, week {week}: {metric} {change_signed} vs expected ({actual_n} against {expected_n}).",
}
_DRIVER = {
    ("down", "rate"): "{share_pct} of the drop is the {segment} segment's {term} ({before_pct} → {after_pct}).",
    ("down", "money"): "{share_pct} of the drop is the {segment} segment's {term} ({before_money} → {after_money}).",
    ("down", "count"): "{share_pct} of the drop is the {segment} segment's {term} ({before_n} → {after_n}).",
    ("up", "rate"): "{share_pct} of the rise is the {segment} segment's {term} ({before_pct} → {after_pct}).",
    ("up", "money"): "{share_pct} of the rise is the {segment} segment's {term} ({before_money} → {after_money}).",
    ("up", "count"): "{share_pct} of the rise is the {segment} segment's {term} ({before_n} → {after_n}).",
}
_VOLUME_DRIVER = {
    "down": "{share_pct} of the drop is fewer closed leads overall ({before_n} → {after_n}).",
    "up": "{share_pct} of the rise is more closed leads overall ({before_n} → {after_n}).",
}
_LARGEST = {
    ("down", "rate"): "The largest downward term is the {segment} segment's {term} ({before_pct} → {after_pct}); "
    "other terms offset part of it.",
    ("down", "money"): "The largest downward term is the {segment} segment's {term} ({before_money} → {after_money}); "
    "other terms offset part of it.",
    ("down", "count"): "The largest downward term is the {segment} segment's {term} ({before_n} → {after_n}); "
    "other terms offset part of it.",
    ("up", "rate"): "The largest upward term is the {segment} segment's {term} ({before_pct} → {after_pct}); "
    "other terms offset part of it.",
    ("up", "money"): "The largest upward term is the {segment} segment's {term} ({before_money} → {after_money}); "
    "other terms offset part of it.",
    ("up", "count"): "The largest upward term is the {segment} segment's {term} ({before_n} → {after_n}); "
    "other terms offset part of it.",
}
_LARGEST_VOLUME = {
    "down": "The largest downward term is fewer closed leads overall ({before_n} → {after_n}); "
    "other terms offset part of it.",
    "up": "The largest upward term is more closed leads overall ({before_n} → {after_n}); "
    "other terms offset part of it.",
}
_BEHAVIOUR = {
    ("talk_track", "down"): "Use of the '{tag}' talk track fell from {before_pct} to {after_pct} of calls ({segment}).",
    ("talk_track", "up"): "Use of the '{tag}' talk track rose from {before_pct} to {after_pct} of calls ({segment}).",
    (
        "needs_discovery_score",
        "down",
    ): "The average needs-discovery score fell from {before_num} to {after_num} ({segment}).",
    (
        "needs_discovery_score",
        "up",
    ): "The average needs-discovery score rose from {before_num} to {after_num} ({segment}).",
}


def summarise(unit: str, week: date, metric: str, seg: Decomposition, behaviour: pd.DataFrame) -> tuple[Finding, ...]:
    """Plain-language summary: headline, top segment driver, most notable behaviour change."""
    spec = an.metric_spec(metric)
    out: list[Finding] = []
    if not (np.isfinite(seg.actual) and np.isfinite(seg.expected)):
        return (
            Finding(
                "{unit}, week {week}: {metric} cannot be computed (no closed leads or deals).",
                {"unit": unit, "week": iso_week_label(week), "metric": metric},
            ),
        )
    kind = spec.unit
    sfx = {"money": "money", "rate": "pct", "count": "n"}[kind]
    change = seg.change / seg.expected if seg.expected else float("nan")
    out.append(
        Finding(
            _HEADLINE[kind],
            {
                "unit": unit,
                "week": iso_week_label(week),
                "metric": metric,
                "change_signed": change,
                f"actual_{sfx}": seg.actual,
                f"expected_{sfx}": seg.expected,
            },
        )
    )
    top = seg.top_driver()
    if top is None:
        return tuple(out)
    direction = "down" if seg.change < 0 else "up"
    vsfx = {"money": "money", "rate": "pct", "count": "n"}[top["value_unit"]]
    params = {
        "share_pct": float(top["share"]),
        f"before_{vsfx}": float(top["before"]),
        f"after_{vsfx}": float(top["after"]),
    }
    whole = 0 < float(top["share"]) <= 1  # "x% of the drop" only reads right when other terms do not offset it
    if top["key"] == an.TOTAL:
        template = _VOLUME_DRIVER[direction] if whole else _LARGEST_VOLUME[direction]
        out.append(Finding(template, params if whole else {k: v for k, v in params.items() if k != "share_pct"}))
    else:
        template = _DRIVER[direction, top["value_unit"]] if whole else _LARGEST[direction, top["value_unit"]]
        if not whole:
            params.pop("share_pct")
        out.append(Finding(template, {"segment": top["key"], "term": _TERM_WORDS[metric, top["term"]], **params}))
    if behaviour.empty:
        return tuple(out)
    scope_seg = top["key"] if top["key"] in set(behaviour["scope"]) else an.TOTAL
    cand = behaviour[(behaviour["scope"] == scope_seg) & behaviour["z"].notna()]
    cand = cand[cand["z"].abs() >= NOTABLE_Z]
    if len(cand):
        b = cand.loc[cand["z"].abs().idxmax()]
        bdir = "down" if b["change"] < 0 else "up"
        bp: dict[str, object] = {"segment": scope_seg if scope_seg != an.TOTAL else "all segments"}
        if b["behaviour"] == "talk_track":
            bp.update({"tag": b["tag"], "before_pct": float(b["before"]), "after_pct": float(b["after"])})
        else:
            bp.update({"before_num": float(b["before"]), "after_num": float(b["after"])})
        out.append(Finding(_BEHAVIOUR[b["behaviour"], bdir], bp))
    return tuple(out)


#: Words for a term in a sentence, per metric (message ids the page translates).
_TERM_WORDS = {
    ("conversion_rate", "mix"): "share of closed leads",
    ("conversion_rate", "rate"): "conversion",
    ("won_revenue", "mix"): "share of closed leads",
    ("won_revenue", "rate"): "conversion",
    ("won_revenue", "value"): "revenue per win",
    ("won_revenue", "other"): "renewal and upsell revenue",
    ("won_revenue", "volume"): "closed leads",
    ("leads", "volume"): "leads",
    ("avg_deal_value", "mix"): "share of deals",
    ("avg_deal_value", "value"): "average deal value",
}
