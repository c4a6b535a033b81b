"""The clip inspector: the selected clip's settings, each edit one engine
command (one undo step), refused values shown back as they are, colours kept
through save and open."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from audio_engine.project import TrimClip
from audio_engine.project.commands import SetClipProperty
from tests.studio.helpers import demo_project


def _select_first(ed: Any, qtbot: Any) -> Any:
    clip = ed.doc.project.clips()[0]
    ed.timeline.items_by_id[clip.id].setSelected(True)
    qtbot.waitUntil(lambda: ed.inspector.clip_id == clip.id, timeout=2000)
    return clip


def _type(qtbot: Any, spin: Any, text: str) -> None:
    """Type a value into a spin box as a person does, ending with Enter."""
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, text)
    qtbot.keyClick(spin, Qt.Key.Key_Return)


def test_inspector_edits_are_one_undo_step_each(window: Any, qtbot: Any) -> None:
    ed = demo_project(window, qtbot)
    insp = ed.inspector
    assert not insp.fields.isVisible() and "Select a clip" in insp.hint.text()
    clip = _select_first(ed, qtbot)
    assert insp.fields.isVisible() and insp.gain.value() == pytest.approx(clip.gain_db)
    start = ed.undo_stack.count()

    _type(qtbot, insp.gain, "-6.5")
    assert clip.gain_db == pytest.approx(-6.5) and ed.undo_stack.count() == start + 1
    _type(qtbot, insp.fade_in, "0.75")
    insp.fade_out.setValue(1.25)
    _type(qtbot, insp.pitch, "-2")
    assert (clip.fade_in, clip.fade_out, clip.pitch) == pytest.approx((0.75, 1.25, -2.0))
    assert ed.undo_stack.count() == start + 4

    # the demo clip plays its whole song: shorten it by 3 s (its end) so its sound can slide
    assert ed.push(TrimClip(clip_id=clip.id, source_in=clip.source_in, source_out=clip.source_out - 3.0))
    assert insp.offset.maximum() == pytest.approx(3.0, abs=0.01)
    span, pos = clip.source_out - clip.source_in, clip.position
    old_in = clip.source_in
    _type(qtbot, insp.offset, f"{old_in + 1.5:.2f}")  # slip: the sound slides, the clip stays
    assert clip.source_in == pytest.approx(old_in + 1.5) and clip.source_out - clip.source_in == pytest.approx(span)
    assert clip.position == pos

    tempo_ratio = clip.ratio(ed.doc.project.tempo)
    insp.stretch.setCurrentIndex(1)  # fixed speed keeps the speed it had: one step for mode + ratio
    assert clip.stretch_mode == "fixed" and clip.stretch_ratio == pytest.approx(tempo_ratio, abs=1e-6)
    assert insp.ratio.isEnabled()
    _type(qtbot, insp.ratio, "1.25")
    assert clip.stretch_ratio == pytest.approx(1.25)
    assert ed.undo_stack.count() == start + 8

    # undo walks back one edit at a time, and the inspector follows
    ed.undo_stack.undo()
    assert clip.stretch_ratio == pytest.approx(tempo_ratio, abs=1e-6) and insp.ratio.value() == pytest.approx(tempo_ratio, abs=1e-3)
    ed.undo_stack.undo()
    assert clip.stretch_mode == "tempo" and not insp.ratio.isEnabled()
    for _ in range(6):
        ed.undo_stack.undo()
    assert (clip.gain_db, clip.fade_in, clip.fade_out, clip.pitch, clip.source_in) == pytest.approx(
        (0.0, 0.0, 0.0, 0.0, old_in))
    assert insp.gain.value() == 0.0 and insp.offset.value() == pytest.approx(old_in)


def test_a_refused_value_is_shown_back_and_several_clips_show_a_hint(window: Any, qtbot: Any) -> None:
    ed = demo_project(window, qtbot)
    clip = _select_first(ed, qtbot)
    insp = ed.inspector
    n = ed.undo_stack.count()
    insp.fade_in.setMaximum(10_000.0)  # past what the editor offers: the engine refuses it
    insp.fade_in.setValue(5_000.0)
    assert clip.fade_in == 0.0 and ed.undo_stack.count() == n
    assert insp.fade_in.value() == 0.0 and "Not done" in ed.status.text()

    for it in ed.timeline.items_by_id.values():
        it.setSelected(True)
    qtbot.waitUntil(lambda: "2 clips selected" in ed.inspector.hint.text(), timeout=2000)
    assert not ed.inspector.fields.isVisible()
    # one selected id that is no longer a clip (a project switched under the selection): no "1 clips"
    real = ed.timeline.selected_clip_ids
    ed.timeline.selected_clip_ids = lambda: ["gone"]
    insp.refresh()
    assert insp.hint.text().startswith("Select a clip")
    ed.timeline.selected_clip_ids = real
    # a long name shows its start
    for it in ed.timeline.items_by_id.values():
        it.setSelected(False)
    clip = _select_first(ed, qtbot)
    ed.push(SetClipProperty(clip_id=clip.id, name="name", value="Midnight Circuit — bass, the long take"))
    insp.refresh()
    assert insp.name.cursorPosition() == 0
    ed.inspector_btn.click()
    assert not ed.inspector.isVisible()


def test_colour_and_quality_round_trip_through_save_and_open(window: Any, qtbot: Any, tmp_path: Any) -> None:
    from studio.views.clip_colors import PALETTE, display_color

    ed = demo_project(window, qtbot)
    clip = _select_first(ed, qtbot)
    insp = ed.inspector
    start = ed.undo_stack.count()
    qtbot.mouseClick(insp.clip_color.swatches[PALETTE[2]], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(insp.track_color.swatches[PALETTE[5]], Qt.MouseButton.LeftButton)
    insp.quality.setCurrentIndex(2)  # High
    track = ed.doc.project.find_clip(clip.id)[0]
    assert (clip.color, track.color, clip.quality) == (PALETTE[2], PALETTE[5], "high")
    assert ed.undo_stack.count() == start + 3
    assert display_color(ed.doc.project, clip) == PALETTE[2]
    assert insp.clip_color.swatches[PALETTE[2]].isChecked() and not insp.clip_color.auto.isChecked()

    assert ed.save_to(tmp_path / "colours.mashup")
    folder = ed.doc.path
    ed.new_project()
    assert ed.open_project(folder)
    clip = ed.doc.project.clip(clip.id)
    assert (clip.color, ed.doc.project.find_clip(clip.id)[0].color, clip.quality) == (PALETTE[2], PALETTE[5], "high")
    _select_first(ed, qtbot)
    insp = ed.inspector
    assert insp.clip_color.swatches[PALETTE[2]].isChecked() and insp.track_color.swatches[PALETTE[5]].isChecked()
    assert insp.quality.currentIndex() == 2
    # Auto: the clip takes its track's colour again
    qtbot.mouseClick(insp.clip_color.auto, Qt.MouseButton.LeftButton)
    assert clip.color is None and display_color(ed.doc.project, clip) == PALETTE[5]
    assert "track's colour" in insp.clip_color.auto.toolTip()
    ed.undo_stack.undo()
    assert clip.color == PALETTE[2] and insp.clip_color.swatches[PALETTE[2]].isChecked()


def test_stems_are_coloured_by_type_unless_the_clip_or_track_has_a_colour() -> None:
    from audio_engine.project import Clip, Project, Track
    from studio.views.clip_colors import STEM_COLORS, display_color

    voc = Clip(id="v", media="m", stem="vocals")
    drums = Clip(id="d", media="m", stem="Drums")
    full = Clip(id="f", media="m")
    p = Project(tracks=[Track(id="t", clips=[voc, drums, full])])
    assert display_color(p, voc) == STEM_COLORS["vocals"] and display_color(p, drums) == STEM_COLORS["drums"]
    assert display_color(p, full) is None  # the theme's clip colour
    p.tracks[0].color = "#123456"
    assert display_color(p, voc) == "#123456" and display_color(p, full) == "#123456"
    voc.color = "#abcdef"
    assert display_color(p, voc) == "#abcdef"


def test_reverse_journey_tick_it_hear_it_backwards_and_see_it_mirrored(window: Any, qtbot: Any) -> None:
    import numpy as np

    from audio_engine.io import load

    ed = demo_project(window, qtbot)
    clip = _select_first(ed, qtbot)
    insp = ed.inspector
    p = ed.doc.project
    insp.stretch.setCurrentIndex(1)  # fixed speed 1x: the clip plays its source exactly (numpy can reverse it)
    _type(qtbot, insp.ratio, "1")
    assert clip.ratio(p.tempo) == 1.0 and not insp.reverse.isChecked()
    assert "backwards" in insp.reverse.toolTip()
    item = ed.timeline.items_by_id[clip.id]
    qtbot.waitUntil(lambda: ed.timeline.peaks_for(clip) is not None, timeout=30_000)
    width = int(round(clip.length_seconds(p.tempo) * ed.timeline.pps))  # the clip's pixels
    fwd = item.wave_columns(ed.timeline.peaks_for(clip), 0, width)[1]
    start = ed.undo_stack.count()

    from PySide6.QtCore import QPoint

    box = insp.reverse  # a click on its box (the row is wider than the box and its label)
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))
    assert clip.reversed and ed.undo_stack.count() == start + 1 and insp.reverse.isChecked()

    # hear: the transport's streaming renderer now plays the clip's source backwards
    def playing() -> Any:
        m = getattr(window.s.transport.engine, "material", None)
        r = getattr(m, "renderer", None)
        return r if r is not None and r.project.clip(clip.id).reversed else None

    qtbot.waitUntil(lambda: playing() is not None, timeout=30_000)
    ti = next(i for i, t in enumerate(p.tracks) if any(c.id == clip.id for c in t.clips))
    ref = p.media[clip.media]
    src = load(ed.doc.resolver().find(ref.file_hash(clip.stem), ref.file_ext(clip.stem)), sample_rate=44100,
               channels=2, offset=clip.source_in, duration=clip.source_out - clip.source_in).samples
    first = p.beats_to_samples(clip.position, 44100)
    n = 44100
    heard = playing().render(first, n)[ti]
    assert np.array_equal(heard, src[:, -n:][:, ::-1] * np.float32(10 ** (clip.gain_db / 20)))

    # see: the clip's waveform is drawn mirrored (the source's end first)
    item = ed.timeline.items_by_id[clip.id]
    back = item.wave_columns(ed.timeline.peaks_for(clip), 0, width)[1]
    assert float(np.abs(back - fwd[::-1]).mean()) < 0.1 * float(np.abs(fwd).mean())
    assert float(np.abs(back - fwd).mean()) > 0.1 * float(np.abs(fwd).mean())

    ed.undo_stack.undo()  # one step back: forward again, in the model and the checkbox
    assert not clip.reversed and not insp.reverse.isChecked()
