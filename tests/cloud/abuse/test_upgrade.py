"""The issue-10 migrations upgrade a database built by the earlier ones without
losing data: user rows survive (even rows over the new size bounds), farmed
rewards are revoked, like counters become the number of likers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from psycopg.types.json import Jsonb

from tests.cloud.conftest import drop_db

from .conftest import OLD_SCHEMA, Db, PgServer, build_database, old_schema_mode, rpc, scalar, sql_as

TABLES = ("mashups", "projects", "project_media", "captions", "analytics_events", "challenge_entries",
          "battle_votes", "revenue_splits", "revenue_split_recipients", "recommendation_events")


@pytest.fixture
def old_db(pg_server: PgServer) -> Iterator[Db]:
    if old_schema_mode():
        pytest.skip("upgrades the old schema itself")
    name = f"ms_upgrade_{uuid.uuid4().hex[:8]}"
    build_database(pg_server, name, OLD_SCHEMA)
    d = Db(pg_server, name)
    try:
        yield d
    finally:
        drop_db(d)


def publish(db: Db, uid: str, title: str, visibility: str = "public") -> str:
    return str(sql_as(db, "authenticated", uid, "insert into public.mashups (title, visibility) values (%s, %s) "
                      "returning id", title, visibility)[0]["id"])


def counts(db: Db) -> dict[str, int]:
    return {t: int(scalar(db, f"select count(*) from public.{t}")) for t in TABLES}


def xp(db: Db, uid: str) -> int:
    return int(scalar(db, "select coalesce(sum(amount), 0) from public.xp_ledger where user_id = %s", uid))


def test_upgrade_keeps_data_and_revokes_only_farmed_rewards(old_db: Db) -> None:
    db = old_db
    a, b, c = db.create_user(), db.create_user(), db.create_user()
    db.set_tier(a, "studio")
    db.set_tier(c, "pro")
    a1, _, _ = (publish(db, a, f"a{i}") for i in range(3))
    publish(db, a, "draft", "private")                       # old schema paid XP for a private mashup
    for i in range(4):                                       # publish/delete farming
        sql_as(db, "authenticated", a, "delete from public.mashups where id = %s", publish(db, a, f"farm{i}"))
    c1, c2 = publish(db, c, "c1"), publish(db, c, "c2")
    ch1, ch2 = (str(scalar(db, "insert into public.challenges (title, starts_at, ends_at) values ('c', now() - "
                               "interval '1 day', now() + interval '1 day') returning id")) for _ in range(2))
    rpc(db, c, "submit_entry", ch1, c1)
    rpc(db, c, "submit_entry", ch2, c2)
    sql_as(db, "authenticated", c, "delete from public.mashups where id = %s", c2)  # entry gone, XP stayed
    battle = str(scalar(db, "insert into public.battles (mashup_a, mashup_b, starts_at, ends_at) values (%s, %s, "
                            "now() - interval '1 hour', now() + interval '1 day') returning id", a1, c1))
    rpc(db, b, "cast_vote", battle, a1)
    likes = [{"id": str(uuid.uuid4()), "type": "like", "mashup_id": a1} for _ in range(5)]
    plays = [{"id": str(uuid.uuid4()), "type": "play", "mashup_id": a1} for _ in range(3)]
    rpc(db, b, "log_events", Jsonb(likes + plays))
    rpc(db, c, "log_events", Jsonb([{"id": str(uuid.uuid4()), "type": "like", "mashup_id": a1}]))
    project = str(uuid.uuid4())
    push = [{"key": str(uuid.uuid4()), "kind": "project", "id": project, "op": "upsert", "fields": {"title": "p"},
             "clock": "1700000000000-00000-d"},
            {"key": str(uuid.uuid4()), "kind": "project_media", "id": str(uuid.uuid4()), "op": "upsert",
             "fields": {"project_id": project, "storage_path": f"{a}/../x.flac"}, "clock": "1700000000000-00001-d"}]
    assert [r["status"] for r in rpc(db, a, "sync_push", Jsonb(push))] == ["accepted", "accepted"]
    big_words = [{"w": "la", "s": i * 0.1} for i in range(60_000)]   # over the new bound
    sql_as(db, "authenticated", a, "insert into public.captions (project_id, words) values (%s, %s)", project,
           Jsonb(big_words))
    split = str(sql_as(db, "authenticated", a, "insert into public.revenue_splits (mashup_id) values (%s) "
                       "returning id", a1)[0]["id"])
    sql_as(db, "authenticated", a, "insert into public.revenue_split_recipients (split_id, recipient_id, share_bps) "
           "values (%s, %s, 3000)", split, b)
    before = counts(db)
    assert (xp(db, a), xp(db, b), xp(db, c)) == (160, 5, 90)  # what the old schema let through
    assert scalar(db, "select like_count from public.mashups where id = %s", a1) == 6

    build_database(db.server, db.name, after=OLD_SCHEMA)

    assert counts(db) == before  # nothing of the users' data is lost
    assert (xp(db, a), xp(db, b), xp(db, c)) == (60, 5, 45)
    badges: dict[str, Any] = {u: {r["badge_code"] for r in sql_as(db, "service_role", None, "select badge_code from "
                                                               "public.user_badges where user_id = %s", u)}
                              for u in (a, b, c)}
    assert badges[a] == {"first_publish"} and badges[b] == {"first_vote"}
    assert badges[c] == {"first_publish", "first_entry"}
    assert scalar(db, "select like_count from public.mashups where id = %s", a1) == 2
    assert scalar(db, "select count(*) from public.mashup_likes where mashup_id = %s", a1) == 2
    assert scalar(db, "select play_count from public.mashups where id = %s", a1) == 3
    assert scalar(db, "select jsonb_array_length(words) from public.captions") == 60_000
    # old rows over a bound stay; new ones are refused
    with pytest.raises(Exception, match="captions_words_size"):
        sql_as(db, "authenticated", a, "insert into public.captions (project_id, words) values (%s, %s)", project,
               Jsonb(big_words))
    # and the recipient now sees the split that pays them
    assert [str(r["id"]) for r in sql_as(db, "authenticated", b, "select id from public.revenue_splits")] == [split]
