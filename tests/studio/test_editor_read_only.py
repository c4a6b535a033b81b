"""Read-only editor (a viewer in a live session): every editing control is
disabled with the reason as its tooltip, edits by drag or key are refused with
the reason, and editing comes back with the controls' own tooltips."""

from __future__ import annotations

from typing import Any

from tests.studio.helpers import demo_project

REASON = "You are watching Ana's project: only its owner and editors change it."


def test_read_only_disables_every_editing_control_and_refuses_edits(window: Any, qtbot: Any) -> None:
    ed = demo_project(window, qtbot)
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
    assert all(w.isEnabled() for w in ed.editing_controls())
    assert ed.track_headers[0].mute.toolTip() == mute_tip and ed.title.toolTip() != REASON
    ed.add_marker()
    assert len(p.markers) == before[2] + 1 and ed.undo_stack.count() == before[3] + 1
