"""A person's own edits of an open cloud project, and remote edits merged
under them without touching their undo history: the one mechanism behind
live collaboration (:class:`sync.collab.LiveProject`) and sync's merges into
the studio's open editor.

* Each own edit (an engine command, applied or reverted and recorded in the
  local store) is remembered with the field clocks it wrote
  (:meth:`OwnEdits.note`).
* Remote edits reach the store (a pull or a live message) and the open
  project is made what the merged store holds *in place*
  (:meth:`OwnEdits.merge_into`): the same ``Project`` object, so the commands
  on the undo stack keep working on it; remote edits never enter the stack.
* Undoing an own edit is refused, with who changed what, when a field it wrote
  (or the entity itself, by a delete) now carries a later clock from another
  device (:meth:`OwnEdits.conflict`): the undo would overwrite their edit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from audio_engine.errors import ProjectFileError
from audio_engine.project.commands import Command
from audio_engine.project.entities import command_changes, compose
from audio_engine.project.model import Project

from .clock import parse
from .store import LocalStore

log = logging.getLogger(__name__)

FieldKey = tuple[str, str, str]  # kind, entity id, field
Rows = list[dict[str, Any]]


class OwnEdits:
    def __init__(self, store: LocalStore, project_id: str) -> None:
        self.store = store
        self.project_id = project_id
        self._clocks: dict[int, dict[FieldKey, str]] = {}  # id(command) -> the clocks it wrote last

    def note(self, command: Command, project: Project) -> Rows:
        """Remember the clocks an own command just wrote (after it was applied
        or reverted and recorded); returns those entity rows (fields + clocks),
        what a live session broadcasts."""
        rows: Rows = []
        clocks: dict[FieldKey, str] = {}
        for ch in command_changes(command, project):
            row = self.store.entity_row(self.project_id, ch.kind, ch.id)
            if row is None:
                continue
            names = [*ch.fields, "deleted"]
            fclock = {n: row["field_clock"][n] for n in names if row["field_clock"].get(n)}
            rows.append({"project": self.project_id, "kind": ch.kind, "id": ch.id,
                         "row": {"fields": {n: row["fields"][n] for n in ch.fields if n in row["fields"]},
                                 "field_clock": fclock, "deleted": row["deleted"]}})
            clocks.update({(ch.kind, ch.id, n): c for n, c in fclock.items() if n in ch.fields or ch.deleted})
        self._clocks[id(command)] = clocks
        return rows

    def forget(self, command: Command) -> None:
        self._clocks.pop(id(command), None)

    def conflict(self, command: Command, who: Callable[[FieldKey], str] | None = None) -> str | None:
        """Why undoing ``command`` now would overwrite someone's later edit, or None."""
        mine = self._clocks.get(id(command))
        if not mine:
            return None
        me = self.store.clock.device
        rows: dict[tuple[str, str], dict[str, str]] = {}
        newest: dict[tuple[str, str], str] = {}
        for (kind, eid, _), c in mine.items():
            newest[(kind, eid)] = max(c, newest.get((kind, eid), ""))
        for (kind, eid, name), own in sorted(mine.items()):
            fclock = rows.get((kind, eid))
            if fclock is None:
                fclock = rows[(kind, eid)] = (self.store.entity_row(self.project_id, kind, eid) or {}).get(
                    "field_clock", {})
            # a later value of a field I wrote, or a later delete of an entity I edited
            for field, base in ((name, own), ("deleted", newest[(kind, eid)])):
                now = fclock.get(field, "")
                if now and now > base and _device(now) != me:
                    name_ = who((kind, eid, field)) if who is not None else "someone else"
                    what = f"deleted {kind} {eid}" if field == "deleted" else f"changed {kind} {eid} ({field})"
                    return (f"Cannot undo \u201c{command.text()}\u201d: {name_} {what} after you. "
                            "Their edit is kept.")
        return None

    def merge_into(self, project: Project) -> bool:
        """Make ``project`` (the open one, in place) what the merged store holds.
        False, and the project untouched, when the merged data is not a valid
        project yet (e.g. a clip whose media row has not arrived)."""
        try:
            fresh = compose(self.store.entities(self.project_id))
        except ProjectFileError as exc:
            log.warning("merge: the merged project is not valid yet (%s); keeping the open one", exc)
            return False
        project.__dict__.update(fresh.__dict__)
        return True


def _device(clock: str) -> str:
    try:
        return parse(clock)[2]
    except ValueError:
        return ""
