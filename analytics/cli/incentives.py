"""``simulate``, ``scorecard`` and ``scenarios``: the incentive lab, headless.

``simulate`` prices every rep's pay under a plan for one quarter (or prints the summary,
one rep's payout lines, or the Monte Carlo risk); ``scorecard`` prints the three-dimension
scores and grades; ``scenarios`` lists, saves and compares saved plans. ``publish`` freezes a
quarter's scorecard and pay as published (a leader's), ``published list|diff`` lists the
publications and compares one with live data, and ``statements --published`` /
``scorecard --published`` re-show the frozen results. The analyses live in
:mod:`analytics.incentives`; the access rule is theirs too: a viewer who sees pay
aggregated only (:func:`analytics.access.sees_individual_pay`) gets one row per team from
``simulate`` and a refusal from ``--trace``, ``--baseline`` and ``scenarios compare --per-rep``.
Messages are in the language of ``--lang``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from analytics import incentives, runs
from analytics.access import require_individual_pay, require_publisher, sees_individual_pay
from analytics.cli.common import UserError, add_db, add_format, cli_scope, emit, open_store
from analytics.filters import Filters
from analytics.i18n import translate
from analytics.incentives import plans
from analytics.incentives import published as pub
from analytics.incentives.plan_messages import translate_plan_error
from analytics.incentives.scorecard import scorecard
from analytics.lookups import latest_complete_quarter
from analytics.periods import Quarter
from analytics.store import Store

__all__ = ["AGGREGATE_NOTE", "CLI_SCORECARD_COLUMNS", "CLI_SIMULATE_COLUMNS", "register"]

#: Columns of ``simulate`` output (budget_scaling is added when the plan scales over budget).
CLI_SIMULATE_COLUMNS = (
    "rep_id",
    "team_id",
    "attainment",
    "base_bonus",
    "commission",
    "team_bonus",
    "innovation_bonus",
    "total_pay",
    "grade",
)
#: Columns of ``scorecard`` output (all reps, or the promotion watch).
CLI_SCORECARD_COLUMNS = (
    "rep_id",
    "rep_name",
    "team_id",
    "region_id",
    "role",
    "results_score",
    "behaviour_score",
    "collaboration_score",
    "total_score",
    "rank_in_role",
    "reps_in_role",
    "grade",
    "previous_grade",
    "promotion_watch",
)
#: Said (on stderr) when ``simulate`` shows a viewer pay per team instead of per rep.
AGGREGATE_NOTE = "Your role sees pay aggregated only: one row per team."
#: Said when ``--trace`` names a rep without pay in the quarter.
NO_PAY = "Rep {rep} has no pay in {quarter} (no positive target, or not in the store)."
#: Said when no quarter is given and the store has none.
NO_DATA = "The store has no data yet; import data or build the demo store first."
#: Said when ``scenarios save`` has no ``--name``.
NO_NAME = "Give the scenario a name with --name."
#: Said when ``scenarios compare`` does not name two scenarios.
TWO_SCENARIOS = "Name two scenarios to compare, e.g. 'scenarios compare reference retention@2'."


#: Said (on stderr) when ``published diff`` shows a viewer who sees pay aggregated only no per-rep pay.
DIFF_AGGREGATE_NOTE = "Your role sees pay aggregated only: pay differences are shown per team with --by team."
#: Said when ``--plan`` is given with ``--published``.
PUBLISHED_PLAN = "--published shows the results under the plan they were published with; leave out --plan."


def _plan(path: str | None, lang: str) -> plans.Plan:
    """The plan in the TOML file ``path`` (the reference plan when None or ``reference``)."""
    try:
        return plans.load_plan(path) if path and path != "reference" else plans.reference_plan()
    except plans.PlanError as exc:
        raise UserError(translate_plan_error(str(exc), lang)) from exc


def _quarter(store: Store, text: str | None, lang: str) -> str:
    """The quarter ``text`` (``2025Q3``), or the latest complete quarter in the store."""
    if not text:
        q = latest_complete_quarter(store)
        if q is None:
            raise UserError(translate(NO_DATA, lang))
        return q
    try:
        return str(Quarter.parse(text))
    except ValueError as exc:
        raise UserError(str(exc)) from exc


def _cmd_simulate(args: argparse.Namespace) -> int:
    lang = args.lang
    store = open_store(args.db)
    plan = _plan(args.plan, lang)
    quarter = _quarter(store, args.quarter, lang)
    scope = cli_scope(args)
    inputs = incentives.load_inputs(store, Filters.for_quarter(quarter), scope)
    result = incentives.compute(inputs, plan)
    if args.trace:
        lines = incentives.trace(result, args.trace)
        if lines.empty:
            raise UserError(translate(NO_PAY, lang, rep=args.trace, quarter=quarter))
        emit(lines, args.format, args.out, lang=lang)
        return 0
    if args.summary:
        emit(result.summary.to_dict(), "json", args.out, lang=lang)
        return 0
    if args.risk:
        risk = incentives.risk(inputs, plan, draws=args.draws, shift=args.shift, seed=args.seed)
        emit(risk.to_dict(), "json", args.out, lang=lang)
        return 0
    if not sees_individual_pay(scope):
        if args.baseline:
            require_individual_pay(scope)
        print(translate(AGGREGATE_NOTE, lang), file=sys.stderr)
        emit(incentives.pay_by_team(result), args.format, args.out, lang=lang)
        return 0
    cols = list(CLI_SIMULATE_COLUMNS)
    if plan.budget.over_budget == "scale":
        cols.insert(cols.index("total_pay"), "budget_scaling")
    out = incentives.pay_lines(result, cols)
    if args.baseline:
        base = incentives.compute(inputs, _plan(args.baseline, lang)).per_rep.set_index("rep_id")["total_pay"]
        out["baseline_total_pay"] = out["rep_id"].map(base).to_numpy()
        out["delta"] = (out["total_pay"] - out["baseline_total_pay"]).round(2)
    emit(out, args.format, args.out, lang=lang)
    return 0


def _cmd_scorecard(args: argparse.Namespace) -> int:
    lang = args.lang
    store = open_store(args.db)
    quarter = _quarter(store, args.quarter, lang)
    if args.published:
        result = _frozen(store, args, quarter).scorecard
    else:
        result = scorecard(store, Filters.for_quarter(quarter), cli_scope(args), plan=_plan(args.plan, lang))
    if args.list == "promotion":
        emit(result.promotion[list(CLI_SCORECARD_COLUMNS)], args.format, args.out, lang=lang)
    elif args.list == "improvement":
        emit(result.improvement, args.format, args.out, lang=lang)
    else:
        emit(result.per_rep[list(CLI_SCORECARD_COLUMNS)], args.format, args.out, lang=lang)
    return 0


def _summary_rows(a: incentives.Summary, b: incentives.Summary) -> pd.DataFrame:
    """One row per summary figure: ``figure, a, b, delta`` (delta for numbers only)."""
    da, db = a.to_dict(), b.to_dict()
    rows = [
        {
            "figure": k,
            "a": da[k],
            "b": db[k],
            "delta": (db[k] - da[k]) if isinstance(da[k], int | float) and not isinstance(da[k], bool) else None,
        }
        for k in da
        if k not in ("quarter",)
    ]
    return pd.DataFrame(rows)


def _cmd_scenarios(args: argparse.Namespace) -> int:
    lang = args.lang
    if args.action == "save":
        if not args.name:
            raise UserError(translate(NO_NAME, lang))
        store = open_store(args.db)  # scenarios live in the control database: a reader saves them
        plan = _plan(args.plan, lang)
        try:
            rev = plans.save_scenario(store, args.name, plan, args.author, quarter=args.quarter, note=args.note or "")
        except plans.PlanError as exc:
            raise UserError(translate_plan_error(str(exc), lang)) from exc
        emit({"name": args.name.strip(), "revision": rev, "plan_name": plan.name}, "json", args.out, lang=lang)
        return 0
    store = open_store(args.db)
    if args.action == "list":
        emit(plans.list_scenarios(store), args.format, args.out, lang=lang)
        return 0
    if len(args.refs) != 2:
        raise UserError(translate(TWO_SCENARIOS, lang))
    try:
        plans_ = [plans.load_scenario(store, *plans.parse_scenario_ref(ref)) for ref in args.refs]
    except plans.PlanError as exc:
        raise UserError(translate_plan_error(str(exc), lang)) from exc
    quarter = _quarter(store, args.quarter, lang)
    inputs = incentives.load_inputs(store, Filters.for_quarter(quarter), cli_scope(args))
    a, b = (incentives.compute(inputs, p) for p in plans_)
    if args.per_rep:
        emit(incentives.compare(a, b), args.format, args.out, lang=lang)
        return 0
    emit(_summary_rows(a.summary, b.summary), args.format, args.out, lang=lang)
    return 0


def _cmd_statements(args: argparse.Namespace) -> int:
    lang = args.lang
    store = open_store(args.db)
    quarter = _quarter(store, args.quarter, lang)
    reps = [r.strip() for r in (args.rep or "").split(",") if r.strip()] or None
    if args.published:
        lines = _frozen(store, args, quarter).statement(reps)  # refuses a viewer who sees pay aggregated only
    else:
        inputs = incentives.load_inputs(store, Filters.for_quarter(quarter), cli_scope(args))
        result = incentives.compute(inputs, _plan(args.plan, lang))
        lines = incentives.statement(result, reps)  # refuses a viewer who sees pay aggregated only
    kind = args.format or ("xlsx" if args.out and args.out.lower().endswith(".xlsx") else "csv")
    if kind == "xlsx" and not args.out:
        raise UserError(translate("An Excel statement needs a file: add --out statements.xlsx.", lang))
    data = incentives.to_xlsx_bytes(lines) if kind == "xlsx" else incentives.to_csv_bytes(lines)
    if args.out:
        Path(args.out).write_bytes(data)
        print(
            translate(
                "{n} statement lines of {reps} reps written to {path}.",
                lang,
                n=len(lines),
                reps=lines["rep_id"].nunique(),
                path=args.out,
            ),
            file=sys.stderr,
        )
    else:
        sys.stdout.write(data.decode("utf-8-sig"))
    return 0


def _frozen(store: Store, args: argparse.Namespace, quarter: str) -> pub.Published:
    """The publication ``--published [ID]`` names (default: the quarter's latest) as the viewer sees it."""
    if args.plan:
        raise UserError(translate(PUBLISHED_PLAN, args.lang))
    which = quarter if args.published == "latest" else args.published
    try:
        return pub.load_published(store, which, cli_scope(args))
    except pub.PublishError as exc:
        raise UserError(translate(exc.template, args.lang, **exc.params)) from exc


def _cmd_publish(args: argparse.Namespace) -> int:
    lang = args.lang
    scope = cli_scope(args)
    require_publisher(scope)
    store = open_store(args.db)  # the frozen file and the control row are written directly: a reader is enough
    plan = _plan(args.plan, lang)
    quarter = _quarter(store, args.quarter, lang)
    with runs.recorded(store.control, "publish") as run:
        try:
            frozen = pub.publish(store, quarter, plan, by=scope, note=args.note or "")
        except pub.PublishError as exc:
            raise UserError(translate(exc.template, lang, **exc.params)) from exc
        run.version = store.version
        run.message = f"publication {frozen.publication.publish_id} of {quarter}"
    row = pub.list_published(store)
    emit(row[row["publish_id"] == frozen.publication.publish_id], args.format, args.out, lang=lang)
    return 0


def _cmd_published(args: argparse.Namespace) -> int:
    lang = args.lang
    store = open_store(args.db)
    if args.action == "list":
        emit(pub.list_published(store, quarter=args.quarter), args.format, args.out, lang=lang)
        return 0
    quarter = _quarter(store, args.quarter, lang)
    scope = cli_scope(args)
    try:
        diff = pub.differences(store, args.id if args.id is not None else quarter, scope)
    except pub.PublishError as exc:
        raise UserError(translate(exc.template, lang, **exc.params)) from exc
    if args.summary:
        emit({"publish_id": diff.publication.publish_id, **diff.counts}, "json", args.out, lang=lang)
    elif args.by == "team":
        emit(diff.teams, args.format, args.out, lang=lang)
    else:
        if not sees_individual_pay(scope):
            print(translate(DIFF_AGGREGATE_NOTE, lang), file=sys.stderr)
        emit(diff.reps, args.format, args.out, lang=lang)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``simulate``, ``statements``, ``scorecard``, ``scenarios``, ``publish`` and ``published``."""
    p = sub.add_parser("simulate", help="every rep's pay under a plan for one quarter (or --summary/--trace/--risk)")
    add_db(p)
    p.add_argument("--plan", help="plan TOML file (default data/plans/reference.toml)")
    p.add_argument("--quarter", help="quarter such as 2025Q3 (default: the latest in the store)")
    p.add_argument("--baseline", help="a second plan TOML; adds baseline_total_pay and delta columns")
    p.add_argument("--summary", action="store_true", help="print the plan summary (cost, budget, shares) as JSON")
    p.add_argument("--trace", metavar="REP_ID", help="print one rep's payout lines (they sum to the rep's pay)")
    p.add_argument("--risk", action="store_true", help="Monte Carlo of total cost (P10/P50/P90, P(over budget))")
    p.add_argument("--draws", type=int, default=1000, help="Monte Carlo draws (default 1000)")
    p.add_argument("--shift", type=float, default=0.0, help="shift every simulated attainment by this fraction")
    p.add_argument("--seed", type=int, default=0, help="Monte Carlo seed")
    add_format(p)
    p.set_defaults(func=_cmd_simulate)

    p = sub.add_parser(
        "statements", help="payout statements (every line of every rep in scope) as formula-safe CSV or Excel"
    )
    add_db(p)
    p.add_argument("--plan", help="plan TOML file (default data/plans/reference.toml)")
    p.add_argument("--quarter", help="quarter such as 2025Q3 (default: the latest in the store)")
    p.add_argument("--rep", help="comma-separated rep ids (default: every rep in scope)")
    p.add_argument("--format", choices=("csv", "xlsx"), help="csv (default) or xlsx (default from --out's suffix)")
    p.add_argument("--out", help="write to this file (needed for xlsx) instead of stdout")
    _add_published(p)
    p.set_defaults(func=_cmd_statements)

    p = sub.add_parser("scorecard", help="three-dimension scores and grades per rep for one quarter")
    add_db(p)
    p.add_argument("--quarter", help="quarter such as 2025Q3 (default: the latest in the store)")
    p.add_argument("--plan", help="plan TOML whose scorecard weights apply (default reference)")
    p.add_argument(
        "--list",
        choices=("all", "promotion", "improvement"),
        default="all",
        help="promotion: two consecutive A+; improvement: B and below with weakest metrics",
    )
    _add_published(p)
    add_format(p)
    p.set_defaults(func=_cmd_scorecard)

    p = sub.add_parser("scenarios", help="saved plan scenarios: list, save, compare two")
    p.add_argument("action", choices=("list", "save", "compare"))
    p.add_argument("refs", nargs="*", help="compare: two scenario names, optionally name@revision")
    add_db(p)
    p.add_argument("--name", help="save: scenario name")
    p.add_argument("--plan", help="save: plan TOML file (default reference)")
    p.add_argument("--author", default="cli", help="save: author recorded with the scenario")
    p.add_argument("--note", help="save: a note")
    p.add_argument("--quarter", help="save: quarter it was made for; compare: quarter to simulate")
    p.add_argument("--per-rep", action="store_true", help="compare: winners and losers per rep")
    add_format(p)
    p.set_defaults(func=_cmd_scenarios)

    p = sub.add_parser("publish", help="freeze a quarter's scorecard and pay as published (leaders only)")
    add_db(p)
    p.add_argument("--quarter", help="quarter such as 2025Q3 (default: the latest complete one in the store)")
    p.add_argument("--plan", help="'reference' (default) or a plan TOML file")
    p.add_argument("--note", help="a note kept with the publication (why, what changed)")
    add_format(p)
    p.set_defaults(func=_cmd_publish)

    p = sub.add_parser("published", help="published quarter results: list them, or diff one against live data")
    p.add_argument("action", choices=("list", "diff"))
    add_db(p)
    p.add_argument("--quarter", help="list: only this quarter; diff: its latest publication (default: latest quarter)")
    p.add_argument("--id", type=int, help="diff: this publication instead of the quarter's latest")
    p.add_argument("--by", choices=("rep", "team"), default="rep", help="diff: per rep (default) or pay per team")
    p.add_argument("--summary", action="store_true", help="diff: the counts of differences as JSON")
    add_format(p)
    p.set_defaults(func=_cmd_published)


def _add_published(p: argparse.ArgumentParser) -> None:
    """Add ``--published [ID]``: the frozen results of the quarter's latest publication (or of ID)."""
    p.add_argument(
        "--published",
        nargs="?",
        const="latest",
        metavar="ID",
        help="show the results as published (the quarter's latest publication, or publication ID)",
    )
