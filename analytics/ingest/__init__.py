"""Importing CRM exports: read, map, validate and store rows (every row stored or rejected).

Public names: :func:`import_files` (files into one table), :func:`import_folder` (a folder
of ``<table>.csv`` files in dependency order), :func:`read_mapping` (a TOML column mapping),
:class:`ImportResult` / :class:`Rejection` (what an import did), :class:`ImportFailed` (a
refused import; the store is unchanged), :data:`TABLE_COLUMNS` (importable tables and their
columns), and :func:`translate_message` / :func:`translated_rejects` (the importer's English
sentences and rejects for readers of another language).
"""

from analytics.ingest.folder import import_folder
from analytics.ingest.importer import ImportResult, Rejection, import_files
from analytics.ingest.mapping import read_mapping
from analytics.ingest.messages import translate_message, translated_rejects
from analytics.ingest.read import ImportFailed
from analytics.ingest.rules import TABLE_COLUMNS

__all__ = [
    "TABLE_COLUMNS",
    "ImportFailed",
    "ImportResult",
    "Rejection",
    "import_files",
    "import_folder",
    "read_mapping",
    "translate_message",
    "translated_rejects",
]
