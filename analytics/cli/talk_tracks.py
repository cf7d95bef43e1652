"""The ``talk-tracks`` and ``drivers`` commands."""

from __future__ import annotations

import argparse
import sys

import pandas as pd

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
from analytics.facts import data_end
from analytics.findings import Finding, render
from analytics.periods import Quarter
from analytics.talk_tracks import drivers, effects
from analytics.talk_tracks.estimator import N_BOOT, SEED, TRIM
from analytics.talk_tracks.statements import finding_labels


def _text(finding: Finding, lang: str) -> str:
    """A finding in ``lang``; tags and metrics stay identifiers (stable across languages)."""
    return render(finding, lang, labels=finding_labels(lang))


def _note(finding: Finding, lang: str) -> None:
    print(f"note: {_text(finding, lang)}", file=sys.stderr)


def _cmd_talk_tracks(args: argparse.Namespace) -> int:
    if not 0 <= args.trim < 0.5:
        raise UserError(f"--trim {args.trim} must be at least 0 and below 0.5 (the default is {TRIM}).")
    if args.min_leads < 1 or args.boot < 10:
        raise UserError("--min-leads must be at least 1 and --boot at least 10.")
    if args.max_leads < 0:
        raise UserError(
            f"--max-leads {args.max_leads} must be 0 (all leads) or more (the default is {effects.MAX_LEADS})."
        )
    store = open_store(args.db)
    filters = filters_from_args(args, store)
    result = effects.impact(
        store,
        filters,
        cli_scope(args),
        min_group=args.min_leads,
        trim=args.trim,
        n_boot=args.boot,
        seed=args.seed,
        max_leads=args.max_leads,
    )
    if result.sampled:
        _note(effects.sample_note(result), args.lang)
    if result.message is not None:
        _note(result.message, args.lang)
    if args.table == "balance":
        emit(result.balance, args.format, args.out, lang=args.lang)
    elif args.table == "overlap":
        emit(result.overlap, args.format, args.out, lang=args.lang)
    elif args.table == "findings":
        tags = result.effects["tag"].tolist()
        statements = [_text(f, args.lang) for f in result.findings]
        frame = pd.DataFrame({"tag": tags, "statement": statements}, columns=["tag", "statement"])
        emit(frame, args.format, args.out, lang=args.lang)
    else:
        emit(result.effects, args.format, args.out, lang=args.lang)
    return 0


def _cmd_drivers(args: argparse.Namespace) -> int:
    if args.top is not None and args.top < 1:
        raise UserError(f"--top {args.top} must be a positive number of reps.")
    store = open_store(args.db)
    if not args.quarter:
        args.quarter = str(Quarter.of(data_end(store)))
    filters = filters_from_args(args, store)
    scope = cli_scope(args)
    if args.profile:
        profile = drivers.rep_profile(store, filters, scope, rep_id=args.profile, quarter=args.quarter)
        if profile.empty:
            print(
                f"note: rep {args.profile} has no target in {args.quarter} or is outside the selection.",
                file=sys.stderr,
            )
        emit(profile, args.format, args.out, lang=args.lang)
        return 0
    result = drivers.key_drivers(store, filters, scope, quarter=args.quarter, top=args.top, n_boot=args.boot)
    if result.message is not None:
        _note(result.message, args.lang)
    if args.table == "reps":
        emit(result.reps, args.format, args.out, lang=args.lang)
    elif args.table == "findings":
        statements = [_text(f, args.lang) for f in result.findings]
        emit(pd.DataFrame({"statement": statements}, columns=["statement"]), args.format, args.out, lang=args.lang)
    else:
        emit(result.effects, args.format, args.out, lang=args.lang)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``talk-tracks`` and ``drivers`` commands."""
    p = sub.add_parser("talk-tracks", help="raw and adjusted (AIPW) conversion effect of each talk-track tag")
    add_db(p)
    add_filters(p)
    add_format(p)
    p.add_argument(
        "--table",
        choices=("effects", "balance", "overlap", "findings"),
        default="effects",
        help="effects per tag (default), covariate balance, propensity overlap, or headlines",
    )
    p.add_argument(
        "--min-leads",
        type=int,
        default=effects.MIN_GROUP_LEADS,
        help=f"hide tags with fewer treated or untreated leads (default {effects.MIN_GROUP_LEADS})",
    )
    p.add_argument(
        "--trim", type=float, default=TRIM, help=f"drop leads with propensity outside [trim, 1 - trim] (default {TRIM})"
    )
    p.add_argument("--boot", type=int, default=N_BOOT, help=f"rep-clustered bootstrap draws (default {N_BOOT})")
    p.add_argument("--seed", type=int, default=SEED, help="random seed of the folds and the bootstrap")
    p.add_argument(
        "--max-leads",
        type=int,
        default=effects.MAX_LEADS,
        help=f"analyse a random sample of about this many closed leads when the selection has more "
        f"(default {effects.MAX_LEADS:,}; 0 = all, which needs ~2 GB of memory per million leads)",
    )
    p.set_defaults(func=_cmd_talk_tracks)

    p = sub.add_parser("drivers", help="which behaviour / collaboration metrics separate a quarter's top performers")
    add_db(p)
    add_filters(p)
    add_format(p)
    p.add_argument("--top", type=int, default=None, help="top N reps by attainment (default: the top decile)")
    p.add_argument(
        "--table",
        choices=("effects", "reps", "findings"),
        default="effects",
        help="one row per metric (default), per rep, or the plain-language statements",
    )
    p.add_argument("--profile", metavar="REP_ID", help="instead: one rep against their team and the top decile")
    p.add_argument("--boot", type=int, default=200, help="bootstrap draws for the coefficient intervals")
    p.set_defaults(func=_cmd_drivers)
