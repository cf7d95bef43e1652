"""The health-audit commands: ``audit`` (tables of a half-year) and ``audit-report`` (the HTML report)."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np

from analytics import audit
from analytics.cli.common import UserError, add_db, add_format, cli_scope, emit, open_store
from analytics.findings import render
from analytics.i18n import LANGS
from analytics.periods import half_quarters

#: Tables of the ``audit`` command.
AUDIT_TABLES = ("quarterly", "halves", "side_effects")


def _cmd_audit_report(args: argparse.Namespace) -> int:
    store = open_store(args.db)
    try:
        half_quarters(args.half)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    halves = audit.audit_halves(store)
    if args.half not in halves:
        raise UserError(f"The store has no targets in {args.half}; choose one of: {', '.join(halves) or 'none'}.")
    try:
        text = audit.render_report(store, None, cli_scope(args), half=args.half, lang=args.lang, plan_path=args.plan)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"audit report for {args.half} written to {out} ({len(text) / 1e6:.1f} MB)")
    return 0


def _cmd_audit(args: argparse.Namespace) -> int:
    store = open_store(args.db)
    try:
        result = audit.health_audit(store, None, cli_scope(args), half=args.half, plan_path=args.plan)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    table = {"quarterly": result.quarterly, "halves": result.halves, "side_effects": result.side_effects}[args.table]
    if args.format == "json":
        emit(
            {
                "half": result.half,
                "plan": result.plan_name,
                "roi_definition": result.roi_definition,
                "findings": [render(f, "en") for f in result.findings],
                args.table: [{k: _json(v) for k, v in row.items()} for row in table.to_dict(orient="records")],
            },
            "json",
            args.out,
            lang=args.lang,
        )
    else:
        emit(table, args.format, args.out, lang=args.lang)
    return 0


def _json(v: object) -> object:
    if isinstance(v, float | np.floating):
        return None if math.isnan(float(v)) else float(v)
    if isinstance(v, np.integer | np.bool_):
        return v.item()
    return v


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``audit`` and ``audit-report`` commands."""
    p = sub.add_parser("audit-report", help="one-click HTML health audit of a half-year (charts + findings)")
    add_db(p)
    p.add_argument("--half", required=True, help="half-year to audit, e.g. 2025H2")
    p.add_argument("--out", required=True, help="HTML file to write")
    # SUPPRESS keeps the global --lang when this one is not given
    p.add_argument("--lang", choices=LANGS, default=argparse.SUPPRESS, help="report language (en or zh)")
    p.add_argument("--plan", help="plan TOML that prices incentives (default data/plans/reference.toml)")
    p.set_defaults(func=_cmd_audit_report)

    p = sub.add_parser("audit", help="health-audit tables of a half-year (quarterly, halves or side_effects)")
    add_db(p)
    p.add_argument("--half", required=True, help="half-year to audit, e.g. 2025H2")
    p.add_argument("--table", choices=AUDIT_TABLES, default="halves")
    p.add_argument("--plan", help="plan TOML that prices incentives (default data/plans/reference.toml)")
    add_format(p)
    p.set_defaults(func=_cmd_audit)
