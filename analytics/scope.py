"""Access scopes: which reps' rows an identity may see, applied in SQL.

Every query that returns rep-level rows takes a :class:`Scope` and adds
:meth:`Scope.clause` to its WHERE, with bound parameters. A scope is frozen and
hashable, so cached functions that take it never share entries across identities.
An unknown role fails closed (sees nothing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ROLES = ("leader", "manager", "analyst", "rep")
_IDENT_RE = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$")


def _check_ident(column: str) -> str:
    """Guard against anything but a plain column reference reaching SQL text."""
    if not _IDENT_RE.match(column):
        raise ValueError(f"'{column}' is not a plain column name.")
    return column


@dataclass(frozen=True)
class Scope:
    """What one identity may see.

    Parameters
    ----------
    role
        ``leader`` (everything), ``manager`` (reps of ``team_ids`` or ``region_ids``),
        ``analyst`` (every row; pay lines aggregated by the pages), ``rep`` (own rows);
        anything else sees nothing.
    user
        The identity's name, for audit lines and cache keys.
    rep_id
        The rep a ``rep`` identity is.
    region_ids, team_ids
        A manager's scope.
    """

    role: str
    user: str = "local"
    rep_id: str | None = None
    region_ids: tuple[str, ...] = field(default_factory=tuple)
    team_ids: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def leader(cls, user: str = "local") -> Scope:
        """A scope that sees everything."""
        return cls(role="leader", user=user)

    @property
    def sees_everything(self) -> bool:
        """True for roles with no row restriction."""
        return self.role in ("leader", "analyst")

    def clause(self, rep_column: str = "rep_id") -> tuple[str, list[object]]:
        """SQL predicate (and its bound parameters) restricting ``rep_column`` to this scope."""
        col = _check_ident(rep_column)
        if self.sees_everything:
            return "TRUE", []
        if self.role == "manager":
            return (
                f"{col} IN (SELECT s_r.rep_id FROM reps AS s_r JOIN teams AS s_t USING (team_id)"  # noqa: S608 - col is checked
                " WHERE list_contains(?::VARCHAR[], s_t.team_id)"
                " OR list_contains(?::VARCHAR[], s_t.region_id))",
                [list(self.team_ids), list(self.region_ids)],
            )
        if self.role == "rep" and self.rep_id:
            return f"{col} = ?", [self.rep_id]
        return "FALSE", []
