"""``mashups share``: share a cloud project and answer invitations.

    mashups share invite PROJECT WHO [--role editor|viewer]   # WHO: e-mail or username
    mashups share members PROJECT [--json]
    mashups share role PROJECT USER_ID editor|viewer
    mashups share remove PROJECT USER_ID
    mashups share leave PROJECT
    mashups share invites [--json]
    mashups share accept PROJECT | mashups share decline PROJECT
"""

from __future__ import annotations

import argparse
from typing import Any

from sync.cli.common import command, emit
from sync.session import CloudSession
from sync.sharing import ROLES, Sharing


def register(sub: Any) -> None:
    p = sub.add_parser("share", help="share a cloud project (invite, members, roles) and answer invitations",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    acts = p.add_subparsers(dest="share_action", required=True)
    a = acts.add_parser("invite", help="invite someone by e-mail or username")
    a.add_argument("project")
    a.add_argument("who")
    a.add_argument("--role", choices=ROLES, default="editor")
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=command(_invite))
    a = acts.add_parser("members", help="who the project is shared with, their role and status")
    a.add_argument("project")
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=command(_members))
    a = acts.add_parser("role", help="change a collaborator's role")
    a.add_argument("project")
    a.add_argument("user_id")
    a.add_argument("role", choices=ROLES)
    a.set_defaults(func=command(lambda args, s: _done(lambda: _sharing(s).set_role(args.project, args.user_id,
                                                                                     args.role), "Role changed.")))
    a = acts.add_parser("remove", help="remove a collaborator (their access ends at once)")
    a.add_argument("project")
    a.add_argument("user_id")
    a.set_defaults(func=command(lambda args, s: _done(lambda: _sharing(s).remove(args.project, args.user_id),
                                                      "Removed.")))
    a = acts.add_parser("leave", help="leave a project shared with you")
    a.add_argument("project")
    a.set_defaults(func=command(lambda args, s: _done(lambda: _sharing(s).leave(args.project), "You left it.")))
    a = acts.add_parser("invites", help="invitations waiting for your answer")
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=command(_invites))
    for name, handler in (("accept", _accept), ("decline", _decline)):
        a = acts.add_parser(name, help=f"{name} an invitation")
        a.add_argument("project")
        a.set_defaults(func=command(handler))


def _sharing(s: CloudSession) -> Sharing:
    return Sharing(s.require().transport)


def _done(fn: Any, text: str) -> int:
    fn()
    print(text)
    return 0


def _invite(args: argparse.Namespace, s: CloudSession) -> int:
    uid = _sharing(s).invite(args.project, args.who, args.role)
    emit(args, {"user_id": uid, "role": args.role, "status": "invited"},
         f"Invited {args.who} as {args.role}; they accept with `mashups share accept {args.project}`.")
    return 0


def _members(args: argparse.Namespace, s: CloudSession) -> int:
    you, members = _sharing(s).members(args.project)
    rows = [{"user_id": m.user_id, "name": m.name, "email": m.email, "role": m.role, "status": m.status}
            for m in members]
    text = "\n".join(f"{m.role:<7} {m.status:<9} {m.name or m.email or ''}  {m.user_id}" for m in members)
    emit(args, {"you": you, "members": rows}, f"You: {you}\n{text}")
    return 0


def _invites(args: argparse.Namespace, s: CloudSession) -> int:
    inv = _sharing(s).invitations()
    emit(args, [i.__dict__ for i in inv],
         "\n".join(f"{i.project_id}  {i.title}  as {i.role}  from {i.inviter or 'someone'}" for i in inv)
         or "No invitations.")
    return 0


def _accept(args: argparse.Namespace, s: CloudSession) -> int:
    return _done(lambda: _sharing(s).respond(args.project, True), "Accepted: the project is now in your list.")


def _decline(args: argparse.Namespace, s: CloudSession) -> int:
    return _done(lambda: _sharing(s).respond(args.project, False), "Declined.")
