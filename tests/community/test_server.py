"""The community server on a real PostgreSQL: publishing with sources, battle
slots and vote rules, the admin command (a real subprocess with
DATABASE_URL), closing run twice and concurrently, XP/badges once, the level
curve shared with the client, profile progress, trending."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.cloud.conftest import Db, act_as

from .conftest import admin

ROOT = Path(__file__).resolve().parents[2]


def rpc(db: Db, uid: str | None, fn: str, **kw: Any) -> Any:
    args = ", ".join(f"{k} => %s" for k in kw)
    with db.connect() as conn, conn.transaction():
        act_as(conn, "authenticated" if uid else "anon", uid)
        row = conn.execute(f"select public.{fn}({args}) as r", tuple(kw.values())).fetchone()
        assert row is not None
        return row["r"]


def scalar(db: Db, q: str, *args: Any) -> Any:
    with db.connect() as conn:
        row = conn.execute(q, args).fetchone()
        assert row is not None
        return next(iter(row.values()))


def publish(db: Db, uid: str, title: str, sources: list[dict[str, Any]] | None = None) -> str:
    r = rpc(db, uid, "publish_mashup", p_title=title, p_audio_path=f"{uid}/blobs/x",
            p_sources=json.dumps(sources or [{"title": "Song", "artist": "Band", "fingerprint": "AQAAfp"}]))
    return str(r["mashup_id"])


def xp_rows(db: Db, uid: str) -> list[tuple[str, int]]:
    with db.connect() as conn:
        return [(r["source_key"].split(":")[0], r["amount"]) for r in conn.execute(
            "select source_key, amount from public.xp_ledger where user_id = %s order by id", (uid,)).fetchall()]


def test_level_curve_is_one_definition(fresh_db: Db) -> None:
    bundled = json.loads((ROOT / "resources" / "levels.json").read_text())["levels"]
    assert rpc(fresh_db, None, "level_curve") == bundled
    with fresh_db.connect() as conn:
        lv = conn.execute("select private.level_of(0) a, private.level_of(149) b, private.level_of(150) c, "
                          "private.level_of(1000000) d").fetchone()
    assert lv is not None
    assert (lv["a"]["level"], lv["a"]["next_level_xp"]) == (1, 50)
    assert (lv["b"]["level"], lv["c"]["level"]) == (2, 3)
    assert lv["d"]["level"] == bundled[-1]["level"] and lv["d"]["next_level_xp"] is None


def test_publish_with_sources_and_bounds(fresh_db: Db) -> None:
    a = fresh_db.create_user()
    fresh = rpc(fresh_db, a, "my_profile")  # a newcomer: zeros, level 1, every badge locked with its progress
    assert (fresh["xp"], fresh["level"], fresh["streak"], fresh["longest_streak"], fresh["rank_all"]) == (0, 1, 0, 0, None)
    assert not [b for b in fresh["badges"] if b["earned"]] and all(b["target"] >= 1 for b in fresh["badges"])
    m = publish(fresh_db, a, "First", [{"title": "Song  A", "artist": "X"}, {"title": "B", "fingerprint": "AQfp"}])
    mine = rpc(fresh_db, a, "my_mashups")
    assert [x["id"] for x in mine] == [m] and [s["title"] for s in mine[0]["sources"]] == ["Song  A", "B"]
    with pytest.raises(psycopg.Error, match="own folder"):
        rpc(fresh_db, a, "publish_mashup", p_title="t", p_audio_path="someone-else/blobs/x")
    with pytest.raises(psycopg.Error, match="at most 32"):
        rpc(fresh_db, a, "publish_mashup", p_title="t", p_sources=json.dumps([{"title": "s"}] * 33))
    with pytest.raises(psycopg.Error):
        rpc(fresh_db, a, "publish_mashup", p_title="t", p_sources=json.dumps([{"title": "s" * 201}]))
    assert scalar(fresh_db, "select count(*) from public.mashups") == 1  # refused whole, nothing stored
    with pytest.raises(psycopg.Error, match="not found"):
        rpc(fresh_db, fresh_db.create_user(), "unpublish_mashup", p_mashup=m)
    assert rpc(fresh_db, a, "unpublish_mashup", p_mashup=m)["status"] == "unpublished"
    assert rpc(fresh_db, a, "my_mashups") == []


def test_free_tier_publish_quota_is_the_servers(fresh_db: Db) -> None:
    a = fresh_db.create_user()
    for i in range(3):  # free: 3 per month (backend/tiers.json)
        publish(fresh_db, a, f"m{i}")
    with pytest.raises(psycopg.Error, match="limit"):
        publish(fresh_db, a, "one too many")
    assert len(rpc(fresh_db, a, "my_mashups")) == 3


def test_two_users_battle_and_challenge_close_once(fresh_db: Db) -> None:
    db = fresh_db
    a, b = db.create_user("a@example.test"), db.create_user("b@example.test")
    m1, m2 = publish(db, a, "A one"), publish(db, a, "A two")
    mb = publish(db, b, "B one")
    ch = admin(db, "challenge", "open", "--title", "Flip", "--theme", "80s", "--ends", "+7d", "--prize-xp", "200")
    bt = admin(db, "battle", "open", "--title", "Face-off", "--ends", "+2d", "--challenge", ch["id"])
    # slots: only one's own visible mashups, one entry per user
    assert rpc(db, a, "enter_battle", p_battle=bt["id"], p_mashup=m1)["status"] == "entered"
    with pytest.raises(psycopg.Error, match="already have an entry"):
        rpc(db, a, "enter_battle", p_battle=bt["id"], p_mashup=m2)
    with pytest.raises(psycopg.Error, match="not yours"):
        rpc(db, b, "enter_battle", p_battle=bt["id"], p_mashup=m2)
    with pytest.raises(psycopg.Error, match="not open"):  # one slot empty: no voting yet
        rpc(db, b, "cast_vote", p_battle=bt["id"], p_choice=m1)
    assert rpc(db, b, "enter_battle", p_battle=bt["id"], p_mashup=mb)["status"] == "entered"
    assert rpc(db, a, "submit_entry", p_challenge=ch["id"], p_mashup=m2)["status"] == "entered"

    with pytest.raises(psycopg.Error, match="own entry"):
        rpc(db, b, "cast_vote", p_battle=bt["id"], p_choice=mb)
    assert rpc(db, b, "cast_vote", p_battle=bt["id"], p_choice=m1)["status"] == "recorded"
    again = rpc(db, b, "cast_vote", p_battle=bt["id"], p_choice=m1)
    assert again == {"status": "already_voted", "choice": m1}
    battles = rpc(db, b, "community_battles")
    assert battles[0]["status"] == "open" and battles[0]["my_vote"] == m1
    assert battles[0]["votes_a"] is None  # counts only after closing

    before = xp_rows(db, a)
    admin(db, "battle", "end", bt["id"])
    admin(db, "challenge", "end", ch["id"])
    # run the scheduled close twice more, then 8 at once on separate connections
    assert admin(db, "close") == {"battles_closed": 0, "challenges_closed": 0}
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def closer() -> None:
        try:
            with psycopg.connect(db.dsn, autocommit=True) as conn:
                barrier.wait()
                conn.execute("select private.close_due()")
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=closer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert xp_rows(db, a) == [*before, ("win", 50), ("prize", 200)]
    with pytest.raises(psycopg.Error, match="not open"):
        rpc(db, b, "cast_vote", p_battle=bt["id"], p_choice=m1)
    assert scalar(db, "select count(*) from public.battle_votes") == 1

    prof = rpc(db, a, "my_profile")
    earned = {x["code"] for x in prof["badges"] if x["earned"]}
    assert {"battle_winner", "challenge_winner", "first_publish", "first_entry", "xp_100"} <= earned
    assert prof["xp"] == 20 + 20 + 25 + 50 + 200 and prof["level"] == 4 and prof["next_level_xp"] == 500
    assert prof["rank_all"] == 1 and [h["reason"] for h in prof["history"]][:2] == ["challenge prize", "battle win"]
    locked = {x["code"]: x for x in prof["badges"] if not x["earned"]}
    assert locked["xp_1000"]["progress"] == 315 and locked["xp_1000"]["target"] == 1000
    assert scalar(db, "select count(*) from public.user_badges where user_id = %s and badge_code in "
                      "('battle_winner', 'challenge_winner')", a) == 2
    done = rpc(db, None, "community_battles")[0]
    assert (done["status"], done["winner"], done["votes_a"], done["votes_b"]) == ("finished", m1, 1, 0)
    chal = rpc(db, b, "community_challenges")[0]
    assert chal["winner"] == m2 and chal["entries"][0]["id"] == m2

    # win XP exists as long as its cause: removing the battle removes XP and badge
    with db.connect(autocommit=True) as conn:
        conn.execute("delete from public.battles where id = %s", (bt["id"],))
    assert ("win", 50) not in xp_rows(db, a)
    assert "battle_winner" not in {x["code"] for x in rpc(db, a, "my_profile")["badges"] if x["earned"]}


def test_battle_without_votes_is_a_draw_and_clients_cannot_close(fresh_db: Db) -> None:
    db = fresh_db
    a = db.create_user()
    bt = admin(db, "battle", "open", "--title", "Empty", "--ends", "+1h")
    with pytest.raises(psycopg.Error, match="permission denied"):
        rpc(db, a, "community_close_due")
    assert admin(db, "battle", "end", bt["id"])["battles_closed"] == 1
    assert scalar(db, "select winner_id from public.battle_outcomes") is None
    assert scalar(db, "select count(*) from public.xp_ledger") == 0


def test_trending_ranks_sources_by_recent_use(fresh_db: Db) -> None:
    db = fresh_db
    a, b = db.create_user(), db.create_user()
    db.set_tier(a, "pro")
    hit = {"title": "Hit", "artist": "Star", "fingerprint": "AQhit"}
    publish(db, a, "x", [hit, {"title": "Rare", "artist": "Indie"}])
    publish(db, a, "y", [hit])
    publish(db, b, "z", [{"title": " hit", "artist": "STAR "}])  # same song: artist and title normalised
    assert admin(db, "trending")["sounds"] >= 2
    t = rpc(db, None, "trending")
    assert t["sounds"][0]["title"].strip().lower() == "hit" and t["sounds"][0]["mashups"] == 3 and t["sounds"][0]["rank"] == 1
    assert t["external"] == []
    assert admin(db, "trending") == {"sounds": len(t["sounds"])}  # recomputed in place, not duplicated


def test_trending_counts_a_recording_once_under_other_titles(fresh_db: Db, recordings: dict[str, Any]) -> None:
    """Real fingerprints (fpcalc): the same song as FLAC and as an MP3 rip, under other titles and
    artists, is one trending sound; a source without a fingerprint joins it by artist and title; a
    different song stays apart; the job reports the grouping and keeps it on a second run."""
    from backend.jobs.trending import run

    db = fresh_db
    a, b = db.create_user(), db.create_user()
    db.set_tier(a, "pro")
    hit, hit_rip, other = recordings["hit"], recordings["hit_rip"], recordings["other"]
    assert hit.compressed != hit_rip.compressed
    publish(db, a, "x", [{"title": "Hit", "artist": "Star", "fingerprint": hit.compressed, "duration_s": hit.duration},
                         {"title": "Other", "artist": "Band", "fingerprint": other.compressed}])
    publish(db, a, "y", [{"title": "Hit (Radio Edit)", "artist": "Star feat. Guest", "fingerprint": hit_rip.compressed,
                          "duration_s": hit_rip.duration}])
    publish(db, b, "z", [{"title": " hit", "artist": "STAR "}])  # no fingerprint: joins by artist and title
    publish(db, b, "w", [{"title": "Hit", "artist": "Star", "fingerprint": hit.compressed},  # twice in one mashup:
                         {"title": "Hit (loop)", "artist": "Star", "fingerprint": hit.compressed}])  # counted once
    report = run(db.dsn, {})  # the job's body (its command line: tests/community/test_trending_job.py)
    assert report["recordings"] == {"sources": 5, "recordings": 2, "regrouped": 5} and report["sounds"] == 2
    t = rpc(db, None, "trending")
    (first, second) = t["sounds"]
    assert (first["mashups"], second["mashups"]) == (4, 1) and second["title"] == "Other"
    assert first["fingerprint"] in (hit.compressed, hit_rip.compressed)  # Start a mashup can match it in a library
    assert admin(db, "trending") == {"sounds": 2}  # the admin command groups the same way; keys stay put
    assert scalar(db, "select count(distinct recording_key) from public.mashup_sources") == 2


def test_public_names_of_entries_and_comments(fresh_db: Db) -> None:
    """QA finding 8: an account with a username and the default '' display name is named by its
    username under its entries and comments (coalesce took the ''); a display name wins; no name: ''."""
    db = fresh_db
    a, b, c = db.create_user(), db.create_user(), db.create_user()
    with db.connect(autocommit=True) as conn:
        conn.execute("update public.profiles set username = 'dj_a' where id = %s", (a,))
        conn.execute("update public.profiles set username = 'dj_b', display_name = 'Bea' where id = %s", (b,))
    ma, mb, mc = publish(db, a, "A one"), publish(db, b, "B one"), publish(db, c, "C one")
    ch = admin(db, "challenge", "open", "--title", "Flip", "--ends", "+7d", "--prize-xp", "10")
    for uid, m in ((a, ma), (b, mb), (c, mc)):
        assert rpc(db, uid, "submit_entry", p_challenge=ch["id"], p_mashup=m)["status"] == "entered"
    (chal,) = rpc(db, c, "community_challenges")
    assert {e["title"]: e["owner"] for e in chal["entries"]} == {"A one": "dj_a", "B one": "Bea", "C one": ""}
    assert rpc(db, a, "my_mashups")[0]["owner"] == "dj_a"
    for uid in (a, b, c):
        rpc(db, uid, "post_comment", p_mashup=ma, p_body=f"hi from {uid[:4]}")
    got = rpc(db, None, "mashup_comments", p_mashup=ma, p_before=None, p_limit=10)["comments"]
    assert sorted(x["author"] for x in got) == ["", "Bea", "dj_a"]
    assert [x["mine"] for x in rpc(db, a, "mashup_comments", p_mashup=ma, p_before=None, p_limit=10)["comments"]
            ].count(True) == 1
