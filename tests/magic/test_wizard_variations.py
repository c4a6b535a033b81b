"""The Magic wizard's variations (issue 17), as a person uses them: two
corpus songs, "Three variations" runs as a job (the worker process plans
three arrangements and renders their previews), the arrangements show with
their scores, a preview plays through the studio's transport, and Open makes
the chosen one an editable project in the editor.

Fast as tests/magic is: the studio's cache folder is the session's Magic
cache, so the songs' analyses and stems (made by test_variations.py for the
same pair) are found there, as in a studio that separated them on import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from audio_engine import io as audio_io
from audio_engine.magic import Caches
from audio_engine.project import RemoveClip
from tests.corpus import Song
from tests.studio.conftest import services, wait_jobs, window  # noqa: F401 - the studio's fixtures

PAIR = (1, 2)  # as tests/magic/test_variations.py: 5.8 % apart, a key shift needed


@pytest.fixture()
def studio_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, magic_caches: Caches) -> Path:
    home = tmp_path / "mashups-home"
    monkeypatch.setenv("MASHUPS_HOME", str(home))
    for var in ("MASHUPS_DATA_DIR", "MASHUPS_MODEL_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MASHUPS_CACHE_DIR", str(magic_caches.analysis.path.parent))
    return home


@pytest.fixture(scope="module")
def pair(songs: list[Song], magic_caches: Caches) -> list[tuple[Path, dict[str, Any]]]:
    from audio_engine.analysis import analyze_file

    return [(songs[i].mix, analyze_file(songs[i].mix, cache=magic_caches.analysis).to_dict()) for i in PAIR]


def test_wizard_offers_three_variations_previews_them_and_opens_one(window: Any, qtbot: Any, pair: Any) -> None:  # noqa: F811
    s = window.s
    s.settings.set("models/separation", "classical")
    ids = []
    for path, analysis in pair:
        song = s.library.add(path)
        s.library.set_analysis(song.id, analysis)
        ids.append(song.id)
    window.library_page.model.reload()
    window.open_magic(ids[0], ids[1])
    wiz = window.magic_wizard
    assert wiz.variations_btn.isEnabled() and not wiz.variations.isVisible()
    qtbot.mouseClick(wiz.variations_btn, Qt.MouseButton.LeftButton)
    panel = wiz.variations
    job = panel.job
    assert job is not None and job.kind == "ml" and panel.isVisible() and wiz.isVisible()
    wait_jobs(qtbot, s.jobs, 300)
    assert job.state == "done", job.error
    # three arrangements, best first, each with a score and a preview of at most 20 s
    items = panel.items
    assert len(items) == 3 and len(panel.open_buttons) == 3
    assert len({it.name for it in items}) == 3
    scores = [it.score for it in items]
    assert scores == sorted(scores, reverse=True) and all(0.0 < x <= 1.0 for x in scores)
    for it in items:
        assert it.preview is not None and it.preview.is_file()
        assert 1.0 < audio_io.info(it.preview).duration <= 20.05
    assert "100" in panel.grid.itemAtPosition(0, 1).widget().text() and items[0].description in (
        panel.grid.itemAtPosition(1, 0).widget().text())
    # a preview plays through the studio's playback
    qtbot.mouseClick(panel.play_buttons[1], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: s.transport.source == str(items[1].preview), timeout=30_000)
    assert s.transport.playing
    assert s.transport.duration == pytest.approx(audio_io.info(items[1].preview).duration, abs=0.05)
    # Open the second one: it becomes the editor's project, saved in the Projects folder, editable
    qtbot.mouseClick(panel.open_buttons[1], Qt.MouseButton.LeftButton)
    assert not s.transport.playing  # opening stops the preview
    wait_jobs(qtbot, s.jobs, 120)
    assert panel.opened and Path(panel.opened).parent == s.projects_dir
    qtbot.waitUntil(lambda: window.current_page() == "Editor", timeout=10_000)
    ed = window.editor_page
    p = ed.doc.project
    assert ed.doc.path == Path(panel.opened)
    assert [c.source_in for c in p.clips()] == [c["source_in"] for t in items[1].project["tracks"] for c in t["clips"]]
    vocal = next(t for t in p.tracks if t.name.endswith("vocals"))
    assert vocal.highpass_hz > 0 and any(t.duck_source == vocal.id for t in p.tracks)  # Magic's mix came along
    before = len(p.clips())
    assert ed.push(RemoveClip(clip_id=p.clips()[0].id))
    assert len(p.clips()) == before - 1
    ed.doc.undo_stack.undo()
    assert len(p.clips()) == before
    wiz.close()
