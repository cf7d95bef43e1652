"""``users`` and ``access-log``: manage local accounts and read the pay-data access log.

``users add|remove|list|set-scope`` runs :mod:`analytics.users` (the account rules and the
password hashing live there); ``access-log`` prints who viewed or exported pay data, and
when. A password comes from ``LAB_PASSWORD``, a line on stdin, or an interactive prompt
asked twice; ``--oidc`` creates an account without one.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from analytics.access import ROLES
from analytics.cli.common import UserError, add_db, add_format, emit, open_store
from analytics.users import AccountError, access_log, add_account, list_accounts, remove_account, set_scope

__all__ = ["register"]


def _split(text: str | None) -> list[str]:
    return [v.strip() for v in (text or "").split(",") if v.strip()]


def _password(args: argparse.Namespace) -> str | None:
    """The new account's password (None for ``--oidc``): ``LAB_PASSWORD``, stdin, or a prompt."""
    if args.oidc:
        return None
    env = os.environ.get("LAB_PASSWORD")
    if env:
        return env
    if not sys.stdin.isatty():
        line = sys.stdin.readline().rstrip("\n")
        if line:
            return line
        raise AccountError("No password given: set LAB_PASSWORD, pipe it on stdin, or use --oidc.")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat password: "):
        raise AccountError("The two passwords differ.")
    return first


def _cmd_users(args: argparse.Namespace) -> int:
    store = open_store(args.db)  # accounts live in the control database: a reader changes them
    try:
        if args.action == "add":
            acc = add_account(
                store,
                args.username,
                _password(args),
                args.role,
                rep_id=args.rep,
                region_ids=_split(args.regions),
                team_ids=_split(args.teams),
            )
            print(f"added {acc.username} ({acc.role})")
        elif args.action == "remove":
            remove_account(store, args.username)
            print(f"removed {args.username}")
        elif args.action == "set-scope":
            acc = set_scope(
                store,
                args.username,
                args.role,
                rep_id=args.rep,
                region_ids=_split(args.regions),
                team_ids=_split(args.teams),
            )
            print(f"{acc.username} is now {acc.role}")
        else:
            emit(list_accounts(store), args.format, lang=args.lang)
    except AccountError as exc:
        raise UserError(str(exc)) from exc
    return 0


def _cmd_access_log(args: argparse.Namespace) -> int:
    emit(access_log(open_store(args.db), limit=args.limit), args.format, args.out, lang=args.lang)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``users`` and ``access-log`` commands."""
    p = sub.add_parser("users", help="manage local accounts: add, remove, list, set-scope")
    p.add_argument("action", choices=("add", "remove", "list", "set-scope"))
    p.add_argument("username", nargs="?", default="")
    add_db(p)
    p.add_argument("--role", choices=ROLES, default="rep")
    p.add_argument("--rep", help="rep_id of a rep account")
    p.add_argument("--regions", default="", help="comma-separated region ids (managers)")
    p.add_argument("--teams", default="", help="comma-separated team ids (managers)")
    p.add_argument("--oidc", action="store_true", help="no password: the username is the OIDC e-mail")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.set_defaults(func=_cmd_users)

    p = sub.add_parser("access-log", help="who viewed or exported pay data, and when")
    add_db(p)
    add_format(p)
    p.add_argument("--limit", type=int, default=1000)
    p.set_defaults(func=_cmd_access_log)
