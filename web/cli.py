"""`main.py serve` (the inbox alone) and `main.py users add|list|disable|enable|
reset-password|role` (accounts for it).

There is no default account: the first admin is made with
``python main.py users add alice --role admin`` (the password is prompted, or read
from stdin with ``--password-stdin`` for scripts). Passwords are never echoed or logged.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from collections.abc import Callable
from typing import TextIO

from config.settings import Settings
from core.clock import Clock
from core.errors import StoreError
from store import users
from store.db import Store
from web.auth import MIN_PASSWORD, hash_password

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``serve`` and ``users`` to main.py's subparsers (``func(args, settings)``)."""
    subparsers.add_parser("serve", help="serve the web inbox alone (no daemon jobs)"
                          ).set_defaults(func=cmd_serve)
    register_users(subparsers).set_defaults(func=cmd_users)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from store.schema import open_store
    from web.server import serve

    serve(open_store(settings.app.database), settings, args.clock)
    return 0


def cmd_users(args: argparse.Namespace, settings: Settings) -> int:
    from store.schema import open_store

    return run(args, open_store(settings.app.database), args.clock)


def register_users(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """The ``users`` command and its subcommands; dispatch with ``run``."""
    parser = subparsers.add_parser("users", help="web inbox accounts and roles")
    sub = parser.add_subparsers(dest="users_command", required=True)
    add = sub.add_parser("add", help="create an account")
    add.add_argument("username")
    add.add_argument("--role", choices=users.ROLES, default="agent")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from the first line of stdin")
    sub.add_parser("list", help="list accounts")
    for name, text in (("disable", "disable an account and end its sessions"),
                       ("enable", "enable a disabled account")):
        sub.add_parser(name, help=text).add_argument("username")
    reset = sub.add_parser("reset-password", help="set a new password, ending sessions")
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true")
    role = sub.add_parser("role", help="change an account's role")
    role.add_argument("username")
    role.add_argument("role", choices=users.ROLES)
    return parser


def read_password(from_stdin: bool, stdin: TextIO | None = None) -> str:
    """From stdin (scripts) or prompted twice without echo (people)."""
    if from_stdin:
        password = (stdin or sys.stdin).readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"Password (at least {MIN_PASSWORD} characters): ")
        if getpass.getpass("Again: ") != password:
            raise ValueError("the two passwords differ")
    return password


def run(args: argparse.Namespace, store: Store, clock: Clock,
        stdin: TextIO | None = None, out: TextIO | None = None,
        password_reader: Callable[[bool], str] | None = None) -> int:
    """Carry out a parsed ``users`` command (at ``clock``'s time, main's); returns the
    exit status."""
    out = out or sys.stdout
    now = clock.now()
    reader = password_reader or (lambda from_stdin: read_password(from_stdin, stdin))
    try:
        match args.users_command:
            case "add":
                password_hash = hash_password(reader(args.password_stdin))
                users.add(store, args.username, args.role, password_hash, now)
                print(f"added {args.username} ({args.role})", file=out)
            case "list":
                for u in users.all_users(store):
                    state = "disabled" if u["disabled"] else "active"
                    print(f"{u['username']:<20} {u['role']:<8} {state:<9} "
                          f"last log-in {u['last_login_at'] or 'never'}", file=out)
            case "disable" | "enable":
                users.set_disabled(store, args.username, args.users_command == "disable", now)
                print(f"{args.username} {args.users_command}d", file=out)
            case "reset-password":
                if users.credentials(store, args.username) is None:
                    raise StoreError(f"no user {args.username!r}")
                users.set_password(store, args.username,
                                   hash_password(reader(args.password_stdin)), now)
                print(f"password of {args.username} reset; their sessions ended", file=out)
            case "role":
                users.set_role(store, args.username, args.role, now)
                print(f"{args.username} is now {args.role}", file=out)
    except (ValueError, StoreError) as exc:
        print(f"users {args.users_command}: {exc}", file=sys.stderr)
        return 1
    return 0
