"""Plain-language findings of a health audit (:class:`analytics.findings.Finding`).

Every finding is an English template with its parameters and their kinds; pages, the CLI
and the HTML report render it with :func:`analytics.findings.render`.
"""

from __future__ import annotations

import math

from analytics.audit.result import AuditResult
from analytics.findings import Finding
from analytics.stats import CONFIDENCE, safe_ratio

SIDE_EFFECT_TEMPLATES = {
    "renewal_rate": "Side effect on renewals: the renewal rate of accelerator-band reps differs by {diff} percentage "
    "points from other reps with the same segment mix (95% interval {lo} to {hi}, p = {p}).",
    "nps": "Side effect on NPS: accounts of accelerator-band reps give an NPS {diff} points different from other "
    "reps' accounts with the same segment mix (95% interval {lo} to {hi}, p = {p}).",
    "complaint_rate": "Side effect on complaints: the complaint rate of accelerator-band reps differs by {diff} from "
    "other reps with the same segment mix (95% interval {lo} to {hi}, p = {p}).",
}


def audit_findings(r: AuditResult) -> list[Finding]:
    """Plain-language findings of an audit (English templates with parameters)."""
    if not r.ok:
        return [
            Finding(
                "No targets or deals in {half} for the selected teams: nothing to audit.",
                {"half": r.half},
                {"half": "text"},
                "warning",
            )
        ]
    out: list[Finding] = []
    cur, prev = r.half_row(), r.half_row(r.previous_half)
    change = (
        float(safe_ratio(cur["incentive_cost"] - prev["incentive_cost"], prev["incentive_cost"]))
        if len(prev)
        else math.nan
    )
    out.append(
        Finding(
            "Incentives cost {cost} in {half} ({share} of revenue; cost of sales including salaries {cos_share}); "
            "{change} against {prev}.",
            {
                "cost": cur["incentive_cost"],
                "half": r.half,
                "share": cur["incentive_per_revenue"],
                "cos_share": cur["cost_of_sales_ratio"],
                "change": change,
                "prev": r.previous_half,
            },
            {
                "cost": "compact_money",
                "half": "text",
                "share": "percent",
                "cos_share": "percent",
                "change": "signed_percent",
                "prev": "text",
            },
        )
    )
    if not math.isnan(cur["roi"]):
        lvl = "good" if cur["roi_lo"] > 0 else ("warning" if cur["roi_hi"] < 0 else "info")
        out.append(
            Finding(
                "Each {one} of incentive came with {roi} of extra gross profit compared with the same half a year "
                "earlier (95% interval {lo} to {hi}). This is a year-on-year comparison, not proof that incentives "
                "caused the growth.",
                {"one": 1.0, "roi": cur["roi"], "lo": cur["roi_lo"], "hi": cur["roi_hi"]},
                {"one": "money", "roi": "money", "lo": "money", "hi": "money"},
                lvl,
            )
        )
    else:
        out.append(Finding("ROI needs the same half a year earlier, which the store does not hold.", level="info"))
    thr = cur["share_threshold"]
    out.append(
        Finding(
            "{share} of rep-quarters reached the base threshold ({threshold} of target; the plan intends about 80%), "
            "{quota} reached quota and {accel} reached the accelerator band.",
            {"share": thr, "threshold": r.threshold, "quota": cur["share_quota"], "accel": cur["share_accelerator"]},
            {"share": "percent", "threshold": "percent", "quota": "percent", "accel": "percent"},
            "warning" if abs(thr - 0.8) > 0.1 else "info",
        )
    )
    if not math.isnan(cur.get("ks_p", math.nan)):
        moved = cur["ks_p"] < 1 - CONFIDENCE or (not math.isnan(cur["psi"]) and cur["psi"] > 0.25)
        out.append(
            Finding(
                "The attainment distribution shifted against {prev} (median {median}; KS p = {p}, PSI {psi})."
                if moved
                else "The attainment distribution is stable against {prev} (median {median}; KS p = {p}, PSI {psi}).",
                {"prev": r.previous_half, "median": cur["att_p50"], "p": cur["ks_p"], "psi": cur["psi"]},
                {"prev": "text", "median": "percent", "p": "p", "psi": "number"},
                "warning" if moved else "info",
            )
        )
    if len(prev) and not math.isnan(cur["nps"]):
        out.append(
            Finding(
                "NPS {nps} in {half} ({change} points against {prev}); rep satisfaction {sat} out of 10 "
                "({sat_change} against {prev}).",
                {
                    "nps": cur["nps"],
                    "half": r.half,
                    "change": cur["nps"] - prev["nps"],
                    "prev": r.previous_half,
                    "sat": cur["satisfaction"],
                    "sat_change": cur["satisfaction"] - prev["satisfaction"],
                },
                {
                    "nps": "number",
                    "half": "text",
                    "change": "signed_number",
                    "prev": "text",
                    "sat": "number",
                    "sat_change": "signed_number",
                },
            )
        )
    kinds = {"diff": "signed_number", "lo": "signed_number", "hi": "signed_number", "p": "p"}
    for _, s in r.side_effects.iterrows():
        if not s["worse"]:
            continue
        scale = 100.0 if s["unit"] == "share" else 1.0
        params = {"diff": s["diff"] * scale, "lo": s["lo"] * scale, "hi": s["hi"] * scale, "p": s["p_value"]}
        out.append(Finding(SIDE_EFFECT_TEMPLATES[s["outcome"]], params, kinds, "warning"))
    if len(r.side_effects) and r.side_effects["worse"].any():
        out.append(
            Finding(
                "Accelerator earners appear to neglect existing customers: consider adding renewal rate "
                "or NPS to the scorecard, or a clawback on lost renewals.",
                level="warning",
            )
        )
    elif len(r.side_effects):
        out.append(
            Finding(
                "No side effect found: accelerator-band reps do as well as others on renewal rate, NPS "
                "and complaint rate (segment-adjusted, 95% intervals).",
                level="good",
            )
        )
    return out
