"""The Projects page without an account: local projects are listed with a
waveform of their first song, cloud actions are off until sign-in, and
Open goes to the editor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from tests.cloud.test_project_sync import two_song_project


def test_local_projects_listed_with_waveform_and_cloud_actions_off(window: Any, qtbot: Any,
                                                                   tmp_path: Path) -> None:
    s = window.s
    folder = s.projects_dir / "Two songs.mashup"
    folder.parent.mkdir(parents=True, exist_ok=True)
    two_song_project(tmp_path / "make").rename(folder)
    from audio_engine.project import open_project

    opened = open_project(folder)
    first = next(iter(opened.project.media.values()))
    s.peaks.build(first.hash, opened.media.path(first.hash, first.ext))
    window.go("Projects")
    page = window.projects_page
    page.refresh()
    assert [(r.title, r.state, r.cloud_id) for r in page.rows] == [("Two songs", "local only", None)]
    item = page.table.item(0, 0)
    assert not item.icon().isNull()  # the waveform thumbnail
    assert page.table.item(0, 1).text() == "here"
    page.select_title("Two songs")
    assert page.open_btn.isEnabled()
    assert not page.save_btn.isEnabled() and not page.remove_btn.isEnabled() and not page.rename_btn.isEnabled()
    # the hint names what the account button says: "Cloud off" (no address) or "Sign in"
    assert window.account_button.text() in ("Cloud off", "Sign in")
    assert ("Cloud off" if window.account_button.text() == "Cloud off" else "Sign in") in page.note.text()
    qtbot.mouseClick(page.open_btn, Qt.MouseButton.LeftButton)
    assert window.current_page() == "Editor" and window.editor_page.doc.path == folder
