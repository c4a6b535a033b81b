"""The dead ends a newcomer hit (issue 19), through the widgets: Magic
(preview = the engine's plan, refusal before any work, stretch-limit
control, a background job, titles as track names, song B list), "What fits"
(never a refused pair, labelled partner BPM), separation without the model
(classical now, real stages), Library (sort, columns at 1100 and 1600 px,
Show in folder, Open in editor asks), Jobs (background hidden, history kept
across a restart)."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QFontMetrics
from PySide6.QtWidgets import QApplication, QPushButton

from audio_engine.magic.plan import key_reading_text, pair_plan
from tests.corpus import Song
from tests.studio.conftest import wait_jobs
from tests.studio.helpers import menu_action

CLIP_S = 16.0
# Corpus songs used (see tests/corpus.py, seed 1): 0 = 131.6 BPM, 2 = 98.2, 3 = 108.7, 4 = 98.3.
# 0 and 3 are about 21% apart: each would move only about 10%, yet Magic refuses
# them at its 20% default, the exact case the old preview got wrong.
NAMES = {0: "Corpus Band - Fast One", 2: "Corpus Band - Song Three", 3: "Corpus Band - Mid Tempo",
         4: "Corpus Band - Song Five"}


@pytest.fixture(scope="module")
def clips(songs: list[Song], tmp_path_factory: pytest.TempPathFactory) -> dict[int, tuple[Path, dict[str, Any]]]:
    """16-second tagged-by-name copies of four corpus songs and their analyses (computed once)."""
    from audio_engine import io as audio_io
    from audio_engine.analysis import analyze_file
    from audio_engine.cache import JsonCache

    folder = tmp_path_factory.mktemp("newcomer-songs")
    cache = JsonCache(folder / "analysis.sqlite3")
    out = {}
    for i, name in NAMES.items():
        dst = folder / f"{name}.flac"
        audio_io.save(audio_io.load(songs[i].mix, duration=CLIP_S), dst, bit_depth=16)
        out[i] = (dst, analyze_file(dst, cache=cache).to_dict())
    cache.close()
    return out


def _add(s: Any, clips: dict[int, tuple[Path, dict[str, Any]]], which: list[int]) -> dict[int, int]:
    """Songs into the library with their analyses (as the analysis jobs store them)."""
    ids = {}
    for i in which:
        path, analysis = clips[i]
        song = s.library.add(path)
        s.library.set_analysis(song.id, analysis)
        ids[i] = song.id
    return ids


def _button(box: Any, text: str) -> QPushButton:
    return next(b for b in box.buttons() if b.text() == text)


# -- Magic ------------------------------------------------------------------------------
def test_wizard_preview_refuses_like_the_engine_and_has_a_stretch_limit(window: Any, qtbot: Any,
                                                                        clips: Any) -> None:
    s = window.s
    ids = _add(s, clips, [0, 3, 4])
    window.library_page.model.reload()
    window.open_magic(ids[0], ids[3])
    wiz = window.magic_wizard
    qtbot.waitExposed(wiz)
    assert wiz.stretch.value() == 20  # the engine's default
    # refused before any work, with the figure the limit applies to and what to change
    plan = pair_plan(clips[0][1], clips[3][1], max_stretch=0.2)
    assert not plan.within_limit
    text = wiz.plan.text()
    assert "beyond the 20% stretch limit" in text and "Raise the tempo stretch limit to 22%" in text, text
    assert "--max-stretch" not in text
    assert not wiz.generate_btn.isEnabled()
    qtbot.mouseClick(wiz.generate_btn, Qt.MouseButton.LeftButton)
    assert s.jobs.jobs() == [] or all(j.background for j in s.jobs.jobs())  # nothing started
    # raising the limit makes the same pair acceptable, with the plan the engine will use
    wiz.stretch.setValue(25)
    assert wiz.generate_btn.isEnabled()
    plan = pair_plan(clips[0][1], clips[3][1], max_stretch=0.25)
    assert f"{plan.target_bpm:.1f} BPM" in wiz.plan.text()
    # both songs' keys with their confidence (and the other reading of an uncertain key: issue 17)
    for i in (0, 3):
        assert escape(key_reading_text(clips[i][1])) in wiz.plan.text()
    assert abs(float(s.settings.get("magic/max_stretch")) - 0.25) < 1e-9
    # song B lists every song but song A, and every character has a glyph in the font
    items = [wiz.song_b.itemText(i) for i in range(wiz.song_b.count())]
    assert wiz.song_a.currentText() not in items[1:] and len(items) == 3
    fm = QFontMetrics(wiz.song_b.font())
    assert all(fm.inFontUcs4(ord(ch)) for text in items for ch in text), items
    # changing song A rebuilds song B without it
    wiz.song_a.setCurrentIndex(wiz.song_a.findData(ids[3]))
    items = [wiz.song_b.itemData(i) for i in range(wiz.song_b.count())]
    assert ids[3] not in items and ids[0] in items
    wiz.reject()


def test_variations_card_shows_whole_and_locks_generate_while_it_runs(window: Any, qtbot: Any, clips: Any) -> None:
    # QA: while "Three variations" ran, its card was squashed (status line clipped, "Stop preview" cut off)
    # and Generate / Three variations stayed enabled; after a cancel the card still said "Making…".
    s = window.s
    ids = _add(s, clips, [2, 4])
    window.library_page.model.reload()
    window.open_magic(ids[2], ids[4])
    wiz = window.magic_wizard
    qtbot.waitExposed(wiz)
    assert wiz.generate_btn.isEnabled() and wiz.variations_btn.isEnabled()
    qtbot.mouseClick(wiz.variations_btn, Qt.MouseButton.LeftButton)
    panel = wiz.variations
    job = panel.job
    assert job is not None and panel.isVisible()
    assert not wiz.generate_btn.isEnabled() and not wiz.variations_btn.isEnabled()
    assert "Wait for the three variations" in wiz.generate_btn.toolTip()
    try:
        qtbot.waitUntil(lambda: panel.height() >= panel.minimumSizeHint().height(), timeout=2000)
        status = panel.status
        assert status.height() >= status.heightForWidth(status.width()), "status line clipped"
        stop = panel.stop_btn.geometry()
        assert panel.rect().contains(stop) and stop.height() >= panel.stop_btn.minimumSizeHint().height()
        # the dialog's own buttons stay inside it (once its layout has run: a loaded machine is slower)
        qtbot.waitUntil(lambda: wiz.rect().contains(wiz.generate_btn.geometry()), timeout=2000)
        s.jobs.cancel(job.id)
        qtbot.waitUntil(lambda: job.state.finished, timeout=30_000)
        qtbot.waitUntil(lambda: wiz.generate_btn.isEnabled(), timeout=2000)
        assert wiz.variations_btn.isEnabled() and "Wait" not in wiz.generate_btn.toolTip()
        assert status.text().startswith("Cancelled"), status.text()
    finally:  # never leave a modal wizard or a running job to the next test
        if not job.state.finished:
            s.jobs.cancel(job.id)
            qtbot.waitUntil(lambda: job.state.finished, timeout=30_000)
        wiz.reject()


def test_what_fits_never_lists_a_refused_pair_and_labels_the_partner_bpm(window: Any, qtbot: Any,
                                                                         clips: Any) -> None:
    s = window.s
    ids = _add(s, clips, [0, 2, 3, 4])
    lib = window.library_page
    lib.model.reload()
    fits = lib.fits_list
    headers = [fits.headerItem().text(c) for c in range(fits.columnCount())]
    assert headers == ["Partner", "BPM", "Vocals", "Fit"]
    assert "partner's own tempo" in fits.headerItem().toolTip(1)
    by_title = {x.title: x for x in s.library.all()}
    lib.select_song(ids[0])
    for limit, listed_3 in ((0.2, False), (0.25, True)):
        # the limit is set in the Magic window; the panel follows when it closes
        window.open_magic(ids[0], None)
        window.magic_wizard.stretch.setValue(round(limit * 100))
        window.magic_wizard.reject()
        rows = {fits.item(r).text(0): fits.item(r) for r in range(fits.count())}
        assert ("Mid Tempo" in rows) == listed_3
        for title, item in rows.items():
            partner = by_title[title]
            assert pair_plan(clips[0][1], partner.analysis, max_stretch=limit).within_limit
            from audio_engine.magic.plan import grid_bpm

            assert item.text(1) == f"{grid_bpm(partner.analysis):.1f}"  # the partner's own tempo
    # from a fit, the wizard opens on that pair and accepts it
    s.settings.set("magic/max_stretch", 0.25)
    lib.select_song(ids[0])
    lib._magic_from_fit(fits.item(0))
    assert window.magic_wizard.generate_btn.isEnabled()
    window.magic_wizard.reject()


@pytest.mark.slow
def test_magic_is_a_background_job_and_names_tracks_after_titles(window: Any, qtbot: Any, clips: Any) -> None:
    s = window.s
    s.settings.set("models/separation", "classical")
    ids = _add(s, clips, [2, 4])
    s.library.set_tags(ids[2], title="My Vocal Song", artist="Corpus Band")
    window.library_page.model.reload()
    window.open_magic(ids[2], ids[4])
    wiz = window.magic_wizard
    assert wiz.generate_btn.isEnabled()
    qtbot.mouseClick(wiz.generate_btn, Qt.MouseButton.LeftButton)
    job = wiz.job
    # the wizard is gone at once and nothing modal blocks the window; the job is in the Jobs list
    assert job is not None and job.kind == "ml" and not wiz.isVisible()
    assert QApplication.activeModalWidget() is None
    window.go("Jobs")
    row = window.jobs_page.rows[job.id]
    assert not row.isHidden() and not row.cancel_btn.isHidden()
    # cancel from the Jobs page, then retry to the end
    qtbot.mouseClick(row.cancel_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: job.state.finished, timeout=30_000)
    assert job.state == "cancelled"
    assert window.current_page() == "Jobs"
    qtbot.mouseClick(row.retry_btn, Qt.MouseButton.LeftButton)
    wait_jobs(qtbot, s.jobs, 600)
    done = [j for j in s.jobs.jobs() if j.meta.get("action") == "magic"]
    assert done[-1].state == "done", done[-1].error
    assert window.current_page() == "Editor"
    names = [t.name for t in window.editor_page.doc.project.tracks]
    assert "My Vocal Song — vocals" in names, names
    assert any(n.startswith("Song Five — ") for n in names), names
    assert not any("Corpus Band" in n or ".flac" in n for n in names), names


# -- Separation ------------------------------------------------------------------------------
@pytest.mark.slow
def test_missing_model_offers_the_classical_separator_with_real_stages(window: Any, qtbot: Any,
                                                                       clips: Any) -> None:
    s = window.s
    assert s.settings.str("models/separation") == "htdemucs"  # the default, not installed here
    ids = _add(s, clips, [2])
    lib = window.library_page
    lib.model.reload()
    stages: list[str] = []
    s.jobs.job_changed.connect(lambda j: stages.append(j.stage) if j.meta.get("action") == "separate" else None)
    menu_action(lib.build_menu([ids[2]]), "Separate into stems").trigger()
    box = window.model_prompt
    qtbot.waitExposed(box)
    assert [j for j in s.jobs.jobs() if j.meta.get("action") == "separate"] == []  # nothing started yet
    texts = {b.text() for b in box.buttons()}
    assert {"Use the classical separator now", "Open Models", "Cancel"} <= texts
    qtbot.mouseClick(_button(box, "Use the classical separator now"), Qt.MouseButton.LeftButton)
    wait_jobs(qtbot, s.jobs, 300)
    job = next(j for j in s.jobs.jobs() if j.meta.get("action") == "separate")
    assert job.state == "done", job.error
    assert "classical" in job.title
    stems = s.library.get(ids[2]).stems
    assert set(stems) == {"drums", "bass", "other", "vocals"}
    assert "loading model" not in stages
    assert "loading the signal-processing library" in stages and "separating" in stages, stages


# -- Library --------------------------------------------------------------------------------
class _UrlCatcher(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


def test_library_sort_columns_and_show_in_folder(window: Any, qtbot: Any, clips: Any) -> None:
    s = window.s
    _add(s, clips, [3, 0, 4, 2])
    lib = window.library_page
    lib.model.reload()
    hh = lib.table.horizontalHeader()
    assert hh.sortIndicatorSection() == 0 and hh.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder
    titles = [lib.proxy.index(r, 0).data() for r in range(lib.proxy.rowCount())]
    assert titles == sorted(titles, key=str.lower) and titles[0] == "Fast One"
    from studio.views.library_page import COLUMNS

    for w, h in ((1100, 700), (1600, 1000)):
        window.resize(w, h)
        qtbot.waitUntil(lambda w=w: window.width() == w, timeout=3000)
        qtbot.wait(30)
        vp = lib.table.viewport().width()
        for name in ("Title", "BPM", "Key", "Stems", "Captions"):
            c = COLUMNS.index(name)
            assert not lib.table.isColumnHidden(c), (w, name)
            x = hh.sectionViewportPosition(c)
            assert 0 <= x and x + hh.sectionSize(c) <= vp, (w, name, x, hh.sectionSize(c), vp)
        if w == 1600:
            assert all(not lib.table.isColumnHidden(c) for c in range(len(COLUMNS)))
    # Show in folder: the song's folder goes to the desktop's file manager
    catcher = _UrlCatcher()
    QDesktopServices.setUrlHandler("file", catcher, "open")
    try:
        song = s.library.all()[0]
        lib.select_song(song.id)
        menu_action(lib.build_menu([song.id]), "Show in folder").trigger()
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert [Path(u.toLocalFile()) for u in catcher.urls] == [song.path.parent]


def test_open_in_editor_makes_a_new_project_or_asks(window: Any, qtbot: Any, clips: Any) -> None:
    s = window.s
    ids = _add(s, clips, [2, 4])
    lib = window.library_page
    lib.model.reload()
    ed = window.editor_page
    # the current project is empty: a new project named after the song, no question
    lib.open_in_editor.emit([ids[2]])
    wait_jobs(qtbot, s.jobs, 120)
    assert window.current_page() == "Editor" and ed.doc.project.title == "Song Three"
    assert len(ed.doc.project.clips()) == 1
    # now it has a clip: the window asks; "New project" is the default for an unsaved project
    window.go("Library")
    menu_action(lib.build_menu([ids[4]]), "Open in editor").trigger()
    box = window.open_prompt
    qtbot.waitExposed(box)
    assert box.defaultButton().text() == "New project"
    qtbot.mouseClick(_button(box, "Add to “Song Three”"), Qt.MouseButton.LeftButton)
    wait_jobs(qtbot, s.jobs, 120)
    assert ed.doc.project.title == "Song Three" and len(ed.doc.project.clips()) == 2
    ed.undo_stack.setClean()  # no "save changes?" in the way of the next choice
    ed.doc.project_saved = True
    window.go("Library")
    menu_action(lib.build_menu([ids[4]]), "Open in editor").trigger()
    box = window.open_prompt
    qtbot.waitExposed(box)
    qtbot.mouseClick(_button(box, "New project"), Qt.MouseButton.LeftButton)
    wait_jobs(qtbot, s.jobs, 120)
    assert ed.doc.project.title == "Song Five" and len(ed.doc.project.clips()) == 1


# -- Jobs -------------------------------------------------------------------------------------
def test_background_jobs_hidden_and_history_survives_a_restart(window: Any, qtbot: Any, tmp_path: Path) -> None:
    s = window.s
    page = window.jobs_page
    window.go("Jobs")
    bg = s.jobs.submit("Waveform of demo", "io", lambda p, c: 1, background=True)
    fg = s.jobs.submit("Analyse “Demo”", "cpu", lambda p, c: 2)

    def boom(p: Any, c: Any) -> None:
        raise FileNotFoundError(2, "gone", "/nowhere/song.flac")

    bad = s.jobs.submit("Import song.flac", "io", boom)
    wait_jobs(qtbot, s.jobs, 30)
    assert page.rows[bg.id].isHidden() and not page.rows[fg.id].isHidden()
    assert "Jobs" == window.nav_buttons["Jobs"].text().strip()  # nothing running, background work is not counted
    page.show_background.setChecked(True)
    assert not page.rows[bg.id].isHidden()
    page.show_background.setChecked(False)
    # the history on disk: foreground jobs only, newest first
    hist = s.paths.data / "job-history.json"
    saved = json.loads(hist.read_text())["jobs"]
    assert sorted(e["title"] for e in saved) == sorted([bad.title, fg.title])
    assert saved[0]["finished_at"] >= saved[1]["finished_at"]
    failed = next(e for e in saved if e["title"] == bad.title)
    assert failed["state"] == "failed" and "/nowhere/song.flac" in failed["error"] and failed["hint"]
    # a restart: a new runner and page over the same data folder show them as earlier sessions
    from studio.job_history import JobHistory
    from studio.jobs import JobRunner
    from studio.views.jobs_page import JobsPage

    old_jobs = s.jobs
    s.jobs = JobRunner(history=JobHistory(hist))
    try:
        page2 = JobsPage(s)
        qtbot.addWidget(page2)
        assert [r.entry.title for r in page2.history_rows] == [e["title"] for e in saved]
        assert not page2.earlier.isHidden() and page2.empty.isHidden()
        qtbot.mouseClick(next(b for b in page2.findChildren(QPushButton) if b.text() == "Clear finished"),
                         Qt.MouseButton.LeftButton)
        assert page2.history_rows == [] and JobHistory(hist).entries() == []
    finally:
        s.jobs = old_jobs


def test_job_history_is_bounded_and_survives_a_bad_file(tmp_path: Path) -> None:
    from studio.job_history import HistoryEntry, JobHistory

    path = tmp_path / "data" / "job-history.json"
    h = JobHistory(path, max_entries=50)
    for i in range(120):
        h.add(HistoryEntry(f"job {i}", "cpu", "done", 1.0e9 + i, 0.5))
    again = JobHistory(path, max_entries=50)
    assert [e.title for e in again.entries()][:2] == ["job 119", "job 118"] and len(again.entries()) == 50
    assert not list(path.parent.glob("*.tmp*"))  # atomic writes leave no temp files
    path.write_text("{not json")
    assert JobHistory(path).entries() == []  # a damaged file is ignored, not fatal
    path.write_text(json.dumps({"jobs": [{"title": "ok", "state": "done", "finished_at": 1}, {"bad": 1}]}))
    assert [e.title for e in JobHistory(path).entries()] == ["ok"]
