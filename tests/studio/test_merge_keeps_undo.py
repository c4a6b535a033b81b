"""Edits another computer made, pulled by a sync into the open editor, are a
change nobody undoes here: the editor's undo history (the person's own
edits) stays. Ctrl+Z still undoes the local edit and keeps the remote one; an
undo that would overwrite the other computer's later edit of the same field
is refused with a message and changes nothing. Real studio window, real
local backend (PostgreSQL + gateway); the other computer is a second home
with the Qt-free client, like the command line."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from audio_engine.project import MoveClip, SetClipProperty
from backend.devserver.gateway import ANON_KEY, Gateway
from sync.auth import MemoryTokenStore
from sync.config import CloudConfig
from sync.session import CloudSession
from tests.cloud.conftest import Db, db, pg_server, template_db  # noqa: F401  (fixtures)
from tests.cloud.test_project_sync import edit, edit_line, two_song_project
from tests.studio.test_cloud_studio import gw, studios  # noqa: F401  (fixtures)

from .conftest import wait_jobs

pytestmark = pytest.mark.slow


def ctrl_z(qtbot: Any, w: Any) -> None:
    w.activateWindow()
    qtbot.keyClick(w.editor_page.timeline, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.wait(20)  # a refused undo puts the stack back on the next turn of the event loop


def test_pulled_remote_edit_keeps_the_local_undo_history(studios: Any, qtbot: Any, gw: Gateway,  # noqa: F811
                                                         db: Db, tmp_path: Path) -> None:  # noqa: F811
    a = studios("home-a")
    email, pw = f"merge-{time.monotonic_ns()}@example.test", "secret-pw"
    cloud = a.s.cloud
    cloud.sign_in(email, pw, sign_up=True)
    wait_jobs(qtbot, a.s.jobs)
    db.set_tier(cloud.session.cloud.auth.user_id, "pro")
    folder = two_song_project(tmp_path / "make")
    cloud.save_to_cloud(folder)
    wait_jobs(qtbot, a.s.jobs)
    [row] = cloud.projects.list()
    pid = row.id
    a.open_project(folder)
    doc = a.editor_page.doc

    other = CloudSession(CloudConfig(gw.url, ANON_KEY, timeout_s=5), data_dir=tmp_path / "other",
                         token_store=MemoryTokenStore())
    try:
        other.sign_in(email, pw)
        assert other.projects is not None
        folder_b = other.projects.download(pid, tmp_path / "B" / "p.mashup")

        # a local edit in the studio, then the other computer changes another clip and syncs
        doc.push(MoveClip(clip_id="c1", position=2.0))
        edit(other, pid, folder_b, SetClipProperty(clip_id="c2", name="gain_db", value=-9.0))
        edit_line(other, pid, folder_b, 1, "sung elsewhere")
        other.sync()
        project = doc.project
        assert "sung elsewhere" not in [t for *_, t in a.editor_page.timeline.caption_segments()]
        cloud.sync_now()
        wait_jobs(qtbot, a.s.jobs)
        assert doc.project is project  # merged in place: the undo stack's commands still hold it
        assert project.clip("c2").gain_db == -9.0 and project.clip("c1").position == 2.0
        assert doc.undo_stack.count() == 1 and doc.undo_stack.canUndo()
        assert "sung elsewhere" in [t for *_, t in a.editor_page.timeline.caption_segments()]  # the lane shows it

        ctrl_z(qtbot, a)
        assert project.clip("c1").position == 0.0  # the local edit is undone ...
        assert project.clip("c2").gain_db == -9.0  # ... and the remote one kept
        cloud.sync_now()
        wait_jobs(qtbot, a.s.jobs)
        other.sync()
        theirs = other.projects.materialize(pid)
        assert theirs.clip("c1").position == 0.0 and theirs.clip("c2").gain_db == -9.0

        # both change the same field; the other computer's edit is later: undoing mine would erase it
        doc.push(SetClipProperty(clip_id="c2", name="gain_db", value=-3.0))
        qtbot.wait(5)
        edit(other, pid, folder_b, SetClipProperty(clip_id="c2", name="gain_db", value=-12.0))
        other.sync()
        cloud.sync_now()
        wait_jobs(qtbot, a.s.jobs)
        assert project.clip("c2").gain_db == -12.0  # the later edit won the field
        index = doc.undo_stack.index()
        ctrl_z(qtbot, a)
        assert project.clip("c2").gain_db == -12.0
        assert doc.undo_stack.index() == index and doc.undo_stack.canUndo()
        assert "Cannot undo" in a.editor_page.status.text() and "gain_db" in a.editor_page.status.text()
    finally:
        cloud.push_timer.stop()  # no sync may start after the window closes
        wait_jobs(qtbot, a.s.jobs)
        other.close()
