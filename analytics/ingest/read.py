# ruff: noqa: S608 - SQL here names generated temp tables (__raw_0) and columns read from the file's own
# schema (quoted with _ident); file paths and options are bound parameters.
"""Reading one input file into a staging table: formats, encodings, physical line numbers.

:func:`stage_file` turns a CSV / TSV / XLSX / Parquet file into a temporary DuckDB table
on the import's cursor and returns a :class:`Staged` describing it. Every staged relation
has the columns ``__line`` (the physical line of the record in the file; the sheet row for
XLSX; the 1-based row for Parquet) and ``c0 .. cN`` (one VARCHAR per input column, in
header order). Records the reader cannot split into the header's columns are returned as
``Staged.parse_rejects`` instead of rows.

Text files are decoded in Python (BOM first, then strict UTF-8, then GB18030, a superset of
GBK) and, unless already UTF-8, transcoded to a UTF-8 temp file so DuckDB's parallel CSV
reader does the parsing; a file is never loaded into pandas.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

#: Bytes read per chunk while checking or transcoding a text file.
CHUNK_BYTES = 8 * 2**20
#: Longest CSV record DuckDB accepts (bytes).
MAX_LINE_BYTES = 8 * 2**20
#: Delimiters tried on the header line of a .csv/.txt file, in order of preference.
DELIMITERS = (",", "\t", ";", "|")
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
PARQUET_SUFFIXES = {".parquet", ".pq"}


class ImportFailed(Exception):
    """The import was refused and nothing was changed; the message is one sentence for the user."""


@dataclass
class Staged:
    """One input file staged on the import cursor.

    ``relation`` is SQL for a relation with columns ``__line, c0 .. cN`` (VARCHAR);
    ``headers[j]`` is the original header text of ``cj``.
    """

    name: str
    headers: list[str]
    relation: str
    rows: int
    parse_rejects: list[tuple[int, str]] = field(default_factory=list)
    temp_tables: list[str] = field(default_factory=list)
    encoding: str | None = None


@dataclass(frozen=True)
class TextFile:
    """A text input ready for DuckDB: UTF-8 ``path`` with ``lines`` physical lines."""

    path: Path
    encoding: str
    lines: int


# -- format and encoding -------------------------------------------------------------


def detect_format(path: Path, name: str) -> str:
    """``csv``, ``tsv``, ``xlsx`` or ``parquet``: the file's magic bytes first, then its name."""
    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic == b"PK\x03\x04":
        return "xlsx"
    if magic == b"PAR1":
        return "parquet"
    if magic == b"\xd0\xcf\x11\xe0" or Path(name).suffix.lower() == ".xls":
        raise ImportFailed(
            f"{name} is an old Excel .xls file, which cannot be read; open it in Excel and save it as .xlsx or CSV."
        )
    for suffix in (Path(name).suffix.lower(), path.suffix.lower()):
        if suffix in (".tsv", ".tab"):
            return "tsv"
        if suffix in XLSX_SUFFIXES | PARQUET_SUFFIXES:
            raise ImportFailed(f"{name} is named like a {suffix} file but its content is not; export it again.")
    return "csv"


def _guess_bomless_utf16(head: bytes) -> str | None:
    """UTF-16 without a BOM shows up as NUL bytes in every other position (ASCII text)."""
    sample = head[:4096]
    if len(sample) < 4 or sample.count(0) < len(sample) // 4:
        return None
    odd_zero = sample[1::2].count(0)
    even_zero = sample[0::2].count(0)
    return "utf-16-le" if odd_zero > even_zero else "utf-16-be"


def _count_lines(path: Path) -> tuple[int, bool]:
    """Newline count and whether the file ends with a newline."""
    count, last = 0, b""
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK_BYTES):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count, last == b"\n"


def _lines_at(path: Path, offsets: list[int]) -> dict[int, int]:
    """Physical line (1-based) holding each byte offset, in one pass over the file."""
    pending = sorted(set(offsets))
    out: dict[int, int] = {}
    lines, base, k = 1, 0, 0
    with path.open("rb") as fh:
        while k < len(pending) and (chunk := fh.read(CHUNK_BYTES)):
            pos = 0
            while k < len(pending) and pending[k] < base + len(chunk):
                end = max(pending[k] - base, pos)
                lines += chunk.count(b"\n", pos, end)
                pos = end
                out[pending[k]] = lines
                k += 1
            lines += chunk.count(b"\n", pos)
            base += len(chunk)
    for offset in pending[k:]:
        out[offset] = lines
    return out


def _check_utf8(path: Path) -> int | None:
    """None when the file is valid UTF-8, else the byte offset of the first bad byte."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    done = 0
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(CHUNK_BYTES)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                return done + max(exc.start, 0)
            if not chunk:
                return None
            done += len(chunk)


def _transcode(path: Path, encoding: str, out: Path) -> int | None:
    """Write ``path`` decoded from ``encoding`` as UTF-8 to ``out``; None or the first bad byte offset."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    done = 0
    with path.open("rb") as src, out.open("w", encoding="utf-8", newline="") as dst:
        while True:
            chunk = src.read(CHUNK_BYTES)
            try:
                dst.write(decoder.decode(chunk, final=not chunk))
            except UnicodeDecodeError as exc:
                return done + max(exc.start, 0)
            if not chunk:
                return None
            done += len(chunk)


def prepare_text(path: Path, name: str, tmpdir: Path, encoding: str | None = None) -> TextFile:
    """Detect the encoding of a text file and return a UTF-8 copy (or the file itself).

    Order: explicit ``encoding``; a BOM (UTF-8, UTF-16 LE/BE); UTF-16 without BOM (NUL
    bytes); strict UTF-8; GB18030 (a superset of GBK and GB2312).
    """
    with path.open("rb") as fh:
        head = fh.read(65536)
    if not head.strip(b"\r\n\t \xef\xbb\xbf\xff\xfe\x00"):
        raise ImportFailed(f"{name} is empty; export the table again with a header line and data rows.")
    candidates: list[str]
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError as exc:
            raise ImportFailed(
                f"The mapping names the encoding '{encoding}', which is unknown; use utf-8, gbk, gb18030 or utf-16."
            ) from exc
        candidates = [encoding]
    elif head.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8"]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    elif bomless := _guess_bomless_utf16(head):
        candidates = [bomless]
    else:
        candidates = ["utf-8", "gb18030"]
    bad_at = 0
    for enc in candidates:
        if codecs.lookup(enc).name == "utf-8":
            bad_at = _check_utf8(path)
            if bad_at is None:
                lines, ends = _count_lines(path)
                return TextFile(path, "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8", lines + (not ends))
            continue
        out = tmpdir / f"{len(list(tmpdir.iterdir()))}.utf8.csv"
        bad_at = _transcode(path, enc, out)
        if bad_at is None:
            lines, ends = _count_lines(out)
            return TextFile(out, enc, lines + (not ends))
    line = _lines_at(path, [bad_at or 0])[bad_at or 0]
    tried = " or ".join(candidates).replace("gb18030", "GBK/GB18030").replace("utf-8", "UTF-8")
    raise ImportFailed(
        f"{name} could not be read as {tried} text (first bad byte on line {line}); save it as 'CSV UTF-8' "
        'or name its encoding in a mapping file (encoding = "big5").'
    )


# -- text files ------------------------------------------------------------------------


def _header(text: TextFile, name: str, delimiter: str | None) -> tuple[list[str], str]:
    """The header record and the delimiter (given, or the most frequent candidate in line 1)."""
    with text.path.open("r", encoding="utf-8-sig", newline="") as fh:
        first = fh.readline()
        if not first.strip():
            raise ImportFailed(f"The first line of {name} is empty; the first line must hold the column headers.")
        if delimiter is None:
            counts = [first.count(d) for d in DELIMITERS]
            delimiter = DELIMITERS[counts.index(max(counts))] if max(counts) else ","
        fh.seek(0)
        headers = next(csv.reader(fh, delimiter=delimiter))
    return [h.strip() for h in headers], delimiter


def _python_records(path: Path, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(start line, fields) for every non-blank record after the header, with Python's csv."""
    csv.field_size_limit(max(csv.field_size_limit(), MAX_LINE_BYTES))
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        prev = 0
        for i, record in enumerate(reader):
            start, prev = prev + 1, reader.line_num
            if i and record:
                yield start, record


def _duckdb_reject_reason(error_type: str, message: str, n_headers: int) -> str:
    if error_type in ("MISSING COLUMNS", "TOO MANY COLUMNS"):
        m = re.search(r"Found:\s*(\d+)", message or "")
        has = f"has {m.group(1)} values but" if m else "does not match"
        return f"{has} the header has {n_headers} columns; check the delimiter and the quotes on this line"
    if error_type == "UNQUOTED VALUE":
        return "a quote on this line is not closed or is followed by other text; fix the quotes on this line"
    if error_type == "LINE SIZE OVER MAXIMUM":
        return f"the record is longer than {MAX_LINE_BYTES // 2**20} MiB; check for a quote that is not closed"
    return f"the record could not be read ({(message or error_type).splitlines()[0]}); check this line"


def _stage_python(
    cur: duckdb.DuckDBPyConnection, table: str, text: TextFile, headers: list[str], delimiter: str
) -> tuple[int, list[tuple[int, str]]]:
    """Fallback reader for files DuckDB's strict reader refuses (mixed newlines and the like)."""
    n = len(headers)
    columns: list[list[str | None]] = [[] for _ in range(n)]
    lines: list[int] = []
    rejects: list[tuple[int, str]] = []
    try:
        for start, record in _python_records(text.path, delimiter):
            if len(record) != n:
                rejects.append((start, _duckdb_reject_reason("MISSING COLUMNS", f"Found: {len(record)}", n)))
                continue
            lines.append(start)
            for j, value in enumerate(record):
                columns[j].append(value)
    except csv.Error as exc:
        raise ImportFailed(f"The file could not be split into records ({exc}); check its quotes.") from exc
    arrow = pa.table(
        {
            "__line": pa.array(lines, pa.int64()),
            **{f"c{j}": pa.array(col, pa.string()) for j, col in enumerate(columns)},
        }
    )
    _create_from_arrow(cur, table, arrow)
    return len(lines), rejects


def _create_from_arrow(cur: duckdb.DuckDBPyConnection, table: str, arrow: pa.Table) -> None:
    view = f"{table}_arrow"
    cur.register(view, arrow)
    try:
        cur.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM {view}")
    finally:
        cur.unregister(view)


def stage_text(cur: duckdb.DuckDBPyConnection, index: int, text: TextFile, name: str, delimiter: str | None) -> Staged:
    """Stage a CSV/TSV file with DuckDB's reader; map rows to physical lines."""
    headers, delimiter = _header(text, name, delimiter)
    raw, rej, scan = f"__raw_{index}", f"__rej_{index}", f"__rejscan_{index}"
    staged = Staged(
        name,
        headers,
        f"(SELECT rowid + 2 AS __line, * FROM {raw})",
        0,
        temp_tables=[raw, rej, scan],
        encoding=text.encoding,
    )
    columns = "{" + ", ".join(f"'c{j}': 'VARCHAR'" for j in range(len(headers))) + "}"
    try:
        cur.execute(
            f"CREATE TEMP TABLE {raw} AS SELECT * FROM read_csv($path, auto_detect=false, header=true, "
            f"columns={columns}, delim=$delim, quote='\"', escape='\"', store_rejects=true, "
            "rejects_table=$rej, rejects_scan=$scan, max_line_size=$max_line)",
            {"path": str(text.path), "delim": delimiter, "rej": rej, "scan": scan, "max_line": MAX_LINE_BYTES},
        )
    except duckdb.Error:
        for t in staged.temp_tables:
            cur.execute(f"DROP TABLE IF EXISTS {t}")
        staged.temp_tables = [raw]
        staged.relation = raw
        staged.rows, staged.parse_rejects = _stage_python(cur, raw, text, headers, delimiter)
        return staged
    staged.rows = int(cur.execute(f"SELECT count(*) FROM {raw}").fetchone()[0])
    rejected = cur.execute(
        f"SELECT line_byte_position, any_value(error_type), any_value(error_message) FROM {rej} "
        "GROUP BY line_byte_position ORDER BY line_byte_position"
    ).fetchall()
    if not rejected and staged.rows + 1 == text.lines:
        return staged  # every record is one physical line: line = row index + 2
    at = _lines_at(text.path, [int(pos) for pos, _, _ in rejected])
    reject_lines = {at[int(pos)]: _duckdb_reject_reason(kind, msg, len(headers)) for pos, kind, msg in rejected}
    good = [start for start, _ in _python_records(text.path, delimiter) if start not in reject_lines]
    if len(good) != staged.rows:  # the two readers disagree: trust Python's, slower but line-exact
        cur.execute(f"DROP TABLE {raw}")
        staged.relation = raw
        staged.rows, staged.parse_rejects = _stage_python(cur, raw, text, headers, delimiter)
        return staged
    line_map = f"__lines_{index}"
    _create_from_arrow(
        cur, line_map, pa.table({"idx": np.arange(len(good), dtype=np.int64), "line": np.asarray(good, dtype=np.int64)})
    )
    staged.temp_tables.append(line_map)
    staged.relation = f"(SELECT m.line AS __line, r.* FROM {raw} AS r JOIN {line_map} AS m ON m.idx = r.rowid)"
    staged.parse_rejects = sorted(reject_lines.items())
    return staged


# -- spreadsheets and parquet ------------------------------------------------------------


def _cell_text(value: Any) -> str | None:
    """A spreadsheet cell as the text a CSV export would hold."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def stage_xlsx(cur: duckdb.DuckDBPyConnection, index: int, path: Path, name: str, sheet: str | None) -> Staged:
    """Stage one sheet (the first, or ``sheet``); the header is the first non-empty row."""
    import openpyxl  # heavy; only needed for spreadsheets

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged or non-xlsx file
        raise ImportFailed(f"{name} could not be opened as an Excel workbook ({exc}); save it again as .xlsx.") from exc
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise ImportFailed(f"{name} has no sheet named '{sheet}'; its sheets are {', '.join(book.sheetnames)}.")
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        headers: list[str] | None = None
        columns: list[list[str | None]] = []
        lines: list[int] = []
        for row_no, values in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1):
            cells = [_cell_text(v) for v in values]
            if not any(c is not None and c.strip() for c in cells):
                continue
            if headers is None:
                last = max(j for j, c in enumerate(cells) if c is not None and c.strip())
                headers = [(c or "").strip() for c in cells[: last + 1]]
                columns = [[] for _ in headers]
                continue
            cells = (cells + [None] * len(headers))[: len(headers)]
            lines.append(row_no)
            for j, c in enumerate(cells):
                columns[j].append(c)
    finally:
        book.close()
    if headers is None:
        raise ImportFailed(f"{name} has no data in its first sheet; put the headers in the first row.")
    raw = f"__raw_{index}"
    _create_from_arrow(
        cur,
        raw,
        pa.table(
            {
                "__line": pa.array(lines, pa.int64()),
                **{f"c{j}": pa.array(c, pa.string()) for j, c in enumerate(columns)},
            }
        ),
    )
    return Staged(name, headers, raw, len(lines), temp_tables=[raw])


def _ident(name: str) -> str:
    """A quoted SQL identifier (for column names read from a file's own schema)."""
    return '"' + name.replace('"', '""') + '"'


def stage_parquet(cur: duckdb.DuckDBPyConnection, index: int, path: Path, name: str) -> Staged:
    """Stage a Parquet file; every column is cast to text (lists joined with ``;``)."""
    try:
        schema = cur.execute("DESCRIBE SELECT * FROM read_parquet($path)", {"path": str(path)}).fetchall()
    except duckdb.Error as exc:
        raise ImportFailed(f"{name} could not be read as a Parquet file ({exc}); export it again.") from exc
    headers = [str(row[0]) for row in schema]
    casts = []
    for j, (col, col_type, *_rest) in enumerate(schema):
        if str(col_type).endswith("[]"):
            casts.append(f"array_to_string(CAST({_ident(col)} AS VARCHAR[]), ';') AS c{j}")
        else:
            casts.append(f"CAST({_ident(col)} AS VARCHAR) AS c{j}")
    raw = f"__raw_{index}"
    cur.execute(
        f"CREATE TEMP TABLE {raw} AS SELECT {', '.join(casts)} FROM read_parquet($path)",
        {"path": str(path)},
    )
    rows = int(cur.execute(f"SELECT count(*) FROM {raw}").fetchone()[0])
    return Staged(name, headers, f"(SELECT rowid + 1 AS __line, * FROM {raw})", rows, temp_tables=[raw])


def stage_file(
    cur: duckdb.DuckDBPyConnection,
    index: int,
    path: Path,
    name: str,
    tmpdir: Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
) -> Staged:
    """Stage any supported file; raise :class:`ImportFailed` when it cannot be read at all."""
    if not path.is_file():
        raise ImportFailed(f"{name} was not found (looked for {path}); check the file name and folder.")
    try:
        fmt = detect_format(path, name)
        if fmt == "xlsx":
            return stage_xlsx(cur, index, path, name, sheet)
        if fmt == "parquet":
            return stage_parquet(cur, index, path, name)
        text = prepare_text(path, name, tmpdir, encoding)
        return stage_text(cur, index, text, name, delimiter or ("\t" if fmt == "tsv" else None))
    except OSError as exc:
        raise ImportFailed(
            f"{name} could not be read ({exc.strerror or exc}); check that it is not open elsewhere "
            "and that you may read it."
        ) from exc
