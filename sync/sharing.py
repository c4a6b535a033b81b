"""Sharing a cloud project (issue 15): invite by e-mail or username as editor
or viewer, accept or decline, change a role, remove someone, leave. Every
call is a ``collab_*`` RPC; the server checks who may do it and the plan's
per-project collaborator limit (a refusal raises :class:`TierLimitError`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import SyncError
from .transport import Transport

ROLES = ("editor", "viewer")


@dataclass(frozen=True)
class Member:
    user_id: str
    role: str  # owner | editor | viewer
    status: str  # active | invited | declined | left | removed
    name: str
    email: str | None


@dataclass(frozen=True)
class Invitation:
    project_id: str
    title: str
    role: str
    inviter: str


class Sharing:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def invite(self, project_id: str, who: str, role: str) -> str:
        """Invite ``who`` (e-mail or username); returns their user id."""
        who = who.strip()
        if role not in ROLES:
            raise ValueError("role must be editor or viewer")
        if not 3 <= len(who) <= 320:
            raise ValueError("give an e-mail address or a username")
        res = self._call("collab_invite", {"p_project": project_id, "p_who": who, "p_role": role})
        return str(res["user_id"])

    def respond(self, project_id: str, accept: bool) -> None:
        self._call("collab_respond", {"p_project": project_id, "p_accept": accept})

    def set_role(self, project_id: str, user_id: str, role: str) -> None:
        if role not in ROLES:
            raise ValueError("role must be editor or viewer")
        self._call("collab_set_role", {"p_project": project_id, "p_user": user_id, "p_role": role})

    def remove(self, project_id: str, user_id: str) -> None:
        self._call("collab_remove", {"p_project": project_id, "p_user": user_id})

    def leave(self, project_id: str) -> None:
        self._call("collab_leave", {"p_project": project_id})

    def members(self, project_id: str) -> tuple[str, list[Member]]:
        """(your role, members with the owner first)."""
        res = self._call("collab_members", {"p_project": project_id})
        members = [Member(str(m["user_id"]), str(m["role"]), str(m["status"]), str(m.get("name") or ""),
                          m.get("email")) for m in res.get("members") or []]
        return str(res.get("you") or ""), members

    def roles(self, project_id: str) -> tuple[dict[str, str], dict[str, str]]:
        """(active user id -> role, user id -> display name) for a live session."""
        _, members = self.members(project_id)
        active = [m for m in members if m.status == "active"]
        return ({m.user_id: m.role for m in active},
                {m.user_id: m.name or (m.email or "").split("@")[0] or m.user_id[:8] for m in members})

    def invitations(self) -> list[Invitation]:
        res = self._call("collab_invitations", {})
        return [Invitation(str(i["project_id"]), str(i.get("title") or ""), str(i["role"]), str(i.get("from") or ""))
                for i in res or []]

    def _call(self, fn: str, args: dict[str, Any]) -> Any:
        res = self.transport.rpc(fn, args)
        if res is None:
            raise SyncError(f"{fn} answered nothing")
        return res
