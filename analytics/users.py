"""Local accounts, their access scopes, and the audit log of pay-data access.

Passwords are hashed with argon2id (argon2-cffi). An account maps to a
:class:`~analytics.access.Scope`; an unknown, disabled or incompletely scoped account gets
a scope that sees nothing (fail closed). The commands ``python -m analytics users
add|remove|list|set-scope`` and ``python -m analytics access-log`` live in
analytics/cli/users.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from analytics.access import NOBODY, ROLES, Scope
from analytics.control import now_text
from analytics.store import Store

_HASHER = PasswordHasher()
#: Minimum password length for local accounts.
MIN_PASSWORD = 8


class AccountError(ValueError):
    """A problem with an account request; the message is a sentence."""


@dataclass(frozen=True)
class Account:
    """One account as stored (without its hash)."""

    username: str
    role: str
    rep_id: str | None
    region_ids: tuple[str, ...]
    team_ids: tuple[str, ...]
    disabled: bool

    def scope(self) -> Scope:
        """The access scope of this account (fails closed when incomplete or disabled)."""
        if self.disabled or self.role not in ROLES:
            return NOBODY
        return Scope(
            role=self.role, user=self.username, rep_id=self.rep_id, region_ids=self.region_ids, team_ids=self.team_ids
        )


def count_accounts(store: Store) -> int:
    """Number of enabled accounts (0 means local single-leader mode)."""
    return int(store.control.scalar("SELECT count(*) FROM users WHERE NOT disabled"))


def get_account(store: Store, username: str) -> Account | None:
    """The account named ``username`` (case-sensitive), or None."""
    df = store.control.query("SELECT * FROM users WHERE username = ?", [username])
    if df.empty:
        return None
    r = df.iloc[0]
    return Account(
        username=r["username"],
        role=r["role"],
        rep_id=r["rep_id"] if pd.notna(r["rep_id"]) else None,
        region_ids=tuple(json.loads(r["region_ids"])),
        team_ids=tuple(json.loads(r["team_ids"])),
        disabled=bool(r["disabled"]),
    )


def _validate_scope(store: Store, role: str, rep_id: str | None, regions: list[str], teams: list[str]) -> None:
    if role not in ROLES:
        raise AccountError(f"Role '{role}' is unknown; use one of {', '.join(ROLES)}.")
    if role == "rep":
        if not rep_id:
            raise AccountError("A rep account needs --rep REP_ID.")
        if not store.scalar("SELECT count(*) FROM reps WHERE rep_id = ?", [rep_id]):
            raise AccountError(f"Rep '{rep_id}' is not in the reps table; check the id.")
    if role == "manager":
        if not regions and not teams:
            raise AccountError("A manager account needs --regions and/or --teams.")
        known_r = set(store.query("SELECT region_id FROM regions")["region_id"])
        known_t = set(store.query("SELECT team_id FROM teams")["team_id"])
        bad = [r for r in regions if r not in known_r] + [t for t in teams if t not in known_t]
        if bad:
            raise AccountError(f"Unknown region or team: {', '.join(bad)}; check the ids.")


def add_account(
    store: Store,
    username: str,
    password: str | None,
    role: str,
    *,
    rep_id: str | None = None,
    region_ids: list[str] | None = None,
    team_ids: list[str] | None = None,
) -> Account:
    """Create an account. ``password`` None makes an OIDC-only account (username = email)."""
    username = username.strip()
    if not username:
        raise AccountError("The username is empty.")
    if get_account(store, username):
        raise AccountError(f"An account '{username}' already exists; use set-scope or remove it first.")
    regions, teams = list(region_ids or []), list(team_ids or [])
    _validate_scope(store, role, rep_id, regions, teams)
    if password is not None and len(password) < MIN_PASSWORD:
        raise AccountError(f"The password is too short; use at least {MIN_PASSWORD} characters.")
    hashed = _HASHER.hash(password) if password is not None else None
    store.control.execute(
        "INSERT INTO users VALUES (?, ?, ?, ?, ?, ?, 0, ?)",
        [username, hashed, role, rep_id, json.dumps(regions), json.dumps(teams), now_text()],
    )
    return get_account(store, username)  # type: ignore[return-value]


def remove_account(store: Store, username: str) -> None:
    """Delete an account."""
    if not get_account(store, username):
        raise AccountError(f"There is no account '{username}'.")
    with store.control.transaction() as con:
        con.execute("DELETE FROM users WHERE username = ?", [username])
        con.execute("DELETE FROM sessions WHERE username = ?", [username])  # signed out everywhere at once


def set_scope(
    store: Store,
    username: str,
    role: str,
    *,
    rep_id: str | None = None,
    region_ids: list[str] | None = None,
    team_ids: list[str] | None = None,
) -> Account:
    """Change an account's role and scope."""
    if not get_account(store, username):
        raise AccountError(f"There is no account '{username}'.")
    regions, teams = list(region_ids or []), list(team_ids or [])
    _validate_scope(store, role, rep_id, regions, teams)
    store.control.execute(
        "UPDATE users SET role = ?, rep_id = ?, region_ids = ?, team_ids = ? WHERE username = ?",
        [role, rep_id, json.dumps(regions), json.dumps(teams), username],
    )
    return get_account(store, username)  # type: ignore[return-value]


def list_accounts(store: Store) -> pd.DataFrame:
    """Columns username, role, rep_id, region_ids, team_ids, disabled, created_at (no hashes)."""
    df = store.control.query(
        "SELECT username, role, rep_id, region_ids, team_ids, disabled, created_at FROM users ORDER BY username"
    )
    for col in ("region_ids", "team_ids"):
        df[col] = [",".join(json.loads(v)) for v in df[col]]
    df["disabled"] = df["disabled"].astype(bool)
    return df


def verify_login(store: Store, username: str, password: str) -> Account | None:
    """The account when the password matches (and the account is enabled), else None."""
    row = store.control.query("SELECT password_hash FROM users WHERE username = ? AND NOT disabled", [username])
    if row.empty or row.iloc[0]["password_hash"] is None:
        _HASHER.hash("timing-equaliser")  # similar time whether or not the user exists
        return None
    try:
        _HASHER.verify(row.iloc[0]["password_hash"], password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    return get_account(store, username)


def log_access(store: Store, scope: Scope, action: str, obj: str, detail: str = "") -> None:
    """Append one line to the access log (who viewed or exported what, when)."""
    store.control.execute(
        "INSERT INTO access_log VALUES (?, ?, ?, ?, ?, ?)",
        [now_text(), scope.user or "(unknown)", scope.role, action, obj, detail],
    )


def access_log(store: Store, *, limit: int = 1000) -> pd.DataFrame:
    """The most recent access-log lines, newest first."""
    return store.control.query("SELECT * FROM access_log ORDER BY logged_at DESC LIMIT ?", [int(limit)])
