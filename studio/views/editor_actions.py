"""Edits of the timeline that act on the selection or the playhead: delete,
split at the playhead (S), duplicate (Ctrl+D), copy/paste, add a marker, and
Left/Right nudging the selected clips by one grid step (the snap grid: a bar,
a beat, 1/2 or 1/4). Each is one engine operation pushed as one undo step.
The nudge shortcuts live on the timeline, so arrows keep their meaning elsewhere."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence

from audio_engine import project as proj
from audio_engine.app.edit import copy_clips, duplicate, nudge, paste, split_at
from audio_engine.project import Command

if TYPE_CHECKING:
    from studio.views.editor_page import EditorPage


def grid_step_beats(page: EditorPage) -> float:
    tl = page.timeline
    return float(page.doc.project.beats_per_bar) if tl.grid_beats <= 0 else float(tl.grid_beats)


def nudge_selected(page: EditorPage, direction: int) -> bool:
    """Move the selected clips one grid step left (-1) or right (+1)."""
    cmd = nudge(page.doc.project, page.timeline.selected_clip_ids(), direction * grid_step_beats(page))
    return cmd is not None and page.push(cmd)


def delete_selected(page: EditorPage) -> bool:
    ids = page.timeline.selected_clip_ids()
    if not ids:
        return False
    cmds: list[Command] = [proj.RemoveClip(clip_id=i) for i in ids]
    return page.push(cmds[0] if len(cmds) == 1 else proj.Macro(commands=cmds, name="Delete clips"))


def split_at_playhead(page: EditorPage) -> bool:
    """Cut the selected clips (or every clip under the playhead) in two at the playhead."""
    cmd = split_at(page.doc.project, page.s.transport.seconds, page.timeline.selected_clip_ids())
    if cmd is None:
        page.say("Nothing to split: put the playhead inside a clip.")
        return False
    return page.push(cmd)


def duplicate_selected(page: EditorPage) -> bool:
    """The selected clips again, each right after itself."""
    cmd = duplicate(page.doc.project, page.timeline.selected_clip_ids())
    return cmd is not None and page.push(cmd)


def copy_selected(page: EditorPage) -> None:
    """Keep the selected clips for a paste (inside the studio)."""
    page.copied = copy_clips(page.doc.project, page.timeline.selected_clip_ids())


def paste_at_playhead(page: EditorPage) -> bool:
    """The copied clips again, starting at the playhead."""
    cmd = paste(page.doc.project, page.copied, page.s.transport.seconds)
    return cmd is not None and page.push(cmd)


def add_marker(page: EditorPage) -> bool:
    p = page.doc.project
    beats = p.seconds_to_beats(page.s.transport.seconds)
    return page.push(proj.AddMarker(marker_id=proj.new_id("marker"), position=round(beats, 4),
                                    name=f"M{len(p.markers) + 1}"))


def install(page: EditorPage) -> list[QAction]:
    out = []
    for text, key, d in (("Nudge clips left", "Left", -1), ("Nudge clips right", "Right", +1)):
        a = QAction(text, page.timeline)
        a.setShortcut(QKeySequence(key))
        a.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        a.triggered.connect(lambda _c=False, d=d: nudge_selected(page, d))
        page.timeline.addAction(a)
        out.append(a)
    return out
