"""Issue 15: attacks on sharing and on the live channel.

Sharing is written only through the collab_* functions (caller from
auth.uid(), inputs bounded); only 'active' participants have access, so an
invitation grants nothing until accepted and a removal ends access at once;
the per-project collaborator limit counts pending invitations and holds
under concurrent invites. The development Realtime server authorises a
private project topic like a policy on realtime.messages: strangers, invitees
and removed people cannot join; viewers can watch but not broadcast."""

from __future__ import annotations

import json
import uuid
from typing import Any

import jwt
import psycopg
from websockets.sync.client import connect

from backend.devserver.gateway import ANON_KEY, JWT_SECRET
from backend.devserver.realtime import RealtimeServer

from .conftest import N_CONCURRENT, Cast, Db, attempt, race, rpc, scalar, sql_as, unexpected


def sqlstate(result: Any) -> str | None:
    return result.sqlstate if isinstance(result, psycopg.Error) else None


def email_of(db: Db, uid: str) -> str:
    return str(scalar(db, "select email from auth.users where id = %s", uid))


def test_only_the_owner_shares_and_inputs_are_bounded(cast: Cast) -> None:
    db, p = cast.db, cast.project
    target = db.create_user()
    for who in (cast.editor, cast.viewer, cast.stranger):
        assert sqlstate(attempt(lambda w=who: rpc(db, w, "collab_invite", p, email_of(db, target), "editor"))) == \
            "42501"
        assert sqlstate(attempt(lambda w=who: rpc(db, w, "collab_remove", p, cast.viewer))) == "42501"
        assert sqlstate(attempt(lambda w=who: rpc(db, w, "collab_set_role", p, cast.viewer, "editor"))) == "42501"
    assert sqlstate(attempt(lambda: rpc(db, None, "collab_invite", p, "x@y.z", "editor", role="anon"))) == "42501"
    assert sqlstate(attempt(lambda: rpc(db, cast.owner, "collab_invite", p, "x" * 10_000, "editor"))) == "MS003"
    assert sqlstate(attempt(lambda: rpc(db, cast.owner, "collab_invite", p, email_of(db, target), "owner"))) == \
        "MS003"
    # status is not a client-writable column: no self-activation, no un-removal
    assert sqlstate(attempt(lambda: sql_as(db, "authenticated", cast.owner,
                                           "update public.collaboration_participants set status = 'active' "
                                           "where user_id = %s", cast.viewer))) == "42501"


def test_an_invitation_grants_nothing_until_accepted_and_only_by_the_invitee(cast: Cast) -> None:
    db, p = cast.db, cast.project
    guest = db.create_user()
    rpc(db, cast.owner, "collab_invite", p, email_of(db, guest), "editor")
    assert rpc(db, guest, "collab_channel_access", p) is None
    assert sql_as(db, "authenticated", guest, "select 1 from public.projects where id = %s", p) == []
    # nobody else can accept for them, and the owner cannot make them accept
    for who in (cast.stranger, cast.owner, cast.editor):
        assert sqlstate(attempt(lambda w=who: rpc(db, w, "collab_respond", p, True))) == "MS003"
    assert rpc(db, guest, "collab_channel_access", p) is None
    rpc(db, guest, "collab_respond", p, True)
    assert rpc(db, guest, "collab_channel_access", p) == "editor"
    assert sqlstate(attempt(lambda: rpc(db, guest, "collab_respond", p, True))) == "MS003"  # once


def test_removal_ends_access_at_once_for_reads_pushes_and_the_channel(cast: Cast) -> None:
    db, p = cast.db, cast.project
    assert rpc(db, cast.editor, "collab_channel_access", p) == "editor"
    rpc(db, cast.owner, "collab_remove", p, cast.editor)
    assert rpc(db, cast.editor, "collab_channel_access", p) is None
    assert sqlstate(attempt(lambda: rpc(db, cast.editor, "collab_seen", p))) == "42501"
    assert sql_as(db, "authenticated", cast.editor, "select 1 from public.projects where id = %s", p) == []
    change = {"kind": "clip", "id": "c1", "project": p, "op": "upsert", "fields": {"gain_db": -3.0},
              "clock": "1700000000000-00000-dev"}
    res = rpc(db, cast.editor, "sync_push", psycopg.types.json.Jsonb([change]))
    assert res[0]["status"] == "rejected"
    # the member list shows the removal to the owner; the removed person sees nothing
    members = rpc(db, cast.owner, "collab_members", p)["members"]
    assert {m["user_id"]: m["status"] for m in members}[cast.editor] == "removed"
    assert sqlstate(attempt(lambda: rpc(db, cast.editor, "collab_members", p))) == "42501"


def test_emails_only_for_the_owner(cast: Cast) -> None:
    db, p = cast.db, cast.project
    assert all(m["email"] for m in rpc(db, cast.owner, "collab_members", p)["members"])
    assert not any(m["email"] for m in rpc(db, cast.viewer, "collab_members", p)["members"])
    assert sqlstate(attempt(lambda: rpc(db, cast.stranger, "collab_members", p))) == "42501"


def test_concurrent_invites_never_exceed_the_collaborator_limit(cast: Cast) -> None:
    db, p = cast.db, cast.project
    db.set_tier(cast.owner, "pro")  # 5 collaborators; the cast has 2
    guests = [db.create_user() for _ in range(N_CONCURRENT)]
    results = race(db, [("authenticated", cast.owner, "select public.collab_invite(%s, %s, 'viewer')",
                         (p, email_of(db, g))) for g in guests])
    assert unexpected(results, "MS001") == []
    assert sum(1 for r in results if not isinstance(r, Exception)) == 3
    n = scalar(db, "select count(distinct cp.user_id) from public.collaboration_participants cp join "
                   "public.collaboration_sessions cs on cs.id = cp.session_id where cs.project_id = %s "
                   "and cp.status in ('invited', 'active')", p)
    assert n == 5


# ---------------------------------------------------------------- the live channel
def token(uid: str) -> str:
    return jwt.encode({"sub": uid, "role": "authenticated", "aud": "authenticated"}, JWT_SECRET, algorithm="HS256")


def frames(ws: Any, topic: str, event: str, payload: dict[str, Any], ref: str) -> dict[str, Any]:
    ws.send(json.dumps({"topic": topic, "event": event, "payload": payload, "ref": ref, "join_ref": ref}))
    while True:
        msg = json.loads(ws.recv(timeout=5))
        if msg.get("ref") == ref and msg["event"] == "phx_reply":
            return dict(msg["payload"])


def join_payload(uid: str | None, private: bool = True) -> dict[str, Any]:
    return {"config": {"broadcast": {"self": False}, "presence": {"key": "", "enabled": True}, "private": private},
            "access_token": token(uid) if uid else "not-a-jwt"}


def test_channel_join_and_broadcast_follow_project_access(cast: Cast) -> None:
    db, p = cast.db, cast.project
    rt = RealtimeServer(db.dsn)
    rt.start()
    topic = f"realtime:project:{p}"
    url = f"{rt.url}/websocket?apikey={ANON_KEY}&vsn=1.0.0"
    try:
        with connect(url) as ws:
            for who in (cast.stranger, None):
                assert frames(ws, topic, "phx_join", join_payload(who), "1")["status"] == "error"
            assert frames(ws, topic, "phx_join", join_payload(cast.owner, private=False), "2")["status"] == "error"
            assert frames(ws, f"realtime:project:{uuid.uuid4()}", "phx_join", join_payload(cast.owner), "3")[
                "status"] == "error"
            # not joined: a broadcast is refused, not relayed
            assert frames(ws, topic, "broadcast", {"type": "broadcast", "event": "edit", "payload": {}}, "4")[
                "status"] == "error"
        with connect(url) as viewer, connect(url) as editor:
            assert frames(viewer, topic, "phx_join", join_payload(cast.viewer), "1")["status"] == "ok"
            assert frames(editor, topic, "phx_join", join_payload(cast.editor), "1")["status"] == "ok"
            reply = frames(viewer, topic, "broadcast", {"type": "broadcast", "event": "edit", "payload": {"x": 1}}, "2")
            assert reply == {"status": "error", "response": {"reason": "you can only watch this project"}}
            assert frames(editor, topic, "broadcast", {"type": "broadcast", "event": "edit", "payload": {"x": 2}},
                          "3")["status"] == "ok"
            got = json.loads(viewer.recv(timeout=5))
            assert (got["event"], got["payload"]) == ("broadcast", {"type": "broadcast", "event": "edit",
                                                                    "payload": {"x": 2}})
            rpc(db, cast.owner, "collab_remove", p, cast.editor)  # mid-session
            pushed = json.loads(viewer.recv(timeout=5))  # the database announces the change on the channel
            assert pushed["payload"]["event"] == "members" and pushed["payload"]["payload"]["user_id"] == cast.editor
            reply = frames(editor, topic, "broadcast", {"type": "broadcast", "event": "edit", "payload": {"x": 3}}, "4")
            assert reply["status"] == "error" and "no longer have access" in reply["response"]["reason"]
            assert rt.relayed == 1 + 2  # the editor's one edit; the announcement to both members
    finally:
        rt.stop()
