"""Column-mapping files (TOML): read one and check every section before an import uses it.

A mapping says which input header feeds which canonical column (``[columns]``), constants
for missing columns (``[defaults]``), value translations (``[values.<column>]``), which
rows to keep (``[keep]``) and columns looked up in the store (``[lookup.<column>]``). The
format is documented in docs/import-formats.md. A checked mapping is a plain dict with
every section present, so the import never has to ask whether a key exists.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from analytics.ingest.read import ImportFailed
from analytics.ingest.sql import Lookup

__all__ = ["MAPPING_KEYS", "Mapping", "as_mapping", "read_mapping"]

#: A checked mapping: keys ``table``, ``distinct``, ``sheet``, ``delimiter``, ``encoding``,
#: ``columns``, ``defaults``, ``values``, ``keep`` and ``lookup``, all present.
Mapping = dict[str, Any]
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


def _check_lookups(source: str, lookups: Any) -> dict[str, Lookup]:
    if not isinstance(lookups, dict):
        raise _fail_mapping(source, "has a [lookup] that is not a set of [lookup.column] tables")
    out = {}
    for col, spec in lookups.items():
        if isinstance(spec, Lookup):
            out[col] = spec
            continue
        spec = _str_map(source, f"lookup.{col}", spec)
        if sorted(spec) != ["from", "key", "table", "value"]:
            raise _fail_mapping(source, f"has a [lookup.{col}] without exactly table, key, from and value")
        out[col] = Lookup(spec["table"], spec["key"], spec["from"], spec["value"])
    return out


def _check_mapping(data: dict[str, Any], source: str) -> Mapping:
    unknown = [k for k in data if k not in MAPPING_KEYS]
    if unknown:
        raise _fail_mapping(source, f"has the unknown key(s) {', '.join(unknown)} (allowed: {', '.join(MAPPING_KEYS)})")
    if not isinstance(data.get("table") or "", str) or not isinstance(data.get("distinct", False), bool):
        raise _fail_mapping(source, 'needs table = "name" and distinct = true/false written like that')
    out: Mapping = {"table": data.get("table"), "distinct": data.get("distinct", False)}
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
    out["lookup"] = _check_lookups(source, data.get("lookup", {}))
    return out


def read_mapping(path: str | Path) -> Mapping:
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


def as_mapping(mapping: str | Path | dict[str, Any] | None) -> Mapping:
    """A checked mapping from a file, an already parsed dict, or None (the empty mapping).

    Parameters
    ----------
    mapping
        A path to a ``.toml`` file (read with :func:`read_mapping`), a dict with the same
        keys as the file (checked the same way, and named "given" in messages), or None.

    Returns
    -------
    dict
        The checked mapping, with every section present.

    Raises
    ------
    ImportFailed
        When the mapping is wrong (see :func:`read_mapping`).
    """
    if mapping is None:
        return _check_mapping({}, "(none)")
    if isinstance(mapping, dict):
        return _check_mapping(mapping, "given")
    return read_mapping(mapping)
