# ruff: noqa: S608 - this module writes SQL from generated names (c3, r_amount) and code constants only;
# every value that comes from a user is a bound parameter collected in Params.
"""SQL that turns staged text cells into typed rows with reasons, vectorised in DuckDB.

Three layers, each a SELECT over the one before (dbt style: rename and cast first, then
check, then decide):

1. ``file_cells_sql``: per input file, pick the source column of every canonical column,
   trim it, apply the mapping's value map, lookups and defaults -> ``r_<col>`` text.
2. ``typed_sql``: parse every ``r_<col>`` by its kind (date, money, ...) and collect one
   reason per problem -> typed canonical columns plus ``__err`` (NULL when the row is fine).
3. ``decided_sql``: reference checks against the store, then in-input duplicates on the
   primary key -> ``__reason`` (NULL: store it) and ``__insert``.

Every value that comes from a user (labels quoting a header, mapping values, file names)
is a bound parameter collected in :class:`Params`; only code constants and generated names
(``c3``, ``r_amount``) are written into the SQL text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from analytics.ingest.rules import (
    KIND_HINTS,
    PRIMARY_KEYS,
    REFERENCES,
    SIMPLIFIED_FROM,
    SIMPLIFIED_TO,
    SPECS,
    Column,
    value_words,
)

#: Characters trimmed from every cell (ASCII white space, no-break and ideographic space).
TRIM_CHARS = " \t\r\n\u00a0\u3000"
#: Cell texts that mean "empty" in typed columns (dates, numbers, yes/no, quarters).
NULL_WORDS = ("null", "none", "nan", "n/a", "na", "-", "--", "#n/a", "\u2014")
TYPED_KINDS = ("date", "timestamp", "money", "int", "float", "bool", "quarter")
#: Values shown in a reason are cut to this many characters.
SHOWN_CHARS = 60
TRUE_WORDS = ("true", "t", "1", "yes", "y", "是", "真", "对", "對", "√")
FALSE_WORDS = ("false", "f", "0", "no", "n", "否", "假", "错", "錯", "×")
YEAR_RANGE = (1900, 2100)


def lit(text: str) -> str:
    """A SQL string literal for a *code constant* (never for user input)."""
    if "'" in text:
        raise ValueError(f"constant {text!r} must not contain a quote")
    return f"'{text}'"


def _lits(words: tuple[str, ...] | list[str]) -> str:
    return ", ".join(lit(w) for w in words)


class Params:
    """Collects bound parameters; ``p(value)`` returns the placeholder to write in SQL."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def __call__(self, value: Any) -> str:
        key = f"p{len(self.values)}"
        self.values[key] = value
        return f"${key}"


@dataclass(frozen=True)
class Lookup:
    """Fill a column from the store: ``table.value`` where ``table.key`` = this row's ``source``."""

    table: str
    key: str
    source: str
    value: str


@dataclass
class ColumnPlan:
    """Where one canonical column's text comes from in one file."""

    column: Column
    source: int | None = None  # index j of staged column c<j>
    label: str = ""  # how reasons name the column
    values: dict[str, str] = field(default_factory=dict)  # lower-cased source value -> value
    default: str | None = None
    lookup: Lookup | None = None


def ident(name: str) -> str:
    """A quoted identifier for a name that was checked against the catalog."""
    return '"' + name.replace('"', '""') + '"'


# -- layer 1: cells ---------------------------------------------------------------------------


def _trimmed(expr: str) -> str:
    """Trim white space; DuckDB's plain trim() covers Unicode spaces, the guard adds tab/CR/LF."""
    guard = " OR ".join(f"contains({expr}, chr({code}))" for code in (9, 10, 13))
    return f"nullif(CASE WHEN {guard} THEN trim({expr}, {lit(TRIM_CHARS)}) ELSE trim({expr}) END, '')"


def _no_null_words(expr: str) -> str:
    longest = max(len(w) for w in NULL_WORDS)
    return f"CASE WHEN length({expr}) <= {longest} AND lower({expr}) IN ({_lits(NULL_WORDS)}) THEN NULL ELSE {expr} END"


def file_cells_sql(
    index: int, relation: str, plans: list[ColumnPlan], keep: list[tuple[int, str, list[str]]], p: Params
) -> str:
    """Layer 1 for one staged file: ``__file, __line, r_<col>..., __keep``.

    ``keep`` holds (source column index, header, allowed values): rows whose cell is not one
    of the allowed values (case-insensitive) get a ``__keep`` reason.
    """
    used = sorted({plan.source for plan in plans if plan.source is not None} | {j for j, _h, _a in keep})
    trimmed = ", ".join(["__line", *(f"{_trimmed(f'c{j}')} AS s{j}" for j in used)])
    cells = ["__line", *(f"s{j}" for j in used)]
    for plan in plans:
        col = plan.column
        if plan.source is None:
            cells.append(f"CAST(NULL AS VARCHAR) AS v_{col.name}")
            continue
        cell = f"s{plan.source}"
        if col.kind in TYPED_KINDS:
            cell = _no_null_words(cell)
        if plan.values:
            whens = " ".join(f"WHEN {p(k)} THEN {p(v)}" for k, v in plan.values.items())
            cell = f"coalesce(CASE lower({cell}) {whens} END, {cell})"
        cells.append(f"{cell} AS v_{col.name}")
    joins, outer = [], [f"{index} AS __file", "s.__line"]
    for n, plan in enumerate(plans):
        col = plan.column
        parts = [f"s.v_{col.name}"]
        if plan.lookup is not None:
            lk = plan.lookup
            joins.append(
                f"LEFT JOIN (SELECT CAST({ident(lk.key)} AS VARCHAR) AS k, any_value(CAST({ident(lk.value)} AS VARCHAR))"
                f" AS v FROM {ident(lk.table)} GROUP BY 1) AS lk{n} ON lk{n}.k = s.v_{lk.source}"
            )
            parts.append(f"lk{n}.v")
        if plan.default is not None:
            parts.append(p(plan.default))
        if col.fill is not None:
            parts.append(lit(col.fill))
        outer.append(
            f"coalesce({', '.join(parts)}) AS r_{col.name}" if len(parts) > 1 else f"{parts[0]} AS r_{col.name}"
        )
    keeps = []
    for j, header, allowed in keep:
        keeps.append(
            f"CASE WHEN s.s{j} IS NULL OR lower(s.s{j}) NOT IN ({', '.join(p(a.lower()) for a in allowed)}) "
            f"THEN {p(header)} || ' is ''' || coalesce(left(s.s{j}, {SHOWN_CHARS}), '') || "
            f"'''; this mapping only imports rows where it is ' || {p(' or '.join(allowed))} END"
        )
    outer.append(
        f"nullif(concat_ws('; ', {', '.join(keeps)}), '') AS __keep" if keeps else "CAST(NULL AS VARCHAR) AS __keep"
    )
    return (
        f"SELECT {', '.join(outer)} FROM (SELECT {', '.join(cells)} FROM (SELECT {trimmed} FROM {relation}) AS t) AS s "
        + " ".join(joins)
    )


# -- layer 2: typed values and value errors ---------------------------------------------------

_DATE_NORMAL = (
    r"regexp_replace(regexp_replace({r}, '^(\d{{4}})(\d{{2}})(\d{{2}})(\s|T|$)', '\1-\2-\3\4'), "
    r"'^(\d{{4}})\s*[/.年]\s*(\d{{1,2}})\s*[/.月]\s*(\d{{1,2}})\s*日?', '\1-\2-\3')"
)
_MONEY_TEXT = (
    r"regexp_replace(regexp_replace({r}, '^\((.*)\)$', '-\1'), "
    r"'[\s,，¥￥$]|元|CNY|RMB|人民币|人民幣|圆', '', 'gi')"
)
_QUARTER_TEXT = r"upper(regexp_replace(translate({r}, '一二三四', '1234'), '[\s\-_年第度]', '', 'g'))"


def _normal_word(r: str, canonical: list[str]) -> str:
    """Enum text folded like :func:`analytics.ingest.rules.normalise_value`; canonical words skip the work."""
    slow = (
        f"trim(regexp_replace(lower(translate({r}, {lit(SIMPLIFIED_FROM)}, {lit(SIMPLIFIED_TO)})), "
        r"'[^\p{L}\p{N}_]+', '_', 'g'), '_')"
    )
    return f"CASE WHEN {r} IN ({_lits(canonical)}) THEN {r} ELSE {slow} END"


def prepare_expr(r: str, col: Column) -> str | None:
    """An intermediate value some kinds parse from (computed once per row), or None."""
    if col.kind == "enum":
        return _normal_word(r, list(dict.fromkeys(value_words(col.enum or "").values())))
    return None


def parse_expr(r: str, col: Column, n: str = "") -> str:
    """SQL parsing text ``r`` as ``col.kind`` (``n``: the prepared value); NULL where it is not valid.

    Each kind tries the plain form first (``2025-03-01``, ``1234.50``); the slower rules run
    only for rows where that failed, since DuckDB evaluates COALESCE and CASE lazily.
    """
    kind = col.kind
    if kind in ("id", "text"):
        return r
    if kind == "date":
        return f"coalesce(try_cast({r} AS DATE), try_cast({_DATE_NORMAL.format(r=r)} AS DATE))"
    if kind == "timestamp":
        return f"coalesce(try_cast({r} AS TIMESTAMP), try_cast({_DATE_NORMAL.format(r=r)} AS TIMESTAMP))"
    if kind == "money":
        m = _MONEY_TEXT.format(r=r)
        return (
            f"coalesce(try_cast({r} AS DECIMAL(18, 2)), CASE "
            f"WHEN {m} LIKE '%万' THEN try_cast(try_cast(rtrim({m}, '万') AS DECIMAL(38, 6)) * 10000 AS DECIMAL(18, 2)) "
            f"WHEN {m} LIKE '%亿' THEN try_cast(try_cast(rtrim({m}, '亿') AS DECIMAL(38, 6)) * 100000000 "
            f"AS DECIMAL(18, 2)) ELSE try_cast({m} AS DECIMAL(18, 2)) END)"
        )
    if kind == "int":
        d = f"try_cast(replace({r}, ',', '') AS DOUBLE)"
        slow = f"CASE WHEN {d} = trunc({d}) AND abs({d}) < 2147483648 THEN CAST({d} AS INTEGER) END"
        return f"coalesce(CASE WHEN NOT contains({r}, '.') THEN try_cast({r} AS INTEGER) END, {slow})"
    if kind == "float":
        return f"coalesce(try_cast({r} AS DOUBLE), try_cast(replace({r}, ',', '') AS DOUBLE))"
    if kind == "bool":
        low = f"lower({r})"
        return f"CASE WHEN {low} IN ({_lits(TRUE_WORDS)}) THEN true WHEN {low} IN ({_lits(FALSE_WORDS)}) THEN false END"
    if kind == "quarter":
        q = _QUARTER_TEXT.format(r=r)
        return (
            rf"CASE WHEN regexp_full_match({r}, '\d{{4}}Q[1-4]') THEN {r} "
            rf"WHEN regexp_full_match({q}, '\d{{4}}Q[1-4]') THEN {q} "
            rf"WHEN regexp_full_match({q}, 'Q[1-4]\d{{4}}') THEN right({q}, 4) || left({q}, 2) "
            rf"WHEN regexp_full_match({q}, '\d{{4}}[1-4]季') THEN left({q}, 4) || 'Q' || substr({q}, 5, 1) END"
        )
    if kind == "tags":
        return (
            f"CASE WHEN {r} IS NULL THEN CAST([] AS VARCHAR[]) ELSE list_filter(list_transform(string_split("
            f"regexp_replace({r}, '[；|、]', ';', 'g'), ';'), lambda x: trim(x, {lit(TRIM_CHARS)})), "
            "lambda x: x <> '') END"
        )
    if kind == "enum":
        by_value: dict[str, list[str]] = {}
        for word, stored in value_words(col.enum or "").items():
            by_value.setdefault(stored, []).append(word)
        whens = " ".join(f"WHEN {n} IN ({_lits(ws)}) THEN {lit(v)}" for v, ws in by_value.items())
        return f"CASE {whens} END"
    raise ValueError(f"unknown kind {kind}")


def _shown(r: str) -> str:
    return f"' ''' || left({r}, {SHOWN_CHARS}) || ''' '"


def error_exprs(col: Column, label: str, r: str, v: str) -> list[str]:
    """SQL expressions giving a reason (or NULL) for one column of one row."""
    out = []
    if not col.nullable:
        out.append(f"CASE WHEN {r} IS NULL THEN {label} || ' is required' END")
    if col.kind in KIND_HINTS:
        bad = f"{v} IS NULL OR NOT isfinite({v})" if col.kind == "float" else f"{v} IS NULL"
        out.append(
            f"CASE WHEN {r} IS NOT NULL AND ({bad}) THEN {label} || {_shown(r)} || {lit(KIND_HINTS[col.kind])} END"
        )
    if col.kind == "enum":
        allowed = ", ".join(dict.fromkeys(value_words(col.enum or "").values()))
        out.append(
            f"CASE WHEN {r} IS NOT NULL AND {v} IS NULL THEN {label} || {_shown(r)} || "
            f"{lit('is not one of ' + allowed)} END"
        )
    if col.kind in ("date", "timestamp"):
        lo, hi = YEAR_RANGE
        out.append(
            f"CASE WHEN year({v}) NOT BETWEEN {lo} AND {hi} THEN {label} || {_shown(r)} || "
            f"{lit(f'is not between {lo} and {hi}')} END"
        )
    if col.lo is not None and col.hi is not None:
        out.append(
            f"CASE WHEN {v} < {col.lo} OR {v} > {col.hi} THEN {label} || {_shown(r)} || "
            f"{lit(f'is not between {col.lo:g} and {col.hi:g}')} END"
        )
    elif col.lo == 0:
        out.append(f"CASE WHEN {v} < 0 THEN {label} || {_shown(r)} || 'must not be negative' END")
    return out


def typed_sql(table: str, union_sql: str, labels: dict[str, str], p: Params) -> str:
    """Layer 2 over the union of every file's layer 1: typed columns and ``__err``."""
    cols = SPECS[table]
    prepared = [f"{prepare_expr(f'r_{c.name}', c)} AS n_{c.name}" for c in cols if prepare_expr("x", c)]
    parsed = ", ".join(f"r_{c.name}, {parse_expr(f'r_{c.name}', c, f'n_{c.name}')} AS {c.name}" for c in cols)
    errors = []
    for c in cols:
        exprs = error_exprs(c, "__LABEL__", f"r_{c.name}", c.name)
        if exprs:
            label = p(labels[c.name])
            errors.extend(e.replace("__LABEL__", label) for e in exprs)
    names = ", ".join(c.name for c in cols)
    source = f"(SELECT *, {', '.join(prepared)} FROM ({union_sql}) AS u0)" if prepared else f"({union_sql})"
    return (
        f"SELECT __file, __line, {names}, CASE WHEN __keep IS NOT NULL THEN __keep "
        f"ELSE nullif(concat_ws('; ', {', '.join(errors)}), '') END AS __err "
        f"FROM (SELECT __file, __line, __keep, {parsed} FROM {source} AS u) AS t"
    )


# -- layer 3: references and duplicates ----------------------------------------------------------


def _key_text(table: str, alias: str = "") -> str:
    """SQL text naming a row's key: ``deal_id 'D1'`` or ``rep_id 'S1', quarter '2025Q3'``."""
    parts = [f"{lit(k + ' ')} || '''' || CAST({alias}{k} AS VARCHAR) || ''''" for k in PRIMARY_KEYS[table]]
    return " || ', ' || ".join(parts)


def decided_sql(table: str, p: Params, *, distinct: bool, file_names: list[str]) -> tuple[str, str, str, list[str]]:
    """Layer 3: SQL for ``__checked`` (over ``__typed``), ``__dups`` and the view ``__decided``.

    ``__checked`` adds ``__ord`` (file and line in one BIGINT), ``__bad`` (value or strict
    reference problems) and one ``__loose<n>`` flag per loose reference. ``__dups`` holds
    the rows whose key occurs more than once. ``__decided`` adds ``__reason`` (NULL: the row
    is stored) and ``__insert`` (the one row written for its key). Returns the three
    statements and the loose references' descriptions, in flag order.
    """
    cols = [c.name for c in SPECS[table]]
    pk = PRIMARY_KEYS[table]
    joins, strict, loose_cols, loose_names = [], [], [], []
    for n, ref in enumerate(REFERENCES.get(table, ())):
        target = f"SELECT DISTINCT {ref.target_column} AS k FROM {ref.target}"
        if ref.target == table:  # a self-reference may point at a row of the same import
            target += f" UNION SELECT {ref.target_column} FROM __typed WHERE __err IS NULL"
        joins.append(f"LEFT JOIN ({target}) AS ref{n} ON ref{n}.k = t.{ref.column}")
        missing = f"t.{ref.column} IS NOT NULL AND ref{n}.k IS NULL"
        if ref.strict:
            strict.append(
                f"CASE WHEN {missing} THEN {lit(ref.column + ' ')} || '''' || left(t.{ref.column}, {SHOWN_CHARS}) || '''' || "
                f"{lit(f' is not in the {ref.target} table; import {ref.target} first or fix the id')} END"
            )
        else:
            loose_cols.append(f"({missing}) AS __loose{len(loose_names)}")
            loose_names.append(f"{ref.column} values that are not in the {ref.target} table")
    ref_err = f"nullif(concat_ws('; ', {', '.join(strict)}), '')" if strict else "CAST(NULL AS VARCHAR)"
    checked = (
        f"SELECT t.*, (CAST(t.__file AS BIGINT) << 40) + t.__line AS __ord, "
        f"coalesce(t.__err, {ref_err}) AS __bad"
        + "".join(f", {c}" for c in loose_cols)
        + " FROM __typed AS t "
        + " ".join(joins)
    )
    part_key = ", ".join(pk)
    first_file = f"list_extract({p(file_names)}, CAST((__kf >> 40) + 1 AS INTEGER))"
    first_line = "CAST(__kf & 1099511627775 AS VARCHAR)"
    seen = (
        f"CASE WHEN (__kf >> 40) = __file THEN 'on line ' || {first_line} "
        f"ELSE 'in ' || {first_file} || ' line ' || {first_line} END"
    )
    dup = f"'duplicate ' || {_key_text(table)} || ' (first seen ' || {seen} || ')'"
    group = f", min(c.__ord) OVER (PARTITION BY {', '.join(f'c.{c}' for c in cols)}) AS __g" if distinct else ""
    merged = "__g = __kf" if distinct else "false"
    # Duplicate keys are rare: find them with one GROUP BY and keep only their rows (__dups);
    # __decided is then a view joining that small table back, so no full copy is written.
    dups = (
        f"WITH keys AS (SELECT {part_key}, min(__ord) AS __kf FROM __checked WHERE __bad IS NULL "
        f"GROUP BY {part_key} HAVING count(*) > 1), "
        f"d AS (SELECT c.*, k.__kf{group} FROM __checked AS c JOIN keys AS k USING ({part_key}) WHERE c.__bad IS NULL) "
        f"SELECT __ord, CASE WHEN __ord = __kf OR {merged} THEN NULL ELSE {dup} END AS __dup_reason, "
        "__ord = __kf AS __first FROM d"
    )
    decided = (
        "SELECT c.*, coalesce(c.__bad, d.__dup_reason) AS __reason, "
        "(c.__bad IS NULL AND coalesce(d.__first, true)) AS __insert FROM __checked AS c LEFT JOIN __dups AS d USING (__ord)"
    )
    return checked, dups, decided, loose_names


def upsert_sql(table: str) -> list[str]:
    """Statements that upsert the ``__decided`` rows marked ``__insert`` on the primary key.

    Rows whose key exists with different values go through INSERT ... ON CONFLICT DO UPDATE;
    rows with a new key through a plain INSERT (much faster than ON CONFLICT in DuckDB);
    rows identical to the stored one are not written at all, so a re-import changes nothing.
    """
    cols = [c.name for c in SPECS[table]]
    pk = PRIMARY_KEYS[table]
    rest = [c for c in cols if c not in pk]
    names = ", ".join(cols)
    same_key = " AND ".join(f"s.{k} = d.{k}" for k in pk)
    statements = []
    if rest:
        changed = " OR ".join(f"s.{c} IS DISTINCT FROM d.{c}" for c in rest)
        statements.append(
            f"INSERT INTO {table} ({names}) SELECT {', '.join(f'd.{c}' for c in cols)} FROM __decided AS d "
            f"JOIN {table} AS s ON {same_key} WHERE d.__insert AND ({changed}) "
            f"ON CONFLICT ({', '.join(pk)}) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in rest)}"
        )
    statements.append(
        f"INSERT INTO {table} ({names}) SELECT {', '.join(f'd.{c}' for c in cols)} FROM __decided AS d "
        f"WHERE d.__insert AND NOT EXISTS (SELECT 1 FROM {table} AS s WHERE {same_key})"
    )
    return statements
