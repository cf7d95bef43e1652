"""The access policy: the one home of who may see what.

Every rule about roles lives here and nowhere else:

- :data:`ROLES`: the roles an account can have; anything else fails closed (sees nothing).
- :data:`PAGES`: which dashboard pages each role opens (``app.py`` builds its navigation from it).
- :class:`Scope`: which reps' rows an identity may see. Every query that returns rep-level
  rows takes a :class:`Scope` and adds :meth:`Scope.clause` to its WHERE, with bound
  parameters. A scope is frozen and hashable, so cached functions that take it never share
  entries across identities.
- :func:`sees_individual_pay`: whether the identity may see one person's pay line; an
  analyst sees pay aggregated only. The analytics that return pay lines call
  :func:`require_individual_pay`, so the page, every CLI format, the statement exports and
  the report cannot disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: Every role an account can have. Anything else sees nothing.
ROLES = ("leader", "manager", "analyst", "rep")
#: Roles that see every rep's rows (but see :data:`INDIVIDUAL_PAY`).
ALL_ROWS = ("leader", "analyst")
#: Roles that may see one person's pay line (within their rows). An analyst sees pay aggregated.
INDIVIDUAL_PAY = ("leader", "manager", "rep")
#: Roles that open the analysis pages (attribution, talk tracks, anomalies, pilots & audit).
ANALYSIS_ROLES = ("leader", "manager", "analyst")
#: Roles that may import data, manage accounts and save nothing else of consequence.
ADMIN_ROLES = ("leader",)
#: Roles that may save plan scenarios.
SCENARIO_AUTHORS = ("leader", "manager", "analyst")
#: Roles that may publish a quarter's results (freeze its scorecard and pay as published).
PUBLISHERS = ("leader",)

#: Dashboard page id -> roles that may open it (the page file is ``views/<id>.py``).
PAGES: dict[str, tuple[str, ...]] = {
    "overview": ROLES,
    "scorecard": ROLES,
    "incentive_lab": ROLES,
    "attribution": ANALYSIS_ROLES,
    "talk_tracks": ANALYSIS_ROLES,
    "anomalies": ANALYSIS_ROLES,
    "pilots": ANALYSIS_ROLES,
    "data": ADMIN_ROLES,
}

#: CLI command -> the page whose data it shows: ``--as USER`` runs it only if USER may open that page.
COMMAND_PAGES: dict[str, str] = {
    "overview": "overview",
    "simulate": "incentive_lab",
    "statements": "incentive_lab",
    "scenarios": "incentive_lab",
    "scorecard": "scorecard",
    "attribution": "attribution",
    "talk-tracks": "talk_tracks",
    "drivers": "talk_tracks",
    "anomalies": "anomalies",
    "explain": "anomalies",
    "pilot": "pilots",
    "audit": "pilots",
    "audit-report": "pilots",
    "import": "data",
    "import-all": "data",
    "users": "data",
    "access-log": "data",
    "backup": "data",
    "restore": "data",
    "runs": "data",
    "versions": "data",
    # published quarter results: publishing is a leader's (the Data page's roles); reading follows the scorecard
    "publish": "data",
    "published": "scorecard",
}

#: What a refusal says (English; translated by the message catalogue).
AGGREGATE_ONLY = (
    "Your role sees pay aggregated only; individual pay lines are shown to leaders, to managers "
    "for their scope and to each rep for themselves."
)


NO_ACCESS = "Your account has no access to this data. Ask a leader to set your scope."
NOT_PUBLISHER = (
    "Only a leader may publish a quarter's results; ask a leader to publish it, or read the published "
    "results with 'published list'."
)
NOT_FOR_ROLE = "The role {role} may not use '{command}'; it shows the data of a page your role does not open."


class AccessDenied(Exception):
    """The identity may not see what was asked for; the message says why (a sentence).

    ``template`` and ``params`` let an output translate the sentence (``str(exc)`` is English).
    """

    def __init__(self, template: str, **params: object) -> None:
        super().__init__(template.format(**params) if params else template)
        self.template = template
        self.params = params


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
        return self.role in ALL_ROWS

    @property
    def own_rows_only(self) -> bool:
        """True for an identity that sees its own rows only (a rep: their own pay, not the lab)."""
        return self.role == "rep"

    @property
    def known(self) -> bool:
        """True for an identity with a role this policy knows (anything else sees nothing)."""
        return self.role in ROLES

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


#: The identity of an unknown, disabled or unauthorised account: sees nothing.
NOBODY = Scope(role="none", user="")


def may_open(scope: Scope, page: str) -> bool:
    """Whether ``scope`` may open the dashboard page ``page`` (an id of :data:`PAGES`)."""
    return scope.role in PAGES.get(page, ())


def sees_individual_pay(scope: Scope) -> bool:
    """Whether ``scope`` may see one person's pay line (for the reps in its rows)."""
    return scope.role in INDIVIDUAL_PAY


def require_individual_pay(scope: Scope) -> None:
    """Raise :class:`AccessDenied` unless ``scope`` may see individual pay lines."""
    if not sees_individual_pay(scope):
        raise AccessDenied(AGGREGATE_ONLY)


def require_command(scope: Scope, command: str) -> None:
    """Raise :class:`AccessDenied` unless ``scope`` may run the CLI ``command`` (see :data:`COMMAND_PAGES`).

    An unknown, disabled or unauthorised identity may run nothing that reads the store's data.
    """
    page = COMMAND_PAGES.get(command)
    if page is None:
        return
    if not scope.known:
        raise AccessDenied(NO_ACCESS)
    if not may_open(scope, page):
        raise AccessDenied(NOT_FOR_ROLE, role=scope.role, command=command)


def may_publish(scope: Scope) -> bool:
    """Whether ``scope`` may publish a quarter's results (:data:`PUBLISHERS`)."""
    return scope.role in PUBLISHERS


def require_publisher(scope: Scope) -> None:
    """Raise :class:`AccessDenied` unless ``scope`` may publish a quarter's results."""
    if not may_publish(scope):
        raise AccessDenied(NOT_PUBLISHER)
