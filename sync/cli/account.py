"""``mashups account signup|login|logout|status``."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from sync.session import CloudSession

from .common import command, emit

EXAMPLES = [
    "mashups account signup you@example.com          # asks for a password",
    "printf '%s' \"$PW\" | mashups account login you@example.com --password-stdin",
    "mashups account status --json",
]


def register(sub: Any) -> None:
    p = sub.add_parser("account", help="sign up, sign in, sign out, account status",
                       description="Your Mashups cloud account (needs SUPABASE_URL and SUPABASE_ANON_KEY, "
                                   "or a build with resources/cloud.json).")
    acts = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, fn, helptext in (("signup", _signup, "create an account"), ("login", _login, "sign in")):
        a = acts.add_parser(name, help=helptext)
        a.add_argument("email")
        a.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
        a.add_argument("--json", action="store_true")
        a.set_defaults(func=command(fn))
    a = acts.add_parser("logout", help="sign out on this computer (and revoke the session)")
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=command(_logout))
    a = acts.add_parser("status", help="who is signed in, sync state, plan and usage")
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=command(_status))


def _password(args: argparse.Namespace, confirm: bool) -> str:
    if args.password_stdin:
        pw = sys.stdin.read().rstrip("\r\n")
    else:
        pw = getpass.getpass("Password: ")
        if confirm and getpass.getpass("Repeat password: ") != pw:
            raise ValueError("the passwords differ")
    if not pw:
        raise ValueError("empty password")
    return pw


def _signup(args: argparse.Namespace, s: CloudSession) -> int:
    uid = s.sign_up(args.email, _password(args, confirm=True))
    emit(args, {"user_id": uid, "email": args.email}, f"Signed up and signed in as {args.email}.")
    return 0


def _login(args: argparse.Namespace, s: CloudSession) -> int:
    uid = s.sign_in(args.email, _password(args, confirm=False))
    note = "" if s.persistent_login else " (no keychain here: this sign-in is not remembered)"
    emit(args, {"user_id": uid, "email": args.email, "remembered": s.persistent_login},
         f"Signed in as {args.email}.{note}")
    return 0


def _logout(args: argparse.Namespace, s: CloudSession) -> int:
    s.sign_out()
    emit(args, {"signed_in": False}, "Signed out.")
    return 0


def _status(args: argparse.Namespace, s: CloudSession) -> int:
    if not s.configured:
        emit(args, {"configured": False, "signed_in": False}, s.status.message)
        return 0
    cloud = s.require()
    ent = s.entitlements()
    data = {"configured": True, "url": cloud.config.url, "signed_in": cloud.auth.signed_in,
            "user_id": cloud.auth.user_id, "email": cloud.auth.email, "pending": cloud.store.pending_count(),
            "rejected": len(cloud.store.rejected()), "remembered": s.persistent_login,
            "plan": {"tier": ent.tier, "limits": ent.limits, "usage": ent.usage, "from_server": ent.from_server}}
    who = f"Signed in as {cloud.auth.email}" if cloud.auth.signed_in else "Signed out"
    usage = ", ".join(f"{k} {ent.usage.get(k, 0)}/{v if v is not None else '∞'}" for k, v in ent.limits.items())
    emit(args, data, f"{who} · {cloud.config.url}\nPlan: {ent.tier} ({usage})\n"
                     f"Pending changes: {data['pending']} · rejected: {data['rejected']}")
    return 0
