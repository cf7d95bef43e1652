"""Importing a whole folder: one ``<table>.<ext>`` file per table, in dependency order.

``import_folder(store, "exports/")`` finds ``regions.csv``, ``teams.xlsx``, ``leads.csv``
... (and ``<table>.toml`` mappings beside them), orders them like
:data:`analytics.store.DATA_TABLES` (a table after the tables it references) and imports
them all in one transaction.
"""

from __future__ import annotations

from pathlib import Path

from analytics.ingest.importer import ImportJob, ImportResult, Progress, run_jobs
from analytics.ingest.mapping import as_mapping, read_mapping
from analytics.ingest.read import ImportFailed
from analytics.store import DATA_TABLES, Store

__all__ = ["FOLDER_SUFFIXES", "folder_jobs", "import_folder"]

#: File name endings :func:`folder_jobs` looks for, per table.
FOLDER_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".parquet")


def folder_jobs(folder: str | Path) -> list[ImportJob]:
    """The imports of a folder: ``<table>.csv`` (or .tsv/.txt/.xlsx/.parquet) per table.

    Parameters
    ----------
    folder
        The folder to look in; ``<table>.toml`` beside a table's files is its mapping.

    Returns
    -------
    list of ImportJob
        One job per table that has files, in dependency order (``DATA_TABLES`` order).

    Raises
    ------
    ImportFailed
        When the folder does not exist, holds no file named after a table, or a mapping
        file is wrong.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ImportFailed(f"The folder {folder} does not exist; name a folder holding files such as leads.csv.")
    jobs = []
    for table in DATA_TABLES:
        files = [folder / f"{table}{suffix}" for suffix in FOLDER_SUFFIXES if (folder / f"{table}{suffix}").is_file()]
        if files:
            toml = folder / f"{table}.toml"
            spec = read_mapping(toml) if toml.is_file() else as_mapping(None)
            jobs.append(ImportJob(table, files, [f.name for f in files], spec))
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
        As for :func:`analytics.ingest.importer.import_files`.

    Returns
    -------
    list of ImportResult
        One per imported table, in import order.
    """
    return run_jobs(store, folder_jobs(folder), progress)
