"""Comments through the Battles page's widgets against the local backend
(real PostgreSQL + the HTTP gateway, two signed-in studios): B opens the
comments under A's entry, a too-long comment is refused before sending and
stays in the box, B posts one (the count follows on both studios, Delete only
on B's own), the server's rate limit is explained and loses the text nowhere,
B deletes theirs; A's My mashups shows the real count and Unpublish works from
its button. Screenshots light and dark, checked non-blank."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtWidgets import QApplication, QLabel, QPlainTextEdit, QPushButton

from studio.theme import Theme
from studio.views.analytics_page import AnalyticsPage
from studio.views.battles_page import BattlesPage
from sync.community import PublishRequest
from tests.cloud.conftest import Db

from .conftest import Studio, wait_loaded
from .test_pages import SHOTS, button, non_blank, run_admin, wait_status

pytestmark = pytest.mark.slow


def comment_texts(page: BattlesPage) -> list[str]:
    return [lab.text().split("\n", 1)[1] for lab in page.findChildren(QLabel, "comment_body")]


def comment_authors(page: BattlesPage) -> list[str]:
    return [lab.text().split(" · ", 1)[0] for lab in page.findChildren(QLabel, "comment_body")]


def test_comments_on_battle_entries_two_studios(two_studios: dict[str, Studio], fresh_db: Db, tmp_path: Path,
                                                qtbot: Any, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    studios = two_studios
    cla, clb = studios["a"][1], studios["b"][1]
    audio = tmp_path / "mix.wav"
    t = np.linspace(0, 1.0, 44100, endpoint=False)
    sf.write(audio, (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 44100)
    m1 = cla.publish(PublishRequest(audio, "A one"))["mashup_id"]
    mb = clb.publish(PublishRequest(audio, "B one"))["mashup_id"]
    bt = run_admin(fresh_db, monkeypatch, capsys, "battle", "open", "--title", "Face-off", "--ends", "+2d")
    cla.enter_battle(bt["id"], m1)
    clb.enter_battle(bt["id"], mb)
    pa, pb = BattlesPage(*studios["a"]), BattlesPage(*studios["b"])
    for p in (pa, pb):
        qtbot.addWidget(p)
        p.resize(1100, 900)

    wait_loaded(qtbot, pb)
    toggle = button(pb, f"comments_{m1}")
    assert toggle.text() == "0 comments"
    toggle.click()
    qtbot.waitUntil(lambda: (s := pb.findChild(QLabel, "comments_state")) is not None
                    and s.text() == "No comments yet.", timeout=30000)
    edit = pb.findChild(QPlainTextEdit, f"comment_edit_{m1}")
    assert edit is not None and edit.isEnabled()
    edit.setPlainText("x" * 2001)  # refused before sending; the text stays
    button(pb, f"comment_post_{m1}").click()
    assert "at most 2000" in pb.notice.text() and len(edit.toPlainText()) == 2001
    edit.setPlainText("  Great flip!  ")
    button(pb, f"comment_post_{m1}").click()
    wait_status(qtbot, pb, lambda t: t == "Comment posted.")
    wait_loaded(qtbot, pb)  # the page reloads: the count follows and the panel stays open with the comment
    assert button(pb, f"comments_{m1}").text() == "1 comment"
    qtbot.waitUntil(lambda: comment_texts(pb) == ["Great flip!"], timeout=30000)
    assert comment_authors(pb) == ["you"]  # QA finding 8: not "someone"
    (mine,) = clb.comments(m1).data["comments"]
    assert pb.findChild(QPushButton, f"comment_delete_{mine['id']}") is not None

    # A sees the count and the comment, with no Delete on B's comment
    wait_loaded(qtbot, pa)
    assert button(pa, f"comments_{m1}").text() == "1 comment"
    button(pa, f"comments_{m1}").click()
    qtbot.waitUntil(lambda: comment_texts(pa) == ["Great flip!"], timeout=30000)
    assert comment_authors(pa) == ["creator"]  # B never set a public name
    assert pa.findChild(QPushButton, f"comment_delete_{mine['id']}") is None

    # the server's rate limit (6 a minute): explained, and the text stays in the box
    for i in range(5):
        clb.post_comment(m1, f"more {i}")
    wait_loaded(qtbot, pb)
    edit = pb.findChild(QPlainTextEdit, f"comment_edit_{m1}")
    assert edit is not None
    edit.setPlainText("one too many")
    button(pb, f"comment_post_{m1}").click()
    wait_status(qtbot, pb, lambda t: "too fast" in t)
    assert edit.toPlainText() == "one too many"
    assert clb.comments(m1).data["total"] == 6

    SHOTS.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    qtbot.waitUntil(lambda: len(comment_texts(pb)) == 6, timeout=30000)
    for theme in ("light", "dark"):
        Theme(theme).apply(app)
        pb.show()
        qtbot.wait(50)
        img = pb.grab().toImage()
        img.save(str(SHOTS / f"BattlesPage-comments-{theme}.png"))
        assert non_blank(img), theme

    # B deletes the first comment from its button; the count follows
    button(pb, f"comment_delete_{mine['id']}").click()
    wait_status(qtbot, pb, lambda t: t == "Comment deleted.")
    wait_loaded(qtbot, pb)
    assert button(pb, f"comments_{m1}").text() == "5 comments"
    assert "Great flip!" not in comment_texts(pb)

    # A's My mashups: the real count; Unpublish from its button removes the mashup (and its comments)
    an = AnalyticsPage(*studios["a"])
    qtbot.addWidget(an)
    wait_loaded(qtbot, an)
    stats = an.findChild(QLabel, f"mashup_stats_{m1}")
    assert stats is not None and "5 comments" in stats.text()
    # the chart follows a theme switch (pyqtgraph's own background is black in both)
    assert an.plot is not None
    low, high = an.plot.getViewBox().viewRange()[1]
    assert low == 0 and high >= 1  # counts: the axis starts at 0 (auto-range padded it below)
    shade = {}
    for theme in ("dark", "light"):
        Theme(theme).apply(app)
        qtbot.wait(50)
        shade[theme] = an.plot.grab().toImage().pixelColor(8, 8).lightness()
    assert shade["light"] > 200 and shade["dark"] < 60, shade
    button(an, f"unpublish_{m1}").click()
    wait_status(qtbot, an, lambda t: t == "Unpublished A one.")
    assert cla.my_mashups().data == []
    with fresh_db.connect() as conn:
        row = conn.execute("select count(*) n from public.mashup_comments").fetchone()
    assert row is not None and row["n"] == 0
