"""Issue 16 through the widgets of two studios against the local backend:
A publishes from the Publish dialog with remixes allowed and "Set up revenue
split…" ticked (the project goes to the cloud with the mashup, the licence
is set, the Splits page opens the recipients editor of a new draft for that
mashup); the mashup enters a battle; on B's Battles page the entry offers
"Remix this" (A's own page does not), which copies the project, downloads
its media and opens the remix in B's editor, credited to A's mashup.
Screenshots go to MASHUPS_SHOTS (default /tmp/h16-shots)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QDialog, QPushButton

from audio_engine.credits import project_credits
from tests.cloud.conftest import Db
from tests.cloud.test_project_sync import two_song_project
from tests.studio.conftest import wait_jobs
from tests.studio.test_cloud_studio import gw, sign_in_from_header, studios

__all__ = ["gw", "studios"]
pytestmark = pytest.mark.slow
SHOTS = Path(os.environ.get("MASHUPS_SHOTS", "/tmp/h16-shots"))


def shot(widget: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    img = widget.grab().toImage()
    img.save(str(SHOTS / f"{name}.png"))
    assert len({img.pixel(x, y) for x in range(0, img.width(), 13) for y in range(0, img.height(), 13)}) > 3


def test_publish_allowing_remixes_with_a_split_then_remix_this_opens_the_copy(
        studios: Any, qtbot: Any, db: Db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from studio.views.splits_page import RecipientsDialog

    wa, wb = studios("remix-a"), studios("remix-b")
    sign_in_from_header(qtbot, wa, f"creator-{os.getpid()}@example.test", "correct horse battery", sign_up=True)
    sign_in_from_header(qtbot, wb, f"remixer-{os.getpid()}@example.test", "correct horse battery", sign_up=True)
    editors: list[tuple[str, list[tuple[str, int, str | None]], str]] = []
    monkeypatch.setattr(RecipientsDialog, "exec", lambda self: editors.append((
        self.windowTitle(), [(r.role, r.share_bps, r.account) for r in self.recipients()], self.total.text()))
        or QDialog.DialogCode.Rejected)

    # A: File → Publish mashup… for a saved project, remixes allowed, split ticked
    folder = two_song_project(tmp_path / "work")
    wa.projects_page.publish_requested.emit(str(folder))
    dlg = wa.publish_dialog
    dlg.remix.setCurrentIndex(dlg.remix.findData("remix-with-credit"))
    dlg.visibility.setCurrentText("unlisted")
    dlg.split.setChecked(True)
    shot(dlg, "publish-dialog")
    dlg.publish_btn.click()
    assert "Only public mashups can be remixed" in dlg.note.text() and dlg.publish_btn.isEnabled()
    dlg.visibility.setCurrentText("public")
    with qtbot.waitSignal(dlg.split_requested, timeout=180000) as sig:
        dlg.publish_btn.click()
    mid = str(sig.args[0])
    with db.connect() as conn:
        row = conn.execute("select m.remix_licence, p.owner_id = m.owner_id same_owner from public.mashups m "
                           "join public.projects p on p.id = m.project_id where m.id = %s", (mid,)).fetchone()
    assert row == {"remix_licence": "remix-with-credit", "same_owner": True}
    qtbot.waitUntil(lambda: editors != [], timeout=60000)  # the Splits page opened the new draft's recipients
    me = wa.s.cloud.session.require().auth.user_id
    assert wa.stack.currentWidget() is wa.splits_page  # the new draft's editor starts with A as creator, 100 %
    assert editors == [("Recipients of “Two songs” (version 1)", [("creator", 10000, me)], "Total 100 %")]

    with db.connect(autocommit=True) as conn:
        conn.execute("insert into public.battles (title, mashup_a, starts_at, ends_at) values "
                     "('Remix duel', %s, now() - interval '1 minute', now() + interval '1 day')", (mid,))
    # A's own entry: no "Remix this"
    wa.go("Battles")
    page_a = wa.pages["Battles"]
    qtbot.waitUntil(lambda: page_a.loading == 0 and page_a.fetched is not None, timeout=60000)
    assert page_a.findChild(QPushButton, f"remix_{mid}") is None

    # B: the entry of a challenge offers it too
    with db.connect(autocommit=True) as conn:
        ch = conn.execute("insert into public.challenges (title, starts_at, ends_at) values ('Flip it', "
                          "now() - interval '1 minute', now() + interval '1 day') returning id").fetchone()
        conn.execute("insert into public.challenge_entries (challenge_id, user_id, mashup_id) "
                     "select %s, owner_id, id from public.mashups where id = %s", (ch["id"], mid))
    wb.go("Challenges")
    qtbot.waitUntil(lambda: wb.pages["Challenges"].findChild(QPushButton, f"remix_{mid}") is not None, timeout=60000)
    # B: Battles → Remix this → the copy opens in B's editor
    wb.go("Battles")
    page_b = wb.pages["Battles"]
    qtbot.waitUntil(lambda: page_b.loading == 0 and page_b.findChild(QPushButton, f"remix_{mid}") is not None,
                    timeout=60000)
    button = page_b.findChild(QPushButton, f"remix_{mid}")
    assert button.isEnabled() and "Remix allowed with credit" in button.toolTip()
    shot(wb, "battles-remix-this")
    button.click()
    wait_jobs(qtbot, wb.s.jobs, 120)
    qtbot.waitUntil(lambda: wb.stack.currentWidget() is wb.editor_page, timeout=30000)
    p = wb.editor_page.doc.project
    assert p.title == "Two songs (remix)" and len(p.clips()) == 3
    assert Path(wb.editor_page.doc.path).parent == Path(wb.s.projects_dir)
    (work,) = project_credits(p).lineage
    assert (work.id, work.depth, work.licence) == (mid, 1, "remix-with-credit")
    assert "Remixed Two songs" in page_b.notice.text()
    shot(wb, "editor-remix-opened")
