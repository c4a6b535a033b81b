"""The community pages through their widgets against the local backend (real
PostgreSQL + the HTTP gateway, two signed-in studios): A and B enter a
battle, A enters a challenge, B's vote for their own entry is refused and
explained, B's vote for A counts once, the admin closes twice, A's profile
shows the XP and badges once, B's play from the Battles page is on A's
analytics, CSV export, trending, offline marking; every page screenshotted
in light and dark and checked non-blank."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtWidgets import QApplication, QLabel, QPushButton

from backend import admin
from backend.devserver.gateway import Gateway
from studio.jobs import JobRunner
from studio.theme import Theme
from studio.views.analytics_page import AnalyticsPage
from studio.views.battles_page import BattlesPage
from studio.views.challenges_page import ChallengesPage
from studio.views.community_common import CommunityPage
from studio.views.profile_page import ProfilePage
from studio.views.trending_page import TrendingPage
from sync.community import PublishRequest, SourceSong
from tests.cloud.conftest import Db

from .conftest import Studio, signed_up_studio, wait_loaded

pytestmark = pytest.mark.slow
SHOTS = Path(os.environ.get("MASHUPS_SHOTS", "/tmp/h12-shots"))


def run_admin(db: Db, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    monkeypatch.setenv("DATABASE_URL", db.dsn)
    assert admin.main(list(args)) == 0
    return json.loads(capsys.readouterr().out)


def wait_status(qtbot: Any, page: CommunityPage, cond: Any) -> None:
    try:
        qtbot.waitUntil(lambda: cond(page.notice.text()), timeout=30000)
    except Exception as e:
        raise AssertionError(f"notice: {page.notice.text()!r}, status: {page.status.text()!r}") from e


def button(page: CommunityPage, name: str) -> QPushButton:
    b = page.findChild(QPushButton, name)
    assert b is not None, f"no button {name}"
    return b


def non_blank(img: Any) -> bool:
    arr = np.array([[img.pixel(x, y) & 0xFFFFFF for x in range(0, img.width(), 7)]
                    for y in range(0, img.height(), 7)])
    return len(np.unique(arr)) > 8 and float(np.std(arr)) > 0


def test_community_pages_two_studios(two_studios: dict[str, Studio], fresh_gw: Gateway, fresh_db: Db,
                                     tmp_path: Path, qtbot: Any, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    db, gw, studios = fresh_db, fresh_gw, two_studios
    cla, clb = studios["a"][1], studios["b"][1]
    audio = tmp_path / "mix.wav"
    t = np.linspace(0, 2.0, 88200, endpoint=False)
    sf.write(audio, (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 44100)
    src = (SourceSong("Hit", "Star", "AQAAhit", 200.0),)
    m1 = cla.publish(PublishRequest(audio, "A one", sources=src))["mashup_id"]
    m2 = cla.publish(PublishRequest(audio, "A two", sources=src))["mashup_id"]
    mb = clb.publish(PublishRequest(audio, "B one", sources=src))["mashup_id"]
    bt = run_admin(db, monkeypatch, capsys, "battle", "open", "--title", "Face-off", "--ends", "+2d")
    ch = run_admin(db, monkeypatch, capsys, "challenge", "open", "--title", "Flip", "--theme", "Tones",
                   "--rules", "Two songs or more.", "--ends", "+7d", "--prize-xp", "200")

    pages: dict[str, list[CommunityPage]] = {}
    for who, (ctl, client) in studios.items():
        pages[who] = [BattlesPage(ctl, client), ChallengesPage(ctl, client), ProfilePage(ctl, client),
                      AnalyticsPage(ctl, client), TrendingPage(ctl, client)]
        for p in pages[who]:
            qtbot.addWidget(p)
            p.resize(1100, 800)
    battles_a, chal_a, prof_a, anal_a, trend_a = pages["a"]
    battles_b = pages["b"][0]

    # A and B enter the battle from the page (the slot's combo holds their published mashups)
    wait_loaded(qtbot, battles_a)
    assert battles_a.fetched is not None and battles_a.fetched.data[0]["status"] == "open"
    from PySide6.QtWidgets import QComboBox
    pick = battles_a.findChild(QComboBox, "enter_choice")
    assert pick is not None and pick.count() == 2
    pick.setCurrentIndex(pick.findData(m1))
    enter = button(battles_a, f"enter_{bt['id']}")
    assert enter.isEnabled()
    enter.click()
    wait_status(qtbot, battles_a, lambda t: t == "Entered.")
    wait_loaded(qtbot, battles_a)  # one entry per person: A's page offers no second Enter (QA: it did, then refused)
    assert not [w for w in battles_a.findChildren(QPushButton, f"enter_{bt['id']}") if w.isVisibleTo(battles_a)]
    assert any("You are in this battle" in w.text() for w in battles_a.findChildren(QLabel))
    wait_loaded(qtbot, battles_b)
    button(battles_b, f"enter_{bt['id']}").click()
    wait_status(qtbot, battles_b, lambda t: t == "Entered.")
    wait_loaded(qtbot, chal_a)
    combo = chal_a.findChild(QComboBox, "challenge_choice")
    assert combo is not None
    combo.setCurrentIndex(combo.findData(m2))
    button(chal_a, f"enter_challenge_{ch['id']}").click()
    wait_status(qtbot, chal_a, lambda t: t == "Entered.")
    # names (QA finding 8): your own entry says "you", another's its creator's public name
    wait_loaded(qtbot, chal_a)
    assert [x.text() for x in chal_a.findChildren(QLabel, "challenge_entry")] == ["1. A two — you · score 0"]
    with db.connect(autocommit=True) as conn:
        conn.execute("update public.profiles set display_name = 'Alice' where id = %s",
                     (studios["a"][0].session.require().auth.user_id,))

    # B votes: own entry refused with the server's reason, A's counted, then no more vote buttons
    wait_loaded(qtbot, battles_b)
    entry_owner = {battles_b.fetched.data[0][s]["id"] for s in ("a", "b")}  # type: ignore[union-attr]
    assert entry_owner == {m1, mb}
    assert {w.text() for w in battles_b.findChildren(QLabel) if w.text().startswith("by ")} == {
        "by Alice · 0 plays", "by you · 0 plays"}
    assert battles_b.findChild(QPushButton, f"vote_{mb}") is None  # the page explains instead
    own = battles_b.findChild(QLabel, f"own_{mb}")
    assert own is not None and "never for your own" in own.text()
    with pytest.raises(Exception, match="own entry"):  # and the server refuses it anyway
        clb.vote(bt["id"], mb)
    button(battles_b, f"vote_{m1}").click()
    wait_status(qtbot, battles_b, lambda t: t == "Vote recorded.")
    wait_loaded(qtbot, battles_b)
    assert battles_b.findChild(QPushButton, f"vote_{m1}") is None
    # B plays A's entry from the page: streamed from Storage, a play logged for A
    button(battles_b, f"play_{m1}").click()
    wait_status(qtbot, battles_b, lambda t: t == "Playing A one")
    wait_loaded(qtbot, battles_b)
    wave = battles_b.findChild(QLabel, f"wave_{m1}")  # the streamed audio's waveform
    assert wave is not None
    img = wave.pixmap().toImage()
    drawn = sum(1 for x in range(img.width()) if any(img.pixelColor(x, y).alpha() for y in range(img.height())))
    assert drawn > 0.9 * img.width()  # a 2 s tone: drawn across the whole width

    button(battles_b, f"like_{m1}").click()
    wait_status(qtbot, battles_b, lambda t: t == "Liked.")
    assert battles_b.findChild(QPushButton, f"like_{mb}") is None  # not on one's own entry
    wait_loaded(qtbot, battles_b)
    run_admin(db, monkeypatch, capsys, "battle", "end", bt["id"])
    run_admin(db, monkeypatch, capsys, "challenge", "end", ch["id"])
    assert run_admin(db, monkeypatch, capsys, "close") == {"battles_closed": 0, "challenges_closed": 0}
    run_admin(db, monkeypatch, capsys, "trending")

    wait_loaded(qtbot, battles_b)
    result = battles_b.findChild(QLabel, "battle_result")
    assert result is not None and result.text() == "Result: 1 – 0 · winner: A one"
    wait_loaded(qtbot, prof_a)
    level = prof_a.findChild(QLabel, "profile_level")
    assert level is not None and level.text() == "Level 4 · 315 XP"
    for code in ("battle_winner", "challenge_winner", "first_publish", "first_entry"):
        lab = prof_a.findChild(QLabel, f"badge_{code}")
        assert lab is not None and lab.isEnabled(), code
    locked = prof_a.findChild(QLabel, "badge_xp_1000")
    assert locked is not None and not locked.isEnabled() and "locked: 315/1000" in locked.text()
    assert [x.text() for x in prof_a.findChildren(QLabel, "xp_history")].count(
        next(x.text() for x in prof_a.findChildren(QLabel, "xp_history") if "battle win" in x.text())) == 1
    wait_loaded(qtbot, anal_a)
    totals = anal_a.findChild(QLabel, "analytics_totals")
    assert totals is not None and "Plays: 1" in totals.text() and "Likes: 1" in totals.text() and "Votes: 1" in totals.text()
    csv = anal_a.export_csv(tmp_path / "a.csv").read_text().splitlines()
    assert csv[0] == "bucket_start,play,like,share,comment,vote" and sum(int(r.split(",")[1]) for r in csv[1:]) == 1
    pick_m = anal_a.findChild(QComboBox, "analytics_mashup")
    assert pick_m is not None and pick_m.count() == 3  # all, A one, A two
    pick_m.setCurrentIndex(pick_m.findData(m2))
    wait_loaded(qtbot, anal_a)
    totals = anal_a.findChild(QLabel, "analytics_totals")
    assert totals is not None and "Plays: 0" in totals.text() and "Votes: 0" in totals.text()
    wait_loaded(qtbot, chal_a)
    assert [x.text().endswith("· winner") for x in chal_a.findChildren(QLabel, "challenge_entry")] == [True]
    wait_loaded(qtbot, trend_a)
    assert trend_a.fetched is not None and trend_a.fetched.data["sounds"][0]["title"] == "Hit"

    # screenshots of every page, light and dark, non-blank
    SHOTS.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    for theme in ("light", "dark"):
        Theme(theme).apply(app)
        for p in pages["a"]:
            if theme == "light":
                wait_loaded(qtbot, p)  # the final state: results, winner, XP
            p.show()
            qtbot.wait(50)
            img = p.grab().toImage()
            img.save(str(SHOTS / f"{type(p).__name__}-{theme}.png"))
            assert non_blank(img), f"{type(p).__name__} {theme} is blank"

    # offline: the last answers, marked with their time; actions disabled with the reason
    gw.stop()
    wait_loaded(qtbot, prof_a)
    assert prof_a.fetched is not None and prof_a.fetched.offline and "Offline" in prof_a.status.text()
    wait_loaded(qtbot, battles_a)
    play = battles_a.findChild(QPushButton, f"play_{m1}")
    assert play is not None and not play.isEnabled() and "Needs the server" in play.toolTip()


def test_publish_dialog_shows_quota_refuses_bad_input_and_publishes(fresh_gw: Gateway, fresh_db: Db,
                                                                    tmp_path: Path, qtbot: Any) -> None:
    from studio.views.publish_dialog import PublishDialog
    from sync.billing import BillingClient
    from tests.cloud.test_project_sync import two_song_project

    jobs = JobRunner()
    ctl, client = signed_up_studio(fresh_gw, tmp_path, "home", jobs)
    s = ctl.session
    project = two_song_project(tmp_path / "proj")
    from audio_engine.paths import default_paths

    dlg = PublishDialog(ctl, client, BillingClient(s.require, None), project, paths=default_paths())
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitUntil(lambda: dlg.quota.text() == "3 of 3 publishes this month left", timeout=30000)
    dlg.title_edit.setText("   ")
    dlg.publish_btn.click()
    assert "title" in dlg.note.text() and dlg.publish_btn.isEnabled()
    dlg.title_edit.setText("Two songs, one flip")
    dlg.tags.setText("tones, test")
    with qtbot.waitSignal(dlg.published, timeout=120000) as sig:
        dlg.publish_btn.click()
    assert sig.args[0]["status"] == "published" and sig.args[0]["sources"] == 2
    (m,) = client.my_mashups().data
    assert m["title"] == "Two songs, one flip" and m["audio_path"] and m["peaks_path"]
    assert sorted(x["title"] for x in m["sources"]) == ["Song A", "Song B"]
    assert all(x["fingerprint"].startswith("AQ") for x in m["sources"])
    with fresh_db.connect() as conn:
        tags = conn.execute("select tags from public.mashups").fetchone()
    assert tags is not None and tags["tags"] == ["tones", "test"]
    jobs.shutdown(timeout=3)
