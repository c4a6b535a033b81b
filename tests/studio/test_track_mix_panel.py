"""The track Mix panel (track menu → "Mix…", issue 17): edits the track's
mix settings as one undoable engine command, follows undo, refuses bad input
in words, and the playback re-renders with the settings."""

from __future__ import annotations

from typing import Any

from audio_engine.project import Macro, command_from_dict
from audio_engine.project.entities import command_changes
from studio.views.track_menu import track_menu
from studio.views.track_mix_panel import NO_SOURCE, TrackMixPanel
from tests.studio.helpers import demo_project


def _open(ed: Any, index: int) -> TrackMixPanel:
    acts = {a.text(): a for a in track_menu(ed.track_headers[index]).actions()}
    acts["Mix…"].trigger()
    panel = ed.mix_panel
    assert isinstance(panel, TrackMixPanel) and panel.isVisible()
    return panel


def test_mix_panel_sets_ducking_and_highpass_as_one_undoable_edit(window: Any, qtbot: Any) -> None:
    ed = demo_project(window, qtbot)
    p = ed.doc.project
    voc, inst = p.tracks[0], p.tracks[1]
    panel = _open(ed, 1)
    assert panel.track_id == inst.id and panel.source.currentText() == NO_SOURCE
    assert panel.duck_db.value() == 0.0 and not panel.hp_on.isChecked()
    # ducking and the dip follow another track: with none chosen they are off (QA: they looked usable)
    assert not any(w.isEnabled() for w in (panel.duck_db, panel.attack, panel.release, panel.dip_db, panel.dip_hz))
    panel.source.setCurrentIndex(panel.source.findData(voc.id))
    assert all(w.isEnabled() for w in (panel.duck_db, panel.attack, panel.release, panel.dip_db, panel.dip_hz))
    panel.duck_db.setValue(4.5)
    panel.dip_db.setValue(3.0)
    panel.hp_on.setChecked(True)
    panel.hp_hz.setValue(80.0)
    depth = ed.doc.undo_stack.count()
    assert panel.apply()
    assert (inst.duck_source, inst.duck_db, inst.presence_dip_db, inst.highpass_hz) == (voc.id, 4.5, 3.0, 80.0)
    assert ed.doc.undo_stack.count() == depth + 1 and ed.doc.undo_stack.undoText() == "Mix settings"
    cmd = ed.doc.undo_stack.command(ed.doc.undo_stack.index() - 1).command
    assert isinstance(cmd, Macro)
    # what collaboration sends: the changed fields of the track, as JSON
    [change] = command_changes(cmd, p)
    assert change.fields == {"duck_source": voc.id, "duck_db": 4.5, "presence_dip_db": 3.0, "highpass_hz": 80.0}
    assert command_from_dict(cmd.to_dict()).to_dict() == cmd.to_dict()
    assert not panel.apply() and panel.status.text() == "Nothing changed."
    # undo: the model and the open panel go back
    ed.doc.undo_stack.undo()
    assert inst.duck_db == 0.0 and inst.duck_source is None and inst.highpass_hz == 0.0
    assert panel.duck_db.value() == 0.0 and panel.source.currentText() == NO_SOURCE and not panel.hp_on.isChecked()
    ed.doc.undo_stack.redo()
    assert panel.duck_db.value() == 4.5 and panel.hp_hz.value() == 80.0
    assert panel.all_off()
    assert inst.duck_db == 0.0 and inst.presence_dip_db == 0.0 and inst.highpass_hz == 0.0
    assert inst.duck_source == voc.id  # the source stays chosen; nothing acts without an amount


def test_mix_panel_follows_a_removed_track_and_a_read_only_project(window: Any, qtbot: Any) -> None:
    from audio_engine.project import RemoveTrack

    ed = demo_project(window, qtbot)
    p = ed.doc.project
    panel = _open(ed, 0)
    ed.read_only_reason = "you can only view this shared project"
    panel.duck_db.setValue(3.0)
    panel.source.setCurrentIndex(1)
    assert not panel.apply() and p.tracks[0].duck_db == 0.0
    assert "only view" in panel.status.text()
    ed.read_only_reason = None
    assert ed.push(RemoveTrack(track_id=p.tracks[0].id))
    assert not panel.isVisible()
