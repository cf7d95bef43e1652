"""Lead-source attribution: conversion, time to convert and deal value per lead source.

Every number is about the *cohort* of leads created in the filter window, followed up to the
end of the data (docs/methods/attribution.md):

- *leads*: leads created in the window; *won*: of those, leads whose status is ``won``;
  *conversion rate*: won / leads with a 95% Wilson interval. Leads still open count in the
  denominator (they may still convert), so recent cohorts read low; the Kaplan-Meier curves
  treat them as censored.
- *days to convert*: from the Kaplan-Meier estimate of the share converted by day N, where
  won leads convert at their close and open and lost leads are censored at the data end
  (Fine & Gray's "censoring complete" data: a lost lead never converts, so it stays at risk).
  The median (P75) is the first day by which half (three quarters) of the conversions seen
  over the follow-up have happened.
- *won deal value*: the sum of a won lead's ``new`` deals; mean and median with percentile
  bootstrap intervals; *revenue per lead* = won deal value / leads.
- *ratio to baseline*: a source's conversion rate over the pooled rate of the baseline
  sources (default: the public channels), with a delta-method interval on the log scale
  (Katz et al. 1978, extended to a source that is part of its own baseline) and a two-sided
  p-value, Holm-adjusted across the compared rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sps

from analytics.access import Scope
from analytics.attribution._common import sql_text
from analytics.facts import data_end
from analytics.filters import Filters, where
from analytics.findings import Finding
from analytics.stats import CONFIDENCE, holm, safe_ratio, wilson
from analytics.store import Store

#: The public channels pooled into the default baseline.
PUBLIC_SOURCES = ("website", "search_ads", "social_media")
#: Baseline keywords: the pooled public channels, or every lead of the same group.
BASELINE_PUBLIC = "public"
BASELINE_ALL = "all"
#: Dimensions a source table can be split by -> (SQL expression over leads or v_leads AS l, output column).
GROUP_DIMS: dict[str, tuple[str, str]] = {
    "source": ("l.source", "source"),
    "region": ("l.region_id", "region_id"),
    "segment": ("l.segment", "segment"),
    "team": ("l.team_id", "team_id"),
    # grouped as the integer year * 10 + quarter (half the cost of building a string per lead
    # at 10M leads) and written as "2025Q3" after the query (survival_counts)
    "quarter": ("year(l.created_at) * 10 + quarter(l.created_at)", "quarter"),
}
#: Funnel stages in order (max_stage values); a won lead has passed them all.
FUNNEL_STAGES = ("new", "contacted", "qualified", "proposal", "negotiation")
FUNNEL_STEPS = (*FUNNEL_STAGES, "won")
#: Bootstrap replicates for the won-deal-value intervals.
BOOTSTRAP_REPS = 1000
#: Up to this many won deals in a group, the mean's bootstrap resamples; above, it uses the
#: closed-form limit (see :func:`bootstrap_mean_median`; the median is always exact).
BOOTSTRAP_RESAMPLE_MAX = 200
#: Significance level of the headline findings (after Holm's adjustment).
FINDING_ALPHA = 0.05
#: Days shown on the conversion curves.
CURVE_MAX_DAYS = 365
#: The columns ``python -m analytics attribution sources`` prints after the group columns.
SOURCE_COLUMNS = (
    "leads",
    "won",
    "conversion_rate",
    "conversion_lo",
    "conversion_hi",
    "median_days_to_convert",
    "mean_won_amount",
    "revenue_per_lead",
    "ratio_to_baseline",
    "ratio_lo",
    "ratio_hi",
    "p_value_holm",
)


def lead_sources(store: Store) -> list[str]:
    """Every lead source in the store, sorted (for baseline choices)."""
    return store.query("SELECT DISTINCT source FROM leads ORDER BY source")["source"].tolist()


def group_dims(by: tuple[str, ...] | list[str] | str) -> tuple[str, ...]:
    """Validate a split: known dimensions, ``source`` always first, no repeats.

    Accepts the dimension names (``source, region, segment, team, quarter``) or their output
    columns (``region_id``, ``team_id``). Raises ``ValueError`` quoting an unknown name.
    """
    names = [b.strip() for b in (by.split(",") if isinstance(by, str) else by) if b and b.strip()]
    alias = {col: dim for dim, (_, col) in GROUP_DIMS.items()}
    out = ["source"]
    for name in names:
        dim = alias.get(name, name)
        if dim not in GROUP_DIMS:
            raise ValueError(f"'{name}' is not a dimension to split by; use {', '.join(GROUP_DIMS)}.")
        if dim not in out:
            out.append(dim)
    return tuple(out)


def _group_sql(dims: tuple[str, ...]) -> tuple[str, list[str]]:
    cols = [GROUP_DIMS[d][1] for d in dims]
    return ", ".join(f"{GROUP_DIMS[d][0]} AS {GROUP_DIMS[d][1]}" for d in dims), cols


def survival_counts(store: Store, filters: Filters, scope: Scope, *, by: tuple[str, ...] = ("source",)) -> pd.DataFrame:
    """Cohort counts by group, outcome and follow-up time (input of the table and the curves).

    Grain: one row per group x ``converted`` x ``duration_days``. Columns: the group columns
    (see :data:`GROUP_DIMS`), ``converted`` (bool), ``duration_days`` (creation to win for won
    leads, creation to the data end otherwise), ``leads``, ``open_leads``, ``valued_wins``
    (won leads with a deal amount), ``revenue`` (CNY), ``won_amounts`` (array of the won
    leads' deal values, CNY; empty on non-converted rows).
    """
    dims = group_dims(by)
    select, cols = _group_sql(dims)
    w_sql, w_params = where(filters, scope, "created_at", alias="l")
    end = data_end(store)
    sql = sql_text("source_counts").format(
        group_select=select,
        where=w_sql,
        leads=filters.leads_relation(team_split="team" in dims),
        join_on=" AND ".join(f"v.{c} IS NOT DISTINCT FROM c.{c}" for c in cols),
    )
    df = store.query(sql, [end, end, *w_params, end, *w_params])
    if "quarter" in cols:
        key = df["quarter"].astype(np.int64)
        df["quarter"] = (key // 10).astype(str) + "Q" + (key % 10).astype(str)
    for col in ("leads", "open_leads", "valued_wins", "duration_days"):
        df[col] = df[col].astype(np.int64)
    df["converted"] = df["converted"].astype(bool)
    return df[[*cols, "converted", "duration_days", "leads", "open_leads", "valued_wins", "revenue", "won_amounts"]]


def kaplan_meier(counts: pd.DataFrame, group_cols: list[str]) -> pd.DataFrame:
    """Kaplan-Meier estimate of the share converted by each event day, per group.

    ``counts``: rows of :func:`survival_counts` (``converted``, ``duration_days``, ``leads``).
    Returns one row per group x distinct ``duration_days``: ``day``, ``at_risk`` (leads with
    follow-up >= day), ``conversions`` (converted on that day), ``converted_share`` = 1 - S(day)
    with S(t) = prod_{t_i <= t} (1 - d_i / n_i) (Kaplan & Meier 1958), and its 95% interval
    ``converted_lo`` / ``converted_hi`` from the exponential Greenwood formula on log(-log S)
    (the interval lifelines reports). Groups keep their first-appearance order.
    """
    out_cols = [*group_cols, "day", "at_risk", "conversions", "converted_share", "converted_lo", "converted_hi"]
    if counts.empty:
        return pd.DataFrame(columns=out_cols)
    df = counts.assign(events=np.where(counts["converted"], counts["leads"], 0))
    g = df.groupby([*group_cols, "duration_days"], sort=True, dropna=False)[["leads", "events"]].sum().reset_index()
    g = g.rename(columns={"duration_days": "day"})
    by_group = g.groupby(group_cols, sort=False, dropna=False)
    total = by_group["leads"].transform("sum")
    left_before = by_group["leads"].cumsum() - g["leads"]
    n = (total - left_before).to_numpy(dtype=float)
    d = g["events"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_term = np.log1p(-d / n)
        greenwood = np.where(n > d, d / (n * (n - d)), 0.0)
    g["_log"] = log_term
    g["_gw"] = greenwood
    log_s = g.groupby(group_cols, sort=False, dropna=False)["_log"].cumsum().to_numpy()
    cum_gw = g.groupby(group_cols, sort=False, dropna=False)["_gw"].cumsum().to_numpy()
    s = np.exp(log_s)
    z = sps.norm.ppf(0.5 + CONFIDENCE / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.log(s)
        s_lo = np.exp(-np.exp(np.log(-v) - z * np.sqrt(cum_gw) / v))
        s_hi = np.exp(-np.exp(np.log(-v) + z * np.sqrt(cum_gw) / v))
    # undefined before the first conversion (S = 1) and after the last lead (S = 0)
    s_lo = np.where(np.isnan(s_lo), np.where(s <= 0, 0.0, 1.0), s_lo)
    s_hi = np.where(np.isnan(s_hi), np.where(s <= 0, 0.0, 1.0), s_hi)
    g["at_risk"] = n.astype(np.int64)
    g["conversions"] = g["events"].astype(np.int64)
    g["converted_share"] = 1.0 - s
    g["converted_lo"] = 1.0 - s_hi
    g["converted_hi"] = 1.0 - s_lo
    return g[out_cols].reset_index(drop=True)


def _days_quantile(km: pd.DataFrame, group_cols: list[str], q: float) -> pd.DataFrame:
    """First day by which a share ``q`` of the conversions over the follow-up have happened."""
    if km.empty:
        return pd.DataFrame(columns=[*group_cols, "days"])
    f_max = km.groupby(group_cols, sort=False, dropna=False)["converted_share"].transform("max")
    hit = km[(f_max > 0) & (km["converted_share"] >= q * f_max - 1e-12)]
    first = hit.groupby(group_cols, sort=False, dropna=False)["day"].min().reset_index()
    return first.rename(columns={"day": "days"})


def bootstrap_mean_median(
    values: np.ndarray,
    *,
    reps: int = BOOTSTRAP_REPS,
    seed: int = 0,
    resample_max: int = BOOTSTRAP_RESAMPLE_MAX,
    level: float = CONFIDENCE,
) -> tuple[float, float, float, float, float, float]:
    """Mean and median with percentile bootstrap intervals (Efron & Tibshirani 1993, ch. 13).

    Returns ``(mean, mean_lo, mean_hi, median, median_lo, median_hi)`` (NaN when empty).

    Median: the bootstrap distribution of the median order statistic x*_(m), m = ceil(n/2),
    is known exactly, P(x*_(m) <= x_(k)) = P(Binomial(n, k/n) >= m) (Efron 1979, section 3),
    so its percentile interval is computed without resampling (no Monte Carlo error, O(n)).
    Mean: up to ``resample_max`` values, ``reps`` seeded resamples; above it the bootstrap
    mean's normal limit, mean +- z sqrt(sum (x - mean)^2 / n) / sqrt(n) (the bootstrap
    standard deviation exactly; its skewness is O(n^-1/2)).
    """
    x = np.sort(np.asarray(values, dtype=float))
    n = len(x)
    nan = float("nan")
    if n == 0:
        return nan, nan, nan, nan, nan, nan
    mean, median = float(x.mean()), float(np.median(x))
    alpha = 1 - level
    if n <= resample_max:
        rng = np.random.default_rng(seed)
        means = x[rng.integers(0, n, size=(reps, n))].mean(axis=1)
        m_lo, m_hi = (float(v) for v in np.quantile(means, [alpha / 2, 1 - alpha / 2]))
    else:
        half = sps.norm.ppf(1 - alpha / 2) * float(np.sqrt(((x - mean) ** 2).mean() / n))
        m_lo, m_hi = mean - half, mean + half
    m = -(-n // 2)
    last_of_ties = np.flatnonzero(np.r_[x[1:] != x[:-1], True])  # P(x* <= x_(k)) at each distinct value
    cdf = sps.binom.sf(m - 1, n, (last_of_ties + 1) / n)
    lo_i = last_of_ties[np.searchsorted(cdf, alpha / 2, side="left").clip(0, len(cdf) - 1)]
    hi_i = last_of_ties[np.searchsorted(cdf, 1 - alpha / 2, side="left").clip(0, len(cdf) - 1)]
    return mean, m_lo, m_hi, median, float(x[lo_i]), float(x[hi_i])


def rate_ratio(
    k1: np.ndarray,
    n1: np.ndarray,
    k_base: np.ndarray,
    n_base: np.ndarray,
    in_base: np.ndarray,
    *,
    level: float = CONFIDENCE,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Ratio of a rate k1/n1 to a pooled baseline rate k_base/n_base, with interval and p-value.

    ``in_base`` marks rows that are part of their own baseline pool (then the pool is the row
    plus others, k_base = k1 + k_o). Delta method on the log ratio with binomial variances:

        Var(log R) = (1/k1 - I/K)^2 n1 p1 (1 - p1) + (1/K)^2 n_o p_o (1 - p_o)

    where K = k_base, I = in_base and (k_o, n_o) the rest of the pool. With I = 0 this is
    Katz's log interval (Katz et al. 1978): (1 - p1)/k1 + (1 - p_o)/k_o. The p-value is the
    two-sided Wald test of log R = 0. Returns ``(ratio, lo, hi, p)``; NaN where a rate is
    undefined, there are no conversions on either side, or the row is the whole baseline.
    """
    k1, n1 = np.asarray(k1, float), np.asarray(n1, float)
    kb, nb = np.asarray(k_base, float), np.asarray(n_base, float)
    member = np.asarray(in_base, bool)
    ko = kb - np.where(member, k1, 0.0)
    no = nb - np.where(member, n1, 0.0)
    ratio = safe_ratio(safe_ratio(k1, n1), safe_ratio(kb, nb))
    with np.errstate(divide="ignore", invalid="ignore"):
        p1 = k1 / n1
        po = np.where(no > 0, ko / np.where(no > 0, no, 1.0), 0.0)
        var = (1 / k1 - np.where(member, 1.0, 0.0) / kb) ** 2 * n1 * p1 * (1 - p1) + (1 / kb) ** 2 * no * po * (1 - po)
        se = np.sqrt(var)
        ok = (k1 > 0) & (kb > 0) & (no > 0) & (se > 0) & np.isfinite(se)
        z = sps.norm.ppf(0.5 + level / 2)
        log_r = np.log(np.where(ok, ratio, 1.0))
        lo = np.where(ok, np.exp(log_r - z * se), np.nan)
        hi = np.where(ok, np.exp(log_r + z * se), np.nan)
        p = np.where(ok, 2 * sps.norm.sf(np.abs(log_r / np.where(ok, se, 1.0))), np.nan)
    return ratio, lo, hi, p


def baseline_sources(baseline: str, sources: list[str]) -> tuple[str, ...]:
    """The sources pooled into a baseline: ``public``, ``all`` or one source value."""
    if baseline == BASELINE_PUBLIC:
        return tuple(s for s in PUBLIC_SOURCES if s in sources)
    if baseline == BASELINE_ALL:
        return tuple(sources)
    return (baseline,) if baseline in sources else ()


def _empty_table(cols: list[str]) -> pd.DataFrame:
    return pd.DataFrame(columns=[*cols, *TABLE_COLUMNS])


#: Every column of :func:`source_table` after the group columns.
TABLE_COLUMNS = (
    "leads",
    "won",
    "open_leads",
    "conversion_rate",
    "conversion_lo",
    "conversion_hi",
    "median_days_to_convert",
    "p75_days_to_convert",
    "mean_won_amount",
    "mean_won_amount_lo",
    "mean_won_amount_hi",
    "median_won_amount",
    "median_won_amount_lo",
    "median_won_amount_hi",
    "revenue",
    "revenue_per_lead",
    "in_baseline",
    "ratio_to_baseline",
    "ratio_lo",
    "ratio_hi",
    "p_value",
    "p_value_holm",
)


def source_table(
    store: Store,
    filters: Filters,
    scope: Scope,
    *,
    by: tuple[str, ...] = ("source",),
    baseline: str = BASELINE_PUBLIC,
    bootstrap_reps: int = BOOTSTRAP_REPS,
    seed: int = 0,
) -> pd.DataFrame:
    """Lead sources x conversion x time to convert x deal value, for the cohort in ``filters``.

    Parameters
    ----------
    by
        Split: ``source`` plus any of ``region``, ``segment``, ``team``, ``quarter`` (creation
        quarter). ``source`` is always included, first.
    baseline
        ``public`` (the pooled public channels, :data:`PUBLIC_SOURCES`), ``all`` (every lead of
        the same split cell) or one source value. The ratio compares each row with the baseline
        pool of its own split cell (same region, segment, ...).
    bootstrap_reps, seed
        Replicates and seed of the won-deal-value bootstrap.

    Returns
    -------
    DataFrame
        One row per group, sorted by the group columns. Columns: the group columns, then
        :data:`TABLE_COLUMNS` (``won_amount`` values in CNY, days as floats, NaN where
        undefined). The module docstring defines each; ``in_baseline`` marks rows pooled in
        their baseline.
    """
    dims = group_dims(by)
    counts = survival_counts(store, filters, scope, by=dims)
    cols = [GROUP_DIMS[d][1] for d in dims]
    if counts.empty:
        return _empty_table(cols)
    counts["won"] = np.where(counts["converted"], counts["leads"], 0)
    table = counts.groupby(cols, sort=True, dropna=False)[["leads", "won", "open_leads", "revenue"]].sum().reset_index()
    for col in ("leads", "won", "open_leads"):
        table[col] = table[col].astype(np.int64)
    table["conversion_rate"] = safe_ratio(table["won"], table["leads"])
    table["conversion_lo"], table["conversion_hi"] = wilson(table["won"].to_numpy(), table["leads"].to_numpy())
    km = kaplan_meier(counts, cols)
    for q, name in ((0.5, "median_days_to_convert"), (0.75, "p75_days_to_convert")):
        days = _days_quantile(km, cols, q).rename(columns={"days": name})
        table = table.merge(days, on=cols, how="left") if not days.empty else table.assign(**{name: np.nan})
        table[name] = table[name].astype(float)
    table = table.merge(_value_stats(counts, cols, bootstrap_reps, seed), on=cols, how="left")
    table["revenue_per_lead"] = safe_ratio(table["revenue"], table["leads"])
    table = _add_ratios(table, cols, baseline)
    return table[[*cols, *TABLE_COLUMNS]].reset_index(drop=True)


def _value_stats(counts: pd.DataFrame, cols: list[str], reps: int, seed: int) -> pd.DataFrame:
    """Mean and median won amount with bootstrap intervals per group (from survival_counts rows)."""
    won = counts[counts["valued_wins"] > 0]
    names = [
        "mean_won_amount",
        "mean_won_amount_lo",
        "mean_won_amount_hi",
        "median_won_amount",
        "median_won_amount_lo",
        "median_won_amount_hi",
    ]
    rows = []
    for i, (key, grp) in enumerate(won.groupby(cols, sort=True, dropna=False)):
        key = key if isinstance(key, tuple) else (key,)
        values = np.concatenate([np.asarray(a, dtype=float) for a in grp["won_amounts"]])
        rows.append((*key, *bootstrap_mean_median(values, reps=reps, seed=seed + i)))
    return pd.DataFrame(rows, columns=[*cols, *names]).astype({n: float for n in names})


def _add_ratios(table: pd.DataFrame, cols: list[str], baseline: str) -> pd.DataFrame:
    """Ratio of each row's conversion to its split cell's baseline pool, Holm-adjusted."""
    strata = [c for c in cols if c != "source"]
    pool = baseline_sources(baseline, sorted(table["source"].unique()))
    table["in_baseline"] = table["source"].isin(pool)
    base = table[table["in_baseline"]]
    if strata:
        agg = (
            base.groupby(strata, dropna=False)[["won", "leads"]]
            .sum()
            .rename(columns={"won": "base_won", "leads": "base_leads"})
            .reset_index()
        )
        table = table.merge(agg, on=strata, how="left")
    else:
        table["base_won"], table["base_leads"] = base["won"].sum(), base["leads"].sum()
    table[["base_won", "base_leads"]] = table[["base_won", "base_leads"]].fillna(0)
    ratio, lo, hi, p = rate_ratio(
        table["won"], table["leads"], table["base_won"], table["base_leads"], table["in_baseline"]
    )
    # a row that is its cell's whole baseline is the reference itself: ratio 1, nothing to test
    whole = table["in_baseline"].to_numpy() & (table["leads"].to_numpy() == table["base_leads"].to_numpy())
    table["ratio_to_baseline"] = np.where(whole & (table["leads"] > 0), 1.0, ratio)
    table["ratio_lo"], table["ratio_hi"] = np.where(whole, np.nan, lo), np.where(whole, np.nan, hi)
    table["p_value"] = np.where(whole, np.nan, p)
    table["p_value_holm"] = holm(table["p_value"].to_numpy())
    return table.drop(columns=["base_won", "base_leads"])


def conversion_curves(
    store: Store,
    filters: Filters,
    scope: Scope,
    *,
    max_days: int = CURVE_MAX_DAYS,
) -> pd.DataFrame:
    """Share of each source's leads converted by day N (Kaplan-Meier, open leads censored).

    Grain: one row per source per day 0..min(max_days, longest follow-up). Columns:
    ``source``, ``day``, ``at_risk``, ``converted_share``, ``converted_lo``, ``converted_hi``
    (see :func:`kaplan_meier`; the step function carried forward to every day).
    """
    cols = ["source", "day", "at_risk", "converted_share", "converted_lo", "converted_hi"]
    counts = survival_counts(store, filters, scope, by=("source",))
    if counts.empty:
        return pd.DataFrame(columns=cols)
    km = kaplan_meier(counts, ["source"])
    frames = []
    for source, grp in km.groupby("source", sort=True):
        last = int(min(grp["day"].max(), max_days))
        days = np.arange(0, last + 1)
        idx = np.searchsorted(grp["day"].to_numpy(), days, side="right") - 1
        at_risk_idx = np.searchsorted(grp["day"].to_numpy(), days, side="left").clip(0, len(grp) - 1)
        pick = lambda col, i=idx, g=grp: np.where(i >= 0, g[col].to_numpy()[i.clip(0)], 0.0)  # noqa: E731
        frames.append(
            pd.DataFrame(
                {
                    "source": source,
                    "day": days,
                    "at_risk": grp["at_risk"].to_numpy()[at_risk_idx],
                    "converted_share": pick("converted_share"),
                    "converted_lo": pick("converted_lo"),
                    "converted_hi": pick("converted_hi"),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)[cols]


def source_funnel(store: Store, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Funnel by lead source: how many leads reached each stage, step by step and cumulatively.

    Grain: one row per source per step (:data:`FUNNEL_STEPS`: the stages, then ``won``).
    Columns: ``source``, ``step``, ``step_index``, ``reached`` (leads whose furthest stage is at
    or past the step; a won lead passed every stage; a missing or unknown stage counts as
    ``new``), ``step_rate`` (reached / reached at the previous step) with Wilson ``step_lo`` /
    ``step_hi``, ``cumulative_rate`` (reached / leads) with ``cumulative_lo`` /
    ``cumulative_hi``. Open leads are counted at the stage they have reached so far.
    """
    cols = [
        "source",
        "step",
        "step_index",
        "reached",
        "step_rate",
        "step_lo",
        "step_hi",
        "cumulative_rate",
        "cumulative_lo",
        "cumulative_hi",
    ]
    w_sql, w_params = where(filters, scope, "created_at", alias="l")
    df = store.query(sql_text("funnel").format(where=w_sql), [len(FUNNEL_STAGES), list(FUNNEL_STAGES), *w_params])
    if df.empty:
        return pd.DataFrame(columns=cols)
    sources = sorted(df["source"].unique())
    grid = np.zeros((len(sources), len(FUNNEL_STEPS)), dtype=np.int64)
    s_idx = {s: i for i, s in enumerate(sources)}
    for s, k, n in df[["source", "step_index", "leads"]].itertuples(index=False):
        grid[s_idx[s], int(k)] += int(n)
    reached = np.cumsum(grid[:, ::-1], axis=1)[:, ::-1]
    previous = np.c_[reached[:, :1], reached[:, :-1]]
    total = np.repeat(reached[:, :1], len(FUNNEL_STEPS), axis=1)
    out = pd.DataFrame(
        {
            "source": np.repeat(sources, len(FUNNEL_STEPS)),
            "step": np.tile(FUNNEL_STEPS, len(sources)),
            "step_index": np.tile(np.arange(len(FUNNEL_STEPS)), len(sources)),
            "reached": reached.ravel(),
            "step_rate": safe_ratio(reached, previous).ravel(),
            "cumulative_rate": safe_ratio(reached, total).ravel(),
        }
    )
    out["step_lo"], out["step_hi"] = (a.ravel() for a in wilson(reached, previous))
    out["cumulative_lo"], out["cumulative_hi"] = (a.ravel() for a in wilson(reached, total))
    return out[cols]


#: Headline templates: per baseline kind (public, all, one source), without and with a split.
FINDING_TEMPLATES = (
    "{source} leads convert {ratio}x ({lo}-{hi}x) as often as public-channel leads",
    "{group}: {source} leads convert {ratio}x ({lo}-{hi}x) as often as public-channel leads",
    "{source} leads convert {ratio}x ({lo}-{hi}x) as often as the average lead",
    "{group}: {source} leads convert {ratio}x ({lo}-{hi}x) as often as the average lead",
    "{source} leads convert {ratio}x ({lo}-{hi}x) as often as {baseline} leads",
    "{group}: {source} leads convert {ratio}x ({lo}-{hi}x) as often as {baseline} leads",
)

#: How the headline ratios and p-value are formatted (the other parameters are stored values).
HEADLINE_KINDS = {"ratio": "number1", "lo": "number1", "hi": "number1", "p": "p"}


def headlines(table: pd.DataFrame, *, baseline: str = BASELINE_PUBLIC, alpha: float = FINDING_ALPHA) -> list[Finding]:
    """One plain-language finding per row whose ratio differs from 1 after Holm's adjustment.

    Templates (:data:`FINDING_TEMPLATES`, English, translated when rendered) read like
    ``"{source} leads convert {ratio}x ({lo}-{hi}x) as often as public-channel leads"``, with
    ``{group}: `` in front when the table is split (``group`` is then a dict of the split
    columns' values) and ``{baseline}`` (a source value) when the baseline is one source.
    Params also carry ``p`` (Holm-adjusted). The ratios are shown with one decimal
    (:data:`HEADLINE_KINDS`); ``source``, ``baseline`` and ``group`` are stored values that
    :func:`analytics.findings.render` passes to its ``labels`` callback. Ordered by ratio,
    largest first.
    """
    if table.empty:
        return []
    sig = table[(table["p_value_holm"] < alpha) & table["ratio_to_baseline"].notna()]
    group_cols = [c for c in table.columns[: list(table.columns).index("leads")] if c != "source"]
    findings = []
    for _, row in sig.sort_values("ratio_to_baseline", ascending=False).iterrows():
        params: dict[str, object] = {
            "source": row["source"],
            "ratio": float(row["ratio_to_baseline"]),
            "lo": float(row["ratio_lo"]),
            "hi": float(row["ratio_hi"]),
            "p": float(row["p_value_holm"]),
        }
        kind = baseline if baseline in (BASELINE_PUBLIC, BASELINE_ALL) else "source"
        if kind == "source":
            params["baseline"] = baseline
        if group_cols:
            params["group"] = {c: row[c] for c in group_cols}
        template = FINDING_TEMPLATES[2 * ("public", "all", "source").index(kind) + bool(group_cols)]
        findings.append(Finding(template, params, kinds=dict(HEADLINE_KINDS)))
    return findings
