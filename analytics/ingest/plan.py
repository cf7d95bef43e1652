"""Planning one file: which input column feeds which canonical column, before any row is read.

:func:`plan_file` looks at a staged file's headers and the mapping, and decides for every
canonical column of the table where its text comes from (a header, a default, a lookup in
the store, or nothing), how reasons will name it, and which extra columns are ignored. It
refuses a file that lacks a required column. :func:`check_lookup` checks a mapping's
``[lookup.<column>]`` against the store's catalogue. Nothing here writes to the store.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from analytics.ingest.mapping import Mapping
from analytics.ingest.read import ImportFailed, Staged
from analytics.ingest.rules import SPECS, match_header, normalise_header
from analytics.ingest.sql import ColumnPlan, Lookup
from analytics.store import DATA_TABLES

__all__ = ["LOOKUP_RELATIONS", "FilePlan", "check_lookup", "column_labels", "plan_file"]

#: Store relations a mapping's ``[lookup]`` may read.
LOOKUP_RELATIONS = (*DATA_TABLES, "v_reps", "v_leads", "v_deals", "v_calls")


@dataclass
class FilePlan:
    """Where one file's canonical columns come from.

    ``columns`` has one :class:`~analytics.ingest.sql.ColumnPlan` per canonical column of
    the table, in :data:`~analytics.ingest.rules.SPECS` order; ``keep`` lists the
    ``[keep]`` filters as (input column index, header, allowed values); ``warnings`` are
    sentences about columns that were ambiguous or ignored.
    """

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


def check_lookup(cur: duckdb.DuckDBPyConnection, table: str, column: str, lk: Lookup) -> None:
    """Refuse a ``[lookup.<column>]`` that reads an unknown relation or column.

    Parameters
    ----------
    cur
        A cursor on the store (the catalogue is read with a bound parameter).
    table
        The table being imported.
    column
        The canonical column the lookup fills.
    lk
        The lookup: relation, key column there, source column here, value column there.

    Raises
    ------
    ImportFailed
        When the relation is not one of :data:`LOOKUP_RELATIONS`, it lacks the key or value
        column, or the source is not a column of ``table``.
    """
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


def _keep_filters(staged: Staged, spec: Mapping, used: set[int]) -> list[tuple[int, str, list[str]]]:
    """The mapping's ``[keep]`` filters as input column positions (marked as used)."""
    keep = []
    for header, allowed in spec["keep"].items():
        j = _find_header(staged.headers, header)
        if j is None:
            raise ImportFailed(
                f"{staged.name} has no column '{header}', which the mapping's [keep] names; "
                f"its headers are {_headers_text(staged.headers)}."
            )
        keep.append((j, staged.headers[j], allowed))
        used.add(j)
    return keep


def plan_file(table: str, staged: Staged, spec: Mapping) -> FilePlan:
    """Decide, for one file, where every canonical column comes from.

    Parameters
    ----------
    table
        The table being imported (a key of :data:`~analytics.ingest.rules.SPECS`).
    staged
        The file as read into a staging table (its headers and name are used).
    spec
        The checked mapping (:func:`analytics.ingest.mapping.as_mapping`).

    Returns
    -------
    FilePlan
        One column plan per canonical column, the ``[keep]`` filters and warnings.

    Raises
    ------
    ImportFailed
        When a header the mapping names is missing, or a required column has no source,
        default, lookup or fill.
    """
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
    keep = _keep_filters(staged, spec, used)
    ignored = [h for j, h in enumerate(headers) if j not in used]
    if ignored:
        warnings.append(
            f"{name}: ignored the column{'s' if len(ignored) > 1 else ''} {_headers_text(ignored)} "
            f"(not a column of {table})."
        )
    return FilePlan(plans, keep, warnings)


def column_labels(table: str, plans: list[FilePlan]) -> dict[str, str]:
    """How reasons name each column of ``table`` across several files.

    A column's label quotes its header (``amount (column '金额')``) only when every file
    used the same header; otherwise it is the canonical name.
    """
    labels = {}
    for n, col in enumerate(SPECS[table]):
        found = {fp.columns[n].label for fp in plans}
        labels[col.name] = found.pop() if len(found) == 1 else col.name
    return labels
