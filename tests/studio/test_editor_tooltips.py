"""Every control of the editor says what it does in a tooltip, and a
read-only editor (a viewer in a live session) disables every editing control
with the reason as its tooltip, refuses edits by drag or key with the reason,
and edits again with the controls' own tooltips (issue 18)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QScrollBar,
    QWidget,
)

from tests.studio.helpers import demo_project

REASON = "You are watching Ana's project: only its owner and editors change it."
CONTROLS = (QAbstractButton, QAbstractSlider, QAbstractSpinBox, QComboBox, QLineEdit)


def _untipped(root: QWidget) -> list[str]:
    out = []
    for kind in CONTROLS:
        for w in root.findChildren(kind):
            if isinstance(w, QScrollBar) or isinstance(w.parent(), QAbstractSpinBox):
                continue  # scroll bars, and the line edit inside a spin box (the box has the tip)
            if w.isVisibleTo(root) and not w.toolTip().strip():
                out.append(f"{type(w).__name__} {w.objectName() or getattr(w, 'text', lambda: '')()!r}")
    return out


def test_every_editor_control_has_a_tooltip_and_read_only_disables_the_editing_ones(window: Any, qtbot: Any) -> None:
    ed = demo_project(window, qtbot)
    clip = ed.doc.project.clips()[0]
    ed.timeline.items_by_id[clip.id].setSelected(True)
    qtbot.waitUntil(lambda: ed.inspector.fields.isVisible(), timeout=2000)
    assert _untipped(ed) == []
    ed.export_dialog()
    assert _untipped(ed.export_box) == []
    ed.export_box.reject()

    p = ed.doc.project
    clip = p.clips()[0]
    before = (clip.position, p.title, len(p.markers), ed.undo_stack.count())
    mute_tip = ed.track_headers[0].mute.toolTip()
    ed.set_read_only(REASON)
    controls = ed.editing_controls()
    assert ed.title in controls and ed.tempo in controls and ed.track_headers[0].gain in controls
    assert all(not w.isEnabled() and w.toolTip() == REASON for w in controls)
    assert all(not a.isEnabled() for a in ed.nudge_actions)
    # what does not edit stays usable
    assert ed.zoom_in_btn.isEnabled() and ed.export_btn.isEnabled() and ed.save_btn.isEnabled()
    # edits that reach the page anyway (a drag, a menu key) are refused with the reason
    ed.timeline.request_move(clip.id, clip.position + 4.0, None)
    assert REASON in ed.status.text()
    ed.say("")
    ed.add_marker()
    assert REASON in ed.status.text()
    assert (clip.position, p.title, len(p.markers), ed.undo_stack.count()) == before
    # rebuilt headers (a remote edit adds a track) come up read-only too
    ed.doc.changed.emit(None)
    assert all(not w.isEnabled() and w.toolTip() == REASON for w in ed.track_headers[0].findChildren(type(ed.track_headers[0].mute)))

    ed.set_read_only(None)
    assert all(w.isEnabled() for w in ed.editing_controls() if w is not ed.inspector.ratio)
    assert not ed.inspector.ratio.isEnabled()  # the speed field is for fixed-speed clips only
    assert ed.track_headers[0].mute.toolTip() == mute_tip and ed.title.toolTip() != REASON
    ed.add_marker()
    assert len(p.markers) == before[2] + 1 and ed.undo_stack.count() == before[3] + 1
