"""RPC behaviour on the real database: votes, entries, XP/badges, analytics,
recommendation events, tier limits, and the sync push/pull protocol."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from backend.tiers import load_tiers, tiers_sql

from .conftest import MIGRATIONS, Db, act_as


def rpc(db: Db, uid: str | None, fn: str, *args: Any, role: str = "authenticated") -> Any:
    placeholders = ", ".join(["%s"] * len(args))
    with db.connect() as conn, conn.transaction():
        act_as(conn, role, uid)
        row = conn.execute(f"select public.{fn}({placeholders}) as r", args).fetchone()
        assert row is not None
        return row["r"]


def rows(db: Db, q: str, *args: Any) -> list[dict[str, Any]]:
    with db.connect() as conn:
        return conn.execute(q, args).fetchall()


def scalar(db: Db, q: str, *args: Any) -> Any:
    r = rows(db, q, *args)
    return next(iter(r[0].values()))


def mashup(db: Db, owner: str, title: str = "m") -> str:
    return str(scalar(db, "insert into public.mashups (owner_id, title) values (%s, %s) returning id", owner, title))


def open_battle(db: Db, a: str, b: str) -> str:
    return str(scalar(db, "insert into public.battles (mashup_a, mashup_b, starts_at, ends_at) values "
                          "(%s, %s, now() - interval '1 hour', now() + interval '1 day') returning id", a, b))


@pytest.fixture
def world(fresh_db: Db) -> dict[str, str]:
    d = fresh_db
    w = {"a": d.create_user(), "b": d.create_user(), "voter": d.create_user()}
    d.set_tier(w["a"], "pro")
    d.set_tier(w["b"], "pro")
    w["ma"] = mashup(d, w["a"], "A")
    w["mb"] = mashup(d, w["b"], "B")
    w["battle"] = open_battle(d, w["ma"], w["mb"])
    return w


# ------------------------------------------------------------------ tiers


def test_tiers_migration_matches_tiers_json() -> None:
    migration = next(p for p in MIGRATIONS.glob("*_tiers.sql"))
    assert tiers_sql() in migration.read_text()


def test_tiers_in_database_match_json(db: Db) -> None:
    data = load_tiers()
    got = {r["tier"]: r["limits"] for r in rows(db, "select tier, limits from public.tiers")}
    for name, tier in data["tiers"].items():
        assert got[name] == tier["limits"]
    assert data["tiers"]["free"]["limits"]["max_projects"] is not None


# ------------------------------------------------------------------ self-grants


@pytest.mark.parametrize(
    "stmt",
    [
        "insert into public.xp_ledger (user_id, amount, reason, source_key) values ('{u}', 1000, 'x', 'x:1')",
        "insert into public.battle_votes (battle_id, voter_id, choice) values ('{battle}', '{u}', '{ma}')",
        "insert into public.user_badges (user_id, badge_code) values ('{u}', 'xp_1000')",
        "insert into public.entitlements (user_id, tier, source) values ('{u}', 'studio', 'grant')",
        "insert into public.usage_counters values ('{u}', 'ai_jobs_per_month', current_date, 0)",
        "select private.award_xp('{u}', 1000, 'x', 'x:2')",
        "select private.award_badge('{u}', 'xp_1000')",
        "select private.billing_apply_subscription('sub_x', '{u}', 'cus', 'active', 'price', now(), false, 1)",
        "select private.billing_recompute_entitlement('{u}')",
        "update public.mashups set play_count = 1000000 where owner_id = '{u}'",
        "update public.streaks set current_days = 999 where user_id = '{u}'",
    ],
)
def test_clients_cannot_grant_themselves_anything(fresh_db: Db, world: dict[str, str], stmt: str) -> None:
    u = world["voter"]
    own = mashup(fresh_db, u, "mine")
    before = rows(fresh_db, "select (select count(*) from public.xp_ledger) x, (select count(*) from "
                            "public.battle_votes) v, (select count(*) from public.user_badges) b, (select count(*) "
                            "from public.entitlements) e, (select sum(play_count) from public.mashups) p")
    with fresh_db.connect() as conn:
        try:
            with conn.transaction():
                act_as(conn, "authenticated", u)
                cur = conn.execute(stmt.format(u=u, own=own, **world))
                assert cur.rowcount == 0, "statement must be denied or touch nothing"
        except psycopg.errors.InsufficientPrivilege:
            pass
    after = rows(fresh_db, "select (select count(*) from public.xp_ledger) x, (select count(*) from "
                           "public.battle_votes) v, (select count(*) from public.user_badges) b, (select count(*) "
                           "from public.entitlements) e, (select sum(play_count) from public.mashups) p")
    assert after == before


# ------------------------------------------------------------------ votes


def test_vote_is_recorded_once_and_final(fresh_db: Db, world: dict[str, str]) -> None:
    v = world["voter"]
    assert rpc(fresh_db, v, "cast_vote", world["battle"], world["ma"])["status"] == "recorded"
    second = rpc(fresh_db, v, "cast_vote", world["battle"], world["mb"])
    assert second == {"status": "already_voted", "choice": world["ma"]}
    assert scalar(fresh_db, "select count(*) from public.battle_votes") == 1
    assert scalar(fresh_db, "select coalesce(sum(amount), 0) from public.xp_ledger where user_id = %s", v) == 5
    prog = rpc(fresh_db, v, "my_progress")
    assert prog["xp"] == 5 and "first_vote" in prog["badges"] and prog["streak"] == 1
    res = rpc(fresh_db, None, "battle_results", world["battle"], role="anon")
    assert (res["votes_a"], res["votes_b"], res["winner"]) == (1, 0, None)


def test_vote_rules(fresh_db: Db, world: dict[str, str]) -> None:
    # issue 12: an entrant may vote in their battle, never for their own entry
    with pytest.raises(psycopg.Error, match="own entry"):
        rpc(fresh_db, world["a"], "cast_vote", world["battle"], world["ma"])
    with pytest.raises(psycopg.Error, match="not in this battle"):
        rpc(fresh_db, world["voter"], "cast_vote", world["battle"], str(uuid.uuid4()))
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        rpc(fresh_db, None, "cast_vote", world["battle"], world["ma"], role="anon")
    closed = str(scalar(fresh_db, "insert into public.battles (mashup_a, mashup_b, starts_at, ends_at) values "
                                  "(%s, %s, now() - interval '2 day', now() - interval '1 day') returning id",
                        world["ma"], world["mb"]))
    with pytest.raises(psycopg.Error, match="not open"):
        rpc(fresh_db, world["voter"], "cast_vote", closed, world["ma"])
    assert scalar(fresh_db, "select count(*) from public.battle_votes") == 0


def test_100_concurrent_identical_votes_make_one_vote(fresh_db: Db, world: dict[str, str]) -> None:
    n = 100
    conns = [fresh_db.connect(autocommit=True) for _ in range(n)]
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def worker(i: int) -> None:
        conn = conns[i]
        with conn.transaction():
            act_as(conn, "authenticated", world["voter"])
            barrier.wait()
            row = conn.execute("select public.cast_vote(%s, %s) as r", (world["battle"], world["ma"])).fetchone()
            results[i] = row["r"] if row else None

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for c in conns:
        c.close()
    statuses = sorted(r["status"] for r in results)
    assert statuses.count("recorded") == 1 and statuses.count("already_voted") == n - 1
    assert scalar(fresh_db, "select count(*) from public.battle_votes") == 1
    assert scalar(fresh_db, "select count(*) from public.xp_ledger where user_id = %s", world["voter"]) == 1
    assert scalar(fresh_db, "select count(*) from public.user_badges where user_id = %s", world["voter"]) == 1


# ------------------------------------------------------------------ entries, leaderboard


def test_submit_entry_once_and_leaderboard(fresh_db: Db, world: dict[str, str]) -> None:
    ch = str(scalar(fresh_db, "insert into public.challenges (title, starts_at, ends_at) values ('c', now() - "
                              "interval '1 day', now() + interval '1 day') returning id"))
    first = rpc(fresh_db, world["a"], "submit_entry", ch, world["ma"])
    again = rpc(fresh_db, world["a"], "submit_entry", ch, world["ma"])
    assert first["status"] == "entered" and again == {"status": "already_entered", "entry_id": first["entry_id"]}
    with pytest.raises(psycopg.Error, match="not yours"):
        rpc(fresh_db, world["voter"], "submit_entry", ch, world["ma"])
    rpc(fresh_db, world["voter"], "cast_vote", world["battle"], world["ma"])
    board = rows(fresh_db, "select * from public.leaderboard('all', 10)")
    # a: publish 20 + entry 25; b: publish 20; voter: vote 5
    assert [(str(r["user_id"]), r["xp"]) for r in board] == [
        (world["a"], 45), (world["b"], 20), (world["voter"], 5)]
    with pytest.raises(psycopg.Error):
        rows(fresh_db, "select * from public.leaderboard('decade', 10)")


# ------------------------------------------------------------------ analytics and recommendations


def test_every_valid_recommendation_event_inserts(fresh_db: Db, world: dict[str, str]) -> None:
    types = ["impression", "click", "play", "like", "skip", "share", "hide"]
    with fresh_db.connect() as conn, conn.transaction():
        act_as(conn, "authenticated", world["voter"])
        for i, t in enumerate(types):
            conn.execute("insert into public.recommendation_events (mashup_id, event_type, context, position) "
                         "values (%s, %s, %s, %s)", (world["ma"], t, Jsonb({"surface": "feed"}), i))
    assert scalar(fresh_db, "select count(*) from public.recommendation_events where user_id = %s",
                  world["voter"]) == len(types)
    with pytest.raises(psycopg.errors.CheckViolation):
        with fresh_db.connect() as conn, conn.transaction():
            act_as(conn, "authenticated", world["voter"])
            conn.execute("insert into public.recommendation_events (mashup_id, event_type) values (%s, 'bogus')",
                         (world["ma"],))


def test_log_events_idempotent_and_timeseries(fresh_db: Db, world: dict[str, str]) -> None:
    now = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    # one play per listener (a listener's plays of a mashup count once per 30 minutes: see tests/cloud/abuse)
    listeners = [world["voter"], fresh_db.create_user(), fresh_db.create_user(), fresh_db.create_user()]
    plays = [{"id": str(uuid.uuid4()), "type": "play", "mashup_id": world["ma"],
              "occurred_at": (now - timedelta(days=d)).isoformat()} for d in (0, 0, 1, 3)]
    like = {"id": str(uuid.uuid4()), "type": "like", "mashup_id": world["ma"], "occurred_at": now.isoformat()}
    bad = {"id": str(uuid.uuid4()), "type": "not_a_type", "mashup_id": world["ma"]}
    r1 = rpc(fresh_db, world["voter"], "log_events", Jsonb([plays[0], like, bad]))
    assert r1["accepted"] == 2 and r1["duplicates"] == 0 and [x["index"] for x in r1["rejected"]] == [2]
    for who, play in zip(listeners[1:], plays[1:], strict=True):
        assert rpc(fresh_db, who, "log_events", Jsonb([play]))["accepted"] == 1
    r2 = rpc(fresh_db, world["voter"], "log_events", Jsonb([plays[0], like]))
    assert r2["accepted"] == 0 and r2["duplicates"] == 2
    assert scalar(fresh_db, "select play_count from public.mashups where id = %s", world["ma"]) == 4
    assert scalar(fresh_db, "select like_count from public.mashups where id = %s", world["ma"]) == 1

    def series(bucket: str, days: int) -> list[dict[str, Any]]:
        with fresh_db.connect() as conn, conn.transaction():
            act_as(conn, "authenticated", world["a"])
            return conn.execute("select * from public.creator_timeseries(%s, %s, %s, 'play')",
                                (bucket, now - timedelta(days=days), now + timedelta(days=1))).fetchall()

    daily = series("day", 4)
    assert [r["events"] for r in daily] == [0, 1, 0, 1, 2, 0]  # zero-filled, oldest first
    assert sum(r["events"] for r in series("week", 20)) == 4
    assert sum(r["events"] for r in series("month", 60)) == 4
    # b owns no mashup with events: sees zeros, never a's numbers
    with fresh_db.connect() as conn, conn.transaction():
        act_as(conn, "authenticated", world["b"])
        got = conn.execute("select sum(events) s from public.creator_timeseries('day', %s, %s)",
                           (now - timedelta(days=4), now + timedelta(days=1))).fetchone()
    assert got is not None and got["s"] == 0


# ------------------------------------------------------------------ tier limits


def change(kind: str, id_: str, fields: dict[str, Any], clock: str, op: str = "upsert") -> dict[str, Any]:
    return {"key": str(uuid.uuid4()), "kind": kind, "id": id_, "op": op, "fields": fields, "clock": clock}


def clk(ms: int, n: int = 0, dev: str = "dev1") -> str:
    return f"{ms:013d}-{n:05d}-{dev}"


def test_free_tier_limits_enforced_and_lifted_by_upgrade(fresh_db: Db) -> None:
    u = fresh_db.create_user()
    limits = load_tiers()["tiers"]["free"]["limits"]
    ent = rpc(fresh_db, u, "get_entitlements")
    assert ent["tier"] == "free" and ent["limits"] == limits
    # projects
    pushes = [change("project", str(uuid.uuid4()), {"title": f"p{i}"}, clk(1000 + i))
              for i in range(limits["max_projects"] + 1)]
    res = rpc(fresh_db, u, "sync_push", Jsonb(pushes))
    assert [r["status"] for r in res] == ["accepted"] * limits["max_projects"] + ["rejected"]
    assert res[-1]["reason"] == "tier_limit"
    assert scalar(fresh_db, "select count(*) from public.projects where owner_id = %s", u) == limits["max_projects"]
    assert rpc(fresh_db, u, "check_entitlement", "max_projects", 1)["allowed"] is False
    # AI jobs
    for i in range(limits["ai_jobs_per_month"]):
        assert rpc(fresh_db, u, "request_ai_job", "separate", Jsonb({}), f"job-key-{i:04d}")["status"] == "queued"
    assert rpc(fresh_db, u, "request_ai_job", "separate", Jsonb({}), "job-key-0000")["status"] == "existing"
    with pytest.raises(psycopg.Error, match="tier limit"):
        rpc(fresh_db, u, "request_ai_job", "separate", Jsonb({}), "job-key-over")
    # publishing
    with fresh_db.connect() as conn:
        for i in range(limits["published_mashups_per_month"]):
            with conn.transaction():
                act_as(conn, "authenticated", u)
                conn.execute("insert into public.mashups (title) values (%s)", (f"m{i}",))
        with pytest.raises(psycopg.Error, match="tier limit"), conn.transaction():
            act_as(conn, "authenticated", u)
            conn.execute("insert into public.mashups (title) values ('one too many')")
    # storage
    pid = str(scalar(fresh_db, "select id from public.projects where owner_id = %s limit 1", u))
    big = change("project_media", str(uuid.uuid4()),
                 {"project_id": pid, "size_bytes": limits["storage_bytes"] + 1}, clk(5000))
    assert rpc(fresh_db, u, "sync_push", Jsonb([big]))[0]["reason"] == "tier_limit"
    # upgrade lifts the limits
    fresh_db.set_tier(u, "pro")
    res = rpc(fresh_db, u, "sync_push", Jsonb([change("project", str(uuid.uuid4()), {"title": "more"}, clk(9000))]))
    assert res[0]["status"] == "accepted"
    assert rpc(fresh_db, u, "request_ai_job", "separate", Jsonb({}), "job-key-after")["status"] == "queued"


# ------------------------------------------------------------------ sync protocol


def server_state(db: Db) -> list[Any]:
    return rows(db, "select to_jsonb(p) - 'change_xid' - 'updated_at' j from public.projects p order by id") + rows(
        db, "select to_jsonb(m) - 'change_xid' - 'updated_at' j from public.project_media m order by id")


def test_lww_per_field_is_order_independent(fresh_db: Db) -> None:
    u = fresh_db.create_user()
    pid = str(uuid.uuid4())
    changes = [
        change("project", pid, {"title": "old", "bpm": 100}, clk(1, 0, "a")),
        change("project", pid, {"title": "new"}, clk(3, 0, "b")),
        change("project", pid, {"bpm": 128, "title": "middle"}, clk(2, 0, "a")),
        change("project", pid, {"musical_key": "Am"}, clk(2, 1, "b")),
    ]
    final: list[Any] = []
    for order in ([0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2]):
        with fresh_db.connect(autocommit=True) as conn:
            conn.execute("delete from public.projects")
        fresh = [dict(changes[i], key=str(uuid.uuid4())) for i in order]
        res = rpc(fresh_db, u, "sync_push", Jsonb(fresh))
        assert all(r["status"] == "accepted" for r in res)
        final.append(rows(fresh_db, "select title, bpm, musical_key from public.projects where id = %s", pid))
    assert final[0] == final[1] == final[2]
    assert final[0][0]["title"] == "new" and float(final[0][0]["bpm"]) == 128 and final[0][0]["musical_key"] == "Am"


def test_push_rejections_are_reported_and_change_nothing(fresh_db: Db) -> None:
    owner, other = fresh_db.create_user(), fresh_db.create_user()
    pid = str(uuid.uuid4())
    rpc(fresh_db, owner, "sync_push", Jsonb([change("project", pid, {"title": "mine"}, clk(1))]))
    before = server_state(fresh_db)
    res = rpc(fresh_db, other, "sync_push", Jsonb([
        change("project", pid, {"title": "stolen"}, clk(99)),
        change("project", pid, {"owner_id": other}, clk(99)),
        change("project", str(uuid.uuid4()), {"bpm": "fast"}, clk(99)),
        change("project", str(uuid.uuid4()), {"bpm": 5000}, clk(99)),
        change("project", str(uuid.uuid4()), {"title": "x"}, "not-a-clock"),
        change("project_media", str(uuid.uuid4()), {"project_id": pid, "name": "x"}, clk(99)),
        {"kind": "project", "id": str(uuid.uuid4()), "fields": {}, "clock": clk(1)},
        change("widget", str(uuid.uuid4()), {}, clk(99)),
    ]))
    assert [r["reason"] for r in res] == [
        "forbidden", "invalid", "invalid", "invalid", "invalid", "forbidden", "invalid", "invalid"]
    assert server_state(fresh_db) == before


def test_1000_changes_then_outbox_replayed_twice_is_identical(fresh_db: Db) -> None:
    u = fresh_db.create_user()
    fresh_db.set_tier(u, "studio")
    pids = [str(uuid.uuid4()) for _ in range(50)]
    outbox: list[dict[str, Any]] = []
    for i in range(1000):
        pid = pids[i % 50]
        if i < 50:
            outbox.append(change("project", pid, {"title": f"t{i}", "bpm": 90}, clk(i)))
        elif i % 7 == 0:
            outbox.append(change("project_media", str(uuid.uuid4()), {"project_id": pid, "size_bytes": i}, clk(i)))
        elif i % 97 == 0:
            outbox.append(change("project", pid, {}, clk(i), op="delete"))
        else:
            outbox.append(change("project", pid, {"title": f"t{i}", "duration_s": i}, clk(i)))

    def push_all() -> list[Any]:
        out: list[Any] = []
        for s in range(0, len(outbox), 500):
            out += rpc(fresh_db, u, "sync_push", Jsonb(outbox[s:s + 500]))
        return out

    first = push_all()
    assert all(r["status"] == "accepted" and not r["replayed"] for r in first)
    state = server_state(fresh_db)
    receipts = scalar(fresh_db, "select count(*) from public.sync_receipts")
    for _ in range(2):
        again = push_all()
        assert all(r["replayed"] for r in again)
        assert [{k: v for k, v in r.items() if k != "replayed"} for r in again] == [
            {k: v for k, v in r.items() if k != "replayed"} for r in first]
        assert server_state(fresh_db) == state
    assert scalar(fresh_db, "select count(*) from public.sync_receipts") == receipts == 1000
    assert scalar(fresh_db, "select count(*) from public.projects") == 50
    assert scalar(fresh_db, "select count(*) from public.project_media") == len(
        [c for c in outbox if c["kind"] == "project_media"])


def test_reply_lost_after_commit_then_retry_is_no_duplicate(fresh_db: Db) -> None:
    u = fresh_db.create_user()
    batch = [change("project", str(uuid.uuid4()), {"title": "x"}, clk(1))]
    pid = batch[0]["id"]
    batch.append(change("project_media", str(uuid.uuid4()), {"project_id": pid, "size_bytes": 10}, clk(2)))
    # The server commits, the reply never reaches the client.
    rpc(fresh_db, u, "sync_push", Jsonb(batch))
    state = server_state(fresh_db)
    # The client retries the same outbox entries, concurrently from two connections for good measure.
    out: list[Any] = []

    def retry() -> None:
        out.append(rpc(fresh_db, u, "sync_push", Jsonb(batch)))

    ts = [threading.Thread(target=retry) for _ in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert all(r["replayed"] and r["status"] == "accepted" for res in out for r in res)
    assert server_state(fresh_db) == state


def test_concurrent_first_pushes_of_same_keys(fresh_db: Db) -> None:
    u = fresh_db.create_user()
    fresh_db.set_tier(u, "studio")
    batch = [change("project", str(uuid.uuid4()), {"title": str(i)}, clk(i)) for i in range(200)]
    out: list[Any] = []
    ts = [threading.Thread(target=lambda: out.append(rpc(fresh_db, u, "sync_push", Jsonb(batch)))) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert sum(1 for res in out for r in res if not r["replayed"]) == 200
    assert scalar(fresh_db, "select count(*) from public.projects") == 200


def test_pull_cursor_never_skips_a_row_committed_late(fresh_db: Db) -> None:
    u = fresh_db.create_user()
    fresh_db.set_tier(u, "studio")  # unlimited projects: no per-owner serialisation
    early = fresh_db.connect()
    with early.transaction():
        act_as(early, "authenticated", u)
        early.execute("select public.sync_push(%s)", (Jsonb([change("project", str(uuid.uuid4()),
                                                                       {"title": "slow"}, clk(1))]),))
        # while the slow transaction is open, a later one commits
        rpc(fresh_db, u, "sync_push", Jsonb([change("project", str(uuid.uuid4()), {"title": "fast"}, clk(2))]))
        page = rpc(fresh_db, u, "sync_pull", "", 100)
        assert page["changes"] == []  # held back, not skipped
    early.close()
    seen: list[str] = []
    cursor = ""
    while True:
        page = rpc(fresh_db, u, "sync_pull", cursor, 1)
        seen += [c["row"]["title"] for c in page["changes"]]
        cursor = page["cursor"]
        if not page["changes"]:
            break
    assert sorted(seen) == ["fast", "slow"]


def test_pull_returns_tombstones_and_only_own_rows(fresh_db: Db) -> None:
    u, other = fresh_db.create_user(), fresh_db.create_user()
    pid = str(uuid.uuid4())
    rpc(fresh_db, u, "sync_push", Jsonb([change("project", pid, {"title": "a"}, clk(1))]))
    rpc(fresh_db, other, "sync_push", Jsonb([change("project", str(uuid.uuid4()), {"title": "theirs"}, clk(1))]))
    first = rpc(fresh_db, u, "sync_pull", "", 100)
    assert [c["row"]["title"] for c in first["changes"]] == ["a"]
    rpc(fresh_db, u, "sync_push", Jsonb([change("project", pid, {}, clk(2), op="delete")]))
    second = rpc(fresh_db, u, "sync_pull", first["cursor"], 100)
    assert [(c["id"], c["deleted"]) for c in second["changes"]] == [(pid, True)]
    assert rpc(fresh_db, u, "sync_pull", second["cursor"], 100)["changes"] == []
    with pytest.raises(psycopg.Error, match="bad cursor"):
        rpc(fresh_db, u, "sync_pull", "garbage", 10)
    assert json.dumps(first)  # plain JSON for the client


def test_collaborators_sync_a_shared_project(fresh_db: Db) -> None:
    owner, editor, viewer, stranger = (fresh_db.create_user() for _ in range(4))
    pid = str(uuid.uuid4())
    rpc(fresh_db, owner, "sync_push", Jsonb([change("project", pid, {"title": "shared"}, clk(1, 0, "o"))]))
    with fresh_db.connect() as conn:
        with conn.transaction():
            act_as(conn, "authenticated", owner)
            session = conn.execute("insert into public.collaboration_sessions (project_id) values (%s) returning id",
                                   (pid,)).fetchone()
            assert session is not None
            conn.execute("insert into public.collaboration_participants (session_id, user_id, role) values "
                         "(%s, %s, 'editor')", (session["id"], editor))
        # free tier: one collaborator
        with pytest.raises(psycopg.Error, match="max_collaborators"), conn.transaction():
            act_as(conn, "authenticated", owner)
            conn.execute("insert into public.collaboration_participants (session_id, user_id, role) values "
                         "(%s, %s, 'viewer')", (session["id"], viewer))
    fresh_db.set_tier(owner, "pro")
    with fresh_db.connect() as conn, conn.transaction():
        act_as(conn, "authenticated", owner)
        conn.execute("insert into public.collaboration_participants (session_id, user_id, role) values "
                     "(%s, %s, 'viewer')", (session["id"], viewer))
    assert [c["id"] for c in rpc(fresh_db, editor, "sync_pull", "", 10)["changes"]] == [pid]
    assert [c["id"] for c in rpc(fresh_db, viewer, "sync_pull", "", 10)["changes"]] == [pid]
    assert rpc(fresh_db, stranger, "sync_pull", "", 10)["changes"] == []
    ok = rpc(fresh_db, editor, "sync_push", Jsonb([change("project", pid, {"title": "edited"}, clk(2, 0, "e"))]))
    no = rpc(fresh_db, viewer, "sync_push", Jsonb([change("project", pid, {"title": "viewer"}, clk(3, 0, "v"))]))
    assert ok[0]["status"] == "accepted" and no[0]["reason"] == "forbidden"
    assert scalar(fresh_db, "select title from public.projects where id = %s", pid) == "edited"
    assert str(scalar(fresh_db, "select owner_id from public.projects where id = %s", pid)) == owner


def test_replay_after_receipts_purged_leaves_data_unchanged(fresh_db: Db) -> None:
    u = fresh_db.create_user()
    pid = str(uuid.uuid4())
    batch = [change("project", pid, {"title": "a", "bpm": 100}, clk(1)),
             change("project", pid, {"title": "b"}, clk(2))]
    rpc(fresh_db, u, "sync_push", Jsonb(batch))
    state = server_state(fresh_db)
    with fresh_db.connect(autocommit=True) as conn:
        conn.execute("update public.sync_receipts set created_at = now() - interval '400 days'")
        with pytest.raises(psycopg.Error, match="30 days"):
            conn.execute("select private.purge_sync_receipts(interval '1 day')")
        purged = conn.execute("select private.purge_sync_receipts(interval '180 days') n").fetchone()
    assert purged is not None and purged["n"] == 2
    again = rpc(fresh_db, u, "sync_push", Jsonb(batch))
    assert [r["replayed"] for r in again] == [False, False]
    assert server_state(fresh_db) == state  # the per-field merge is idempotent on its own
    with pytest.raises(psycopg.errors.InsufficientPrivilege), fresh_db.connect() as conn, conn.transaction():
        act_as(conn, "authenticated", u)
        conn.execute("select private.purge_sync_receipts(interval '365 days')")


def test_analytics_input_validation(fresh_db: Db, world: dict[str, str]) -> None:
    now = datetime.now(UTC)
    res = rpc(fresh_db, world["voter"], "log_events", Jsonb([
        {"id": str(uuid.uuid4()), "type": "play", "occurred_at": (now + timedelta(days=3)).isoformat()},
        {"id": str(uuid.uuid4()), "type": "play", "occurred_at": (now - timedelta(days=400)).isoformat()},
        {"id": "not-a-uuid", "type": "play"},
        {"id": str(uuid.uuid4()), "type": "play", "mashup_id": str(uuid.uuid4())},
        {"id": str(uuid.uuid4()), "type": "play", "props": {"x": "y" * 5000}},
    ]))
    assert res["accepted"] == 0 and [r["index"] for r in res["rejected"]] == [0, 1, 2, 3, 4]
    with pytest.raises(psycopg.Error, match="at most 1000"):
        rpc(fresh_db, world["voter"], "log_events", Jsonb([{}] * 1001))
    with pytest.raises(psycopg.Error, match="p_bucket"):
        rows_as(fresh_db, world["a"], "select * from public.creator_timeseries('hour', now() - interval '1 day', now())")
    with pytest.raises(psycopg.Error, match="bad time range"):
        rows_as(fresh_db, world["a"], "select * from public.creator_timeseries('day', now(), now() - interval '1 day')")


def rows_as(db: Db, uid: str, q: str) -> list[dict[str, Any]]:
    with db.connect() as conn, conn.transaction():
        act_as(conn, "authenticated", uid)
        return conn.execute(q).fetchall()


def test_clocks_far_in_the_future_are_refused(fresh_db: Db) -> None:
    u = fresh_db.create_user()
    now_ms = int(time.time() * 1000)
    res = rpc(fresh_db, u, "sync_push", Jsonb([
        change("project", str(uuid.uuid4()), {"title": "soon"}, clk(now_ms + 3_600_000)),
        change("project", str(uuid.uuid4()), {"title": "far"}, clk(now_ms + 2 * 86_400_000)),
    ]))
    assert [r["status"] for r in res] == ["accepted", "rejected"] and res[1]["reason"] == "clock_ahead"
