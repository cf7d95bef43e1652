"""Files -> validated rows -> store: safe, atomic import with a reason for every rejected row.

``import_files(store, "deals", ["deals.csv"])`` reads CSV / TSV / XLSX / Parquet files (UTF-8
with or without BOM, GBK / GB18030, UTF-16), matches their headers to the canonical columns
(English or Chinese, simplified or traditional, or an explicit mapping file), parses every
value in DuckDB SQL, checks references against the store and duplicates within the input,
and upserts the good rows on the table's primary key, all in one transaction: either every
file of the call is applied or the store is left exactly as it was.

The contract (headers, synonyms, value formats, mapping files, reasons) is documented in
docs/import-formats.md. Every input row is either stored or rejected with its physical
line number and a reason sentence, so ``read == stored + rejected`` always.

The pieces: :mod:`~analytics.ingest.read` stages a file as text cells,
:mod:`~analytics.ingest.mapping` checks a mapping, :mod:`~analytics.ingest.plan` decides
which input column feeds which canonical column, :mod:`~analytics.ingest.sql` writes the
checks; this module runs them in one transaction (:func:`run_jobs`).
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import duckdb
import pandas as pd

from analytics.ingest.mapping import Mapping, as_mapping
from analytics.ingest.plan import FilePlan, check_lookup, column_labels, plan_file
from analytics.ingest.read import ImportFailed, Staged, stage_file
from analytics.ingest.rules import SPECS
from analytics.ingest.sql import Params, decided_sql, file_cells_sql, typed_sql, upsert_sql
from analytics.store import Store

__all__ = [
    "ImportJob",
    "ImportResult",
    "Progress",
    "Rejection",
    "check_table",
    "import_files",
    "run_jobs",
]

log = logging.getLogger(__name__)

#: ``progress(fraction, message)``: called while an import runs (message in English, see
#: :data:`analytics.ingest.messages.PROGRESS`).
Progress = Callable[[float, str], None]
_TEMP_TABLES = ("__typed", "__checked", "__dups")
#: Mapping sections that name canonical columns.
_COLUMN_SECTIONS = ("columns", "defaults", "values", "lookup")


class ImportJob(NamedTuple):
    """The files of one table to import, with the names to show and the checked mapping."""

    table: str
    paths: list[Path]
    names: list[str]
    spec: Mapping


@dataclass(frozen=True)
class Rejection:
    """One input row that was not stored.

    ``line`` is the physical line in the file (the header is line 1; a record spanning
    several lines is reported at its first), the sheet row for XLSX, the 1-based row for
    Parquet. ``reason`` is a sentence without the line prefix.
    """

    line: int
    reason: str
    file: str

    def __str__(self) -> str:
        return f"{self.file} line {self.line}: {self.reason}"


@dataclass(frozen=True)
class ImportResult:
    """What one :func:`import_files` call did. ``read == stored + rejected`` always.

    ``stored`` counts rows whose content is now in the store (new, updated, unchanged, or an
    identical repeat merged by ``distinct = true``).
    """

    table: str
    files: tuple[str, ...]
    read: int
    stored: int
    rejected: int
    rejections: list[Rejection]
    warnings: list[str]
    raw_rejects: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    def summary(self) -> str:
        """``read N, stored S, rejected R``."""
        return f"read {self.read}, stored {self.stored}, rejected {self.rejected}"

    def rejects_frame(self) -> pd.DataFrame:
        """Rejected rows: one row per rejection, sorted by file and line.

        Columns: ``file``, ``line``, ``reason``, then the input's own columns (as text,
        under their original headers) where the row could be split into columns.
        """
        frame = pd.DataFrame(
            {
                "file": [r.file for r in self.rejections],
                "line": [r.line for r in self.rejections],
                "reason": [r.reason for r in self.rejections],
            }
        )
        if self.raw_rejects is not None and len(frame):
            raw = self.raw_rejects.drop_duplicates(["file", "line"])  # two uploads may share a name
            frame = frame.merge(raw, on=["file", "line"], how="left")
        return frame


def check_table(table: str) -> None:
    """Refuse a table name that is not importable.

    Raises
    ------
    ImportFailed
        When ``table`` is not one of :data:`~analytics.ingest.rules.SPECS`.
    """
    if table not in SPECS:
        raise ImportFailed(f"'{table}' is not a table you can import; choose one of {', '.join(SPECS)}.")


def _raw_rejects(cur: duckdb.DuckDBPyConnection, staged: list[Staged]) -> pd.DataFrame:
    """The input cells of rejected rows, under their original headers."""
    frames = []
    for i, s in enumerate(staged):
        cols = ", ".join(f"c{j}" for j in range(len(s.headers)))
        df = cur.execute(
            f"SELECT __line AS line, {cols} FROM {s.relation} WHERE __line IN "  # noqa: S608 - generated names
            "(SELECT __line FROM __decided WHERE __file = ? AND __reason IS NOT NULL)",
            [i],
        ).df()
        names, seen = [], set()
        for h in s.headers:
            label = h or "(no header)"
            while label in seen or label in ("file", "line", "reason"):
                label += "_"
            seen.add(label)
            names.append(label)
        df.columns = ["line", *names]
        df.insert(0, "file", s.name)
        frames.append(df)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["file", "line"])


def _stage(
    cur: duckdb.DuckDBPyConnection, first_index: int, job: ImportJob, tmpdir: Path, report: Progress
) -> list[Staged]:
    """Read every file of one table into staging tables (before the write transaction)."""
    staged = []
    spec = job.spec
    for i, (path, name) in enumerate(zip(job.paths, job.names, strict=True)):
        report(0.4 * i / len(job.paths), f"reading {name}")
        staged.append(
            stage_file(
                cur,
                first_index + i,
                path,
                name,
                tmpdir,
                encoding=spec["encoding"],
                delimiter=spec["delimiter"],
                sheet=spec["sheet"],
            )
        )
    return staged


def _rows_were(n: int) -> str:
    return "1 row was" if n == 1 else f"{n:,} rows were"


def _check_spec(cur: duckdb.DuckDBPyConnection, table: str, spec: Mapping) -> None:
    """Refuse a mapping whose lookups or column names do not fit ``table`` and the store."""
    for column, lk in spec["lookup"].items():
        check_lookup(cur, table, column, lk)
    names = [col.name for col in SPECS[table]]
    unknown = [c for sec in _COLUMN_SECTIONS for c in spec[sec] if c not in names]
    if unknown:
        raise ImportFailed(
            f"The mapping names {', '.join(sorted(set(unknown)))}, which {table} does not have; "
            f"its columns are {', '.join(names)}."
        )


def _decide(
    cur: duckdb.DuckDBPyConnection, table: str, staged: list[Staged], plans: list[FilePlan], spec: Mapping
) -> list[str]:
    """Create ``__typed``, ``__checked``, ``__dups`` and the ``__decided`` view; return the loose-reference notes.

    ``__decided`` has one row per parsed input row: ``__file`` (index), ``__line``,
    ``__reason`` (NULL: store it), ``__insert`` and one ``__loose<n>`` flag per loose reference.
    """
    p = Params()
    union = " UNION ALL ".join(
        file_cells_sql(i, s.relation, fp.columns, fp.keep, p)
        for i, (s, fp) in enumerate(zip(staged, plans, strict=True))
    )
    cur.execute(f"CREATE TEMP TABLE __typed AS {typed_sql(table, union, column_labels(table, plans), p)}", p.values)
    p = Params()
    names = [s.name for s in staged]
    checked, dups, decided, loose = decided_sql(table, p, distinct=spec["distinct"], file_names=names)
    cur.execute(f"CREATE TEMP TABLE __checked AS {checked}")
    cur.execute(f"CREATE TEMP TABLE __dups AS {dups}", p.values)
    cur.execute(f"CREATE TEMP VIEW __decided AS {decided}")
    return loose


def _outcome(
    cur: duckdb.DuckDBPyConnection, staged: list[Staged], plans: list[FilePlan], loose: list[str]
) -> tuple[dict[int, int], list[Rejection], list[str]]:
    """Rows stored per file index, every rejection (sorted by file and line), and the warnings."""
    names = [s.name for s in staged]
    loose_sums = "".join(f", count(*) FILTER (WHERE __reason IS NULL AND __loose{n})" for n in range(len(loose)))
    counts = "count(*) FILTER (WHERE __reason IS NULL), count(*) FILTER (WHERE __reason IS NULL AND NOT __insert)"
    stats = cur.execute(f"SELECT __file, {counts}{loose_sums} FROM __decided GROUP BY __file").fetchall()  # noqa: S608 - generated names
    stored_by_file = {row[0]: int(row[1]) for row in stats}
    rejections = [
        Rejection(int(line), reason, names[f])
        for f, line, reason in cur.execute(
            "SELECT __file, __line, __reason FROM __decided WHERE __reason IS NOT NULL"
        ).fetchall()
    ]
    for s in staged:
        rejections.extend(Rejection(line, reason, s.name) for line, reason in s.parse_rejects)
    rejections.sort(key=lambda r: (names.index(r.file), r.line))
    warnings = [w for fp in plans for w in fp.warnings]
    merged = sum(int(row[2]) for row in stats)
    if merged:
        warnings.append(f"{_rows_were(merged)} merged into an identical earlier row (distinct = true).")
    for n, what in enumerate(loose):
        count = sum(int(row[3 + n]) for row in stats)
        if count:
            warnings.append(f"{_rows_were(count)} stored with {what}; they link up once those are imported.")
    return stored_by_file, rejections, warnings


def _apply(
    cur: duckdb.DuckDBPyConnection, table: str, staged: list[Staged], spec: Mapping, report: Progress
) -> ImportResult:
    """Check and store one table's staged files, on a cursor inside the write transaction."""
    _check_spec(cur, table, spec)
    plans = [plan_file(table, s, spec) for s in staged]
    report(0.5, f"checking {sum(s.rows for s in staged):,} rows")
    loose = _decide(cur, table, staged, plans, spec)
    report(0.75, f"storing into {table}")
    for statement in upsert_sql(table):
        cur.execute(statement)
    stored_by_file, rejections, warnings = _outcome(cur, staged, plans, loose)
    raw = _raw_rejects(cur, staged) if rejections else None
    report(0.9, "writing the import log")
    for i, s in enumerate(staged):
        read = s.rows + len(s.parse_rejects)
        stored = stored_by_file.get(i, 0)
        cur.execute(
            "INSERT INTO import_log VALUES (now()::TIMESTAMP, ?, ?, ?, ?, ?)",
            [table, s.name, read, stored, read - stored],
        )
    cur.execute("DROP VIEW __decided")
    for t in _TEMP_TABLES:
        cur.execute(f"DROP TABLE IF EXISTS {t}")
    read_total = sum(s.rows + len(s.parse_rejects) for s in staged)
    stored_total = sum(stored_by_file.values())
    return ImportResult(
        table,
        tuple(s.name for s in staged),
        read_total,
        stored_total,
        read_total - stored_total,
        rejections,
        warnings,
        raw,
    )


def run_jobs(store: Store, jobs: Sequence[ImportJob], progress: Progress | None = None) -> list[ImportResult]:
    """Stage every file of every job, then check and store every table in one transaction.

    Parameters
    ----------
    store
        The store to write to (opened for writing).
    jobs
        One job per table, in the order to apply them (referenced tables first).
    progress
        As for :func:`import_files`.

    Returns
    -------
    list of ImportResult
        One per job, in order.

    Raises
    ------
    ImportFailed
        When the store is read-only, a file or mapping is wrong, or DuckDB fails; the store
        is then unchanged.
    """
    if store.read_only:
        raise ImportFailed(f"The store {store.path} is open read-only; open it for writing to import.")
    report = progress or (lambda _frac, _msg: None)

    def part(n: int) -> Progress:
        return lambda frac, msg: report((n + frac) / len(jobs), msg)

    started = time.perf_counter()
    cur = store.cursor()
    try:
        with tempfile.TemporaryDirectory(prefix="analytics-import-") as tmp:
            staged, offset = [], 0
            for n, job in enumerate(jobs):
                staged.append(_stage(cur, offset, job, Path(tmp), part(n)))
                offset += len(job.paths)
            cur.execute("BEGIN TRANSACTION")
            try:
                results = [
                    _apply(cur, job.table, files, job.spec, part(n))
                    for n, (job, files) in enumerate(zip(jobs, staged, strict=True))
                ]
                report(0.99, "committing")
                cur.execute("COMMIT")
                store.mark_changed()
            except BaseException:
                cur.execute("ROLLBACK")
                raise
    except duckdb.Error as exc:
        what = ", ".join(dict.fromkeys(job.table for job in jobs))
        first = str(exc).strip().splitlines()[0]
        raise ImportFailed(
            f"Importing {what} failed and nothing was changed ({first}); "
            "check the file, or report this message if it persists."
        ) from exc
    finally:
        cur.close()  # also drops the staging tables, which live on this cursor only
    log.info("import of %s took %.2fs", [r.table for r in results], time.perf_counter() - started)
    report(1.0, "done")
    return results


def import_files(
    store: Store,
    table: str,
    paths: Sequence[str | Path],
    *,
    mapping: str | Path | dict[str, Any] | None = None,
    progress: Progress | None = None,
    file_names: Sequence[str] | None = None,
) -> ImportResult:
    """Import one or more files into ``table`` in one transaction.

    Parameters
    ----------
    store
        The store to write to.
    table
        One of :data:`~analytics.ingest.rules.TABLE_COLUMNS` (``regions`` ... ``display_names``).
    paths
        CSV, TSV, XLSX or Parquet files; all go to the same table.
    mapping
        A mapping file (TOML), an already parsed mapping
        (:func:`~analytics.ingest.mapping.read_mapping`) or None.
    progress
        Called as ``progress(fraction, message)`` while the import runs (inside the
        transaction: an exception raised there rolls everything back).
    file_names
        Names to show in messages and the import log instead of the paths' names (for
        uploads stored under temporary names).

    Returns
    -------
    ImportResult
        Counts, rejections (file, line, reason) and warnings.

    Raises
    ------
    ImportFailed
        When a file cannot be read, lacks a required column, or the mapping is wrong. The
        store is then unchanged.
    """
    check_table(table)
    paths = [Path(p) for p in paths]
    if not paths:
        raise ImportFailed(f"No files were given to import into {table}; name at least one file.")
    names = list(file_names) if file_names is not None else [p.name for p in paths]
    if len(names) != len(paths):
        raise ImportFailed(f"{len(paths)} files were given with {len(names)} names; give one name per file.")
    spec = as_mapping(mapping)
    if spec["table"] not in (None, table):
        raise ImportFailed(f"The mapping is for the table {spec['table']}, not {table}; use the matching mapping file.")
    return run_jobs(store, [ImportJob(table, paths, names, spec)], progress)[0]
