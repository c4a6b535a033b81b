"""The community in the whole studio window (local backend: real PostgreSQL +
the HTTP gateway): Projects → Publish… shows the plan's remaining publishes
before the click, opens the publish dialog for the selected project and
publishes it (the count follows; used up, the button says why); then
Trending's "Start a mashup" finds the published source song in the library by
its fingerprint, under another title, and opens the editor with it; title
fallback; not in the library asks for the file."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from audio_engine.project import MediaStore, save_project
from audio_engine.project.media import add_song
from tests.cloud.conftest import Db, db, gw, pg_server, template_db  # noqa: F401  (fixtures)
from tests.corpus import Song
from tests.project.helpers import two_song_tracks
from tests.studio.test_cloud_studio import click, projects_row, sign_in_from_header, studios  # noqa: F401

from .conftest import wait_jobs

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("fpcalc") is None, reason="fpcalc (libchromaprint-tools) not installed")]


def excerpt(song: Song, dest: Path, seconds: float = 8.0) -> Path:
    """The first seconds of a real corpus song (real music fingerprints apart; tones do not)."""
    from audio_engine import io

    io.save(io.load(song.mix).slice(0.0, seconds), dest)
    return dest


def corpus_project(tmp: Path, songs: list[Song]) -> tuple[Path, Path, Path]:
    """A saved .mashup with two real corpus song excerpts (4 s of each) on two tracks, and the excerpts."""
    store = MediaStore(tmp / "lib")
    (tmp / "src").mkdir(parents=True, exist_ok=True)
    f0, f1 = excerpt(songs[0], tmp / "src" / "night.flac"), excerpt(songs[1], tmp / "src" / "sunrise.flac")
    a = add_song(store, f0, bpm=120.0, title="Night Drive", artist="Neon")
    b = add_song(store, f1, bpm=120.0, title="Sunrise", artist="Dawn")
    p, _ = two_song_tracks("Night flip", a, b)
    return save_project(p, tmp / "made" / "Night flip.mashup", media_sources=store), f0, f1


def test_publish_from_projects_then_start_a_mashup_from_trending(studios: Any, qtbot: Any, db: Db,  # noqa: F811
                                                                  songs: list[Song], tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QFileDialog, QPushButton

    from studio.views.trending_page import TrendingPage

    a = studios("home-community")
    sign_in_from_header(qtbot, a, f"pub-{time.monotonic_ns()}@example.test", "secret-pw", sign_up=True)
    uid = a.s.cloud.session.cloud.auth.user_id
    folder = a.s.projects_dir / "Night flip.mashup"
    folder.parent.mkdir(parents=True, exist_ok=True)
    made, night, sunrise = corpus_project(tmp_path, songs)
    shutil.move(str(made), folder)

    # Projects: the remaining publishes are on the page before the click
    a.go("Projects")
    page = a.projects_page
    projects_row(a, "Night flip")
    qtbot.waitUntil(lambda: page.publish_quota.text() == "3 of 3 publishes this month left", timeout=30000)
    assert page.publish_btn.isEnabled()
    click(qtbot, page.publish_btn)
    dlg = a.publish_dialog
    assert dlg.isVisible() and dlg.project == folder  # the selected project, not the editor's
    qtbot.waitUntil(lambda: dlg.quota.text() == "3 of 3 publishes this month left", timeout=30000)
    dlg.title_edit.setText("Night flip")
    with qtbot.waitSignal(dlg.published, timeout=120000) as sig:
        click(qtbot, dlg.publish_btn)
    assert sig.args[0]["status"] == "published" and sig.args[0]["sources"] == 2
    qtbot.waitUntil(lambda: page.publish_quota.text() == "2 of 3 publishes this month left", timeout=30000)

    # used up (two more published elsewhere this month): the button is off and says why
    with db.connect(autocommit=True) as conn:
        conn.execute("update public.usage_counters set used = 3 where user_id = %s "
                     "and metric = 'published_mashups_per_month'", (uid,))
    a.billing_page.refresh()
    qtbot.waitUntil(lambda: page.publish_quota.text() == "0 of 3 publishes this month left", timeout=30000)
    projects_row(a, "Night flip")
    assert not page.publish_btn.isEnabled() and "used up" in page.publish_btn.toolTip()

    # Trending: the server ranks the published sources; the library holds song 0 under another title
    from backend.jobs.trending import rank

    with db.connect(autocommit=True) as conn:
        assert rank(conn) == 2
    lib_copy = tmp_path / "track01.flac"
    shutil.copyfile(night, lib_copy)
    lib_song = a.s.library.set_tags(a.s.library.add(lib_copy).id, title="track01", artist="")
    trending = a.community_pages["Trending"]
    assert isinstance(trending, TrendingPage)
    a.go("Trending")
    qtbot.waitUntil(lambda: trending.fetched is not None and trending.loading == 0, timeout=30000)
    sounds = {s["title"]: s for s in trending.fetched.data["sounds"]}  # type: ignore[union-attr]
    assert set(sounds) == {"Night Drive", "Sunrise"} and sounds["Night Drive"]["fingerprint"].startswith("AQAA")
    start = trending.findChild(QPushButton, f"start_{sounds['Night Drive']['rank']}")
    assert start is not None
    with qtbot.waitSignal(trending.start_with_song, timeout=60000) as found:
        click(qtbot, start)
    assert found.args == [lib_song.id] and "by its fingerprint" in trending.notice.text()
    qtbot.waitUntil(lambda: a.stack.currentWidget() is a.editor_page, timeout=30000)
    qtbot.waitUntil(lambda: [m.hash for m in a.editor_page.doc.project.media.values()] == [lib_song.content_hash],
                    timeout=60000)  # the editor opened with it (the song is added as a job)

    # no fingerprint: by title and artist; not in the library at all: it asks for the file
    m = trending.find_local({"title": " TRACK01", "artist": "", "fingerprint": None})
    assert m is not None and (m.song.id, m.how) == (lib_song.id, "title")
    asked: list[str] = []

    def choose(*args: Any, **kw: Any) -> tuple[str, str]:
        asked.append(str(args[1]))
        return str(sunrise), ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", choose)
    trending.import_file.disconnect()  # the signal is the contract here: no library import + analysis to wait for
    with qtbot.waitSignal(trending.import_file, timeout=60000) as picked:
        trending.start(sounds["Sunrise"])  # song 1 is not in the library under any name
    assert picked.args == [str(sunrise)] and asked == ["Where is Sunrise?"]
    wait_jobs(qtbot, a.s.jobs)
