"""`python -m rag.cli users …` and `keys …`: users, their roles per space, and API keys (part of the CLI, rag/cli.py).

    users add NAME [--admin]            (the password is read from stdin, or asked for on a terminal)
    users list | remove NAME | grant NAME SPACE viewer|editor|owner | revoke NAME SPACE
    keys create USER [--space S]… [--scope read|ingest|admin]… [--days N] [--label TEXT]   (printed once)
    keys list [--user USER] | revoke KEY_ID
"""
from __future__ import annotations

import getpass
import json
import sys
import time
from collections.abc import Callable

from rag import RagService


def _password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("password: ")
        if getpass.getpass("again: ") != first:
            raise SystemExit("the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\n")


def users(service: RagService, args) -> int:
    access = service.access
    if args.action == "add":
        user = access.add_user(args.name, _password(), admin=args.admin)
        print(f"added {user.name}{' (admin)' if user.admin else ''}")
    elif args.action == "list":
        rows = [u.model_dump() for u in access.list_users()]
        if args.json:
            print(json.dumps(rows, ensure_ascii=False))
        for u in [] if args.json else rows:
            roles = ", ".join(f"{s}: {r}" for s, r in sorted(u["roles"].items())) or "-"
            print(f"{u['name']}\t{'admin' if u['admin'] else 'user'}\t{roles}")
    elif args.action == "remove":
        access.remove_user(args.name)
        print(f"removed {args.name}")
    elif args.action == "grant":
        access.grant(args.name, args.space, args.role)
        print(f"{args.name} is {args.role} of {args.space}")
    elif args.action == "revoke":
        access.revoke(args.name, args.space)
        print(f"{args.name} has no role in {args.space} any more")
    return 0


def keys(service: RagService, args) -> int:
    access = service.access
    if args.action == "create":
        info, key = access.create_key(args.user, args.space or None, args.scope or None,
                                      args.days * 86400 if args.days else None, args.label or "")
        print(key)
        print(f"key {info.id} for {info.user}: scopes {','.join(info.scopes)}, spaces "
              f"{','.join(info.spaces) if info.spaces else 'all the user may read'}"
              f"{time.strftime(', expires %Y-%m-%d', time.localtime(info.expires)) if info.expires else ''}. "
              f"It is shown only now.", file=sys.stderr)
    elif args.action == "list":
        for k in access.list_keys(args.user):
            state = "revoked" if k.revoked else ("expired" if k.expires and k.expires < time.time() else "active")
            print(f"{k.id}\t{k.user}\t{state}\t{','.join(k.scopes)}\t{','.join(k.spaces or ['*'])}\t{k.label}")
    elif args.action == "revoke":
        if not access.revoke_key(args.key_id):
            print(f"no key {args.key_id}", file=sys.stderr)
            return 2
        print(f"revoked {args.key_id}")
    return 0


def add_parsers(sub, with_service: Callable[[Callable], Callable]) -> None:
    p = sub.add_parser("users", help="users and their roles per space")
    acts = p.add_subparsers(dest="action", required=True)
    a = acts.add_parser("add", help="add a user (password from stdin)")
    a.add_argument("name")
    a.add_argument("--admin", action="store_true")
    a = acts.add_parser("list")
    a.add_argument("--json", action="store_true")
    acts.add_parser("remove").add_argument("name")
    a = acts.add_parser("grant", help="give NAME a role in SPACE")
    for arg in ("name", "space"):
        a.add_argument(arg)
    a.add_argument("role", choices=("viewer", "editor", "owner"))
    a = acts.add_parser("revoke", help="take NAME's role in SPACE")
    for arg in ("name", "space"):
        a.add_argument(arg)
    p.set_defaults(func=with_service(users))
    p = sub.add_parser("keys", help="API keys")
    acts = p.add_subparsers(dest="action", required=True)
    a = acts.add_parser("create", help="a key for USER, printed once")
    a.add_argument("user")
    a.add_argument("--space", action="append", help="limit to this space (repeat); default: all the user may read")
    a.add_argument("--scope", action="append", choices=("read", "ingest", "admin"), help="default: read")
    a.add_argument("--days", type=float, help="expires after this many days")
    a.add_argument("--label")
    acts.add_parser("list").add_argument("--user")
    acts.add_parser("revoke").add_argument("key_id")
    p.set_defaults(func=with_service(keys))
