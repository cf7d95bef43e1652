"""The importer's sentences as message ids, so the UI and the CLI can show them in Chinese.

The importer (analytics/ingest/*.py) writes every reason, warning and refusal in English:
reasons are built inside DuckDB SQL, refusals are :class:`~analytics.ingest.read.ImportFailed`
messages, and both are stored or exported as they are (the rejects CSV of the CLI, the
import log), so machine formats never change with the language. This module lists the
templates those sentences are made from, as gettext message ids with ``{placeholders}``
(Chinese in ``locales/zh/LC_MESSAGES/ingest.po``), and translates a finished English
sentence by matching it against them (:class:`analytics.i18n.SentenceTemplates`). The
placeholder values (file names, headers, cell values, ids) are data and stay as written; a
column label such as ``amount (column '金额')`` and a list such as ``Won or Lost`` are
translated in turn. A sentence that matches no template is shown in English.

tests/ingest/test_ingest_i18n.py provokes every template from real imports and checks that the
importer's source holds no sentence fragment missing here.
"""

from __future__ import annotations

import pandas as pd

from analytics.i18n import DEFAULT_LANG, OR_LIST, SentenceTemplates, translate
from analytics.ingest.rules import KIND_HINTS

__all__ = [
    "COLUMN_LABELS",
    "FAILURES",
    "MAPPING_SOURCES",
    "PROGRESS",
    "REASONS",
    "REJECT_COLUMNS",
    "WARNINGS",
    "all_msgids",
    "translate_message",
    "translate_reason",
    "translated_rejects",
]

#: How reasons name a column when its header differs from the canonical name.
COLUMN_LABELS = SentenceTemplates(["{name} (column '{header}')", "{name} (looked up in {table} by {source})"])
#: A column as reasons name it: ``amount``, ``amount (column '金额')`` or
#: ``region_id (looked up in v_reps by rep_id)`` (canonical names are identifiers).
_COLUMN_VALUE = r"\w+(?: \(column '.*?'\)| \(looked up in \S+ by \w+\))?"

_LINE = "; check the delimiter and the quotes on this line"

#: Reasons for one rejected row (several are joined with "; ").
REASONS = SentenceTemplates(
    [
        # records the reader cannot split (analytics/ingest/read.py)
        "has {found} values but the header has {columns} columns" + _LINE,
        "does not match the header has {columns} columns" + _LINE,
        "a quote on this line is not closed or is followed by other text; fix the quotes on this line",
        "the record is longer than {size} MiB; check for a quote that is not closed",
        "the record could not be read ({detail}); check this line",
        # value checks (analytics/ingest/sql.py: file_cells_sql, error_exprs)
        "{header} is '{value}'; this mapping only imports rows where it is {allowed}",
        "{column} is required",
        *("{column} '{value}' " + hint for hint in KIND_HINTS.values()),
        "{column} '{value}' is not one of {allowed}",
        "{column} '{value}' is not between {low} and {high}",
        "{column} '{value}' must not be negative",
        # references and duplicates (analytics/ingest/sql.py: decided_sql)
        "{column} '{value}' is not in the {table} table; import {table} first or fix the id",
        "duplicate {key} (first seen on line {line})",
        "duplicate {key} (first seen in {file} line {line})",
    ],
    nested={"column": COLUMN_LABELS, "allowed": OR_LIST},
    values={"column": _COLUMN_VALUE},
)

_SEE_FORMAT = "; see docs/import-formats.md for the mapping format."
#: How mapping errors name a mapping passed as a dict rather than a file (a file is named by its path).
MAPPING_SOURCES = SentenceTemplates(["given"])
#: What :func:`analytics.ingest.mapping._fail_mapping` says is wrong with a mapping.
_MAPPING_PROBLEMS = (
    'has a [{section}] that is not a table of name = "value" lines',
    "gives [{section}] {key} a value that is not text or a number",
    "has the unknown key(s) {keys} (allowed: {allowed})",
    'needs table = "name" and distinct = true/false written like that',
    "gives {key} a value that is not text",
    "has a [values] that is not a set of [values.column] tables",
    'has a [keep] that is not a set of header = ["value", ...] lines',
    "has a [lookup] that is not a set of [lookup.column] tables",
    "has a [lookup.{column}] without exactly table, key, from and value",
)
_MISSING = (
    "{file} is missing the required {what} {columns} for {table} (headers found: {headers}); rename the header "
    'or map it in a mapping file ([columns] {first} = "your header").'
)

#: Why a whole import was refused (:class:`~analytics.ingest.read.ImportFailed` messages).
FAILURES = SentenceTemplates(
    [
        # mapping files (analytics/ingest/mapping.py, plan.py, importer.py)
        *("The mapping {source} " + problem + _SEE_FORMAT for problem in _MAPPING_PROBLEMS),
        "The mapping file {path} was not found; check its name and folder.",
        "The mapping file {path} is not valid TOML ({error}); fix that line.",
        "The mapping's [lookup.{column}] reads '{table}', which is not one of {tables}; name a store table or view.",
        "The mapping's [lookup.{column}] names the column '{part}', which {table} does not have; "
        "its columns are {columns}.",
        "The mapping's [lookup.{column}] takes its key from '{source}', which is not a column of {table}; "
        "use one of {columns}.",
        "The mapping is for the table {mapping_table}, not {table}; use the matching mapping file.",
        "The mapping names {columns}, which {table} does not have; its columns are {all}.",
        # headers and tables (analytics/ingest/plan.py, importer.py, folder.py)
        "{file} has no column '{header}', which the mapping names for {column}; its headers are {headers}.",
        _MISSING.replace("{what}", "column"),
        _MISSING.replace("{what}", "columns"),
        "{file} has no column '{header}', which the mapping's [keep] names; its headers are {headers}.",
        "'{table}' is not a table you can import; choose one of {tables}.",
        "The store {path} is open read-only; open it for writing to import.",
        "Importing {tables} failed and nothing was changed ({error}); check the file, or report this message if "
        "it persists.",
        "No files were given to import into {table}; name at least one file.",
        "{files} files were given with {names} names; give one name per file.",
        "The folder {folder} does not exist; name a folder holding files such as leads.csv.",
        "The folder {folder} has no file named after a table (e.g. regions.csv, leads.csv); rename the files or "
        "import them one by one.",
        # reading files (analytics/ingest/read.py)
        "{file} is an old Excel .xls file, which cannot be read; open it in Excel and save it as .xlsx or CSV.",
        "{file} is named like a {suffix} file but its content is not; export it again.",
        "{file} is empty; export the table again with a header line and data rows.",
        "The mapping names the encoding '{encoding}', which is unknown; use utf-8, gbk, gb18030 or utf-16.",
        "{file} could not be read as {tried} text (first bad byte on line {line}); save it as 'CSV UTF-8' or name "
        'its encoding in a mapping file (encoding = "big5").',
        "The first line of {file} is empty; the first line must hold the column headers.",
        "The file could not be split into records ({error}); check its quotes.",
        "{file} could not be opened as an Excel workbook ({error}); save it again as .xlsx.",
        "{file} has no sheet named '{sheet}'; its sheets are {sheets}.",
        "{file} has no data in its first sheet; put the headers in the first row.",
        "{file} could not be read as a Parquet file ({error}); export it again.",
        "{file} was not found (looked for {path}); check the file name and folder.",
        "{file} could not be read ({error}); check that it is not open elsewhere and that you may read it.",
    ],
    nested={"tried": OR_LIST, "source": MAPPING_SOURCES},
)

_LINK_UP = "; they link up once those are imported."
#: Warnings of an import that ran (``ImportResult.warnings``) and of the CLI (analytics/cli/ingest.py).
WARNINGS = SentenceTemplates(
    [
        "{file}: the columns {headers} all look like {column}; '{chosen}' was used (name one in a mapping file "
        "to choose).",
        "{file}: ignored the column {headers} (not a column of {table}).",
        "{file}: ignored the columns {headers} (not a column of {table}).",
        "1 row was merged into an identical earlier row (distinct = true).",
        "{n} rows were merged into an identical earlier row (distinct = true).",
        "1 row was stored with {column} values that are not in the {table} table" + _LINK_UP,
        "{n} rows were stored with {column} values that are not in the {table} table" + _LINK_UP,
        "the rejected rows could not be written to {path} ({error}); name another file with --rejects.",
    ]
)

#: Progress messages passed to the ``progress`` callback while an import runs.
PROGRESS = SentenceTemplates(
    ["reading {file}", "checking {n} rows", "storing into {table}", "writing the import log", "committing", "done"]
)

_MESSAGES = (FAILURES, WARNINGS, PROGRESS)

#: Columns of :meth:`analytics.ingest.ImportResult.rejects_frame` -> English labels (message ids).
REJECT_COLUMNS = {"file": "File", "line": "Line", "reason": "Reason"}


def translate_reason(reason: str, lang: str) -> str:
    """A rejected row's reason in ``lang``; several reasons joined with ``; `` are translated one by one.

    >>> translate_reason("amount 'abc' is not an amount (use digits like 1234.50)", "zh")
    'amount 的值“abc”不是金额（请写成 1234.50 这样的数字）'

    Unknown reasons are returned unchanged (English).
    """
    return REASONS.translate_joined(reason, lang)


def translate_message(message: str, lang: str) -> str:
    """A refusal (:class:`ImportFailed` message), warning or progress message of the importer in ``lang``.

    Unknown messages are returned unchanged (English).
    """
    for templates in _MESSAGES:
        if templates.match(message) is not None:
            return templates.translate(message, lang)
    return message


def translated_rejects(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """:meth:`~analytics.ingest.ImportResult.rejects_frame` for people reading ``lang``.

    The ``file``, ``line`` and ``reason`` headers and every reason are translated; the
    input's own columns keep their headers and cells (a header that would clash with a
    translated one gets ``_`` appended, as in the English frame). English returns the
    frame as it is, with the stable column names the CLI writes too.
    """
    if lang == DEFAULT_LANG:
        return frame
    out = frame.copy()
    if "reason" in out.columns:
        out["reason"] = [translate_reason(str(r), lang) for r in out["reason"]]
    labels = {c: translate(label, lang) for c, label in REJECT_COLUMNS.items() if c in out.columns}
    taken = set(labels.values())
    names = []
    for c in out.columns:
        if c in labels:
            names.append(labels[c])
            continue
        name = str(c)
        while name in taken:
            name += "_"
        taken.add(name)
        names.append(name)
    out.columns = names
    return out


def all_msgids() -> list[str]:
    """Every message id of this module (for the catalogue checks)."""
    groups = (REASONS, COLUMN_LABELS, MAPPING_SOURCES, *_MESSAGES)
    return [*dict.fromkeys(m for g in groups for m in g.msgids), *REJECT_COLUMNS.values()]
