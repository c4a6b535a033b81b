"""Keyboard edits of the timeline that act on the selection: Left/Right nudge
the selected clips by one grid step (the snap grid: a bar, a beat, 1/2 or 1/4).
The shortcuts live on the timeline, so arrows keep their meaning elsewhere."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence

from audio_engine.app.edit import nudge

if TYPE_CHECKING:
    from studio.views.editor_page import EditorPage


def grid_step_beats(page: EditorPage) -> float:
    tl = page.timeline
    return float(page.doc.project.beats_per_bar) if tl.grid_beats <= 0 else float(tl.grid_beats)


def nudge_selected(page: EditorPage, direction: int) -> bool:
    """Move the selected clips one grid step left (-1) or right (+1)."""
    cmd = nudge(page.doc.project, page.timeline.selected_clip_ids(), direction * grid_step_beats(page))
    return cmd is not None and page.push(cmd)


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
