"""Class 1: rewards that outlive what earned them. XP and badges exist only
while their cause does; cheap actions are capped per day; the ledger is
always explained by existing rows."""

from __future__ import annotations

from typing import Any

import psycopg

from .conftest import N_CONCURRENT, Cast, Db, race, rpc, scalar, sql_as


def xp(db: Db, uid: str) -> int:
    return int(scalar(db, "select coalesce(sum(amount), 0) from public.xp_ledger where user_id = %s", uid))


def badges(db: Db, uid: str) -> set[str]:
    with db.connect() as conn:
        return {r["badge_code"] for r in conn.execute(
            "select badge_code from public.user_badges where user_id = %s", (uid,))}


def publish(db: Db, uid: str, title: str = "m", visibility: str = "public") -> str:
    rows = sql_as(db, "authenticated", uid,
                  "insert into public.mashups (title, visibility) values (%s, %s) returning id", title, visibility)
    return str(rows[0]["id"])


def open_challenge(db: Db) -> str:
    return str(scalar(db, "insert into public.challenges (title, starts_at, ends_at) values ('c', now() - "
                          "interval '1 hour', now() + interval '1 day') returning id"))


def explained_xp(db: Db, uid: str) -> int:
    """XP the facts justify: 20 per public mashup that got a publish award, 5 per
    vote, 25 per challenge entry (each ledger row must name an existing cause)."""
    with db.connect() as conn:
        rows = conn.execute(
            "select l.amount, l.source_key, "
            " exists (select 1 from public.mashups m where 'publish:' || m.id = l.source_key "
            "         and m.owner_id = l.user_id and m.visibility <> 'private') as publish_ok, "
            " exists (select 1 from public.battle_votes v where 'vote:' || v.battle_id = l.source_key "
            "         and v.voter_id = l.user_id) as vote_ok, "
            " exists (select 1 from public.challenge_entries e where 'entry:' || e.challenge_id = l.source_key "
            "         and e.user_id = l.user_id) as entry_ok "
            "from public.xp_ledger l where l.user_id = %s", (uid,)).fetchall()
    for r in rows:
        assert r["publish_ok"] or r["vote_ok"] or r["entry_ok"], f"ledger row without a cause: {r['source_key']}"
    return sum(int(r["amount"]) for r in rows)


def test_publish_then_delete_loop_leaves_no_xp_and_no_badges(cast: Cast) -> None:
    db = cast.db
    farmer = cast.stranger
    db.set_tier(farmer, "studio")  # no monthly publish quota to stop the loop
    for i in range(12):
        mid = publish(db, farmer, f"farm {i}")
        sql_as(db, "authenticated", farmer, "delete from public.mashups where id = %s", mid)
    assert scalar(db, "select count(*) from public.mashups where owner_id = %s", farmer) == 0
    assert xp(db, farmer) == 0
    assert badges(db, farmer) == set()
    board = {str(r["user_id"]): r["xp"] for r in sql_as(db, "anon", None, "select * from public.leaderboard('all', 50)")}
    assert farmer not in board


def test_private_mashups_earn_nothing_and_visibility_toggles_farm_nothing(cast: Cast) -> None:
    db = cast.db
    u = cast.stranger
    db.set_tier(u, "studio")
    mid = publish(db, u, "draft", "private")
    assert xp(db, u) == 0 and "first_publish" not in badges(db, u)
    for _ in range(10):
        sql_as(db, "authenticated", u, "update public.mashups set visibility = 'public' where id = %s", mid)
        sql_as(db, "authenticated", u, "update public.mashups set visibility = 'private' where id = %s", mid)
    assert xp(db, u) == 0 and badges(db, u) == set()
    sql_as(db, "authenticated", u, "update public.mashups set visibility = 'unlisted' where id = %s", mid)
    assert xp(db, u) == 20 and "first_publish" in badges(db, u)
    assert explained_xp(db, u) == 20


def test_publish_xp_is_capped_per_day_under_concurrent_publishes(cast: Cast) -> None:
    db = cast.db
    u = cast.stranger
    db.set_tier(u, "studio")
    results = race(db, [("authenticated", u, "insert into public.mashups (title) values (%s) returning id",
                         (f"burst {i}",)) for i in range(N_CONCURRENT)])
    assert [r for r in results if isinstance(r, Exception)] == []
    assert scalar(db, "select count(*) from public.mashups where owner_id = %s", u) == N_CONCURRENT
    # every mashup stays published; only the first five of the day earn XP
    assert xp(db, u) == 5 * 20
    assert scalar(db, "select count(*) from public.xp_ledger where user_id = %s", u) == 5
    assert explained_xp(db, u) == 100


def test_entry_and_publish_xp_go_with_the_mashup(cast: Cast) -> None:
    db = cast.db
    u = cast.stranger
    ch = open_challenge(db)
    mid = publish(db, u, "entry")
    assert rpc(db, u, "submit_entry", ch, mid)["status"] == "entered"
    assert xp(db, u) == 45 and {"first_publish", "first_entry"} <= badges(db, u)
    sql_as(db, "authenticated", u, "delete from public.mashups where id = %s", mid)
    assert scalar(db, "select count(*) from public.challenge_entries where user_id = %s", u) == 0
    assert xp(db, u) == 0 and badges(db, u) == set()
    # entering again with a new mashup earns the entry once more (while it exists), not twice
    mid2 = publish(db, u, "entry 2")
    rpc(db, u, "submit_entry", ch, mid2)
    assert xp(db, u) == 45 == explained_xp(db, u)


def test_vote_xp_goes_when_the_battle_is_removed(cast: Cast) -> None:
    db = cast.db
    other = db.create_user()
    a = publish(db, cast.owner, "a")
    b = publish(db, other, "b")
    battle = str(scalar(db, "insert into public.battles (mashup_a, mashup_b, starts_at, ends_at) values "
                            "(%s, %s, now() - interval '1 hour', now() + interval '1 day') returning id", a, b))
    voter = cast.stranger
    assert rpc(db, voter, "cast_vote", battle, a)["status"] == "recorded"
    assert xp(db, voter) == 5 and "first_vote" in badges(db, voter)
    sql_as(db, "service_role", None, "delete from public.battles where id = %s", battle)
    assert xp(db, voter) == 0 and "first_vote" not in badges(db, voter)


def test_xp_badges_follow_the_total(cast: Cast) -> None:
    db = cast.db
    u = cast.stranger
    db.set_tier(u, "studio")
    mids = [publish(db, u, f"m{i}") for i in range(5)]  # 100 XP
    assert xp(db, u) == 100 and "xp_100" in badges(db, u)
    sql_as(db, "authenticated", u, "delete from public.mashups where id = %s", mids[0])
    assert xp(db, u) == 80 and "xp_100" not in badges(db, u) and "first_publish" in badges(db, u)


def test_clients_cannot_write_the_ledger_or_badges_in_any_role(cast: Cast) -> None:
    db = cast.db
    for role, uid in (("anon", None), ("authenticated", cast.stranger), ("authenticated", cast.editor),
                      ("authenticated", cast.viewer)):
        for q in ("insert into public.xp_ledger (user_id, amount, reason, source_key) values (%s, 10000, 'x', 'x:1')",
                  "insert into public.user_badges (user_id, badge_code) values (%s, 'xp_1000')",
                  "update public.xp_ledger set amount = 10000 where user_id = %s",
                  "delete from public.xp_ledger where user_id = %s"):
            try:
                sql_as(db, role, uid, q, uid or cast.owner)
            except psycopg.errors.InsufficientPrivilege:
                pass
    assert scalar(db, "select count(*) from public.xp_ledger where amount = 10000") == 0
    assert scalar(db, "select count(*) from public.user_badges where badge_code = 'xp_1000'") == 0


def test_leaderboard_equals_explained_xp_after_a_mixed_history(cast: Cast) -> None:
    db = cast.db
    users = [db.create_user() for _ in range(3)]
    ch = open_challenge(db)
    kept: dict[str, int] = {}
    for i, u in enumerate(users):
        mids = [publish(db, u, f"u{i}m{j}") for j in range(i + 1)]
        rpc(db, u, "submit_entry", ch, mids[0])
        if i > 0:
            sql_as(db, "authenticated", u, "delete from public.mashups where id = %s", mids[-1])
        kept[u] = explained_xp(db, u)
    board: dict[str, Any] = {str(r["user_id"]): r["xp"]
                             for r in sql_as(db, "anon", None, "select * from public.leaderboard('all', 50)")}
    assert {u: board.get(u, 0) for u in users} == kept
    assert kept == {users[0]: 45, users[1]: 45, users[2]: 65}
