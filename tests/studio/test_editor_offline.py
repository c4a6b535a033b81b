"""Bad input in the editor: a project whose media is missing opens with its
clips offline and Locate… relinks them by content; a damaged project offers
its backups and one opens."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from audio_engine.project import SetProjectProperty
from tests.studio.conftest import wait_jobs
from tests.studio.helpers import demo_project
from tests.studio.test_editor_tooltips import _untipped


def _media_files(window: Any, folder: Path, h: str) -> list[Path]:
    return [p for root in (folder / "media", window.s.paths.media) for p in Path(root).glob(f"{h}.*")]


def test_missing_media_opens_offline_and_locate_relinks_it(window: Any, qtbot: Any, tmp_path: Path) -> None:
    ed = demo_project(window, qtbot)
    clip = ed.doc.project.clips()[0]
    ref = ed.doc.project.media[clip.media]
    song = next(s for s in window.s.library.all() if s.content_hash == ref.hash)
    original = tmp_path / "kept.flac"
    shutil.copy(song.path, original)
    assert ed.save_to(tmp_path / "gig.mashup")
    folder = ed.doc.path
    ed.new_project()
    gone = _media_files(window, folder, ref.hash)
    assert len(gone) == 2  # the project's copy and the studio's store
    for f in gone:
        f.unlink()

    assert ed.open_project(folder)  # opens anyway
    assert ed.timeline.offline_ids == {clip.id}
    assert ed.offline.banner.isVisible() and "1 clip is offline" in ed.offline.text.text()
    assert ref.name in ed.offline.text.text()
    ed.timeline.items_by_id[clip.id].setSelected(True)
    qtbot.waitUntil(lambda: "offline" in ed.inspector.heading.text(), timeout=2000)
    assert ed.save()  # offline clips do not stop a save; they stay offline
    assert ed.timeline.offline_ids == {clip.id}

    # a file with other content is refused in words; nothing is relinked
    other = next(s.path for s in window.s.library.all() if s.content_hash != ref.hash)
    qtbot.mouseClick(ed.offline.locate_btn, Qt.MouseButton.LeftButton)
    box = ed.offline.locate_box
    assert box is not None and box.isVisible() and ref.name in box.windowTitle()
    box.selectFile(str(other))
    box.accept()
    wait_jobs(qtbot, window.s.jobs)
    assert "is not the missing media" in ed.last_message and ed.timeline.offline_ids == {clip.id}

    qtbot.mouseClick(ed.offline.locate_btn, Qt.MouseButton.LeftButton)
    box = ed.offline.locate_box
    box.selectFile(str(original))
    box.accept()
    wait_jobs(qtbot, window.s.jobs)
    assert ed.timeline.offline_ids == set() and not ed.offline.banner.isVisible()
    assert (folder / "media" / f"{ref.hash}{ref.ext}").is_file()  # into the project's own media
    assert "Relinked" in ed.status.text() and "offline" not in ed.inspector.heading.text()


def test_a_damaged_project_offers_its_backups_and_one_opens(window: Any, qtbot: Any, tmp_path: Path) -> None:
    ed = demo_project(window, qtbot)
    assert ed.save_to(tmp_path / "take.mashup")
    folder = ed.doc.path
    for title in ("Second take", "Third take"):
        ed.push(SetProjectProperty(name="title", value=title))
        assert ed.save_to(folder)
    (folder / "project.json").write_bytes(b'{"format": "mashups-project", "version": 4, "proj')  # torn write
    ed.new_project()
    window.go("Library")  # opened from elsewhere (a recent project, the command line)

    assert not ed.open_project(folder)
    box = ed.files.backups_box
    assert box is not None and box.isVisible() and "not valid JSON" in box.intro.text()
    assert _untipped(box) == [] and _untipped(ed.offline.banner) == []
    rows = [box.list.item(i).text() for i in range(box.list.count())]
    assert len(rows) == 2 and "“Second take”" in rows[0] and "2 tracks, 2 clips" in rows[0]
    qtbot.mouseClick(box.open_button, Qt.MouseButton.LeftButton)
    assert ed.doc.project.title == "Second take" and ed.doc.path == folder and ed.doc.dirty
    assert window.current_page() == "Editor"
    assert len(ed.doc.project.clips()) == 2 and "save to make it the project again" in ed.status.text()
    assert ed.save()  # the backup becomes the project again
    ed.new_project()
    assert ed.open_project(folder) and ed.doc.project.title == "Second take"
