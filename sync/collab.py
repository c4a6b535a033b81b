"""A cloud project edited live by several people (issue 15), Qt-free.

Each local edit is an engine command: it is applied to the open project,
recorded as per-entity changes with hybrid clocks (the outbox: the durable
path) and broadcast on the live channel as ``{"op": "do", "cmd": <the
command as JSON>, "changes": [<the entity rows it wrote, with clocks>]}``.
A receiver applies the same command to its project, merges the changes into
its local store by the same per-field last-writer-wins rule the server uses,
and, when the store's merged state differs from the model (a later edit won
a field), rebuilds the project from the store, so every copy converges
whatever the order of delivery, and a lost broadcast is healed by the next
pull.

Undo only undoes your own edits: the own-edit stack holds the clocks each
edit wrote; if a field of the edit now carries a clock written on another
device (someone edited it later), the undo is refused with who and what,
instead of clobbering their edit. An undo travels as ``"op": "undo"`` with the
reverted entity rows.

The channel is untrusted: a message that is oversized, malformed, from
someone who is not an owner or editor, for another project, with an unknown
kind or field, or whose command cannot apply (missing entity) is dropped with
a log line and leaves the project untouched. An edit from someone this copy
still knows as a viewer is held (a few dozen at most) until the members are
read again (:meth:`LiveProject.members_changed`): a promotion pushed by the
database may reach this copy after the promoted person's first edit; a held
edit whose sender is still not an editor is dropped then.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from audio_engine.errors import ProjectEditError, ProjectFileError
from audio_engine.project.commands import Command, command_from_dict
from audio_engine.project.entities import FIELDS, decompose
from audio_engine.project.model import Project

from .clock import parse
from .own_edits import OwnEdits
from .projects import ProjectSync

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 64 * 1024
MAX_CHANGES = 500
MAX_HELD = 64
_ID = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")
VIEWER_REASON = "You can view this project; ask the owner for edit access."
REMOVED_REASON = "You no longer have access to this project."
PALETTE = ("#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#9a6324")


class _NotAnEditor(ValueError):
    """The sender may not edit (per this copy's member list)."""


class ReadOnlyError(Exception):
    """The user may watch this project but not change it."""


class UndoConflictError(Exception):
    """Undoing the edit would overwrite someone's later edit."""


def colour_for(user_id: str) -> str:
    return PALETTE[sum(user_id.encode()) % len(PALETTE)]


@dataclass
class Peer:
    user_id: str
    name: str
    colour: str
    playhead: float = 0.0
    selection: tuple[str, ...] = ()


@dataclass
class LiveProject:
    projects: ProjectSync
    project_id: str
    project: Project
    user_id: str
    roles: dict[str, str]  # user id -> owner | editor | viewer (active members)
    names: dict[str, str] = field(default_factory=dict)
    send: Callable[[dict[str, Any], int], None] | None = None
    on_changed: Callable[[bool], None] | None = None  # True: the project object's contents were rebuilt
    on_notice: Callable[[str], None] | None = None
    refresh_members: Callable[[], tuple[dict[str, str], dict[str, str]]] | None = None
    peers: dict[str, Peer] = field(default_factory=dict)
    dropped: int = 0
    _own: list[Command] = field(default_factory=list)  # own edits, newest last (undo takes the last)
    _last_writer: dict[tuple[str, str, str], str] = field(default_factory=dict)
    _held: list[Mapping[str, Any]] = field(default_factory=list)
    _edits: OwnEdits | None = None

    @property
    def own(self) -> OwnEdits:
        """The clocks of my edits and the in-place merge (sync.own_edits, shared with sync's merges)."""
        if self._edits is None or self._edits.project_id != self.project_id:
            self._edits = OwnEdits(self.projects.store, self.project_id)
        return self._edits

    # ------------------------------------------------------------ who may do what
    @property
    def role(self) -> str:
        return self.roles.get(self.user_id, "")

    @property
    def read_only_reason(self) -> str | None:
        if self.role in ("owner", "editor"):
            return None
        if self.role == "viewer":
            return VIEWER_REASON
        return REMOVED_REASON

    # ------------------------------------------------------------ local edits
    def edit(self, command: Command) -> None:
        """Apply, record (outbox) and broadcast one of the user's own edits."""
        reason = self.read_only_reason
        if reason:
            raise ReadOnlyError(reason)
        command.apply(self.project)
        self.projects.record(self.project_id, command, self.project)
        self.share(command)

    def share(self, command: Command) -> None:
        """Broadcast an own edit that is already applied and recorded (the
        studio's document applies and records it), and remember it for undo."""
        changes = self.own.note(command, self.project)
        self._own.append(command)
        self._broadcast("do", command, changes)
        self._changed(False)

    @property
    def can_undo(self) -> bool:
        return bool(self._own)

    def undo_conflict(self) -> str | None:
        """Why the last own edit cannot be undone now (someone edited the same
        field after it), or None."""
        if not self._own:
            return "Nothing of yours to undo."
        return self.own.conflict(self._own[-1], lambda key: self.names.get(self._last_writer.get(key, ""), "someone"))

    def undo(self) -> Command:
        """Undo the user's last own edit (never someone else's)."""
        refusal = self.undo_conflict()
        if refusal:
            raise UndoConflictError(refusal)
        command = self._own[-1]
        command.revert(self.project)
        self.projects.record(self.project_id, command, self.project)
        self.reverted(command)
        return command

    def reverted(self, command: Command) -> None:
        """Broadcast the undo of the last own edit, already reverted and recorded."""
        if self._own and self._own[-1] is command:
            self._own.pop()
        changes = self.own.note(command, self.project)
        self.own.forget(command)
        self._broadcast("undo", command, changes)
        self._changed(False)

    def _broadcast(self, op: str, command: Command, changes: list[dict[str, Any]]) -> None:
        if self.send is None:
            return
        msg = {"v": 1, "op": op, "from": self.user_id, "cmd": command.to_dict(), "changes": changes}
        size = len(json.dumps(msg, separators=(",", ":")))
        if size > MAX_MESSAGE_BYTES:
            log.info("live: edit of %d bytes is too large for the channel; the next sync carries it", size)
            return
        self.send(msg, size)

    # ------------------------------------------------------------ remote edits
    def receive(self, msg: Mapping[str, Any]) -> bool:
        """Apply one message from the channel; False when it was dropped."""
        try:
            command, changes, sender = self._validate(msg)
        except _NotAnEditor as exc:
            if self.roles.get(str(msg.get("from"))) == "viewer" and len(self._held) < MAX_HELD:
                self._held.append(msg)  # maybe promoted a moment ago: decided when the members are read again
                return False
            self.dropped += 1
            log.warning("live: message dropped: %s", exc)
            return False
        except ValueError as exc:
            self.dropped += 1
            log.warning("live: message dropped: %s", exc)
            return False
        if msg["op"] == "do":
            try:
                command.apply(self.project)
            except (ProjectEditError, ProjectFileError, KeyError, IndexError, TypeError, ValueError) as exc:
                self.dropped += 1
                log.warning("live: %s command from %s dropped: %s", command.type_name, sender, exc)
                return False
        store = self.projects.store
        store.apply_remote_entities(changes, store.entity_cursor)
        for ch in changes:
            for name in ch["row"]["field_clock"]:
                self._last_writer[(ch["kind"], ch["id"], name)] = sender
        rebuilt = msg["op"] == "undo" or not self._agrees(changes)
        if rebuilt:
            self.rebuild()
        else:
            self._changed(False)
        return True

    def members_changed(self, roles: dict[str, str], names: dict[str, str]) -> None:
        """New member roles from the server: held edits are decided again by them."""
        self.roles, self.names = roles, names
        held, self._held = self._held, []
        for msg in held:
            if self.roles.get(str(msg.get("from"))) in ("owner", "editor"):
                self.receive(msg)
            else:
                self.dropped += 1
                log.warning("live: edit from %s dropped: not an editor", msg.get("from"))

    def rebuild(self) -> None:
        """Make the open project what the merged store holds (after a pull, or
        when a later edit won a field over a received command)."""
        if self.own.merge_into(self.project):
            self._changed(True)

    def _agrees(self, changes: list[dict[str, Any]]) -> bool:
        model = decompose(self.project)
        stored = self.projects.store.entities(self.project_id)
        return all(model.get((c["kind"], c["id"])) == stored.get((c["kind"], c["id"])) for c in changes)

    def _validate(self, msg: Mapping[str, Any]) -> tuple[Command, list[dict[str, Any]], str]:
        if not isinstance(msg, Mapping):
            raise ValueError("not an object")
        size = len(json.dumps(msg, separators=(",", ":"), default=str))
        if size > MAX_MESSAGE_BYTES:
            raise ValueError(f"{size} bytes (limit {MAX_MESSAGE_BYTES})")
        if msg.get("v") != 1 or msg.get("op") not in ("do", "undo"):
            raise ValueError("unknown version or op")
        sender = msg.get("from")
        if not isinstance(sender, str) or sender == self.user_id:
            raise ValueError("bad sender")
        if self.roles.get(sender) is None and self.refresh_members is not None:
            self.roles, self.names = self.refresh_members()
        if self.roles.get(sender) not in ("owner", "editor"):
            raise _NotAnEditor(f"{sender} may not edit this project ({self.roles.get(sender) or 'not a member'})")
        raw_cmd = msg.get("cmd")
        if not isinstance(raw_cmd, dict):
            raise ValueError("cmd must be an object")
        try:
            command = command_from_dict(raw_cmd)
        except (ProjectEditError, TypeError, ValueError) as exc:
            raise ValueError(f"bad command: {exc}") from None
        changes = msg.get("changes")
        if not isinstance(changes, list) or not 0 < len(changes) <= MAX_CHANGES:
            raise ValueError("changes must be a non-empty list")
        return command, [self._check_change(c) for c in changes], sender

    def _check_change(self, c: Any) -> dict[str, Any]:
        if not isinstance(c, dict) or c.get("project") != self.project_id:
            raise ValueError("a change for another project")
        kind, eid, row = c.get("kind"), c.get("id"), c.get("row")
        if kind not in FIELDS or not isinstance(eid, str) or not _ID.match(eid) or not isinstance(row, dict):
            raise ValueError("bad change kind/id/row")
        fields, clocks, deleted = row.get("fields"), row.get("field_clock"), row.get("deleted")
        if not isinstance(fields, dict) or not isinstance(clocks, dict) or not isinstance(deleted, bool):
            raise ValueError("bad change row")
        allowed = set(FIELDS[kind])
        if not set(fields) <= allowed or not set(clocks) <= allowed | {"deleted"}:
            raise ValueError(f"unknown field of {kind}")
        for v in clocks.values():
            if not isinstance(v, str):
                raise ValueError("bad clock")
            parse(v)
        return {"project": self.project_id, "kind": kind, "id": eid,
                "row": {"fields": fields, "field_clock": clocks, "deleted": deleted}}

    # ------------------------------------------------------------ presence
    def presence_meta(self, playhead: float = 0.0, selection: tuple[str, ...] = ()) -> dict[str, Any]:
        return {"user": self.user_id, "name": self.names.get(self.user_id, "")[:80], "colour": colour_for(self.user_id),
                "playhead": round(float(playhead), 3), "selection": list(selection)[:50]}

    def set_presence(self, state: Mapping[str, list[dict[str, Any]]]) -> tuple[list[str], list[str]]:
        """Peers from a presence state; returns (joined, left) names for the notices."""
        before = set(self.peers)
        peers: dict[str, Peer] = {}
        for metas in state.values():
            for m in metas:
                uid = m.get("user")
                if not isinstance(uid, str) or uid == self.user_id or uid not in self.roles:
                    continue
                raw_sel = m.get("selection")
                sel: list[Any] = raw_sel if isinstance(raw_sel, list) else []
                ph = m.get("playhead")
                peers[uid] = Peer(uid, self.names.get(uid) or str(m.get("name") or "someone")[:80], colour_for(uid),
                                  float(ph) if isinstance(ph, int | float) else 0.0,
                                  tuple(str(s)[:128] for s in sel[:50]))
        self.peers = peers
        joined = [peers[u].name for u in set(peers) - before]
        left = [self.names.get(u, "someone") for u in before - set(peers)]
        return joined, left

    def _changed(self, rebuilt: bool) -> None:
        if self.on_changed is not None:
            self.on_changed(rebuilt)
