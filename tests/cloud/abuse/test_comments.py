"""Comments on mashups under attack (THREATS section 8, migration
20261130000400): 24 concurrent posts against the per-minute and per-day
limits, comments on and listings of invisible mashups answered like unknown
ids, deleting other people's comments, size bounds, direct writes, and the
count the pages and the creator's series show."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from .conftest import N_CONCURRENT, Db, attempt, old_schema_mode, race, rpc, scalar, sql_as

pytestmark = pytest.mark.skipif(old_schema_mode(), reason="comments arrive with issue 12's migration 20261130000400")


def publish(db: Db, uid: str, visibility: str = "public") -> str:
    r = rpc(db, uid, "publish_mashup", "m", "", "[]", visibility, None, None, None, None, "[]", None)
    return str(r["mashup_id"])


def users(db: Db, n: int) -> list[str]:
    out = [db.create_user() for _ in range(n)]
    for u in out:
        db.set_tier(u, "pro")
    return out


def answer(e: psycopg.Error) -> tuple[str | None, str | None]:
    """What the caller sees: the code and the message (not the server-side context line)."""
    return e.sqlstate, e.diag.message_primary


def post(uid: str, m: str, body: str = "nice") -> tuple[str, str, str, tuple[str, str]]:
    return ("authenticated", uid, "select public.post_comment(%s, %s) r", (m, body))


def test_concurrent_posts_stop_at_the_per_minute_limit(adb: Db) -> None:
    a, b, c = users(adb, 3)
    m = publish(adb, a)
    res = race(adb, [post(b, m, f"comment {i}") for i in range(N_CONCURRENT)])
    ok = [r for r in res if isinstance(r, list)]
    refused = [r for r in res if isinstance(r, psycopg.Error)]
    assert len(ok) == 6 and len(refused) == N_CONCURRENT - 6
    assert all(r.sqlstate == "MS006" and "too fast" in str(r) for r in refused)
    assert scalar(adb, "select count(*) from public.mashup_comments where author_id = %s", b) == 6
    # the limit is per author: someone else still comments
    assert rpc(adb, c, "post_comment", m, "me too")["body"] == "me too"
    assert scalar(adb, "select count(*) from public.mashup_comments") == 7


def test_concurrent_posts_stop_at_the_daily_limit(adb: Db) -> None:
    a, b = users(adb, 2)
    m = publish(adb, a)
    day_start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    earlier = max(day_start, datetime.now(UTC) - timedelta(minutes=5))
    with adb.connect(autocommit=True) as conn:  # 199 of today's 200, outside the minute window
        conn.execute("insert into public.mashup_comments (mashup_id, author_id, body, created_at) "
                     "select %s, %s, 'old ' || g, %s from generate_series(1, 199) g", (m, b, earlier))
    res = race(adb, [post(b, m, f"x{i}") for i in range(N_CONCURRENT)])
    assert sum(1 for r in res if isinstance(r, list)) == 1
    assert all(isinstance(r, psycopg.Error) and r.sqlstate == "MS006" for r in res if not isinstance(r, list))
    assert scalar(adb, "select count(*) from public.mashup_comments where author_id = %s", b) == 200


def test_comments_on_invisible_mashups_answer_like_missing_ones(adb: Db) -> None:
    owner, eve = users(adb, 2)
    private = publish(adb, owner, "private")
    unlisted = publish(adb, owner, "unlisted")
    missing = str(uuid.uuid4())
    e_private = attempt(lambda: rpc(adb, eve, "post_comment", private, "hi"))
    e_missing = attempt(lambda: rpc(adb, eve, "post_comment", missing, "hi"))
    assert isinstance(e_private, psycopg.Error) and isinstance(e_missing, psycopg.Error)
    assert answer(e_private) == answer(e_missing) == ("MS004", "mashup not found")
    for who in (eve, None):  # a signed-in stranger and anon: listing answers like a missing id too
        role = "authenticated" if who else "anon"
        lp = attempt(lambda who=who, role=role: rpc(adb, who, "mashup_comments", private, None, 50, role=role))
        lm = attempt(lambda who=who, role=role: rpc(adb, who, "mashup_comments", missing, None, 50, role=role))
        assert isinstance(lp, psycopg.Error) and isinstance(lm, psycopg.Error) and answer(lp) == answer(lm)
    # the owner comments on their own private mashup; nobody else reads it, not even through the table
    rpc(adb, owner, "post_comment", private, "note to self")
    assert sql_as(adb, "authenticated", eve, "select count(*) n from public.mashup_comments")[0]["n"] == 0
    assert sql_as(adb, "anon", None, "select count(*) n from public.mashup_comments")[0]["n"] == 0
    assert rpc(adb, owner, "mashup_comments", private, None, 50)["total"] == 1
    # unlisted: visible with the link, so comments work and are readable by anon
    rpc(adb, eve, "post_comment", unlisted, "found it")
    listed = rpc(adb, None, "mashup_comments", unlisted, None, 50, role="anon")
    assert [c["body"] for c in listed["comments"]] == ["found it"] and listed["comments"][0]["mine"] is False
    # made private later: the comments are hidden from others, kept for the owner
    with adb.connect(autocommit=True) as conn:
        conn.execute("update public.mashups set visibility = 'private' where id = %s", (unlisted,))
    assert isinstance(attempt(lambda: rpc(adb, eve, "mashup_comments", unlisted, None, 50)), psycopg.Error)
    assert sql_as(adb, "authenticated", eve, "select count(*) n from public.mashup_comments")[0]["n"] == 0
    assert rpc(adb, owner, "mashup_comments", unlisted, None, 50)["total"] == 1
    assert scalar(adb, "select count(*) from public.mashup_comments where author_id = %s", eve) == 1


def test_only_the_author_deletes_and_concurrent_deletes_delete_once(adb: Db) -> None:
    owner, author, eve = users(adb, 3)
    m = publish(adb, owner)
    cid = rpc(adb, author, "post_comment", m, "mine")["id"]
    e_other = attempt(lambda: rpc(adb, eve, "delete_comment", cid))
    e_missing = attempt(lambda: rpc(adb, eve, "delete_comment", str(uuid.uuid4())))
    assert isinstance(e_other, psycopg.Error) and isinstance(e_missing, psycopg.Error)
    assert answer(e_other) == answer(e_missing) == ("MS004", "comment not found")
    assert isinstance(attempt(lambda: rpc(adb, owner, "delete_comment", cid)), psycopg.Error)  # not the mashup owner
    assert scalar(adb, "select count(*) from public.mashup_comments") == 1
    res = race(adb, [("authenticated", author, "select public.delete_comment(%s) r", (cid,))] * N_CONCURRENT)
    assert sum(1 for r in res if isinstance(r, list) and r[0]["r"]["status"] == "deleted") == 1
    assert all(isinstance(r, psycopg.Error) and r.sqlstate == "MS004" for r in res if not isinstance(r, list))
    assert scalar(adb, "select count(*) from public.mashup_comments") == 0


def test_bounds_and_no_direct_writes(adb: Db) -> None:
    owner, b = users(adb, 2)
    m = publish(adb, owner)
    for bad in ("", "   \n\t ", "x" * 2001, "bell\x07", None):
        e = attempt(lambda bad=bad: rpc(adb, b, "post_comment", m, bad))
        assert isinstance(e, psycopg.Error) and e.sqlstate == "MS003", bad
    assert rpc(adb, b, "post_comment", m, "  " + "y" * 2000 + "\n")["body"] == "y" * 2000  # trimmed, then bounded
    assert rpc(adb, b, "post_comment", m, "two\nlines\tok")["body"] == "two\nlines\tok"
    for role, uid in (("authenticated", b), ("anon", None)):
        for q, args in (("insert into public.mashup_comments (mashup_id, author_id, body) values (%s, %s, 'f')",
                         (m, owner)),
                        ("update public.mashup_comments set body = 'forged'", ()),
                        ("delete from public.mashup_comments", ())):
            assert isinstance(attempt(lambda q=q, args=args, role=role, uid=uid: sql_as(adb, role, uid, q, *args)),
                              psycopg.Error)
    assert isinstance(attempt(lambda: rpc(adb, None, "post_comment", m, "anon", role="anon")), psycopg.Error)
    assert scalar(adb, "select count(*) from public.mashup_comments") == 2


def test_counts_follow_the_rows_and_go_with_the_mashup(adb: Db) -> None:
    owner, b, c = users(adb, 3)
    m = publish(adb, owner)
    rpc(adb, b, "post_comment", m, "one")
    rpc(adb, c, "post_comment", m, "two")
    rpc(adb, owner, "post_comment", m, "thanks")  # the owner's own reply is not an event in their series
    (mine,) = rpc(adb, owner, "my_mashups")
    assert mine["comments"] == 3
    now = datetime.now(UTC)
    rows = sql_as(adb, "authenticated", owner, "select * from public.creator_series('day', %s, %s, %s)",
                  now - timedelta(days=1), now + timedelta(days=1), m)
    assert sum(r["events"] for r in rows if r["event_type"] == "comment") == 2
    page = rpc(adb, b, "mashup_comments", m, None, 2)
    assert page["total"] == 3 and [x["body"] for x in page["comments"]] == ["thanks", "two"]
    older = rpc(adb, b, "mashup_comments", m, page["comments"][-1]["created_at"], 2)
    assert [x["body"] for x in older["comments"]] == ["one"]
    rpc(adb, owner, "unpublish_mashup", m)
    assert scalar(adb, "select count(*) from public.mashup_comments") == 0
