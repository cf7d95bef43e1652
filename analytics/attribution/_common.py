"""Pieces shared by the attribution modules (lead sources and multi-touch credit)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=8)
def sql_text(name: str) -> str:
    """The text of ``analytics/attribution/sql/<name>.sql`` (SQL models with ``{where}`` slots).

    Parameters
    ----------
    name
        The model's file name without ``.sql`` (``source_counts``, ``funnel``, ``journeys``).
    """
    return (resources.files("analytics.attribution") / "sql" / f"{name}.sql").read_text("utf-8")
