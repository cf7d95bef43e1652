"""Incentive-system health audit: what incentives cost, what they bought, and their side effects.

Twice a year (per half-year, with each quarter shown) the audit relates incentive cost,
return, satisfaction / NPS and growth, and checks for side effects of the accelerator.
Definitions (docs/methods/audit.md):

- *incentive cost*: the plan's payout per rep per quarter (base bonus, commission with
  accelerator, innovation pool, team pool) from the incentive engine,
  :func:`analytics.incentives.simulate` (default plan: data/plans/reference.toml).
- *salary cost*: monthly base salary x 3, prorated for reps hired during the quarter.
- *cost of sales*: salary cost + incentive cost; *cost-of-sales ratio* = cost of sales /
  revenue.
- *ROI* (incremental gross profit per unit of incentive) = (gross profit in the period -
  gross profit in the same period a year earlier) / incentive cost in the period. It is a
  year-on-year comparison, not a causal effect; its 95% interval comes from resampling
  reps (nonparametric bootstrap, Efron & Tibshirani 1993).
- *attainment* = won amount of the plan's deal types signed in the quarter / target;
  shares of rep-quarters at or above the base threshold (80%), quota (100%) and the
  accelerator start (120%), with Wilson intervals. *Drift*: two-sample Kolmogorov-Smirnov
  test and population stability index (PSI, deciles of the earlier distribution) between
  consecutive quarters.
- *satisfaction*: mean of the ``satisfaction`` rep metric (t interval); *NPS* = % promoters
  (9-10) - % detractors (0-6) of the quarter's responses, with the normal interval of a
  difference of two multinomial shares.
- *side effects*: rep-quarters in the accelerator band (attainment >= accelerator start)
  vs the others, on renewal rate (per renewal due, :func:`analytics.facts.renewal_dues`), NPS (per
  response of the rep's accounts) and complaint rate (per rep-quarter). The difference
  is adjusted for segment mix and quarter by least squares with standard errors clustered
  by rep (CR1, Cameron & Miller 2015); a within-rep version (rep fixed effects) is also
  reported.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats as sps

from analytics.access import Scope
from analytics.audit.data import (
    complaint_rates,
    incentive_pay,
    load_plan,
    rep_quarters,
    rep_satisfaction,
    segment_mix,
    target_quarters,
)
from analytics.audit.findings import audit_findings
from analytics.audit.result import SIDE_EFFECT_OUTCOMES, AuditResult
from analytics.audit.stats import (
    adjusted_difference,
    mean_with_interval,
    nps_with_interval,
    psi,
    roi_with_interval,
)
from analytics.facts import nps_responses, renewal_dues
from analytics.filters import Filters
from analytics.periods import Quarter, half_key, half_of, half_quarters, previous_half
from analytics.stats import safe_ratio, wilson
from analytics.store import Store

#: Attainment quantiles reported per quarter.
QUANTILES = (0.10, 0.25, 0.50, 0.75, 0.90)
#: Accelerator start used when the plan has none.
DEFAULT_ACCELERATOR_START = 1.2


def _year_before(quarters: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"{Quarter.parse(q).year - 1}Q{Quarter.parse(q).q}" for q in quarters)


def _period_row(
    label: str,
    quarters: tuple[str, ...],
    prev_label_quarters: tuple[str, ...] | None,
    rq: pd.DataFrame,
    sat: pd.DataFrame,
    nps: pd.DataFrame,
    threshold: float,
    accel: float,
    seed: int,
) -> dict[str, object]:
    """One row of ``quarterly`` / ``halves`` for the given quarters."""
    cur = rq[rq["quarter"].isin(quarters)]
    prev_year = rq[rq["quarter"].isin(_year_before(quarters))]
    has_prev = set(_year_before(quarters)) <= set(rq["quarter"])
    revenue, gp = float(cur["revenue"].sum()), float(cur["gross_profit"].sum())
    cost, salary = float(cur["incentive_pay"].sum()), float(cur["salary_cost"].sum())
    roi, roi_lo, roi_hi, gp_prev = roi_with_interval(cur, prev_year, seed) if has_prev else (math.nan,) * 4
    att = cur["attainment"].to_numpy(float)
    att = att[~np.isnan(att)]
    row: dict[str, object] = {
        "reps": len(cur),
        "revenue": revenue,
        "gross_profit": gp,
        "incentive_cost": cost,
        "salary_cost": salary,
        "cost_of_sales": cost + salary,
        "cost_of_sales_ratio": float(safe_ratio(cost + salary, revenue)),
        "incentive_per_revenue": float(safe_ratio(cost, revenue)),
        "gp_prev_year": gp_prev,
        "incremental_gp": gp - gp_prev if has_prev else math.nan,
        "roi": roi,
        "roi_lo": roi_lo,
        "roi_hi": roi_hi,
        "gp_per_incentive": float(safe_ratio(gp, cost)),
        "revenue_growth_yoy": float(safe_ratio(revenue - prev_year["revenue"].sum(), prev_year["revenue"].sum()))
        if has_prev
        else math.nan,
    }
    for name, cut in (("threshold", threshold), ("quota", 1.0), ("accelerator", accel)):
        k, n = int((att >= cut).sum()), len(att)
        lo, hi = wilson(k, n)
        row[f"share_{name}"] = float(safe_ratio(k, n))
        row[f"share_{name}_lo"], row[f"share_{name}_hi"] = float(lo), float(hi)
    for qv in QUANTILES:
        row[f"att_p{round(qv * 100)}"] = float(np.quantile(att, qv)) if len(att) else math.nan
    if prev_label_quarters is not None:
        before = rq[rq["quarter"].isin(prev_label_quarters)]["attainment"].to_numpy(float)
        before = before[~np.isnan(before)]
        if len(before) >= 2 and len(att) >= 2:
            ks = sps.ks_2samp(before, att)
            row["ks_stat"], row["ks_p"] = float(ks.statistic), float(ks.pvalue)
        else:
            row["ks_stat"] = row["ks_p"] = math.nan
        row["psi"] = psi(before, att)
    else:
        row["ks_stat"] = row["ks_p"] = row["psi"] = math.nan
    s = sat[sat["quarter"].isin(quarters)]["value"].to_numpy(float)
    row["satisfaction"], row["satisfaction_lo"], row["satisfaction_hi"] = mean_with_interval(s)
    v = nps[nps["quarter"].isin(quarters)]["nps_value"].to_numpy(float)
    row["nps"], row["nps_lo"], row["nps_hi"] = nps_with_interval(v)
    row["nps_responses"] = len(v)
    return row


def side_effects(
    store: Store, filters: Filters | None, scope: Scope, rq: pd.DataFrame, quarters: tuple[str, ...], accel: float
) -> pd.DataFrame:
    """Accelerator-band rep-quarters vs the others on renewal rate, NPS and complaint rate.

    See the module docstring; grain: one row per outcome (columns in :class:`AuditResult`).
    """
    cols = [
        "outcome",
        "unit",
        "accel_mean",
        "other_mean",
        "raw_diff",
        "diff",
        "lo",
        "hi",
        "p_value",
        "within_diff",
        "within_lo",
        "within_hi",
        "within_p",
        "n_accel",
        "n_other",
        "n_reps",
        "worse",
    ]
    band = rq[rq["quarter"].isin(quarters)][["rep_id", "quarter", "attainment"]].copy()
    if not len(band):
        return pd.DataFrame(columns=cols)
    band["accel"] = (band["attainment"] >= accel).astype(float)
    band = band.drop(columns="attainment")
    qs = [Quarter.parse(q) for q in quarters]
    span = Filters(
        start=min(qs).start,
        end=max(qs).end,
        region_ids=filters.region_ids if filters else (),
        team_ids=filters.team_ids if filters else (),
    )
    dues = renewal_dues(store, span, scope).merge(band, on=["rep_id", "quarter"], how="inner")
    dues["y"] = dues["renewed"].astype(float)
    resp = nps_responses(store, span, scope).merge(band, on=["rep_id", "quarter"], how="inner")
    resp["y"] = resp["nps_value"].astype(float)
    comp = complaint_rates(store, scope, quarters).merge(band, on=["rep_id", "quarter"], how="inner")
    mix = segment_mix(store, scope, quarters)
    comp = comp.merge(mix, on=["rep_id", "quarter"], how="left")
    mix_cols = tuple(sorted(c for c in comp.columns if c.startswith("mix_")))[1:]
    comp[list(mix_cols)] = comp[list(mix_cols)].fillna(comp[list(mix_cols)].mean())
    designs = {
        "renewal_rate": (dues, ("segment", "quarter"), ()),
        "nps": (resp, ("segment", "quarter"), ()),
        "complaint_rate": (comp, ("quarter",), mix_cols),
    }
    rows = []
    for name, (df, cats, nums) in designs.items():
        unit, higher_better = SIDE_EFFECT_OUTCOMES[name]
        df = df.copy()
        for c in cats:
            df[c] = df[c].fillna("unknown")
        a, o = df[df["accel"] == 1]["y"], df[df["accel"] == 0]["y"]
        adj = adjusted_difference(df, "y", "accel", categorical=cats, numeric=nums, cluster="rep_id")
        within = adjusted_difference(
            df, "y", "accel", categorical=cats, numeric=nums, cluster="rep_id", absorb="rep_id"
        )
        bad = (adj.hi < 0) if higher_better else (adj.lo > 0)
        rows.append(
            {
                "outcome": name,
                "unit": unit,
                "accel_mean": float(a.mean()) if len(a) else math.nan,
                "other_mean": float(o.mean()) if len(o) else math.nan,
                "raw_diff": float(a.mean() - o.mean()) if len(a) and len(o) else math.nan,
                "diff": adj.diff,
                "lo": adj.lo,
                "hi": adj.hi,
                "p_value": adj.p_value,
                "within_diff": within.diff,
                "within_lo": within.lo,
                "within_hi": within.hi,
                "within_p": within.p_value,
                "n_accel": len(a),
                "n_other": len(o),
                "n_reps": int(df["rep_id"].nunique()),
                "worse": bool(bad) if not math.isnan(adj.diff) else False,
            }
        )
    return pd.DataFrame(rows, columns=cols)


def health_audit(
    store: Store,
    filters: Filters | None,
    scope: Scope,
    *,
    half: str,
    plan_path: str | None = None,
    side_window: str = "half",
    seed: int = 0,
) -> AuditResult:
    """The incentive-system health audit of one half-year.

    Parameters
    ----------
    half
        The audited half-year, ``2025H2``.
    plan_path
        Plan TOML that prices the incentives (default: data/plans/reference.toml).
    side_window
        ``half`` (side effects over the half's quarters) or ``history`` (every quarter up
        to the half's end, for more power).
    seed
        Seed of the ROI bootstrap.

    The shared filters' region and team selections restrict the reps; their dates and
    segment selection do not apply (the half sets the period, targets cannot be split by
    segment). Quarters without targets are not audited.
    """
    quarters = half_quarters(half)
    plan = load_plan(plan_path)
    accel = float(plan.accelerator_start)
    threshold = float(plan.base_bonus.threshold)
    if math.isnan(accel):
        accel = DEFAULT_ACCELERATOR_START
    end = Quarter.parse(quarters[-1])
    history = target_quarters(store, end)
    rq = rep_quarters(store, filters, scope, quarters=history, deal_types=tuple(plan.deal_types))
    rq["incentive_pay"] = incentive_pay(store, filters, scope, rq, plan) if len(rq) else pd.Series(dtype=float)
    present = tuple(q for q in history if q in set(rq["quarter"]))
    first = Quarter.parse(present[0]) if present else end
    span = Filters(
        start=first.start,
        end=end.end,
        region_ids=filters.region_ids if filters else (),
        team_ids=filters.team_ids if filters else (),
    )
    nps = nps_responses(store, span, scope) if present else pd.DataFrame(columns=["quarter", "nps_value"])
    sat = rep_satisfaction(store, filters, scope)
    qrows = []
    for i, q in enumerate(present):
        row = _period_row(q, (q,), (present[i - 1],) if i else None, rq, sat, nps, threshold, accel, seed)
        qrows.append({"quarter": q, "half": half_of(q), **row})
    quarterly = pd.DataFrame(qrows)
    halves_list = sorted({half_of(q) for q in present}, key=half_key)
    hrows = []
    for i, h in enumerate(halves_list):
        hq = tuple(q for q in half_quarters(h) if q in present)
        prev = tuple(q for q in half_quarters(halves_list[i - 1]) if q in present) if i else None
        hrows.append(
            {"half": h, "quarters": ",".join(hq), **_period_row(h, hq, prev, rq, sat, nps, threshold, accel, seed)}
        )
    halves = pd.DataFrame(hrows)
    audited = tuple(q for q in quarters if q in present)
    window = audited if side_window == "half" else present
    effects = side_effects(store, filters, scope, rq, window, accel) if window else pd.DataFrame()
    band = rq[["quarter", "attainment"]].copy()
    band["band"] = pd.cut(
        band["attainment"].fillna(0.0),
        [-np.inf, threshold, 1.0, accel, np.inf],
        right=False,
        labels=["below_threshold", "threshold", "quota", "accelerator"],
    ).astype(str)
    result = AuditResult(
        half=half,
        quarters=quarters,
        previous_half=previous_half(half),
        plan_name=str(plan.name),
        accelerator_start=accel,
        threshold=threshold,
        quarterly=quarterly,
        halves=halves,
        side_effects=effects,
        attainment=band.reset_index(drop=True),
    )
    return AuditResult(**{**result.__dict__, "findings": tuple(audit_findings(result))})
