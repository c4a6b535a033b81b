"""The Splits page through its widgets against the local backend (real
PostgreSQL + the HTTP gateway): the owner sees a draft, edits recipients in
the dialog, activates it (the fee of their tier), the recipient's page shows
the share and earnings held under the minimum payout; screenshots checked
non-blank (MASHUPS_SHOTS keeps them)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QDialog, QLabel, QPushButton

from backend.devserver.gateway import Gateway
from studio.jobs import JobRunner
from studio.views.splits_page import RecipientsDialog, SplitsPage
from sync.splits import Recipient
from tests.cloud.conftest import Db
from tests.community.conftest import signed_up_studio, wait_loaded
from tests.studio.test_cloud_studio import studios  # noqa: F401 - fixture

pytestmark = pytest.mark.slow
SHOTS = Path(os.environ.get("MASHUPS_SHOTS", "/tmp/h16-shots"))


@pytest.fixture
def gw(fresh_gw: Gateway) -> Gateway:
    """The studio window's ``studios`` fixture takes ``gw``: here, this test's own database."""
    return fresh_gw


def page_for(gw: Gateway, tmp_path: Path, who: str, jobs: JobRunner, qtbot: Any) -> tuple[SplitsPage, str, str]:
    mail = f"{who}-{os.getpid()}@example.test"
    ctl, client = signed_up_studio(gw, tmp_path, who, jobs, mail)
    uid = ctl.session.require().auth.user_id
    page = SplitsPage(ctl, client, ctl.session.require)
    qtbot.addWidget(page)
    page.resize(1000, 700)
    return page, str(uid), mail


def texts(page: SplitsPage) -> str:
    return "\n".join(w.text() for w in page.findChildren(QLabel) if w.isVisibleTo(page))


def test_splits_page_owner_and_recipient(fresh_gw: Gateway, fresh_db: Db, tmp_path: Path, qtbot: Any,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    gw, jobs = fresh_gw, JobRunner()
    owner_page, owner, _ = page_for(gw, tmp_path, "owner", jobs, qtbot)
    rec_page, rec, rec_mail = page_for(gw, tmp_path, "rec", jobs, qtbot)
    with fresh_db.connect(autocommit=True) as conn:
        row = conn.execute("insert into public.mashups (owner_id, title) values (%s, 'Night Drive x Glass') "
                           "returning id", (owner,)).fetchone()
    assert row is not None
    mashup = str(row["id"])
    wait_loaded(qtbot, owner_page)
    assert "No splits yet" in texts(owner_page)
    owner_page.split_for_mashup(mashup)
    qtbot.waitUntil(lambda: "draft split was made" in owner_page.notice.text(), timeout=30000)
    wait_loaded(qtbot, owner_page)
    assert owner_page.earnings is not None
    (view,) = owner_page.earnings.splits
    assert view.status == "draft" and "version 1 · draft" in texts(owner_page)
    # The dialog refuses more than 100 % with the reason and keeps the rows.
    dlg = RecipientsDialog(view, owner_page)
    qtbot.addWidget(dlg)
    dlg.add_row(Recipient("Me", "creator", 7500, account=owner))
    dlg.add_row(Recipient("Vox", "vocalist", 3000, account=rec))
    dlg._accept()
    assert "cannot pass 100 %" in dlg.error.text() and dlg.result() != QDialog.DialogCode.Accepted
    assert len(dlg.recipients()) == 2
    monkeypatch.setattr(RecipientsDialog, "exec", lambda self: QDialog.DialogCode.Accepted)
    monkeypatch.setattr(RecipientsDialog, "recipients", lambda self: [
        Recipient("Me", "creator", 7500, account=owner), Recipient("Vox", "vocalist", 2500, account=rec)])
    owner_page.findChild(QPushButton, f"split_edit_{view.split}").click()
    qtbot.waitUntil(lambda: "shares total 100 %" in owner_page.notice.text(), timeout=30000)
    wait_loaded(qtbot, owner_page)
    owner_page.findChild(QPushButton, f"split_activate_{view.split}").click()
    qtbot.waitUntil(lambda: "platform fee of 20 %" in owner_page.notice.text(), timeout=30000)
    wait_loaded(qtbot, owner_page)
    assert "version 1 · active · platform fee 20 %" in texts(owner_page)
    assert owner_page.findChild(QPushButton, f"split_pause_{view.split}") is not None
    with fresh_db.connect(autocommit=True) as conn:
        conn.execute("set role service_role")
        conn.execute("select public.record_revenue(%s, 2000, 'admin', 'page-1', '2020-01-01')", (mashup,))
    wait_loaded(qtbot, rec_page)
    shown = texts(rec_page)
    assert "Earned $4.00 · payable $0.00 · held over $4.00 (minimum payout $10.00)" in shown  # 2000*0.8*0.25
    assert "▶ Vox · vocalist · 25 % (20 % of revenue)" in shown
    assert rec_page.findChild(QPushButton, f"split_pause_{view.split}") is None  # not the owner
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, page in (("owner", owner_page), ("recipient", rec_page)):
        img = page.grab().toImage()
        img.save(str(SHOTS / f"splits-{name}.png"))
        colours = {img.pixel(x, y) for x in range(0, img.width(), 11) for y in range(0, img.height(), 11)}
        assert len(colours) > 3


def test_splits_page_in_the_studio_window(studios: Any, qtbot: Any, fresh_db: Db) -> None:  # noqa: F811
    """The sidebar's Splits entry opens the page in a signed-in studio (themed
    window screenshot kept in MASHUPS_SHOTS)."""
    from PySide6.QtWidgets import QToolButton

    from tests.studio.test_cloud_studio import sign_in_from_header

    w = studios("splits")
    mail = f"win-{os.getpid()}@example.test"
    sign_in_from_header(qtbot, w, mail, "correct horse battery", sign_up=True)
    with fresh_db.connect(autocommit=True) as conn:
        uid = conn.execute("select id from auth.users where email = %s", (mail,)).fetchone()["id"]
        m = conn.execute("insert into public.mashups (owner_id, title) values (%s, 'Window mashup') returning id",
                         (uid,)).fetchone()["id"]
        conn.execute("set role service_role")
    nav = w.findChild(QToolButton, "nav_Splits")
    assert nav is not None and nav.isEnabled()
    page = w.splits_page
    page.split_for_mashup(str(m))
    qtbot.waitUntil(lambda: "draft split was made" in page.notice.text(), timeout=30000)
    nav.click()
    assert w.stack.currentWidget() is page
    qtbot.waitUntil(lambda: page.earnings is not None and len(page.earnings.splits) == 1, timeout=30000)
    qtbot.wait(200)
    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = SHOTS / "splits-window.png"
    w.grab().save(str(shot))
    from tests.studio.conftest import assert_not_blank

    assert_not_blank(shot)
