"""The ``pilot`` command: evaluate a pilot against control teams (DiD / synthetic control / SDID)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from analytics import pilots
from analytics.cli.common import UserError, add_db, cli_scope, emit, open_store
from analytics.findings import render
from analytics.i18n import column_label, translate
from analytics.periods import Quarter
from analytics.pilots.result import PilotResult

#: Summary fields printed above the series in ``--format table``.
SUMMARY_FIELDS = ("metric", "teams", "start", "method", "effect", "lo", "hi", "p_value", "mde", "n_placebo")


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (text or "").split(",") if v.strip())


def _table(frame: pd.DataFrame, lang: str) -> str:
    """``frame`` as a plain-text table with headers in ``lang``."""
    if not len(frame):
        return translate("(no rows)", lang)
    return frame.rename(columns=lambda c: column_label(str(c), lang)).to_string(index=False)


def _metric_name(lang: str) -> Callable[[str, object], str]:
    """Finding labels: the metric's column label in ``lang`` (its id when it has none)."""
    return lambda name, value: column_label(str(value), lang) if name == "metric" else str(value)


def pilot_text(result: PilotResult, lang: str) -> str:
    """The human-readable (``--format table``) output of ``pilot`` in ``lang``."""
    d = result.to_dict(lang)
    head = "\n".join(f"{column_label(k, lang)}: {d[k]}" for k in SUMMARY_FIELDS)
    controls = ", ".join(f"{c['team_id']} ({c['weight']:.2f})" for c in d["controls"])  # type: ignore[union-attr]
    text = f"{head}\n{column_label('controls', lang)}: {controls}"
    text += "\n\n" + _table(result.series, lang)
    text += "\n\n" + "\n".join(render(f, lang, labels=_metric_name(lang)) for f in result.findings) + "\n"
    return text


def _cmd_pilot(args: argparse.Namespace) -> int:
    store = open_store(args.db)
    teams, controls = _split(args.teams), _split(args.controls)
    known = set(store.query("SELECT team_id FROM teams")["team_id"])
    unknown = [tm for tm in (*teams, *controls) if tm not in known]
    if unknown:
        raise UserError(f"Unknown team id(s): {', '.join(unknown)}; list the teams with 'python -m analytics info'.")
    if args.start:
        try:
            Quarter.parse(args.start)
        except ValueError as exc:
            raise UserError(str(exc)) from exc
    try:
        result = pilots.evaluate_pilot(
            store,
            None,
            cli_scope(args),
            teams=teams,
            start=args.start,
            metric=args.metric,
            method=args.method,
            controls=controls,
            same_type=args.same_type,
            n_matches=args.matches,
            n_placebo=args.placebos,
            seed=args.seed,
        )
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    if args.format == "json":
        emit(result.to_dict(), "json", args.out, lang=args.lang)
    elif args.format == "csv":
        emit(result.series, "csv", args.out, lang=args.lang)
    else:
        text = pilot_text(result, args.lang)
        if args.out:
            Path(args.out).write_text(text, encoding="utf-8")
        else:
            print(text, end="")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``pilot`` command."""
    p = sub.add_parser("pilot", help="evaluate a pilot against control teams (DiD / synthetic control / SDID)")
    add_db(p)
    p.add_argument("--teams", default="", help="comma-separated pilot team ids (default: the store's pilot flags)")
    p.add_argument("--start", help="first pilot quarter, e.g. 2025Q2 (default: the store's pilot flag)")
    p.add_argument(
        "--metric",
        default="collaboration_score",
        help="conversion, revenue_per_rep, renewal_rate, nps, or any per-rep quarterly metric",
    )
    p.add_argument("--method", default="auto", choices=("auto", *pilots.METHODS))
    p.add_argument("--controls", default="", help="comma-separated candidate control teams (default: all others)")
    p.add_argument("--same-type", action="store_true", help="only control teams of the pilot teams' types")
    p.add_argument("--matches", type=int, default=pilots.DEFAULT_MATCHES, help="matched controls per pilot team (did)")
    p.add_argument("--placebos", type=int, default=pilots.DEFAULT_PLACEBOS, help="placebo draws for the interval")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--format",
        choices=("table", "csv", "json"),
        default="table",
        help="json: the full result object; csv: the per-quarter series",
    )
    p.add_argument("--out", help="write the result to this file instead of stdout")
    p.set_defaults(func=_cmd_pilot)
