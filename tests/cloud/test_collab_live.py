"""Issue 15 end to end: three studios (three homes) on the real HTTP gateway,
the development Realtime websocket server and PostgreSQL with the
migrations, each running the real ``realtime`` client of supabase-py.

The owner shares a project with an editor (by e-mail) and a viewer (by
username); both accept; all three open it live. Concurrent moves of
different clips show everywhere; both changing one clip's gain converges;
the editor undoes their own edit only, and an undo that would overwrite the
owner's later edit is refused; the viewer's attempts are refused (by the
client, the channel and the server); hostile messages are dropped; the editor
goes offline, edits, comes back and everything converges; the owner removes
the editor mid-session and the editor's further edits are rejected and shown.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from audio_engine.project import MoveClip, SetClipProperty, open_project
from audio_engine.project.entities import canonical
from audio_engine.project.model import Clip
from backend.devserver.gateway import ANON_KEY, Gateway
from backend.devserver.realtime import RealtimeServer
from sync.auth import MemoryTokenStore
from sync.collab import REMOVED_REASON, VIEWER_REASON, ReadOnlyError, UndoConflictError
from sync.config import CloudConfig
from sync.errors import OfflineError, RpcError, TierLimitError
from sync.live import LiveSession
from sync.session import CloudSession
from sync.sharing import Sharing
from sync.transport import RetryPolicy

from .conftest import Db, serving
from .test_project_sync import email, two_song_project

Factory = Callable[[str], CloudSession]
SHOWN_WITHIN_S = 2.0  # the "within a second" on a normal connection; CI shares 2 cores


@pytest.fixture
def rt(db: Db) -> Iterator[RealtimeServer]:
    with serving(RealtimeServer(db.dsn)) as r:
        yield r


@pytest.fixture
def home(tmp_path: Path, gw: Gateway) -> Iterator[Factory]:
    made: list[CloudSession] = []

    def make(name: str) -> CloudSession:
        s = CloudSession(CloudConfig(gw.url, ANON_KEY, timeout_s=5), data_dir=tmp_path / name,
                         token_store=MemoryTokenStore(), retry=RetryPolicy(attempts=2, initial_s=0.01, max_s=0.02))
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


def sharing(s: CloudSession) -> Sharing:
    return Sharing(s.require().transport)


def live(s: CloudSession, pid: str, folder: Path, rt: RealtimeServer) -> LiveSession:
    assert s.projects is not None
    ls = LiveSession(s.require(), s.projects, pid, open_project(folder).project, rt.url)
    ls.start()
    assert ls.link.wait_joined(10), ls.notices
    return ls


def clip(ls: LiveSession, cid: str) -> Clip:
    return ls.live.project.clip(cid)


def settle(sessions: tuple[LiveSession, ...], done: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Pump every session until ``done()``."""
    end = time.monotonic() + timeout
    while True:
        for s in sessions:
            s.pump()
        if done():
            return True
        if time.monotonic() > end:
            return False
        time.sleep(0.002)


def test_three_studios_share_edit_live_undo_viewer_offline_remove(tmp_path: Path, gw: Gateway, rt: RealtimeServer,
                                                                    db: Db, home: Factory) -> None:
    folder_o = two_song_project(tmp_path)
    o, e, v = home("owner"), home("editor"), home("viewer")
    e_mail = email("editor")
    uid_o = o.sign_up(email("owner"), "secret-pw")
    uid_e = e.sign_up(e_mail, "secret-pw")
    uid_v = v.sign_up(email("viewer"), "secret-pw")
    db.set_tier(uid_o, "pro")
    with psycopg.connect(db.dsn, autocommit=True) as conn:
        conn.execute("update public.profiles set username = 'vee_watcher', display_name = 'Vee' where id = %s",
                     (uid_v,))
        conn.execute("update public.profiles set display_name = 'Owen' where id = %s", (uid_o,))
    assert o.projects is not None and e.projects is not None and v.projects is not None
    pid = o.projects.upload(folder_o)

    # ---- share: invite by e-mail and by username; pending until accepted
    assert sharing(o).invite(pid, e_mail.upper(), "editor") == uid_e
    assert sharing(o).invite(pid, "vee_watcher", "editor") == uid_v
    sharing(o).set_role(pid, uid_v, "viewer")
    with pytest.raises(RpcError, match="no account"):
        sharing(o).invite(pid, "nobody-here@example.test", "viewer")
    with pytest.raises(RpcError, match="only the owner"):
        sharing(e).invite(pid, "vee_watcher", "editor")
    e.sync()
    assert e.projects.list() == []  # no access before accepting
    [inv] = sharing(e).invitations()
    assert (inv.project_id, inv.title, inv.role, inv.inviter) == (pid, "Two songs", "editor", "Owen")
    sharing(e).respond(pid, True)
    sharing(v).respond(pid, True)
    you, members = sharing(o).members(pid)
    assert you == "owner"
    assert [(m.user_id, m.role, m.status) for m in members] == [
        (uid_o, "owner", "active"), (uid_e, "editor", "active"), (uid_v, "viewer", "active")] or \
        sorted((m.user_id, m.role, m.status) for m in members[1:]) == sorted(
            [(uid_e, "editor", "active"), (uid_v, "viewer", "active")])
    assert sharing(v).members(pid)[0] == "viewer" and all(m.email is None for m in sharing(v).members(pid)[1])

    folder_e = e.projects.download(pid, tmp_path / "E" / "Two songs.mashup")
    folder_v = v.projects.download(pid, tmp_path / "V" / "Two songs.mashup")
    lo, le, lv = live(o, pid, folder_o, rt), live(e, pid, folder_e, rt), live(v, pid, folder_v, rt)
    everyone = (lo, le, lv)
    try:
        # ---- presence: each sees the two others, with a colour, playhead and selection
        lo.track(4.0, ("c1",))
        le.track(8.0, ("c2",))
        lv.track(0.0)
        assert lo.wait_for(lambda: set(lo.live.peers) == {uid_e, uid_v})
        assert lo.live.peers[uid_e].selection == ("c2",) and lo.live.peers[uid_e].playhead == 8.0
        assert lo.live.peers[uid_v].name == "Vee" and lo.live.peers[uid_v].colour.startswith("#")
        assert "Vee joined" in lo.notices

        # ---- owner and editor move different clips at the same time
        t0 = time.monotonic()
        lo.edit(MoveClip(clip_id="c1", position=2.0))
        le.edit(MoveClip(clip_id="c2", position=6.0))
        for ls in everyone:
            assert ls.wait_for(lambda ls=ls: clip(ls, "c1").position == 2.0 and clip(ls, "c2").position == 6.0,
                               SHOWN_WITHIN_S), ls.notices
        assert time.monotonic() - t0 < SHOWN_WITHIN_S

        # ---- the editor undoes their own move: the owner's move stays
        assert le.undo().type_name == "move_clip"
        for ls in everyone:
            assert ls.wait_for(lambda ls=ls: clip(ls, "c2").position == 4.0)
            assert clip(ls, "c1").position == 2.0
        with pytest.raises(UndoConflictError, match="Nothing of yours"):
            le.undo()

        # ---- both change the same clip's gain at once: all three converge
        lo.edit(SetClipProperty(clip_id="c3", name="gain_db", value=-3.0))
        le.edit(SetClipProperty(clip_id="c3", name="gain_db", value=-6.0))
        assert settle(everyone, lambda: len({clip(x, "c3").gain_db for x in everyone}) == 1
                      and clip(lv, "c3").gain_db != 0.0), [clip(x, "c3").gain_db for x in everyone]
        assert all(x.live.dropped == 0 for x in everyone)
        assert clip(lo, "c3").gain_db in (-3.0, -6.0)

        # ---- an undo that would overwrite someone's later edit is refused
        le.edit(SetClipProperty(clip_id="c1", name="gain_db", value=-1.0))
        assert lo.wait_for(lambda: clip(lo, "c1").gain_db == -1.0)
        lo.edit(SetClipProperty(clip_id="c1", name="gain_db", value=-2.0))
        assert le.wait_for(lambda: clip(le, "c1").gain_db == -2.0)
        with pytest.raises(UndoConflictError, match=r"Owen changed clip c1 \(gain_db\) after you"):
            le.undo()
        assert clip(le, "c1").gain_db == -2.0

        # ---- the viewer: controls refuse, the channel refuses, the server refuses
        with pytest.raises(ReadOnlyError, match="ask the owner for edit access"):
            lv.edit(MoveClip(clip_id="c1", position=30.0))
        forged = {"v": 1, "op": "do", "from": uid_o, "cmd": MoveClip(clip_id="c1", position=31.0).to_dict(),
                  "changes": [{"project": pid, "kind": "clip", "id": "c1",
                               "row": {"fields": {"position": 31.0}, "field_clock": {"position": "9999999999999-00000-x"},
                                       "deleted": False}}]}
        lv.link.send_edit(forged, 0)
        assert lv.wait_for(lambda: any("only watch" in n for n in lv.notices))
        assert rt.refused >= 1
        # hostile messages from an editor's socket: missing entity, unknown field, oversized
        bad_entity = dict(forged, **{"from": uid_e, "cmd": MoveClip(clip_id="ghost", position=1.0).to_dict(),
                                      "changes": [dict(forged["changes"][0], id="ghost")]})
        bad_field = dict(forged, **{"from": uid_e, "changes": [dict(forged["changes"][0],
                                                                    row={"fields": {"evil": 1}, "field_clock": {},
                                                                         "deleted": False})]})
        huge = dict(forged, **{"from": uid_e, "pad": "x" * 70_000})
        for msg in (bad_entity, bad_field, huge):
            le.link.send_edit(msg, 0)
        assert lo.wait_for(lambda: lo.live.dropped >= 3), lo.live.dropped
        assert clip(lo, "c1").position == 2.0 and ("clip", "ghost") not in o.projects.store.entities(pid)

        # ---- the editor goes offline, edits, comes back: everything converges
        le.close()
        assert lo.wait_for(lambda: uid_e not in lo.live.peers and any(n.endswith(" left") for n in lo.notices))
        gw.stop()
        le.live.send = None
        le.edit(SetClipProperty(clip_id="c2", name="fade_in", value=0.5))
        with pytest.raises(OfflineError):
            e.sync()
        gw.start()
        e.sync()
        o.sync()
        v.sync()
        lo.live.rebuild()
        lv.live.rebuild()
        assert clip(lo, "c2").fade_in == 0.5 and clip(lv, "c2").fade_in == 0.5
        le = live(e, pid, folder_e, rt)  # comes back: a late joiner gets the state, then live changes
        everyone = (lo, le, lv)
        for s, ls in ((o, lo), (e, le), (v, lv)):
            s.sync()
            ls.live.rebuild()
        assert canonical(lo.live.project).to_dict() == canonical(le.live.project).to_dict() == \
            canonical(lv.live.project).to_dict()

        # ---- the owner removes the editor mid-session: further edits are rejected and shown
        sharing(o).remove(pid, uid_e)
        le.edit(MoveClip(clip_id="c1", position=12.0))
        # the editor learns it either from the database's push of the members (first) or from the
        # refusal of that edit (when the push comes after it): both say so, neither edit lands
        assert le.wait_for(lambda: any("no longer have access" in n or "You were removed" in n
                                       for n in le.notices)), le.notices
        time.sleep(0.2)
        lo.pump()
        assert clip(lo, "c1").position == 2.0
        e.sync()
        assert any(x.reason for x in e.rejected()) or e.projects.list() == []
        o.sync()
        assert o.projects.materialize(pid).clip("c1").position == 2.0
        assert [m.status for m in sharing(o).members(pid)[1] if m.user_id == uid_e] == ["removed"]
    finally:
        for ls in everyone:
            ls.close()


def test_collaborator_limit_counts_pending_invites_and_frees_on_removal(tmp_path: Path, gw: Gateway, db: Db,
                                                                        home: Factory) -> None:
    folder = two_song_project(tmp_path)
    o = home("owner")
    uid = o.sign_up(email("owner"), "secret-pw")  # free tier: one collaborator per project
    assert o.projects is not None
    pid = o.projects.upload(folder)
    people = [home(f"p{i}") for i in range(3)]
    mails = [email(f"p{i}") for i in range(3)]
    ids = [p.sign_up(m, "secret-pw") for p, m in zip(people, mails, strict=True)]
    sharing(o).invite(pid, mails[0], "viewer")
    with pytest.raises(TierLimitError, match="max_collaborators"):
        sharing(o).invite(pid, mails[1], "viewer")
    sharing(people[0]).respond(pid, False)  # declined frees the place
    sharing(o).invite(pid, mails[1], "editor")
    sharing(people[1]).respond(pid, True)
    sharing(people[1]).leave(pid)
    sharing(o).invite(pid, mails[2], "viewer")
    with pytest.raises(RpcError, match="no pending invitation"):
        sharing(people[1]).respond(pid, True)  # leaving is final until invited again
    with pytest.raises(RpcError):
        sharing(people[2]).remove(pid, uid)
    assert ids[2] in {m.user_id for m in sharing(o).members(pid)[1] if m.status == "invited"}


def test_role_changes_and_removal_reach_the_open_session_live(tmp_path: Path, gw: Gateway, rt: RealtimeServer,
                                                              db: Db, home: Factory) -> None:
    """The owner demotes the editor, promotes them back, then removes them while
    both have the project open: the database pushes each change on the
    channel, the editor's session re-reads the members from the server (the
    pushed payload is not trusted) and switches read-only on and off."""
    folder_o = two_song_project(tmp_path)
    o, e = home("owner"), home("editor")
    o.sign_up(email("owner"), "secret-pw")
    e_mail = email("editor")
    uid_e = e.sign_up(e_mail, "secret-pw")
    assert o.projects is not None and e.projects is not None
    pid = o.projects.upload(folder_o)
    sharing(o).invite(pid, e_mail, "editor")
    sharing(e).respond(pid, True)
    folder_e = e.projects.download(pid, tmp_path / "E" / "Two songs.mashup")
    lo, le = live(o, pid, folder_o, rt), live(e, pid, folder_e, rt)
    access: list[str | None] = []
    le.on_access = access.append
    try:
        sharing(o).set_role(pid, uid_e, "viewer")
        assert settle((lo, le), lambda: access == [VIEWER_REASON] and lo.live.roles.get(uid_e) == "viewer"), \
            (access, le.notices)
        assert any(n.startswith("The owner made you a viewer") for n in le.notices)
        with pytest.raises(ReadOnlyError, match="ask the owner for edit access"):
            le.edit(MoveClip(clip_id="c1", position=9.0))
        # a push whose payload claims the editor owns the project changes nothing: the server's roles decide
        with psycopg.connect(db.dsn, autocommit=True) as conn:
            conn.execute("select realtime.send(%s::jsonb, 'members', %s, true)",
                         (json.dumps({"user_id": uid_e, "role": "owner"}), f"project:{pid}"))
        assert settle((lo, le), lambda: le.members_read == 2)
        assert le.live.role == "viewer" and access == [VIEWER_REASON]

        sharing(o).set_role(pid, uid_e, "editor")
        # the editor edits at once: the owner's copy may still know them as a viewer and holds the edit until
        # it has read the members again
        assert settle((lo, le), lambda: access == [VIEWER_REASON, None])
        le.edit(MoveClip(clip_id="c1", position=9.0))
        assert lo.wait_for(lambda: clip(lo, "c1").position == 9.0, SHOWN_WITHIN_S)
        assert lo.live.dropped == 0 and lo.live.roles[uid_e] == "editor"

        sharing(o).remove(pid, uid_e)
        assert settle((lo, le), lambda: access[-1] == REMOVED_REASON and le.link_state == "closed"
                      and uid_e not in lo.live.roles), (access, le.notices, le.link_state)
        assert any("removed from this project" in n for n in le.notices)
        with pytest.raises(ReadOnlyError, match="no longer have access"):
            le.edit(MoveClip(clip_id="c1", position=1.0))
    finally:
        lo.close()
        le.close()
