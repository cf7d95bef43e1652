"""The headless interface: ``python -m analytics <command>``.

Each domain module exposes ``register(subparsers)`` that adds its commands; every command
is a function ``(args) -> int`` (the exit code). Errors a user can fix are printed as one
sentence on stderr with exit code 2, never as a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from analytics import access, facts, users
from analytics.access import NOBODY, AccessDenied, Scope
from analytics.filters import Filters
from analytics.i18n import DEFAULT_LANG, LANGS, column_label, translate
from analytics.snapshots import StoreBusy
from analytics.store import SchemaOutdated, Store, StoreError

#: Modules that contribute commands; each has ``register(subparsers)``.
COMMAND_MODULES = (
    "analytics.cli.general",
    "analytics.cli.ingest",
    "analytics.cli.users",
    "analytics.cli.incentives",
    "analytics.cli.pilots",
    "analytics.cli.audit",
    "analytics.cli.attribution",
    "analytics.cli.anomalies",
    "analytics.cli.talk_tracks",
    "analytics.cli.operations",
)
DEFAULT_DB = "data/demo.duckdb"


class UserError(Exception):
    """An error caused by the user's input; its message is shown as is."""


def add_db(parser: argparse.ArgumentParser) -> None:
    """Add the common ``--db`` option."""
    parser.add_argument("--db", default=DEFAULT_DB, help=f"DuckDB store file (default {DEFAULT_DB})")


def add_format(parser: argparse.ArgumentParser, *, default: str = "table") -> None:
    """Add the common ``--format`` option (table for people, csv/json for machines)."""
    parser.add_argument(
        "--format",
        choices=("table", "csv", "json"),
        default=default,
        help="output format; csv and json keep stable English column names",
    )
    parser.add_argument("--out", help="write the result to this file instead of stdout")


def add_filters(parser: argparse.ArgumentParser) -> None:
    """Add the shared filter options (date range or quarter, region, team, segment)."""
    parser.add_argument("--from", dest="date_from", help="first day (YYYY-MM-DD)")
    parser.add_argument("--to", dest="date_to", help="last day (YYYY-MM-DD)")
    parser.add_argument("--quarter", help="a quarter such as 2025Q3 (instead of --from/--to)")
    parser.add_argument("--region", default="", help="comma-separated region ids")
    parser.add_argument("--team", default="", help="comma-separated team ids")
    parser.add_argument("--segment", default="", help="comma-separated segments")


def _split(text: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in (text or "").split(",") if v.strip())


def _parse_date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise UserError(f"{option} '{text}' is not a date; write it like 2025-07-01.") from exc


def filters_from_args(args: argparse.Namespace, store: Store) -> Filters:
    """Build :class:`Filters` from the shared options; default to the store's whole range."""
    dims = {"region_ids": _split(args.region), "team_ids": _split(args.team), "segments": _split(args.segment)}
    if getattr(args, "quarter", None):
        try:
            return Filters.for_quarter(args.quarter, **dims)
        except ValueError as exc:
            raise UserError(str(exc)) from exc
    lo, hi = facts.data_range(store)
    start = _parse_date(args.date_from, "--from") if args.date_from else lo
    end = _parse_date(args.date_to, "--to") if args.date_to else hi
    try:
        return Filters(start=start, end=end, **dims)
    except ValueError as exc:
        raise UserError(str(exc)) from exc


#: Exit status when another writer holds the store (EX_TEMPFAIL: a scheduler may retry later).
BUSY_EXIT = 75


def open_store(path: str, *, read_only: bool = True) -> Store:
    """Open an existing store for a command (read-only by default).

    A read-only open of a store written by an older version of the product upgrades it
    first (a short writer that publishes the migrated snapshot), then reads the result.
    A writer must be closed (``with open_store(..., read_only=False) as store:``) to publish.
    """
    if path != ":memory:" and not Path(path).exists():
        raise UserError(f"The store {path} does not exist. Create it with 'python -m analytics demo --db {path}'.")
    try:
        if not read_only:
            return Store(path, purpose="a command")
        try:
            return Store(path, read_only=True)
        except SchemaOutdated:
            with Store(path, purpose="a schema upgrade"):
                pass
            return Store(path, read_only=True)
    except StoreError as exc:
        raise UserError(str(exc)) from exc


def cli_scope(args: argparse.Namespace) -> Scope:
    """The scope a CLI command runs under.

    The local operator (who can read the store file anyway) is a leader; ``--as USER``
    runs the command with that account's scope instead, exactly as the app would apply it
    (an unknown or disabled account sees nothing).
    """
    cached = getattr(args, "_scope", None)
    if cached is not None:
        return cached
    user = getattr(args, "as_user", None)
    if not user:
        scope = Scope.leader(user="cli")
    else:
        with open_store(args.db) as store:
            account = users.get_account(store, user)
        scope = account.scope() if account else NOBODY
    args._scope = scope  # the access check and the command read the account once
    return scope


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and value != value:  # NaN
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return _jsonable(value.item())
    return value


def _human_float(value: float) -> str:
    """Readable numbers for table output: thousands separators, at most four decimals."""
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4f}".rstrip("0").rstrip(".")


def emit(
    result: pd.DataFrame | dict[str, Any] | list[Any], fmt: str, out: str | None = None, *, lang: str | None = None
) -> None:
    """Print (or write) a result as a table, CSV or JSON (a list of row objects).

    ``lang`` is the language of the table format's headers and labels (``--lang``); CSV and
    JSON keep the stable English column names.
    """
    if isinstance(result, pd.DataFrame):
        if fmt == "csv":
            text = result.to_csv(index=False)
        elif fmt == "json":
            rows = [{k: _jsonable(v) for k, v in row.items()} for row in result.to_dict(orient="records")]
            text = json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
        else:
            lang = lang or DEFAULT_LANG
            shown = result.copy()
            if "metric" in shown.columns:
                shown["metric"] = [column_label(str(m), lang) for m in shown["metric"]]
            shown = shown.rename(columns=lambda c: column_label(str(c), lang))
            empty = translate("(no rows)", lang)
            text = (shown.to_string(index=False, float_format=_human_float) if len(shown) else empty) + "\n"
    else:
        text = json.dumps(result, ensure_ascii=False, indent=2, default=_jsonable) + "\n"
    if out:
        Path(out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every registered command."""
    parser = argparse.ArgumentParser(
        prog="python -m analytics",
        description="Quarterly performance & incentive lab: every analysis, headless.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log query timings")
    parser.add_argument(
        "--as",
        dest="as_user",
        metavar="USER",
        help="run with this account's access scope (default: the local operator, a leader)",
    )
    parser.add_argument(
        "--lang",
        choices=LANGS,
        default=DEFAULT_LANG,
        help="language of human-readable output (csv/json keep English identifiers)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        if getattr(args, "as_user", None):
            access.require_command(cli_scope(args), args.command)
        return int(args.func(args) or 0)
    except AccessDenied as exc:
        print(f"error: {translate(exc.template, args.lang, **exc.params)}", file=sys.stderr)
        return 2
    except StoreBusy as exc:
        print(f"error: {exc}", file=sys.stderr)
        return BUSY_EXIT
    except (UserError, StoreError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; nothing was changed by an unfinished import.", file=sys.stderr)
        return 130
