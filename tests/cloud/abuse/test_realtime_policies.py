"""Issue 15, production Realtime authorisation: the RLS policies on
realtime.messages (migration 20261130000600) checked on real PostgreSQL the
way Supabase Realtime checks them (probe rows inserted as its own role,
selected and inserted as the user, rolled back), plus direct reads and
writes as the user, and the member changes pushed into the channel by
realtime.send."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import psycopg

from backend.devserver.realtime_auth import Permissions, channel_permissions

from .conftest import Cast, Db, rpc, sql_as

ALL = Permissions(True, True, True, True)
WATCH = Permissions(True, True, False, True)
NONE = Permissions()


def perms(db: Db, uid: str | None, topic: str, role: str = "authenticated") -> Permissions:
    claims: dict[str, Any] = {"role": role, **({"sub": uid} if uid else {})}

    async def check() -> Permissions:
        async with await psycopg.AsyncConnection.connect(db.dsn) as conn:
            return await channel_permissions(conn, claims, topic)

    return asyncio.run(check())


def test_who_may_receive_broadcast_and_show_presence_on_a_project_channel(cast: Cast) -> None:
    db, p = cast.db, cast.project
    topic = f"project:{p}"
    assert perms(db, cast.owner, topic) == ALL
    assert perms(db, cast.editor, topic) == ALL
    assert perms(db, cast.viewer, topic) == WATCH  # sees everything, is seen, cannot send edits
    assert perms(db, cast.stranger, topic) == NONE
    assert perms(db, None, topic, role="anon") == NONE
    assert perms(db, cast.owner, f"project:{uuid.uuid4()}") == NONE  # a project that does not exist
    for bad in (f"project:{p.upper()}", f"project:{p}x", f"other:{p}", "project:", f"project:{p[:-1]}"):
        assert perms(db, cast.owner, bad) == NONE, bad
    # an invitation grants nothing until accepted; a removal or leaving ends it at once
    guest = db.create_user()
    rpc(db, cast.owner, "collab_invite", p, f"{guest[:8]}@example.test", "editor")
    assert perms(db, guest, topic) == NONE
    rpc(db, guest, "collab_respond", p, True)
    assert perms(db, guest, topic) == ALL
    rpc(db, cast.owner, "collab_set_role", p, guest, "viewer")
    assert perms(db, guest, topic) == WATCH
    rpc(db, cast.owner, "collab_remove", p, guest)
    assert perms(db, guest, topic) == NONE
    rpc(db, cast.viewer, "collab_leave", p)
    assert perms(db, cast.viewer, topic) == NONE


def test_setting_the_topic_by_hand_reads_no_other_projects_messages(cast: Cast) -> None:
    """The policies look at each row's own topic: a user who sets realtime.topic
    to their project still reads no stored message of someone else's."""
    db, p = cast.db, cast.project
    theirs = str(uuid.uuid4())
    with db.connect(autocommit=True) as conn:
        conn.execute("insert into public.projects (id, owner_id, title) values (%s, %s, 'theirs')",
                     (theirs, cast.stranger))
        for pid in (p, theirs):
            conn.execute("select realtime.send('{\"secret\": 1}'::jsonb, 'note', %s, true)", (f"project:{pid}",))
    with db.connect() as conn, conn.transaction():
        conn.execute("set local role authenticated")
        conn.execute("select set_config('request.jwt.claims', %s, true), set_config('realtime.topic', %s, true)",
                     (json.dumps({"sub": cast.editor, "role": "authenticated"}), f"project:{p}"))
        rows = conn.execute("select topic from realtime.messages where event = 'note'").fetchall()
    assert rows == [{"topic": f"project:{p}"}]
    # and a direct insert as a viewer or into someone else's topic is refused
    for uid, topic in ((cast.viewer, f"project:{p}"), (cast.editor, f"project:{theirs}")):
        try:
            sql_as(db, "authenticated", uid, "insert into realtime.messages (topic, extension, event) "
                   "values (%s, 'broadcast', 'edit')", topic)
        except psycopg.errors.InsufficientPrivilege:
            continue
        raise AssertionError(f"{uid} could broadcast on {topic}")


def test_role_changes_and_removals_are_pushed_into_the_channel(cast: Cast) -> None:
    db, p = cast.db, cast.project

    def pushed() -> list[Any]:
        with db.connect() as conn:
            return [r["payload"]["user_id"] for r in conn.execute(
                "select payload from realtime.messages where topic = %s and event = 'members' "
                "order by inserted_at", (f"project:{p}",)).fetchall()]

    before = pushed()
    rpc(db, cast.owner, "collab_set_role", p, cast.editor, "viewer")
    rpc(db, cast.owner, "collab_set_role", p, cast.editor, "viewer")  # no change: nothing pushed
    rpc(db, cast.owner, "collab_remove", p, cast.viewer)
    assert pushed()[len(before):] == [cast.editor, cast.viewer]
