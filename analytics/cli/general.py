"""General commands: ``demo``, ``info`` and ``overview``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analytics import demo, overview, runs
from analytics.cli.common import (
    UserError,
    add_db,
    add_filters,
    add_format,
    cli_scope,
    emit,
    filters_from_args,
    open_store,
)
from analytics.store import Store

#: DuckDB memory cap while building a demo store (keeps a 10M-lead build under 6 GB RSS).
DEMO_MEMORY_LIMIT = "3GB"


def _cmd_demo(args: argparse.Namespace) -> int:
    path = Path(args.db)
    if path.exists() and not args.force:
        raise UserError(f"{path} already exists; pass --force to replace it, or choose another --db.")
    path.parent.mkdir(parents=True, exist_ok=True)
    last = [-1.0]

    def progress(frac: float, msg: str) -> None:
        if args.quiet:
            return
        if frac - last[0] >= 0.1 or frac >= 1.0:
            last[0] = frac
            print(f"  {frac:4.0%} {msg}", file=sys.stderr)

    # a fresh snapshot, published only when complete: a failed build leaves the store as it was
    with runs.recorded(runs.control_of(path), "demo") as run, Store(path, purpose="a demo build", fresh=True) as store:
        # bound DuckDB's memory (it spills to a temp folder beside the file) for 10M-lead builds
        store.execute(f"SET memory_limit = '{DEMO_MEMORY_LIMIT}'")
        store.execute("SET preserve_insertion_order = false")
        result = demo.generate(store, seed=args.seed, n_leads=args.leads, progress=progress)
        store.close()
        run.version = store.version
    counts = ", ".join(f"{k} {v:,}" for k, v in result.counts.items())
    print(f"demo store {path} built in {result.seconds:.1f}s: {counts}")
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    store = open_store(args.db)
    info = store.info()
    out = {
        "db": args.db,
        "schema_version": store.schema_version(),
        "tables": store.table_counts(),
        "info": {k: v for k, v in info.items() if k != "planted"},
    }
    emit(out, "json")
    return 0


def _cmd_overview(args: argparse.Namespace) -> int:
    store = open_store(args.db)
    filters = filters_from_args(args, store)
    scope = cli_scope(args)
    if args.weekly:
        emit(overview.weekly_curve(store, filters, scope), args.format, args.out, lang=args.lang)
    else:
        emit(overview.kpis(store, filters, scope).to_frame(), args.format, args.out, lang=args.lang)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the general commands."""
    p = sub.add_parser("demo", help="build a deterministic demo store")
    add_db(p)
    p.add_argument("--seed", type=int, default=7, help="random seed (same seed -> identical tables)")
    p.add_argument("--leads", type=int, default=250_000, help="number of leads (default 250,000)")
    p.add_argument("--force", action="store_true", help="replace an existing file")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("info", help="schema version, row counts and provenance of a store")
    add_db(p)
    p.set_defaults(func=_cmd_info)

    p = sub.add_parser("overview", help="KPI tiles (or --weekly curve) for a period")
    add_db(p)
    add_filters(p)
    add_format(p)
    p.add_argument("--weekly", action="store_true", help="the weekly conversion curve against the target band")
    p.set_defaults(func=_cmd_overview)
