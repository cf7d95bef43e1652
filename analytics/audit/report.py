"""The one-click health-audit report: one self-contained HTML page (Jinja template in templates/).

Charts come from :mod:`analytics.audit.figures`, findings are rendered with
:func:`analytics.findings.render`, text is translated with :mod:`analytics.i18n` and
numbers formatted with :mod:`analytics.format` (the configured currency included).
"""

from __future__ import annotations

import html
from datetime import date
from pathlib import Path

import pandas as pd

from analytics import format as fmtlib
from analytics.access import Scope
from analytics.audit.figures import audit_figures
from analytics.audit.health import health_audit
from analytics.audit.result import ROI_DEFINITION, AuditResult
from analytics.filters import Filters
from analytics.findings import render
from analytics.i18n import LANGS, translate
from analytics.incentives.plan_messages import plan_name
from analytics.store import Store

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

#: Columns of the quarterly table in the report: (column, label, kind).
REPORT_COLUMNS = (
    ("incentive_cost", "Incentive cost", "compact_money"),
    ("salary_cost", "Salary cost", "compact_money"),
    ("revenue", "Revenue", "compact_money"),
    ("gross_profit", "Gross profit", "compact_money"),
    ("cost_of_sales_ratio", "Cost of sales / revenue", "percent"),
    ("roi", "ROI", "number"),
    ("share_threshold", "Reached base threshold", "percent"),
    ("share_accelerator", "In accelerator band", "percent"),
    ("att_p50", "Median attainment", "percent"),
    ("nps", "NPS", "number"),
    ("satisfaction", "Rep satisfaction (0-10)", "number"),
)


def period_table(result: AuditResult) -> pd.DataFrame:
    """The half-years, then the quarters, with the :data:`REPORT_COLUMNS` (raw values).

    Grain: one row per half-year or quarter. Columns: ``period`` and each report column.
    """
    cols = [c for c, _, _ in REPORT_COLUMNS]
    if not result.ok:
        return pd.DataFrame(columns=["period", *cols])
    halves = result.halves.rename(columns={"half": "period"})[["period", *cols]]
    quarters = result.quarterly.rename(columns={"quarter": "period"})[["period", *cols]]
    return pd.concat([halves, quarters], ignore_index=True)


def report_html(result: AuditResult, *, lang: str = "en", generated: date | None = None) -> str:
    """The audit as one self-contained HTML page (plotly.js inlined; no network needed).

    Text comes from the message catalogue (:func:`analytics.i18n.translate`) and every number
    from the one formatter (:mod:`analytics.format`), so money is shown in the configured
    currency (``LAB_CURRENCY``) exactly as on the page.
    """
    import jinja2

    def tr(msgid: str, **params: object) -> str:
        return translate(msgid, lang, **params)

    def fmt(value: object, kind: str = "number") -> str:
        return fmtlib.value(value, kind, lang=lang)

    figs = audit_figures(result, tr, symbol=fmtlib.currency_symbol(lang=lang))
    charts = []
    for i, (key, fig) in enumerate(figs.items()):
        charts.append(
            {
                "key": key,
                "html": fig.to_html(
                    full_html=False,
                    include_plotlyjs=(i == 0),  # type: ignore[attr-defined]
                    config={"displaylogo": False},
                ),
            }
        )
    periods = period_table(result)
    table = {
        "head": [tr("Period"), *[tr(label) for _, label, _ in REPORT_COLUMNS]],
        "rows": [
            [str(p["period"]), *[fmt(p[col], kind) for col, _, kind in REPORT_COLUMNS]]
            for p in periods.to_dict(orient="records")
        ],
    }
    effects = []
    names = {"renewal_rate": tr("Renewal rate"), "nps": tr("NPS"), "complaint_rate": tr("Complaint rate")}
    for _, s in result.side_effects.iterrows():
        scale = 100.0 if s["unit"] == "share" else 1.0
        effects.append(
            {
                "outcome": names.get(s["outcome"], s["outcome"]),
                "accel": fmt(s["accel_mean"] * scale),
                "other": fmt(s["other_mean"] * scale),
                "diff": fmt(s["diff"] * scale, "signed_number"),
                "ci": f"{fmt(s['lo'] * scale, 'signed_number')} … {fmt(s['hi'] * scale, 'signed_number')}",
                "p": fmt(s["p_value"], "p"),
                "within": fmt(s["within_diff"] * scale, "signed_number"),
                "n": f"{fmt(s['n_accel'], 'count')} / {fmt(s['n_other'], 'count')}",
                "worse": bool(s["worse"]),
            }
        )
    source = tr(
        "Incentive cost: the pay of the plan {plan} computed by the incentive engine for every rep and "
        "quarter (base bonus, commission with accelerator, innovation and team pools).",
        plan=plan_name(result.plan_name, lang),
    )
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)), autoescape=jinja2.select_autoescape(["html", "j2"])
    )
    return env.get_template("audit_report.html.j2").render(
        lang=lang,
        title=tr("Incentive system health audit {half}", half=result.half),
        subtitle=tr(
            "Quarters {quarters}; compared with {prev}. Generated {day}.",
            quarters=", ".join(result.quarters),
            prev=result.previous_half,
            day=(generated or date.today()).isoformat(),
        ),
        findings_title=tr("Findings"),
        charts_title=tr("Charts"),
        table_title=tr("Figures per half-year and quarter"),
        side_title=tr("Side-effect checks"),
        method_title=tr("Definitions"),
        findings=[{"level": f.level, "text": render(f, lang)} for f in result.findings],
        charts=charts,
        table=table,
        effects=effects,
        effects_head=[
            tr("Outcome"),
            tr("Accelerator band"),
            tr("Other reps"),
            tr("Adjusted difference"),
            tr("95% interval"),
            tr("p-value"),
            tr("Within-rep difference"),
            tr("Observations (band / other)"),
        ],
        definitions=[
            tr(ROI_DEFINITION),
            source,
            tr(
                "Renewal rate: renewals signed within 60 days before to 30 days after the due date / renewals due; a "
                "new or renewal deal makes the next renewal due 365 days later."
            ),
            tr(
                "NPS: % promoters (9-10) minus % detractors (0-6) of survey responses; an account belongs to the rep "
                "of its first deal."
            ),
            tr(
                "Side effects are differences between rep-quarters in the accelerator band (attainment at or above "
                "{accel}) and the others, adjusted for segment mix and quarter by least squares with standard errors "
                "clustered by rep; the within-rep difference compares each rep with themself.",
                accel=fmt(result.accelerator_start, "percent"),
            ),
        ],
        escape=html.escape,
    )


def render_report(
    store: Store, filters: Filters | None, scope: Scope, *, half: str, lang: str = "en", plan_path: str | None = None
) -> str:
    """Run :func:`analytics.audit.health.health_audit` and render it with :func:`report_html`."""
    if lang not in LANGS:
        raise ValueError(f"'{lang}' is not a report language; use en or zh.")
    return report_html(health_audit(store, filters, scope, half=half, plan_path=plan_path), lang=lang)
