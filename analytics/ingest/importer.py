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
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from analytics.cli.common import UserError, add_db, output_lang
from analytics.i18n import translate
from analytics.ingest.messages import translate_message, translate_reason
from analytics.ingest.read import ImportFailed, Staged, stage_file
from analytics.ingest.rules import SPECS, TABLE_COLUMNS, match_header, normalise_header
from analytics.ingest.sql import ColumnPlan, Lookup, Params, decided_sql, file_cells_sql, typed_sql, upsert_sql
from analytics.store import DATA_TABLES, Store

__all__ = [
    "TABLE_COLUMNS",
    "ImportFailed",
    "ImportResult",
    "Rejection",
    "import_files",
    "import_folder",
    "read_mapping",
    "register",
]

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
#: Keys a mapping file may have at its top level.
MAPPING_KEYS = (
    "table",
    "distinct",
    "sheet",
    "delimiter",
    "encoding",
    "columns",
    "defaults",
    "values",
    "keep",
    "lookup",
)
#: File name endings ``import-all`` looks for, per table.
FOLDER_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".parquet")
#: Store relations a mapping's ``[lookup]`` may read.
LOOKUP_RELATIONS = (*DATA_TABLES, "v_reps", "v_leads", "v_deals", "v_calls")
_TEMP_TABLES = ("__typed", "__checked", "__dups")


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


# -- mapping files ------------------------------------------------------------------------------


def _fail_mapping(source: str, problem: str) -> ImportFailed:
    return ImportFailed(f"The mapping {source} {problem}; see docs/import-formats.md for the mapping format.")


def _str_map(source: str, section: str, raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise _fail_mapping(source, f'has a [{section}] that is not a table of name = "value" lines')
    out = {}
    for key, value in raw.items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        if not isinstance(value, str | int | float):
            raise _fail_mapping(source, f"gives [{section}] {key} a value that is not text or a number")
        out[str(key)] = str(value)
    return out


def _check_mapping(data: dict[str, Any], source: str) -> dict[str, Any]:
    unknown = [k for k in data if k not in MAPPING_KEYS]
    if unknown:
        raise _fail_mapping(source, f"has the unknown key(s) {', '.join(unknown)} (allowed: {', '.join(MAPPING_KEYS)})")
    if not isinstance(data.get("table") or "", str) or not isinstance(data.get("distinct", False), bool):
        raise _fail_mapping(source, 'needs table = "name" and distinct = true/false written like that')
    out: dict[str, Any] = {"table": data.get("table"), "distinct": data.get("distinct", False)}
    for key in ("sheet", "delimiter", "encoding"):
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise _fail_mapping(source, f"gives {key} a value that is not text")
        out[key] = {"tab": "\t", "\\t": "\t"}.get(value, value) if key == "delimiter" else value
    out["columns"] = _str_map(source, "columns", data.get("columns", {}))
    out["defaults"] = _str_map(source, "defaults", data.get("defaults", {}))
    values = data.get("values", {})
    if not isinstance(values, dict):
        raise _fail_mapping(source, "has a [values] that is not a set of [values.column] tables")
    out["values"] = {
        col: {k.strip().lower(): v for k, v in _str_map(source, f"values.{col}", m).items()}
        for col, m in values.items()
    }
    keep = data.get("keep", {})
    if not isinstance(keep, dict) or not all(isinstance(v, list | str) for v in keep.values()):
        raise _fail_mapping(source, 'has a [keep] that is not a set of header = ["value", ...] lines')
    out["keep"] = {h: [str(x) for x in (v if isinstance(v, list) else [v])] for h, v in keep.items()}
    lookups = data.get("lookup", {})
    out["lookup"] = {}
    if not isinstance(lookups, dict):
        raise _fail_mapping(source, "has a [lookup] that is not a set of [lookup.column] tables")
    for col, spec in lookups.items():
        if isinstance(spec, Lookup):
            out["lookup"][col] = spec
            continue
        spec = _str_map(source, f"lookup.{col}", spec)
        if sorted(spec) != ["from", "key", "table", "value"]:
            raise _fail_mapping(source, f"has a [lookup.{col}] without exactly table, key, from and value")
        out["lookup"][col] = Lookup(spec["table"], spec["key"], spec["from"], spec["value"])
    return out


def read_mapping(path: str | Path) -> dict[str, Any]:
    """Parse and check a column-mapping file (TOML).

    Parameters
    ----------
    path
        The ``.toml`` file. Keys: ``table``, ``distinct``, ``sheet``, ``delimiter``,
        ``encoding``; tables ``[columns]`` (canonical = "source header"), ``[defaults]``
        (canonical = "constant"), ``[values.<canonical>]`` (source value = stored value),
        ``[keep]`` (source header = ["value", ...]) and ``[lookup.<canonical>]``
        (table, key, from, value). See docs/import-formats.md.

    Returns
    -------
    dict
        The checked mapping, with every section present (empty when absent).

    Raises
    ------
    ImportFailed
        When the file is missing, is not valid TOML or has an unknown key.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError as exc:
        raise ImportFailed(f"The mapping file {path} was not found; check its name and folder.") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ImportFailed(f"The mapping file {path} is not valid TOML ({exc}); fix that line.") from exc
    return _check_mapping(data, str(path))


def _as_mapping(mapping: str | Path | dict[str, Any] | None) -> dict[str, Any]:
    if mapping is None:
        return _check_mapping({}, "(none)")
    if isinstance(mapping, dict):
        return _check_mapping(mapping, "given")
    return read_mapping(mapping)


# -- planning: which input column feeds which canonical column ----------------------------------------


@dataclass
class _FilePlan:
    columns: list[ColumnPlan]
    keep: list[tuple[int, str, list[str]]]
    warnings: list[str]


def _find_header(headers: list[str], wanted: str) -> int | None:
    for j, h in enumerate(headers):
        if h == wanted:
            return j
    key = normalise_header(wanted)
    for j, h in enumerate(headers):
        if normalise_header(h) == key:
            return j
    return None


def _headers_text(headers: list[str]) -> str:
    return ", ".join(f"'{h}'" for h in headers) if headers else "none"


def _check_lookup(cur: duckdb.DuckDBPyConnection, table: str, column: str, lk: Lookup) -> None:
    where = f"[lookup.{column}]"
    if lk.table not in LOOKUP_RELATIONS:
        raise ImportFailed(
            f"The mapping's {where} reads '{lk.table}', which is not one of {', '.join(LOOKUP_RELATIONS)}; "
            "name a store table or view."
        )
    cols = {
        r[0]
        for r in cur.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [lk.table]
        ).fetchall()
    }
    for part in (lk.key, lk.value):
        if part not in cols:
            raise ImportFailed(
                f"The mapping's {where} names the column '{part}', which {lk.table} does not have; "
                f"its columns are {', '.join(sorted(cols))}."
            )
    if lk.source not in [c.name for c in SPECS[table]]:
        raise ImportFailed(
            f"The mapping's {where} takes its key from '{lk.source}', which is not a column of "
            f"{table}; use one of {', '.join(c.name for c in SPECS[table])}."
        )


def _recognised_source(table: str, column: str, staged: Staged, taken: set[str], warnings: list[str]) -> int | None:
    """The input column whose header means ``column`` (exact name first), or None."""
    headers = staged.headers
    hits = [j for j, h in enumerate(headers) if h not in taken and match_header(table, h) == column]
    if not hits:
        return None
    chosen = ([j for j in hits if normalise_header(headers[j]) == column] or hits)[0]
    if len(hits) > 1:
        warnings.append(
            f"{staged.name}: the columns {_headers_text([headers[j] for j in hits])} all look like {column}; "
            f"'{headers[chosen]}' was used (name one in a mapping file to choose)."
        )
    return chosen


def _label(plan: ColumnPlan, headers: list[str]) -> str:
    """How reasons name a column: ``amount``, ``amount (column '金额')`` or where a lookup came from."""
    name = plan.column.name
    if plan.source is not None:
        header = headers[plan.source]
        return name if normalise_header(header) == name else f"{name} (column '{header}')"
    if plan.lookup is not None:
        return f"{name} (looked up in {plan.lookup.table} by {plan.lookup.source})"
    return name


def _plan_file(table: str, staged: Staged, spec: dict[str, Any]) -> _FilePlan:
    """Decide, for one file, where every canonical column comes from; refuse missing required ones."""
    headers, name = staged.headers, staged.name
    plans, warnings, used = [], [], set()
    explicit = spec["columns"]
    for col in SPECS[table]:
        plan = ColumnPlan(
            col,
            values=spec["values"].get(col.name, {}),
            default=spec["defaults"].get(col.name),
            lookup=spec["lookup"].get(col.name),
        )
        if col.name in explicit:
            plan.source = _find_header(headers, explicit[col.name])
            if plan.source is None:
                raise ImportFailed(
                    f"{name} has no column '{explicit[col.name]}', which the mapping names for {col.name}; "
                    f"its headers are {_headers_text(headers)}."
                )
        else:
            plan.source = _recognised_source(table, col.name, staged, set(explicit.values()), warnings)
        plan.label = _label(plan, headers)
        if plan.source is not None:
            used.add(plan.source)
        plans.append(plan)
    missing = [
        p.column.name
        for p in plans
        if p.column.required and p.source is None and p.default is None and p.lookup is None and p.column.fill is None
    ]
    if missing:
        raise ImportFailed(
            f"{name} is missing the required column{'s' if len(missing) > 1 else ''} {', '.join(missing)} for "
            f"{table} (headers found: {_headers_text(headers)}); rename the header or map it in a mapping file "
            f'([columns] {missing[0]} = "your header").'
        )
    keep = []
    for header, allowed in spec["keep"].items():
        j = _find_header(headers, header)
        if j is None:
            raise ImportFailed(
                f"{name} has no column '{header}', which the mapping's [keep] names; "
                f"its headers are {_headers_text(headers)}."
            )
        keep.append((j, headers[j], allowed))
        used.add(j)
    ignored = [h for j, h in enumerate(headers) if j not in used]
    if ignored:
        warnings.append(
            f"{name}: ignored the column{'s' if len(ignored) > 1 else ''} {_headers_text(ignored)} "
            f"(not a column of {table})."
        )
    return _FilePlan(plans, keep, warnings)


def _labels(table: str, plans: list[_FilePlan]) -> dict[str, str]:
    """A column's label quotes its header only when every file used the same header."""
    labels = {}
    for n, col in enumerate(SPECS[table]):
        found = {fp.columns[n].label for fp in plans}
        labels[col.name] = found.pop() if len(found) == 1 else col.name
    return labels


# -- the import ---------------------------------------------------------------------------------------


def _check_table(table: str) -> None:
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
    cur: duckdb.DuckDBPyConnection,
    first_index: int,
    paths: list[Path],
    names: list[str],
    spec: dict[str, Any],
    tmpdir: Path,
    report: Progress,
) -> list[Staged]:
    """Read every file of one table into staging tables (before the write transaction)."""
    staged = []
    for i, (path, name) in enumerate(zip(paths, names, strict=True)):
        report(0.4 * i / len(paths), f"reading {name}")
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


def _apply(
    cur: duckdb.DuckDBPyConnection, table: str, staged: list[Staged], spec: dict[str, Any], report: Progress
) -> ImportResult:
    """Check and store one table's staged files, on a cursor inside the write transaction."""
    names = [s.name for s in staged]
    for column, lk in spec["lookup"].items():
        _check_lookup(cur, table, column, lk)
    unknown = [
        c
        for sec in ("columns", "defaults", "values", "lookup")
        for c in spec[sec]
        if c not in [col.name for col in SPECS[table]]
    ]
    if unknown:
        raise ImportFailed(
            f"The mapping names {', '.join(sorted(set(unknown)))}, which {table} does not have; "
            f"its columns are {', '.join(c.name for c in SPECS[table])}."
        )
    plans = [_plan_file(table, s, spec) for s in staged]
    report(0.5, f"checking {sum(s.rows for s in staged):,} rows")
    p = Params()
    union = " UNION ALL ".join(
        file_cells_sql(i, s.relation, fp.columns, fp.keep, p)
        for i, (s, fp) in enumerate(zip(staged, plans, strict=True))
    )
    cur.execute(f"CREATE TEMP TABLE __typed AS {typed_sql(table, union, _labels(table, plans), p)}", p.values)
    p = Params()
    checked, dups, decided, loose = decided_sql(table, p, distinct=spec["distinct"], file_names=names)
    cur.execute(f"CREATE TEMP TABLE __checked AS {checked}")
    cur.execute(f"CREATE TEMP TABLE __dups AS {dups}", p.values)
    cur.execute(f"CREATE TEMP VIEW __decided AS {decided}")
    report(0.75, f"storing into {table}")
    for statement in upsert_sql(table):
        cur.execute(statement)
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
    raw = _raw_rejects(cur, staged) if rejections else None
    warnings = [w for fp in plans for w in fp.warnings]
    merged = sum(int(row[2]) for row in stats)
    if merged:
        warnings.append(f"{_rows_were(merged)} merged into an identical earlier row (distinct = true).")
    for n, what in enumerate(loose):
        count = sum(int(row[3 + n]) for row in stats)
        if count:
            warnings.append(f"{_rows_were(count)} stored with {what}; they link up once those are imported.")
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
        table, tuple(names), read_total, stored_total, read_total - stored_total, rejections, warnings, raw
    )


def _run(
    store: Store, jobs: list[tuple[str, list[Path], list[str], dict[str, Any]]], progress: Progress | None
) -> list[ImportResult]:
    """Stage every file, then check and store every table in one transaction."""
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
            for n, (_table, paths, names, spec) in enumerate(jobs):
                staged.append(_stage(cur, offset, paths, names, spec, Path(tmp), part(n)))
                offset += len(paths)
            cur.execute("BEGIN TRANSACTION")
            try:
                results = [
                    _apply(cur, table, files, spec, part(n))
                    for n, ((table, _p, _n, spec), files) in enumerate(zip(jobs, staged, strict=True))
                ]
                report(0.99, "committing")
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
    except duckdb.Error as exc:
        what = ", ".join(dict.fromkeys(t for t, *_ in jobs))
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
        One of :data:`TABLE_COLUMNS` (``regions`` ... ``display_names``).
    paths
        CSV, TSV, XLSX or Parquet files; all go to the same table.
    mapping
        A mapping file (TOML), an already parsed mapping (:func:`read_mapping`) or None.
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
    _check_table(table)
    paths = [Path(p) for p in paths]
    if not paths:
        raise ImportFailed(f"No files were given to import into {table}; name at least one file.")
    names = list(file_names) if file_names is not None else [p.name for p in paths]
    if len(names) != len(paths):
        raise ImportFailed(f"{len(paths)} files were given with {len(names)} names; give one name per file.")
    spec = _as_mapping(mapping)
    if spec["table"] not in (None, table):
        raise ImportFailed(f"The mapping is for the table {spec['table']}, not {table}; use the matching mapping file.")
    return _run(store, [(table, paths, names, spec)], progress)[0]


def folder_jobs(folder: str | Path) -> list[tuple[str, list[Path], list[str], dict[str, Any]]]:
    """The imports ``import-all`` runs: ``<table>.csv`` (or .tsv/.txt/.xlsx/.parquet) per table,
    with ``<table>.toml`` as its mapping when present, in dependency order."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ImportFailed(f"The folder {folder} does not exist; name a folder holding files such as leads.csv.")
    jobs = []
    for table in DATA_TABLES:
        files = [folder / f"{table}{suffix}" for suffix in FOLDER_SUFFIXES if (folder / f"{table}{suffix}").is_file()]
        if files:
            toml = folder / f"{table}.toml"
            spec = read_mapping(toml) if toml.is_file() else _as_mapping(None)
            jobs.append((table, files, [f.name for f in files], spec))
    if not jobs:
        raise ImportFailed(
            f"The folder {folder} has no file named after a table (e.g. regions.csv, leads.csv); "
            "rename the files or import them one by one."
        )
    return jobs


def import_folder(store: Store, folder: str | Path, *, progress: Progress | None = None) -> list[ImportResult]:
    """Import every ``<table>.<ext>`` file of a folder in dependency order, in one transaction.

    Parameters
    ----------
    store
        The store to write to.
    folder
        A folder holding files named after tables (``regions.csv``, ``reps.xlsx``, ...) and
        optionally a mapping per table (``leads.toml``).
    progress
        As for :func:`import_files`.

    Returns
    -------
    list of ImportResult
        One per imported table, in import order.
    """
    return _run(store, folder_jobs(folder), progress)


# -- CLI ------------------------------------------------------------------------------------------------

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


def _print_result(result: ImportResult, rejects: Path | None, prefix: str = "") -> None:
    """The human-readable report of one import, in the ``--lang`` language (reasons included)."""
    lang = output_lang()
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


def _open_for_import(db: str) -> Store:
    Path(db).parent.mkdir(parents=True, exist_ok=True)
    return Store(db)


def _cmd_import(args: argparse.Namespace) -> int:
    try:
        _check_table(args.table)
        spec = read_mapping(args.mapping) if args.mapping else None
        with _open_for_import(args.db) as store:
            result = import_files(store, args.table, args.files, mapping=spec)
        rejects = _write_rejects(result, Path(args.files[0]), args.rejects)
    except ImportFailed as exc:
        raise UserError(translate_message(str(exc), output_lang())) from exc
    _print_result(result, rejects)
    return 0


def _cmd_import_all(args: argparse.Namespace) -> int:
    try:
        jobs = folder_jobs(args.folder)
        with _open_for_import(args.db) as store:
            results = _run(store, jobs, None)
        written = [_write_rejects(r, paths[0], None) for r, (_t, paths, _n, _s) in zip(results, jobs, strict=True)]
    except ImportFailed as exc:
        raise UserError(translate_message(str(exc), output_lang())) from exc
    for result, rejects in zip(results, written, strict=True):
        _print_result(result, rejects, prefix=f"{result.table}: ")
    return 0


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
    p.set_defaults(func=_cmd_import)

    p = subparsers.add_parser("import-all", help="import <table>.csv files of a folder in dependency order")
    add_db(p)
    p.add_argument(
        "folder",
        help=f"folder with files named after tables ({', '.join(FOLDER_SUFFIXES)}) and optional <table>.toml mappings",
    )
    p.set_defaults(func=_cmd_import_all)
