"""The issue's journey through the local backend (real PostgreSQL + the HTTP
gateway) as a user scripts it: two homes, the `mashups` CLI in real
subprocesses, the admin command with DATABASE_URL; then the client library
for analytics and offline reading."""

from __future__ import annotations

import json
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from backend.devserver.gateway import ANON_KEY, Gateway
from sync.auth import KeyringTokenStore
from sync.cloud import open_cloud
from sync.community import CommunityClient
from sync.config import CloudConfig
from sync.transport import RetryPolicy
from tests.cloud.conftest import Db
from tests.cloud.test_cli_cloud import mashups
from tests.cloud.test_e2e_http import MemoryKeyring
from tests.cloud.test_project_sync import two_song_project

from .conftest import admin

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def ok(p: subprocess.CompletedProcess[str]) -> Any:
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_two_users_journey_through_the_cli(tmp_path: Path, gw: Gateway, db: Db) -> None:
    ha, hb = tmp_path / "a", tmp_path / "b"
    ea, eb = f"a-{time.monotonic_ns()}@example.test", f"b-{time.monotonic_ns()}@example.test"
    for home, addr in ((ha, ea), (hb, eb)):
        assert mashups(home, gw, "account", "signup", addr, "--password-stdin", stdin="secret-pw\n").returncode == 0
    project = two_song_project(tmp_path / "proj")

    p1 = mashups(ha, gw, "publish", str(project), "--title", "A one", "--tag", "test", "--json")
    m1 = ok(p1)["mashup_id"]
    assert "3 of 3 publishes this month left" in p1.stderr  # the quota, shown before the upload
    srcs = ok(p1)["sources"]
    assert sorted(s["title"] for s in srcs) == ["Song A", "Song B"] and all(s["fingerprinted"] for s in srcs)
    m2 = ok(mashups(ha, gw, "publish", str(project), "--title", "A two", "--json"))["mashup_id"]
    mb = ok(mashups(hb, gw, "publish", str(project), "--title", "B one", "--json"))["mashup_id"]
    with db.connect() as conn:
        row = conn.execute("select count(*) n, count(*) filter (where fingerprint like 'AQ%%') fp "
                           "from public.mashup_sources").fetchone()
    assert row is not None and (row["n"], row["fp"]) == (6, 6)  # Chromaprint strings, computed locally

    ch = admin(db, "challenge", "open", "--title", "Flip", "--theme", "tones", "--ends", "+7d", "--prize-xp", "200")
    bt = admin(db, "battle", "open", "--title", "Face-off", "--ends", "+2d")
    assert ok(mashups(ha, gw, "battles", "enter", bt["id"], m1, "--json"))["status"] == "entered"
    assert ok(mashups(hb, gw, "battles", "enter", bt["id"], mb, "--json"))["status"] == "entered"
    assert ok(mashups(ha, gw, "challenges", "enter", ch["id"], m2, "--json"))["status"] == "entered"

    own = mashups(hb, gw, "battles", "vote", bt["id"], mb)
    assert own.returncode == 1 and "own entry" in own.stderr
    assert ok(mashups(hb, gw, "battles", "vote", bt["id"], m1, "--json"))["status"] == "recorded"
    again = ok(mashups(hb, gw, "battles", "vote", bt["id"], m1, "--json"))
    assert again == {"status": "already_voted", "choice": m1}
    shown = ok(mashups(hb, gw, "battles", "show", bt["id"], "--json"))
    assert shown["status"] == "open" and shown["my_vote"] == m1 and shown["a"]["title"] == "A one"

    # comments from the CLI: B posts on A's entry, A reads it (the count is on the battle too)
    posted = ok(mashups(hb, gw, "comments", "post", m1, "Great flip!", "--json"))
    assert posted["status"] == "posted" and posted["body"] == "Great flip!" and posted["mine"] is True
    listed = ok(mashups(ha, gw, "comments", "list", m1, "--json"))
    assert listed["total"] == 1 and [(c["body"], c["mine"]) for c in listed["comments"]] == [("Great flip!", False)]
    assert ok(mashups(hb, gw, "battles", "show", bt["id"], "--json"))["a"]["comments"] == 1

    admin(db, "battle", "end", bt["id"])
    admin(db, "challenge", "end", ch["id"])
    assert admin(db, "close") == {"battles_closed": 0, "challenges_closed": 0}
    late = mashups(hb, gw, "battles", "vote", bt["id"], m1)
    assert late.returncode == 1 and "not open" in late.stderr

    me = ok(mashups(ha, gw, "me", "--json"))
    assert me["xp"] == 20 + 20 + 25 + 50 + 200
    earned = [b["code"] for b in me["badges"] if b["earned"]]
    assert earned.count("battle_winner") == 1 and "challenge_winner" in earned
    assert [h["reason"] for h in me["history"]].count("battle win") == 1
    text = mashups(ha, gw, "me").stdout
    assert "level 4" in text and "Battle winner" in text
    lst = ok(mashups(hb, gw, "battles", "list", "--json"))
    assert lst[0]["winner"] == m1 and (lst[0]["votes_a"], lst[0]["votes_b"]) == (1, 0)
    chs = ok(mashups(hb, gw, "challenges", "list", "--json"))
    assert chs[0]["winner"] == m2 and chs[0]["entries"][0]["id"] == m2

    admin(db, "trending")
    tr = ok(mashups(hb, gw, "trending", "--json"))
    assert {s["title"] for s in tr["sounds"]} == {"Song A", "Song B"} and tr["sounds"][0]["mashups"] == 3
    assert "not configured" in mashups(hb, gw, "trending").stdout

    # analytics: B's play of A's mashup lands on A's series (in-process client)
    def client(name: str, addr: str) -> CommunityClient:
        cfg = CloudConfig(gw.url, ANON_KEY, timeout_s=5)
        c = open_cloud(cfg, data_dir=tmp_path / f"lib-{name}", token_store=KeyringTokenStore(cfg, MemoryKeyring()),
                       retry=RetryPolicy(attempts=1, initial_s=0.01, max_s=0.01), sleep=lambda s: None)
        assert c is not None
        c.auth.sign_in(addr, "secret-pw")
        return CommunityClient(lambda: c)

    ca, cb = client("a", ea), client("b", eb)
    assert cb.log_event(m1, "play")["accepted"] == 1
    assert cb.log_event(m1, "play")["accepted"] == 0  # windowed per listener (THREATS class 2)
    now = datetime.now(UTC)
    series, fetched = ca.timeseries("day", now - timedelta(days=6), now + timedelta(hours=1))
    assert series.total("play") == 1 and not fetched.offline
    assert series.to_csv().splitlines()[0] == "bucket_start,play,like,share,comment,vote"
    assert series.total("vote") == 1  # B's battle vote for A's entry
    assert series.total("comment") == 1  # B's comment (from the comments table, not a client event)
    one, _ = ca.timeseries("week", now - timedelta(days=20), now + timedelta(hours=1), m2)  # per mashup
    assert (one.total("play"), one.total("vote")) == (0, 0)
    with pytest.raises(Exception, match="not found"):
        cb.timeseries("day", now - timedelta(days=1), now, m1)  # someone else's mashup
    assert {m["title"]: m["plays"] for m in ca.my_mashups().data} == {"A one": 1, "A two": 0}

    assert not ca.profile().offline
    gw.stop()  # offline: the last answers, marked with their time
    prof = ca.profile()
    assert prof.offline and prof.data["xp"] == me["xp"] and "Offline" in prof.note()
    off = mashups(ha, gw, "me")
    assert off.returncode == 0 and "Offline" in off.stderr
