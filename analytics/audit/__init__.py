"""The half-yearly system health audit: cost, ROI, satisfaction / NPS, growth and side effects.

Modules: :mod:`~analytics.audit.data` (loading the rep-quarter facts),
:mod:`~analytics.audit.stats` (the statistics), :mod:`~analytics.audit.health` (the audit),
:mod:`~analytics.audit.findings` (its plain-language findings),
:mod:`~analytics.audit.figures` (Plotly figures) and :mod:`~analytics.audit.report` (the
one-click HTML report). Renewal dues and NPS responses are shared relations of
:mod:`analytics.facts`; half-year helpers live in :mod:`analytics.periods`.
"""

from analytics.audit.data import audit_halves, rep_quarters
from analytics.audit.figures import audit_figures
from analytics.audit.findings import SIDE_EFFECT_TEMPLATES, audit_findings
from analytics.audit.health import health_audit
from analytics.audit.report import REPORT_COLUMNS, period_table, render_report, report_html
from analytics.audit.result import ROI_DEFINITION, AuditResult
from analytics.audit.stats import adjusted_difference, mean_with_interval, nps_with_interval, psi
from analytics.facts import (
    RENEWAL_EARLY_DAYS,
    RENEWAL_GRACE_DAYS,
    RENEWAL_TERM_DAYS,
    nps_responses,
    renewal_dues,
)

__all__ = [
    "RENEWAL_EARLY_DAYS",
    "RENEWAL_GRACE_DAYS",
    "RENEWAL_TERM_DAYS",
    "REPORT_COLUMNS",
    "ROI_DEFINITION",
    "SIDE_EFFECT_TEMPLATES",
    "AuditResult",
    "adjusted_difference",
    "audit_figures",
    "audit_findings",
    "audit_halves",
    "health_audit",
    "mean_with_interval",
    "nps_responses",
    "nps_with_interval",
    "period_table",
    "psi",
    "render_report",
    "renewal_dues",
    "rep_quarters",
    "report_html",
]
