"""``import`` and ``import-all``: load CRM exports into the store from the command line.

Both commands run :mod:`analytics.ingest` (atomic: the store changes only when the whole
import succeeds), print ``read N, stored S, rejected R`` with the first rejected rows and
their reasons in the ``--lang`` language, and write every rejected row to a CSV file (in
English, like every machine format) next to the first input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analytics import runs
from analytics.cli.common import UserError, add_db
from analytics.i18n import translate
from analytics.ingest import ImportFailed, ImportResult, import_files, read_mapping, translate_message
from analytics.ingest.folder import FOLDER_SUFFIXES, folder_jobs
from analytics.ingest.importer import check_table, run_jobs
from analytics.ingest.messages import translate_reason
from analytics.ingest.rules import SPECS
from analytics.store import Store

__all__ = ["SHOWN_REJECTS", "register"]

#: Rejections printed under the summary line.
SHOWN_REJECTS = 5


def _write_rejects(result: ImportResult, first_input: Path, target: str | None) -> Path | None:
    """Write the rejects CSV (UTF-8 with BOM, so Excel shows Chinese text); None when nothing was rejected."""
    if not result.rejected:
        return None
    path = Path(target) if target else first_input.with_name(f"{first_input.stem}.rejects.csv")
    try:
        result.rejects_frame().to_csv(path, index=False, encoding="utf-8-sig")
    except OSError as exc:
        result.warnings.append(
            f"the rejected rows could not be written to {path} ({exc.strerror or exc}); name another file with --rejects."
        )
        return None
    return path


def _print_result(result: ImportResult, rejects: Path | None, lang: str, prefix: str = "") -> None:
    """The human-readable report of one import in ``lang`` (reasons included); warnings go to stderr."""
    summary = translate(
        "read {read}, stored {stored}, rejected {rejected}",
        lang,
        read=result.read,
        stored=result.stored,
        rejected=result.rejected,
    )
    print(f"{prefix}{summary}")
    for rej in result.rejections[:SHOWN_REJECTS]:
        reason = translate_reason(rej.reason, lang)
        print("  " + translate("{file} line {line}: {reason}", lang, file=rej.file, line=rej.line, reason=reason))
    if result.rejected > SHOWN_REJECTS:
        print("  " + translate("... and {n} more", lang, n=result.rejected - SHOWN_REJECTS))
    if rejects is not None:
        print(translate("rejected rows written to {path}", lang, path=rejects))
    for warning in result.warnings:
        print(translate("warning: {message}", lang, message=translate_message(warning, lang)), file=sys.stderr)


def _open_for_import(db: str, wait: float) -> Store:
    """The store to import into, created (with its folder) when it does not exist yet."""
    Path(db).parent.mkdir(parents=True, exist_ok=True)
    return Store(db, purpose="an import", wait=wait)


def _cmd_import(args: argparse.Namespace) -> int:
    with runs.recorded(runs.control_of(args.db), "import") as run:
        try:
            check_table(args.table)
            spec = read_mapping(args.mapping) if args.mapping else None
            with _open_for_import(args.db, args.wait) as store:
                result = import_files(store, args.table, args.files, mapping=spec)
            run.version = store.version
            run.count([result])
            rejects = _write_rejects(result, Path(args.files[0]), args.rejects)
        except ImportFailed as exc:
            raise UserError(translate_message(str(exc), args.lang)) from exc
    _print_result(result, rejects, args.lang)
    return 0


def _cmd_import_all(args: argparse.Namespace) -> int:
    with runs.recorded(runs.control_of(args.db), "import") as run:
        try:
            jobs = folder_jobs(args.folder)
            with _open_for_import(args.db, args.wait) as store:
                results = run_jobs(store, jobs)
            run.version = store.version
            run.count(results)
            written = [_write_rejects(r, job.paths[0], None) for r, job in zip(results, jobs, strict=True)]
        except ImportFailed as exc:
            raise UserError(translate_message(str(exc), args.lang)) from exc
    for result, rejects in zip(results, written, strict=True):
        _print_result(result, rejects, args.lang, prefix=f"{result.table}: ")
    return 0


def _add_wait(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="wait up to SECONDS for another import to finish (default 0: exit 75 at once if one is running)",
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``import`` and ``import-all`` commands."""
    p = subparsers.add_parser(
        "import",
        help="import CSV/TSV/XLSX/Parquet files into one table (atomic)",
        description="Import files into one table. Rows that cannot be stored are listed "
        "with their line and reason; the store changes only if the whole "
        "import succeeds. See docs/import-formats.md.",
    )
    add_db(p)
    p.add_argument("--table", required=True, help=f"target table: {', '.join(SPECS)}")
    p.add_argument("--mapping", help="column-mapping file (TOML) for headers that are not recognised")
    p.add_argument("--rejects", help="where to write rejected rows (default: <first file>.rejects.csv next to it)")
    p.add_argument("files", nargs="+", help="input files, all for the same table")
    _add_wait(p)
    p.set_defaults(func=_cmd_import)

    p = subparsers.add_parser("import-all", help="import <table>.csv files of a folder in dependency order")
    add_db(p)
    p.add_argument(
        "folder",
        help=f"folder with files named after tables ({', '.join(FOLDER_SUFFIXES)}) and optional <table>.toml mappings",
    )
    _add_wait(p)
    p.set_defaults(func=_cmd_import_all)
