"""The shared filter value: a date range plus region, team and segment selections.

Pages build a :class:`Filters` from the sidebar; the CLI builds one from ``--from``,
``--to``, ``--region``, ``--team`` and ``--segment``. :meth:`Filters.clause` turns it
into a SQL predicate with bound parameters over any of the ``v_*`` views, which all
carry ``region_id``, ``team_id`` and ``segment`` columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date

from analytics.access import Scope
from analytics.periods import Quarter

_COL_RE = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class Filters:
    """A date range (inclusive) and optional dimension selections (empty = all)."""

    start: date
    end: date
    region_ids: tuple[str, ...] = field(default_factory=tuple)
    team_ids: tuple[str, ...] = field(default_factory=tuple)
    segments: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValueError(f"The start date {self.start} is after the end date {self.end}; swap them.")

    @classmethod
    def for_quarter(cls, quarter: str | Quarter, **dims: tuple[str, ...]) -> Filters:
        """Filters covering one quarter."""
        q = quarter if isinstance(quarter, Quarter) else Quarter.parse(quarter)
        return cls(start=q.start, end=q.end, **dims)

    def shifted_to(self, start: date, end: date) -> Filters:
        """Same dimension selections over another date range."""
        return replace(self, start=start, end=end)

    def leads_relation(self, *, team_split: bool = False) -> str:
        """``leads``, or the ``v_leads`` view when a team filter or split needs the rep's team.

        Region and segment are columns of ``leads`` and the access scope is by rep, so only
        the team needs the view's join to reps (a fifth of a count's time at 10M leads).
        """
        return "v_leads" if team_split or self.team_ids else "leads"

    def deals_relation(self) -> str:
        """``deals``, or the ``v_deals`` view when a region, team or segment filter needs it.

        ``deals`` has none of the three (the view derives them through the lead, the account
        or the rep's team); the access scope is by rep, a column of ``deals``.
        """
        return "v_deals" if self.region_ids or self.team_ids or self.segments else "deals"

    def clause(
        self,
        date_column: str,
        *,
        alias: str = "",
        dims: tuple[str, ...] = ("region", "team", "segment"),
    ) -> tuple[str, list[object]]:
        """SQL predicate over a ``v_*`` view: date range plus the selected dimensions.

        Parameters
        ----------
        date_column
            The column the date range applies to (``created_at``, ``signed_at``, ...).
        alias
            Table alias to prefix the columns with.
        dims
            Which dimension selections apply (a view without ``segment`` passes fewer).
        """
        prefix = f"{alias}." if alias else ""
        for name in (date_column, alias or "x"):
            if not _COL_RE.match(name):
                raise ValueError(f"'{name}' is not a plain column name.")
        parts = [f"CAST({prefix}{date_column} AS DATE) BETWEEN ? AND ?"]
        params: list[object] = [self.start, self.end]
        selections = {
            "region": ("region_id", self.region_ids),
            "team": ("team_id", self.team_ids),
            "segment": ("segment", self.segments),
        }
        for dim in dims:
            column, values = selections[dim]
            if values:
                parts.append(f"list_contains(?::VARCHAR[], {prefix}{column})")
                params.append(list(values))
        return " AND ".join(parts), params


def where(
    filters: Filters,
    scope: Scope,
    date_column: str,
    *,
    alias: str = "",
    dims: tuple[str, ...] = ("region", "team", "segment"),
) -> tuple[str, list[object]]:
    """Combine a filter and an access scope into one WHERE predicate with parameters."""
    f_sql, f_params = filters.clause(date_column, alias=alias, dims=dims)
    s_sql, s_params = scope.clause(f"{alias}.rep_id" if alias else "rep_id")
    return f"({f_sql}) AND ({s_sql})", [*f_params, *s_params]
