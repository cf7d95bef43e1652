"""Importing CRM exports: read, map, validate and store rows (every row stored or rejected)."""

from analytics.ingest.importer import (
    TABLE_COLUMNS,
    ImportFailed,
    import_files,
)

__all__ = ["TABLE_COLUMNS", "ImportFailed", "import_files"]
