"""The ``attribution sources`` and ``attribution touch`` commands."""

from __future__ import annotations

import argparse
import sys

from analytics import format as fmt
from analytics.attribution import sources, touch
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
from analytics.i18n import translate

#: The note printed when Shapley values are sampled rather than exact.
SAMPLED_NOTE = (
    "More than {max} channels, so Shapley values are sampled ({permutations} permutations); "
    "the largest sampling standard error of a share is {se}."
)


def parse_weights(text: str) -> tuple[float, float]:
    """``--position`` as (first, last) touch weights; ``ValueError`` quoting the text otherwise."""
    parts = [p.strip() for p in text.split(",")]
    try:
        first, last = (float(p) for p in parts)
    except ValueError as exc:
        raise ValueError(f"--position '{text}' must be two numbers such as 0.4,0.4 (first, last touch).") from exc
    return first, last


def _cmd_sources(args: argparse.Namespace) -> int:
    store = open_store(args.db)
    filters = filters_from_args(args, store)
    dims = sources.group_dims(args.by)
    if args.baseline not in (sources.BASELINE_PUBLIC, sources.BASELINE_ALL):
        known = sources.lead_sources(store)
        if args.baseline not in known:
            raise UserError(
                f"--baseline '{args.baseline}' is not a lead source in the store; use public, all or one of: "
                f"{', '.join(known)}."
            )
    table = sources.source_table(store, filters, cli_scope(args), by=dims, baseline=args.baseline)
    cols = [sources.GROUP_DIMS[d][1] for d in dims]
    emit(table if args.detail else table[[*cols, *sources.SOURCE_COLUMNS]], args.format, args.out, lang=args.lang)
    return 0


def _cmd_touch(args: argparse.Namespace) -> int:
    store = open_store(args.db)
    filters = filters_from_args(args, store)
    frame = touch.touch_credit(
        store,
        filters,
        cli_scope(args),
        model=args.model,
        value=args.value,
        half_life_days=args.half_life,
        position_weights=parse_weights(args.position),
        bootstrap_reps=args.bootstrap,
        seed=args.seed,
    )
    if frame["share_se_sampling"].notna().any():
        note = translate(
            SAMPLED_NOTE,
            args.lang,
            max=fmt.count(touch.SHAPLEY_EXACT_MAX, lang=args.lang),
            permutations=fmt.count(touch.SHAPLEY_PERMUTATIONS, lang=args.lang),
            se=fmt.number(frame["share_se_sampling"].max(), lang=args.lang, digits=4),
        )
        print(f"note: {note}", file=sys.stderr)
    out = frame[list(touch.TOUCH_COLUMNS)]
    if args.format == "table":
        # the plain "share" header reads "Share of the change" (anomalies' explain table); here it is credit
        out = out.rename(columns={"share": "credit_share"})
    emit(out, args.format, args.out, lang=args.lang)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``attribution sources`` and ``attribution touch``."""
    group = sub.add_parser("attribution", help="lead sources x conversion x cycle x deal value; multi-touch credit")
    commands = group.add_subparsers(dest="attribution_command", required=True, metavar="SUBCOMMAND")

    p = commands.add_parser("sources", help="one row per lead source (and split): conversion, days, value, ratio")
    add_db(p)
    add_filters(p)
    add_format(p)
    p.add_argument(
        "--by",
        default="source",
        help="comma-separated split: source plus region, segment, team, quarter (source is always included)",
    )
    p.add_argument(
        "--baseline",
        default=sources.BASELINE_PUBLIC,
        help="what each source is compared with: public (pooled public channels), all, or a source value",
    )
    p.add_argument(
        "--detail", action="store_true", help="every column (P75 days, deal-value intervals, open leads, raw p-values)"
    )
    p.set_defaults(func=_cmd_sources)

    p = commands.add_parser("touch", help="one row per channel: credit under a multi-touch model, with intervals")
    add_db(p)
    add_filters(p)
    add_format(p)
    p.add_argument("--model", required=True, choices=touch.MODELS, help="attribution model")
    p.add_argument("--value", choices=touch.VALUES, default="conversions", help="what the share is computed on")
    p.add_argument("--half-life", type=float, default=touch.DEFAULT_HALF_LIFE_DAYS, help="time_decay half-life in days")
    p.add_argument("--position", default="0.4,0.4", help="position model: first,last touch weights")
    p.add_argument(
        "--bootstrap", type=int, default=touch.BOOTSTRAP_REPS, help="bootstrap replicates for the intervals (0 = none)"
    )
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    p.set_defaults(func=_cmd_touch)
