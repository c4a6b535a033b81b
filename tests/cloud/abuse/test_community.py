"""Issue 12's community RPCs under attack (THREATS section 8): 24 concurrent
calls on separate connections for every slot, vote and closing; forged
entries, votes for oneself, sizes, and the staff-only functions."""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest

from .conftest import N_CONCURRENT, Db, attempt, old_schema_mode, race, rpc, scalar

pytestmark = pytest.mark.skipif(old_schema_mode(), reason="the community RPCs arrive with issue 12")


def publish(db: Db, uid: str, title: str = "m") -> str:
    r = rpc(db, uid, "publish_mashup", title, "", "[]", "public", None, None, None, None, "[]", None)
    return str(r["mashup_id"])


def battle(db: Db, a: str | None = None, b: str | None = None) -> str:
    with db.connect(autocommit=True) as conn:
        row = conn.execute("insert into public.battles (mashup_a, mashup_b, starts_at, ends_at) values "
                           "(%s, %s, now() - interval '1 minute', now() + interval '1 day') returning id",
                           (a, b)).fetchone()
    assert row is not None
    return str(row["id"])


def users(db: Db, n: int) -> list[str]:
    out = [db.create_user() for _ in range(n)]
    for u in out:
        db.set_tier(u, "pro")
    return out


def test_concurrent_entries_fill_exactly_two_slots_one_per_user(adb: Db) -> None:
    us = users(adb, N_CONCURRENT)
    ms = [publish(adb, u) for u in us]
    b = battle(adb)
    res = race(adb, [("authenticated", u, "select public.enter_battle(%s, %s) r", (b, m))
                     for u, m in zip(us, ms, strict=True)])
    assert sum(1 for r in res if isinstance(r, list) and r[0]["r"]["status"] == "entered") == 2
    assert all(isinstance(r, psycopg.Error) and "full" in str(r) for r in res if not isinstance(r, list))
    owner = us[0]
    second = publish(adb, owner, "second")
    b2 = battle(adb)
    # one user racing both of their mashups into one battle: one slot at most
    race(adb, [("authenticated", owner, "select public.enter_battle(%s, %s) r", (b2, m))
               for m in [ms[0], second] * (N_CONCURRENT // 2)])
    assert scalar(adb, "select num_nonnulls(mashup_a, mashup_b) from public.battles where id = %s", b2) == 1


def test_entries_only_with_own_visible_mashups(adb: Db) -> None:
    a, eve = users(adb, 2)
    m = publish(adb, a)
    b = battle(adb)
    assert isinstance(attempt(lambda: rpc(adb, eve, "enter_battle", b, m)), psycopg.Error)
    with adb.connect(autocommit=True) as conn:
        conn.execute("update public.mashups set visibility = 'private' where id = %s", (m,))
    assert isinstance(attempt(lambda: rpc(adb, a, "enter_battle", b, m)), psycopg.Error)
    assert scalar(adb, "select num_nonnulls(mashup_a, mashup_b) from public.battles") == 0


def test_votes_for_oneself_and_concurrent_votes(adb: Db) -> None:
    a, b, *voters = users(adb, N_CONCURRENT + 2)
    ma, mb = publish(adb, a), publish(adb, b)
    bt = battle(adb, ma, mb)
    assert "own entry" in str(attempt(lambda: rpc(adb, a, "cast_vote", bt, ma)))
    v = voters[0]
    res = race(adb, [("authenticated", v, "select public.cast_vote(%s, %s) r", (bt, ma if i % 2 else mb))
                     for i in range(N_CONCURRENT)])
    assert sum(1 for r in res if isinstance(r, list) and r[0]["r"]["status"] == "recorded") == 1
    assert scalar(adb, "select count(*) from public.battle_votes") == 1
    assert scalar(adb, "select count(*) from public.xp_ledger where user_id = %s", v) == 1


def test_concurrent_closing_awards_once_and_win_xp_follows_its_cause(adb: Db) -> None:
    a, b, v = users(adb, 3)
    ma, mb = publish(adb, a), publish(adb, b)
    bt = battle(adb, ma, mb)
    rpc(adb, v, "cast_vote", bt, ma)
    with adb.connect(autocommit=True) as conn:
        conn.execute("update public.battles set ends_at = now() where id = %s", (bt,))
    res = race(adb, [("postgres", None, "select private.close_due() r", ()) for _ in range(N_CONCURRENT)])
    assert not [r for r in res if isinstance(r, Exception)]
    assert scalar(adb, "select count(*) from public.battle_outcomes") == 1
    assert scalar(adb, "select count(*) from public.xp_ledger where source_key like 'win:%%'") == 1
    assert scalar(adb, "select count(*) from public.user_badges where badge_code = 'battle_winner'") == 1
    # the ledger stays explainable: deleting the winning mashup removes the battle, outcome, XP, badge
    with adb.connect(autocommit=True) as conn:
        conn.execute("delete from public.mashups where id = %s", (ma,))
    assert scalar(adb, "select count(*) from public.xp_ledger where source_key like 'win:%%'") == 0
    assert scalar(adb, "select count(*) from public.user_badges where badge_code = 'battle_winner'") == 0


def test_clients_cannot_close_compute_or_forge_win_xp(adb: Db) -> None:
    (u,) = users(adb, 1)
    for fn in ("community_close_due", "community_compute_trending"):
        assert isinstance(attempt(lambda fn=fn: rpc(adb, u, fn)), psycopg.errors.InsufficientPrivilege)
    for q in ("select private.close_due()", "select private.compute_trending()"):
        with adb.connect() as conn, conn.transaction():
            conn.execute("set local role authenticated")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(q)
    # a ledger row claiming a win needs the outcome naming that user as winner
    with adb.connect(autocommit=True) as conn, pytest.raises(psycopg.errors.ForeignKeyViolation):
        conn.execute("insert into public.xp_ledger (user_id, amount, reason, source_key) values "
                     "(%s, 50, 'forged', %s)", (u, f"win:{uuid.uuid4()}"))


def test_publish_arguments_are_bounded_and_refused_whole(adb: Db) -> None:
    (u,) = users(adb, 1)
    big = [{"title": "x", "artist": "y", "fingerprint": "A" * 20001}]
    for sources in (big, [{"title": "t"}] * 33, [1, 2], {"title": "t"}):
        r = attempt(lambda s=sources: rpc(adb, u, "publish_mashup", "t", "", "[]", "public", None, None, None,
                                          None, json.dumps(s), None))
        assert isinstance(r, psycopg.Error)
    for tags in (["t"] * 11, [1], ["x" * 40]):
        r = attempt(lambda t=tags: rpc(adb, u, "publish_mashup", "t", "", json.dumps(t), "public", None, None, None,
                                       None, "[]", None))
        assert isinstance(r, psycopg.Error)
    assert scalar(adb, "select count(*) from public.mashups") == 0
    assert scalar(adb, "select count(*) from public.usage_counters where user_id = %s", u) == 0
