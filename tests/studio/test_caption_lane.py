"""The caption lane on the timeline, with real mouse and key events on the
editor's timeline: drag a line's edge to retime it, double-click to edit its
text in place (Enter keeps, Esc cancels). Each edit is one undo step and one
caption line's change (what sync sends)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QLineEdit, QToolTip

from audio_engine.project import SetCaptions
from audio_engine.project.entities import command_changes
from studio.views.caption_lane import TIP, line_boxes
from studio.views.timeline import CAPTION_H
from tests.studio.helpers import demo_project


def test_drag_edges_and_edit_text_of_caption_lines(window: Any, qtbot: Any) -> None:
    ed = demo_project(window, qtbot)
    p, tl, stack = ed.doc.project, ed.timeline, ed.doc.undo_stack
    clip = p.tracks[0].clips[0]
    lines = [{"start": clip.source_in + 1.0 + 1.5 * i, "end": clip.source_in + 2.0 + 1.5 * i, "text": t,
              "words": [{"start": clip.source_in + 1.0 + 1.5 * i, "end": clip.source_in + 2.0 + 1.5 * i,
                         "text": t, "probability": 0.9}]} for i, t in enumerate(["first", "second"])]
    assert ed.push(SetCaptions(lane_id="lyrics", clip_id=clip.id, name="Lyrics", doc={"segments": lines}))
    tl.zoom_fit()
    tl.set_zoom(tl.pps * 4, anchor_s=0.0, anchor_vx=0.0)  # the lines' start in view, wide enough to grab
    first, second = line_boxes(p)
    y = ed.caption_lane.lane_top() + CAPTION_H / 2
    vp = tl.viewport()
    depth = stack.index()

    # drag the first line's end to the right, halfway to the next line
    dx = int((second.start - first.end) * tl.pps / 2)
    assert dx >= 8
    start = tl.mapFromScene(QPointF(first.end * tl.pps, y))
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=start)
    for k in range(1, 5):
        qtbot.mouseMove(vp, start + QPoint(dx * k // 4, 0))
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=start + QPoint(dx, 0))
    line = p.caption_lanes[0].lines()[0]
    want = first.to_source(first.end + dx / tl.pps)
    assert line["end"] == pytest.approx(want, abs=1.5 / tl.pps * first.ratio)
    assert line["words"][0]["end"] == pytest.approx(line["end"])  # the words moved with the line
    assert stack.index() == depth + 1 and stack.undoText() == "Edit caption line"
    cmd = stack.command(stack.index() - 1).command
    assert [(c.kind, c.id) for c in command_changes(cmd, p)] == [("caption_line", first.line_id)]

    # hovering a line says what it does
    inside = tl.mapFromScene(QPointF((second.start + second.end) / 2 * tl.pps, y))
    QApplication.sendEvent(vp, QHelpEvent(QEvent.Type.ToolTip, inside, vp.mapToGlobal(inside)))
    assert QToolTip.text() == TIP
    # double-click the second line: type, Enter keeps
    qtbot.mouseDClick(vp, Qt.MouseButton.LeftButton, pos=inside)
    editor = vp.findChild(QLineEdit, "caption_line_editor")
    assert editor is not None and editor.text() == "second"
    editor.setText("second, sung louder")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert p.caption_lanes[0].lines()[1]["text"] == "second, sung louder"
    assert "second, sung louder" in [t for *_, t in tl.caption_segments()]  # the lane shows it
    # ... Esc cancels
    qtbot.mouseDClick(vp, Qt.MouseButton.LeftButton, pos=inside)
    editor = next(e for e in vp.findChildren(QLineEdit, "caption_line_editor") if e.isVisible())
    editor.setText("thrown away")
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert p.caption_lanes[0].lines()[1]["text"] == "second, sung louder"
    assert stack.index() == depth + 2
    # an edge dragged into the next line stops at it
    first = line_boxes(p)[0]
    start = tl.mapFromScene(QPointF(first.end * tl.pps, y))
    far = tl.mapFromScene(QPointF((second.end + 0.2) * tl.pps, y))
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(vp, far)
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=far)
    assert p.caption_lanes[0].lines()[0]["end"] == pytest.approx(first.to_source(second.start))
    stack.undo()

    stack.undo()
    stack.undo()
    assert p.caption_lanes[0].lines()[0]["end"] == lines[0]["end"]
    assert p.caption_lanes[0].lines()[1]["text"] == "second"
