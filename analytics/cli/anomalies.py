"""The ``anomalies`` and ``explain`` commands: flagged unit-weeks, and one unit-week explained.

Notes, findings and error messages are rendered in ``--lang`` through
:func:`analytics.findings.render`; ``--format table`` headers follow ``--lang`` while csv and
json keep the stable English column names and keys.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import sys
from pathlib import Path

import pandas as pd

from analytics import anomalies
from analytics.anomalies import explain
from analytics.cli.common import (
    UserError,
    _parse_date,
    add_db,
    add_filters,
    add_format,
    cli_scope,
    emit,
    filters_from_args,
    open_store,
)
from analytics.findings import render

#: Columns of the ``anomalies`` output after the unit column (``region`` or ``team``).
ANOMALY_OUTPUT = (
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
)
#: Columns of the ``explain`` table and csv output (one row per decomposition term).
TERM_OUTPUT = ("dimension", "key", "term", "contribution", "share", "before", "after", "value_unit")


def _check_metric(args: argparse.Namespace) -> None:
    if args.metric not in anomalies.METRICS:
        raise UserError(f"--metric '{args.metric}' is not known; choose one of {', '.join(anomalies.METRICS)}.")
    if not math.isfinite(args.sensitivity) or args.sensitivity <= 0:
        raise UserError(f"--sensitivity {args.sensitivity} must be a positive number such as 3.0.")


def _cmd_anomalies(args: argparse.Namespace) -> int:
    store = open_store(args.db)
    filters = filters_from_args(args, store)
    _check_metric(args)
    result = anomalies.find_anomalies(
        store,
        filters,
        cli_scope(args),
        metric=args.metric,
        level=args.level,
        sensitivity=args.sensitivity,
        by_segment=not args.total_only,
    )
    labels = anomalies.finding_labels(args.lang)
    for note in result.notes:
        print(f"note: {render(note, args.lang, labels=labels)}", file=sys.stderr)
    out = result.anomalies.rename(columns={"unit": args.level})
    emit(out[[args.level, *ANOMALY_OUTPUT]], args.format, args.out, lang=args.lang)
    return 0


def _terms(result: explain.Explanation) -> pd.DataFrame:
    """Every decomposition term of ``result`` (segment, source, rep), one row per term."""
    frames = [dec.terms for dec in result.decompositions.values() if len(dec.terms)]
    if not frames:
        return pd.DataFrame(columns=list(TERM_OUTPUT))
    return pd.concat(frames, ignore_index=True)[list(TERM_OUTPUT)]


def _cmd_explain(args: argparse.Namespace) -> int:
    store = open_store(args.db)
    if bool(args.region) == bool(args.team):
        raise UserError("Give exactly one of --region R or --team T.")
    level, unit = ("region", args.region) if args.region else ("team", args.team)
    week = _parse_date(args.week, "--week")
    _check_metric(args)
    args.region = args.team = ""
    filters = filters_from_args(args, store)
    labels = anomalies.finding_labels(args.lang)
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
        raise UserError(render(exc.finding, args.lang, labels=labels)) from exc
    if args.format == "json":
        emit(result.to_dict(args.lang, labels=labels), "json", args.out)
    elif args.format == "csv":
        emit(_terms(result), "csv", args.out)
    else:
        table = io.StringIO()
        with contextlib.redirect_stdout(table):
            emit(_terms(result), "table", None, lang=args.lang)
        summary = "".join(render(f, args.lang, labels=labels) + "\n" for f in result.summary)
        text = summary + "\n" + table.getvalue()
        if args.out:
            Path(args.out).write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``anomalies`` and ``explain`` commands."""
    metrics = ", ".join(anomalies.METRICS)
    p = sub.add_parser("anomalies", help="flag region-weeks whose metric left its expected band")
    add_db(p)
    add_filters(p)
    add_format(p)
    p.add_argument(
        "--metric",
        default=anomalies.DEFAULT_METRIC,
        help=f"one of {metrics} (default {anomalies.DEFAULT_METRIC})",
    )
    p.add_argument(
        "--sensitivity",
        type=float,
        default=anomalies.DEFAULT_SENSITIVITY,
        help="robust z threshold; lower flags more (default 3.0)",
    )
    p.add_argument("--level", choices=tuple(anomalies.LEVEL_COLUMNS), default="region", help="watch regions or teams")
    p.add_argument("--total-only", action="store_true", help="test only each unit's total, not its segments")
    p.set_defaults(func=_cmd_anomalies)

    p = sub.add_parser("explain", help="decompose one region-week's change into segment / source / rep terms")
    add_db(p)
    p.add_argument("--region", default="", help="region id (or use --team)")
    p.add_argument("--team", default="", help="team id, to explain a team-week")
    p.add_argument("--week", required=True, help="any day of the week (YYYY-MM-DD); the Monday is used")
    p.add_argument(
        "--metric",
        default=anomalies.DEFAULT_METRIC,
        help=f"one of {metrics} (default {anomalies.DEFAULT_METRIC})",
    )
    p.add_argument(
        "--sensitivity",
        type=float,
        default=anomalies.DEFAULT_SENSITIVITY,
        help="band width in robust z (default 3.0)",
    )
    p.add_argument("--segment", default="", help="comma-separated segments to restrict the data to")
    p.add_argument(
        "--format",
        choices=("json", "table", "csv"),
        default="json",
        help="json (default: everything), or the summary and decomposition terms as a table / csv",
    )
    p.add_argument("--out", help="write the result to this file instead of stdout")
    p.set_defaults(func=_cmd_explain, date_from=None, date_to=None, quarter=None)
