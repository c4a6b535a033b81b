"""Issue 15 in the studio: the owner's editor (a real main window) joined to
a live session over the real gateway, the development Realtime server and
PostgreSQL; the collaborator is a second home running the same session
logic headless. No manual pumping on the studio side: the channel's thread
hands everything to the GUI thread through the bridge's queued signal."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from audio_engine.errors import ProjectEditError
from audio_engine.project import MoveClip, SetClipProperty, open_project
from backend.devserver.gateway import ANON_KEY, JWT_SECRET, Gateway
from backend.devserver.realtime import RealtimeServer
from backend.voice.service import VoiceService
from studio.collab.bridge import LiveBridge
from studio.collab.editor_live import attach_live
from studio.collab.peer_overlay import PeerOverlay
from sync.auth import MemoryTokenStore
from sync.collab import VIEWER_REASON
from sync.config import CloudConfig
from sync.live import LiveSession
from sync.session import CloudSession
from sync.sharing import Sharing
from sync.transport import RetryPolicy
from sync.voice import VoiceClient
from tests.cloud.conftest import Db, db, pg_server, servers, template_db  # noqa: F401  (fixtures)
from tests.cloud.test_project_sync import email, two_song_project
from tests.cloud.test_voice import serve

pytestmark = pytest.mark.usefixtures("qapp")


def cloud_home(url: str, path: Path) -> CloudSession:
    return CloudSession(CloudConfig(url, ANON_KEY, timeout_s=5), data_dir=path, token_store=MemoryTokenStore(),
                        retry=RetryPolicy(attempts=2, initial_s=0.01, max_s=0.02))


def test_editor_shows_remote_edits_shares_its_own_and_refuses_a_conflicting_undo(
        window: Any, qtbot: Any, tmp_path: Path, db: Db, servers: tuple[Gateway, RealtimeServer]) -> None:  # noqa: F811
    gw, rt = servers
    o, e = cloud_home(gw.url, tmp_path / "h15-owner"), cloud_home(gw.url, tmp_path / "h15-editor")
    sessions: list[LiveSession] = []
    stop: list[Any] = []
    try:
        folder = two_song_project(tmp_path)
        uid_o = o.sign_up(email("owner"), "secret-pw")
        e_mail = email("editor")
        e.sign_up(e_mail, "secret-pw")
        db.set_tier(uid_o, "pro")
        assert o.projects is not None and e.projects is not None
        pid = o.projects.upload(folder)
        Sharing(o.require().transport).invite(pid, e_mail, "editor")
        Sharing(e.require().transport).respond(pid, True)
        folder_e = e.projects.download(pid, tmp_path / "E" / "Two songs.mashup")

        ed = window.editor_page
        ed.doc.replace(open_project(folder).project, folder)
        ps = o.projects
        ed.doc.changed.connect(lambda c: ps.record(pid, c, ed.doc.project) if c is not None else None)  # as cloud_ui
        lo = LiveSession(o.require(), o.projects, pid, ed.doc.project, rt.url)
        bridge = LiveBridge(lo)
        voice = serve(VoiceService(db.dsn, None, jwt_secret=JWT_SECRET))  # no DAILY_API_KEY on this server
        stop.append(voice.shutdown)
        bar = attach_live(ed, bridge, VoiceClient(f"http://127.0.0.1:{voice.server_address[1]}",
                                                  o.require().auth.access_token)).bar
        le = LiveSession(e.require(), e.projects, pid, open_project(folder_e).project, rt.url)
        sessions += [lo, le]
        bridge.start()
        le.start()
        assert le.link.wait_joined(10)
        qtbot.waitUntil(lambda: bar.state.text() == "Live", timeout=10_000)
        le.track(3.0, ("c2",))
        qtbot.waitUntil(lambda: len(bar.avatars) == 1, timeout=5_000)
        assert "is editing clip c2" in next(iter(bar.avatars.values())).toolTip()
        # on the timeline: their playhead (3 beats) and their selected clip, in their colour
        overlay = ed.findChild(PeerOverlay) or ed.timeline.findChild(PeerOverlay)
        assert overlay is not None
        tips = sorted(it.toolTip() for it in overlay.items)
        assert len(tips) == 2 and tips[0].endswith("is editing clip c2") and tips[1].endswith("'s playhead")
        line = next(it for it in overlay.items if it.toolTip().endswith("playhead"))
        assert abs(line.line().x1() - ed.doc.project.beats_to_seconds(3.0) * ed.timeline.pps) < 1e-6
        # the editor shares my playhead/selection by itself (a Qt timer: keep the event loop running)
        qtbot.waitUntil(lambda: (le.pump(), uid_o in le.live.peers)[1], timeout=5_000)
        qtbot.waitUntil(lambda: "DAILY_API_KEY" in bar.talk.toolTip(), timeout=5_000)
        assert not bar.talk.isEnabled()  # Talk is off, and says why

        # a collaborator's move shows in the open editor (model and timeline) without blocking it
        t0 = time.monotonic()
        le.edit(MoveClip(clip_id="c1", position=6.0))
        qtbot.waitUntil(lambda: ed.doc.project.clip("c1").position == 6.0, timeout=5_000)
        assert time.monotonic() - t0 < 2.0
        assert ed.timeline.project is ed.doc.project
        assert not ed.undo_stack.canUndo()  # their edit is not on my undo stack

        # my edit in the editor reaches them; undo undoes mine
        assert ed.push(MoveClip(clip_id="c3", position=12.0))
        assert le.wait_for(lambda: le.live.project.clip("c3").position == 12.0)
        ed.undo_btn.click()
        assert le.wait_for(lambda: le.live.project.clip("c3").position == 8.0)
        assert ed.doc.project.clip("c1").position == 6.0

        # an undo that would overwrite their later edit is refused, said, and changes nothing
        assert ed.push(SetClipProperty(clip_id="c2", name="gain_db", value=-1.0))
        assert le.wait_for(lambda: le.live.project.clip("c2").gain_db == -1.0)
        le.edit(SetClipProperty(clip_id="c2", name="gain_db", value=-4.0))
        qtbot.waitUntil(lambda: ed.doc.project.clip("c2").gain_db == -4.0, timeout=5_000)
        index = ed.undo_stack.index()
        ed.undo_btn.click()
        qtbot.waitUntil(lambda: "Cannot undo" in ed.status.text(), timeout=2_000)
        qtbot.waitUntil(lambda: ed.undo_stack.index() == index, timeout=2_000)
        assert ed.doc.project.clip("c2").gain_db == -4.0
        time.sleep(0.2)
        le.pump()
        assert le.live.project.clip("c2").gain_db == -4.0
        window.nav_buttons["Editor"].click()
        qtbot.wait(200)
        window.grab().save(str(tmp_path / "h15-live-editor.png"))
    finally:
        for s in sessions:
            s.close()
        for fn in stop:
            fn()
        o.close()
        e.close()


def test_a_viewers_editor_is_read_only_and_follows_role_changes_live(
        window: Any, qtbot: Any, tmp_path: Path, db: Db, servers: tuple[Gateway, RealtimeServer]) -> None:  # noqa: F811
    """The window belongs to a collaborator invited as a viewer: every editing
    control and Edit-menu action is off with the reason as its tooltip, a
    command that still gets through is refused with the reason, the owner's
    edits show. The owner makes them an editor (controls on, their edit reaches
    the owner), then a viewer again (off again; undoing their own edit is refused)."""
    gw, rt = servers
    o, v = cloud_home(gw.url, tmp_path / "h15-owner"), cloud_home(gw.url, tmp_path / "h15-viewer")
    sessions: list[LiveSession] = []
    attachment = None
    try:
        folder = two_song_project(tmp_path)
        o.sign_up(email("owner"), "secret-pw")
        v_mail = email("viewer")
        uid_v = v.sign_up(v_mail, "secret-pw")
        assert o.projects is not None and v.projects is not None
        pid = o.projects.upload(folder)
        owner = Sharing(o.require().transport)
        owner.invite(pid, v_mail, "viewer")
        Sharing(v.require().transport).respond(pid, True)
        folder_v = v.projects.download(pid, tmp_path / "V" / "Two songs.mashup")

        ed = window.editor_page
        ed.doc.replace(open_project(folder_v).project, folder_v)
        ps = v.projects
        ed.doc.changed.connect(lambda c: ps.record(pid, c, ed.doc.project) if c is not None else None)  # as cloud_ui
        lv = LiveSession(v.require(), v.projects, pid, ed.doc.project, rt.url)
        attachment = attach_live(ed, LiveBridge(lv), None, window.edit_actions)
        lo = LiveSession(o.require(), o.projects, pid, open_project(folder).project, rt.url)
        sessions += [lv, lo]
        attachment.bridge.start()
        lo.start()
        assert lo.link.wait_joined(10)
        qtbot.waitUntil(lambda: attachment.bar.state.text() == "Live", timeout=10_000)

        controls = [*ed.editing_controls(), *window.edit_actions]
        assert len(window.edit_actions) == 5 and len(ed.editing_controls()) >= 6
        assert all(not c.isEnabled() and c.toolTip() == VIEWER_REASON for c in controls)
        assert ed.status.text() == VIEWER_REASON
        # attempts are refused with the reason and change nothing
        window.edit_actions[0].trigger()  # Delete: disabled, does nothing
        assert not ed.push(MoveClip(clip_id="c1", position=20.0))
        assert ed.status.text() == f"Not done: {VIEWER_REASON}"
        with pytest.raises(ProjectEditError, match="ask the owner for edit access"):
            ed.doc.push(MoveClip(clip_id="c1", position=20.0))
        assert ed.doc.project.clip("c1").position == 0.0 and not ed.undo_stack.canUndo()
        # the owner's edits show
        lo.edit(MoveClip(clip_id="c1", position=2.0))
        qtbot.waitUntil(lambda: ed.doc.project.clip("c1").position == 2.0, timeout=5_000)

        # promoted mid-session: editing comes back, tooltips too
        owner.set_role(pid, uid_v, "editor")
        qtbot.waitUntil(lambda: ed.read_only_reason is None, timeout=10_000)
        assert all(c.isEnabled() and c.toolTip() != VIEWER_REASON for c in window.edit_actions)
        assert ed.title.isEnabled() and ed.title.toolTip() != VIEWER_REASON
        assert "made you an editor" in ed.status.text()
        qtbot.waitUntil(lambda: (lo.pump(), lo.live.roles.get(uid_v) == "editor")[1], timeout=10_000)
        assert ed.push(MoveClip(clip_id="c3", position=12.0))
        assert lo.wait_for(lambda: lo.live.project.clip("c3").position == 12.0)

        # a viewer again: read-only, and their own edit cannot be undone now
        owner.set_role(pid, uid_v, "viewer")
        qtbot.waitUntil(lambda: ed.read_only_reason == VIEWER_REASON, timeout=10_000)
        assert all(not c.isEnabled() for c in [*ed.editing_controls(), *window.edit_actions])  # headers were rebuilt
        assert ed.undo_stack.canUndo() and not window.undo_action.isEnabled()  # Edit → Undo too, saying why
        assert window.undo_action.toolTip() == VIEWER_REASON == window.undo_action.statusTip()
        index = ed.undo_stack.index()
        ed.undo_stack.undo()
        qtbot.waitUntil(lambda: ed.undo_stack.index() == index, timeout=2_000)
        assert ed.doc.project.clip("c3").position == 12.0
        window.nav_buttons["Editor"].click()
        qtbot.wait(100)
        window.grab().save(str(tmp_path / "h15-viewer-editor.png"))
        attachment.detach()  # not live any more: the local copy is editable
        attachment = None
        assert ed.read_only_reason is None and all(c.isEnabled() for c in window.edit_actions)
    finally:
        if attachment is not None:
            attachment.detach()
        for s in sessions:
            s.close()
        o.close()
        v.close()
