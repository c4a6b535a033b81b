"""Settings through the page: storage folders (checked, stored, used by the
next start; an environment variable still wins) and the output buffer and
latency (used at once by playback)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from studio.playback import NullOutput
from tests.studio.conftest import wait_jobs

VARS = ("MASHUPS_DATA_DIR", "MASHUPS_CACHE_DIR", "MASHUPS_MODEL_DIR")


@pytest.fixture()
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The composition root exports chosen folders: undo that after the test."""
    for v in VARS:
        monkeypatch.setenv(v, "x")
        monkeypatch.delenv(v)


def test_storage_folders_are_checked_and_used_after_a_restart(window: Any, qtbot: Any, tmp_path: Path,
                                                              clean_env: None) -> None:
    s = window.s
    window.go("Settings")
    row = window.settings_page.storage.rows["models"]
    old = s.paths.models
    assert row.note.text().startswith("In use")
    # bad input: explained, nothing stored
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    for bad, says in (("relative/models", "full path"), (str(a_file), "is a file"), ("", "Choose a folder")):
        row.edit.setText(bad)
        row.edit.editingFinished.emit()
        assert says in row.note.text() and s.settings.str("storage/models") == ""
    # a good folder: stored, created, and said to apply after a restart
    new = tmp_path / "my models"
    row.edit.setText(str(new))
    row.edit.editingFinished.emit()
    assert s.settings.str("storage/models") == str(new) and new.is_dir()
    assert "after a restart" in row.note.text() and s.paths.models == old
    # the next start uses it, for the studio and for the engine (workers, Whisper folder)
    from audio_engine.models.catalog import ModelCatalog
    from studio.services import build_services

    again = build_services(settings_path=s.settings.path)
    try:
        assert again.paths.models == new and "MASHUPS_MODEL_DIR" not in os.environ  # passed in, not exported
        assert ModelCatalog(again.paths.models).folder("captions") == new / "whisper"
        assert again.paths.data == s.paths.data  # the others stay
    finally:
        again.close()
    # an environment variable names the folder itself: it wins, and the page says so
    os.environ["MASHUPS_MODEL_DIR"] = str(old)
    env_wins = build_services(settings_path=s.settings.path)
    try:
        assert env_wins.paths.models == old
    finally:
        env_wins.close()
    # Default: back to the standard folder
    row.reset()
    assert s.settings.str("storage/models") == "" and row.edit.text() == str(old)
    wait_jobs(qtbot, s.jobs, 60)


def test_an_unusable_chosen_folder_does_not_stop_the_start(services: Any, tmp_path: Path, clean_env: None) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    services.settings.set("storage/cache", str(blocker))
    from studio.services import build_services

    again = build_services(settings_path=services.settings.path)
    try:
        assert again.paths.cache == services.paths.cache
        assert again.storage_problems and "is a file" in again.storage_problems[0]
    finally:
        again.close()


def test_buffer_size_and_latency_are_used_by_playback_at_once(window: Any, qtbot: Any) -> None:
    s = window.s
    page = window.settings_page
    window.go("Settings")
    tr = s.transport
    assert page.buffer.currentData() == 512 and page.latency.currentData() == "low"
    tr.engine.set_tracks([np.zeros((2, 44100 * 5), dtype=np.float32)])
    tr.play()
    assert isinstance(tr.output, NullOutput) and tr.output.block == 512
    page.buffer.setCurrentIndex(page.buffer.findData(256))
    page.latency.setCurrentIndex(page.latency.findData("high"))
    assert tr.playing and isinstance(tr.output, NullOutput) and tr.output.block == 256
    assert (tr.block, tr.latency) == (256, "high")
    assert s.settings.get("audio/block_size") == 256 and s.settings.str("audio/latency") == "high"
    assert "5.8 ms" in page.buffer.currentText()
    start = tr.seconds
    qtbot.wait(300)
    assert tr.seconds > start  # still playing through the reopened output
    tr.pause()
    # the next start opens the output with them; a hand-edited bad value falls back to the defaults
    from studio.services import build_services

    again = build_services(settings_path=s.settings.path)
    try:
        assert (again.transport.block, again.transport.latency) == (256, "high")
    finally:
        again.close()
    s.settings.set("audio/block_size", 333)
    again = build_services(settings_path=s.settings.path)
    try:
        assert (again.transport.block, again.transport.latency) == (512, "low")
    finally:
        again.close()
    with pytest.raises(ValueError, match="buffer size"):
        tr.set_buffer(300, "low")
