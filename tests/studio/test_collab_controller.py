"""Issue 15 in the running app: opening a shared cloud project in the editor
starts its live session by itself (the LiveController installed with the
cloud), a collaborator's edit then shows in the editor, and opening another
project ends the session and restores the editor."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from audio_engine.project import MoveClip, open_project
from backend.devserver.gateway import ANON_KEY, Gateway
from backend.devserver.realtime import RealtimeServer
from sync.auth import MemoryTokenStore
from sync.config import CloudConfig
from sync.live import LiveSession
from sync.session import CloudSession
from sync.sharing import Sharing
from tests.cloud.conftest import Db, db, pg_server, servers, template_db  # noqa: F401  (fixtures)
from tests.cloud.test_project_sync import email, two_song_project

from .conftest import shown_window, silent_services, wait_jobs

pytestmark = pytest.mark.slow


def test_opening_a_shared_cloud_project_goes_live_and_another_project_ends_it(
        servers: tuple[Gateway, RealtimeServer], db: Db, tmp_path: Path, qapp: Any, qtbot: Any,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    gw, rt = servers
    for k, v in (("SUPABASE_URL", gw.url), ("SUPABASE_ANON_KEY", ANON_KEY), ("MASHUPS_CLOUD_AUTOSYNC", "0"),
                 ("MASHUPS_REALTIME_URL", rt.url), ("MASHUPS_HOME", str(tmp_path / "h15-owner"))):
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("MASHUPS_VOICE_URL", raising=False)
    s = silent_services(tmp_path / "h15-owner" / "settings.ini")
    w = shown_window(s, qtbot)
    e = CloudSession(CloudConfig(gw.url, ANON_KEY, timeout_s=5), data_dir=tmp_path / "h15-editor",
                     token_store=MemoryTokenStore())
    le: LiveSession | None = None
    try:
        owner = s.cloud.session
        uid = owner.sign_up(email("owner"), "secret-pw")
        db.set_tier(uid, "pro")
        folder = two_song_project(tmp_path / "make")
        pid = owner.projects.upload(folder)
        e_mail = email("editor")
        e.sign_up(e_mail, "secret-pw")
        # File → Share project…: invite by e-mail from the dialog
        w.open_project(folder)
        share = next(a for a in w.menuBar().actions()[0].menu().actions() if a.text() == "Share project…")
        share.trigger()
        dlg = w.share_dialog
        qtbot.waitUntil(lambda: dlg.table.rowCount() == 1 and dlg.invite_btn.isEnabled(), timeout=5_000)
        dlg.who.setText(e_mail)
        dlg.invite_btn.click()
        qtbot.waitUntil(lambda: dlg.table.rowCount() == 2 and dlg.table.item(1, 2).text() == "invited",
                        timeout=5_000)
        assert "Invited" in dlg.message.text()
        dlg.who.setText("nobody-at-all@example.test")
        dlg.invite_btn.click()
        qtbot.waitUntil(lambda: "no account" in dlg.message.text(), timeout=5_000)
        dlg.grab().save(str(tmp_path / "h15-share.png"))
        dlg.close()
        [inv] = Sharing(e.require().transport).invitations()
        assert inv.project_id == pid and inv.role == "editor"
        Sharing(e.require().transport).respond(pid, True)
        w.editor_page.new_project("Other")  # not live yet (nobody had accepted); reopen below
        assert e.projects is not None
        le = LiveSession(e.require(), e.projects, pid,
                         open_project(e.projects.download(pid, tmp_path / "E" / "p.mashup")).project, rt.url)
        le.start()
        assert le.link.wait_joined(10)

        w.open_project(folder)
        ctl = w.live_controller
        qtbot.waitUntil(lambda: ctl.attachment is not None and ctl.attachment.bar.state.text() == "Live",
                        timeout=10_000)
        assert "MASHUPS_VOICE_URL" in ctl.attachment.bar.talk.toolTip() and not ctl.attachment.bar.talk.isEnabled()
        t0 = time.monotonic()
        le.edit(MoveClip(clip_id="c1", position=6.0))
        qtbot.waitUntil(lambda: w.editor_page.doc.project.clip("c1").position == 6.0, timeout=5_000)
        assert time.monotonic() - t0 < 2.0

        w.editor_page.new_project("Solo")  # another project: the session ends, the editor is its own again
        assert ctl.attachment is None and "push" not in vars(w.editor_page.doc)
    finally:
        if le is not None:
            le.close()
        e.close()
        wait_jobs(qtbot, s.jobs, 30)
        w.editor_page.undo_stack.setClean()
        w.close()
        s.close()
