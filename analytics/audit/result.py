"""The result of a health audit (:class:`AuditResult`) and the names it is described with."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analytics.findings import Finding

ROI_DEFINITION = (
    "ROI = (gross profit in the period - gross profit in the same period a year earlier) / incentive cost in the period"
)
#: Side-effect outcomes: name -> (unit, higher is better).
SIDE_EFFECT_OUTCOMES = {"renewal_rate": ("share", True), "nps": ("points", True), "complaint_rate": ("rate", False)}


@dataclass(frozen=True)
class AuditResult:
    """The health audit of one half-year (see :func:`health_audit`).

    ``quarterly`` (one row per quarter from the first quarter with targets to the half's
    end) and ``halves`` (one row per half-year) share these columns: ``reps``
    (rep-quarters), ``revenue``, ``gross_profit``, ``incentive_cost``, ``salary_cost``,
    ``cost_of_sales``, ``cost_of_sales_ratio``, ``incentive_per_revenue``,
    ``gp_prev_year``, ``incremental_gp``, ``roi``, ``roi_lo``, ``roi_hi``,
    ``gp_per_incentive``, ``revenue_growth_yoy``, ``share_threshold`` / ``share_quota`` /
    ``share_accelerator`` (each with ``_lo`` / ``_hi``), ``att_p10`` ... ``att_p90``,
    ``ks_stat``, ``ks_p``, ``psi`` (drift against the previous row), ``satisfaction``
    (+``_lo``/``_hi``), ``nps`` (+``_lo``/``_hi``), ``nps_responses``.
    ``side_effects`` (one row per outcome): ``outcome``, ``unit``, ``accel_mean``,
    ``other_mean``, ``raw_diff``, ``diff``, ``lo``, ``hi``, ``p_value`` (segment- and
    quarter-adjusted), ``within_diff``, ``within_lo``, ``within_hi``, ``within_p`` (rep
    fixed effects), ``n_accel``, ``n_other``, ``n_reps``, ``worse`` (True when the
    adjusted difference is significantly in the bad direction).
    ``attainment``: one row per rep-quarter, ``quarter``, ``attainment``, ``band``.
    """

    half: str
    quarters: tuple[str, ...]
    previous_half: str
    plan_name: str
    accelerator_start: float
    threshold: float
    quarterly: pd.DataFrame
    halves: pd.DataFrame
    side_effects: pd.DataFrame
    attainment: pd.DataFrame
    findings: tuple[Finding, ...] = ()
    roi_definition: str = ROI_DEFINITION

    @property
    def ok(self) -> bool:
        """True when the half has rep-quarters to audit."""
        return bool(len(self.quarterly)) and self.half in set(self.halves["half"])

    def half_row(self, half: str | None = None) -> pd.Series:
        """The ``halves`` row of ``half`` (default: the audited half)."""
        rows = self.halves[self.halves["half"] == (half or self.half)]
        return rows.iloc[0] if len(rows) else pd.Series(dtype=object)
