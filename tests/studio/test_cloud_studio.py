"""Two studios (two homes), one account, through the widgets a person uses:
sign up in Settings → Account, save a two-song project from the Projects
page, sign in on the other studio from the header's account button, open the
cloud project (its media downloads), edit on both (one studio offline),
sync from the sync panel, and both editors hold the same project with both
edits and render the same samples. A revoked session asks to sign in again
and keeps the pending edits; another user's studio lists nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from audio_engine.project import open_project
from audio_engine.project.entities import canonical
from audio_engine.project.render import render_project
from backend.devserver.gateway import ANON_KEY, Gateway
from tests.cloud.conftest import Db, db, gw, pg_server, template_db  # noqa: F401  (fixtures)
from tests.cloud.test_project_sync import two_song_project

from .conftest import shown_window, silent_services, wait_jobs

pytestmark = pytest.mark.slow


@pytest.fixture
def studios(tmp_path: Path, gw: Gateway, qapp: Any, qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:  # noqa: F811
    monkeypatch.setenv("SUPABASE_URL", gw.url)
    monkeypatch.setenv("SUPABASE_ANON_KEY", ANON_KEY)
    monkeypatch.setenv("MASHUPS_CLOUD_AUTOSYNC", "0")  # the test decides when to sync
    made: list[tuple[Any, Any]] = []

    def make(name: str) -> Any:
        monkeypatch.setenv("MASHUPS_HOME", str(tmp_path / name))
        s = silent_services(tmp_path / name / "settings.ini")
        w = shown_window(s, qtbot)
        made.append((w, s))
        return w

    yield make
    for w, s in made:
        wait_jobs(qtbot, s.jobs, 30)
        w.editor_page.undo_stack.setClean()
        w.close()
        s.close()


def click(qtbot: Any, button: Any) -> None:
    from PySide6.QtCore import Qt

    assert button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def sign_in_from_header(qtbot: Any, w: Any, email: str, password: str, *, sign_up: bool = False) -> None:
    click(qtbot, w.account_button)
    panel = w.account_button.dialog.panel
    panel.email.setText(email)
    panel.password.setText(password)
    click(qtbot, panel.sign_up_btn if sign_up else panel.sign_in_btn)
    wait_jobs(qtbot, w.s.jobs)
    assert w.account_button.text() == email, panel.error.text()
    w.account_button.dialog.accept()


def projects_row(w: Any, title: str) -> Any:
    page = w.projects_page
    page.refresh()
    assert page.select_title(title), [r.title for r in page.rows]
    return page.selected()


def sync_from_panel(qtbot: Any, w: Any) -> None:
    click(qtbot, w.cloud_status)
    click(qtbot, w.cloud_status.panel.sync_btn)
    wait_jobs(qtbot, w.s.jobs)
    w.cloud_status.panel.accept()


def render(project: Any, folder: Path) -> np.ndarray:
    return render_project(project, media=open_project(folder).media, target_lufs=None, workers=1,
                          tag=False).audio.samples


def test_two_studios_one_account_save_open_edit_sync(studios: Any, qtbot: Any, gw: Gateway, db: Db,  # noqa: F811
                                                     tmp_path: Path) -> None:
    a = studios("home-a")
    email, pw = f"creator-{time.monotonic_ns()}@example.test", "secret-pw"
    # A signs up in Settings → Account
    a.go("Settings")
    from studio.views.account_page import AccountPanel

    acct = a.settings_page.account_group.findChild(AccountPanel)
    acct.email.setText(email)
    acct.password.setText(pw)
    click(qtbot, acct.sign_up_btn)
    wait_jobs(qtbot, a.s.jobs)
    assert a.account_button.text() == email and "Online" in a.cloud_status.text()
    uid = a.s.cloud.session.cloud.auth.user_id
    db.set_tier(uid, "pro")

    # a project with two songs on this computer, saved to the cloud from the Projects page
    src = two_song_project(tmp_path / "make")
    folder_a = a.s.projects_dir / "Two songs.mashup"
    folder_a.parent.mkdir(parents=True, exist_ok=True)
    src.rename(folder_a)
    a.go("Projects")
    row = projects_row(a, "Two songs")
    assert row.state == "local only"
    click(qtbot, a.projects_page.save_btn)
    wait_jobs(qtbot, a.s.jobs)
    row = projects_row(a, "Two songs")
    assert row.cloud_id and row.state == "synced", row

    # B signs in from the header's account button, sees the project and opens it: media downloads
    b = studios("home-b")
    sign_in_from_header(qtbot, b, email, pw)
    b.go("Projects")
    click(qtbot, b.projects_page.refresh_btn)
    wait_jobs(qtbot, b.s.jobs)
    row_b = projects_row(b, "Two songs")
    assert row_b.local is None and row_b.cloud_id == row.cloud_id
    click(qtbot, b.projects_page.open_btn)
    wait_jobs(qtbot, b.s.jobs)
    assert b.current_page() == "Editor"
    folder_b = b.editor_page.doc.path
    assert folder_b is not None and folder_b.parent == b.s.projects_dir
    assert canonical(b.editor_page.doc.project).to_dict() == canonical(open_project(folder_a).project).to_dict()

    # A opens its project in the editor from the Projects page
    a.go("Projects")
    projects_row(a, "Two songs")
    click(qtbot, a.projects_page.open_btn)
    assert a.current_page() == "Editor" and a.editor_page.doc.path == folder_a

    # B moves clip 1 (the timeline's drag handler) and syncs; A, offline, trims clip 2
    b.editor_page.timeline.request_move("c1", 2.0, None)
    sync_from_panel(qtbot, b)
    gw.stop()
    a.editor_page.timeline.request_trim("c2", 0.5, 3.5, None)
    assert a.s.cloud.status.pending >= 1
    sync_from_panel(qtbot, a)
    assert a.s.cloud.status.state == "offline"
    gw.start()
    sync_from_panel(qtbot, a)
    sync_from_panel(qtbot, b)
    pa, pb = a.editor_page.doc.project, b.editor_page.doc.project
    for _round in range(3):  # sync is eventually consistent: a pull racing the other side's push catches up next round
        if canonical(pa).to_dict() == canonical(pb).to_dict():
            break
        sync_from_panel(qtbot, a)
        sync_from_panel(qtbot, b)
        pa, pb = a.editor_page.doc.project, b.editor_page.doc.project
    # Identical projects: the same entities and fields (a track lists its clips in the order sync composes:
    # by position; an editor that made the edit locally may still hold them in the order it made them).
    assert canonical(pa).to_dict() == canonical(pb).to_dict()
    assert pa.clip("c1").position == 2.0 and (pa.clip("c2").source_in, pa.clip("c2").source_out) == (0.5, 3.5)
    # the file holds what the cloud holds
    assert canonical(open_project(folder_a).project).to_dict() == canonical(pa).to_dict()
    assert np.array_equal(render(pa, folder_a), render(pb, folder_b))

    # a revoked session (signed out everywhere) asks to sign in again; the pending edit is kept
    with gw._lock:
        for t, (u, _used) in list(gw.refresh_tokens.items()):
            gw.refresh_tokens[t] = (u, True)
    session = a.s.cloud.session.cloud.auth
    session._session = None  # the access token is gone too (the studio was restarted)
    a.editor_page.timeline.request_move("c2", 6.0, None)
    pending = a.s.cloud.status.pending
    a.s.cloud.sync_now()
    wait_jobs(qtbot, a.s.jobs)
    assert a.sign_in_dialog.isVisible()
    assert "nothing on this computer was lost" in a.sign_in_dialog.panel.error.text()
    assert a.s.cloud.status.state == "signed_out" and a.s.cloud.status.pending == pending >= 1
    a.sign_in_dialog.accept()
    sign_in_from_header(qtbot, a, email, pw)
    wait_jobs(qtbot, a.s.jobs)
    assert a.s.cloud.status.pending == 0

    # another user's studio lists none of it
    c = studios("home-c")
    sign_in_from_header(qtbot, c, f"other-{time.monotonic_ns()}@example.test", pw, sign_up=True)
    c.go("Projects")
    click(qtbot, c.projects_page.refresh_btn)
    wait_jobs(qtbot, c.s.jobs)
    c.projects_page.refresh()
    assert c.projects_page.rows == []


def test_over_limit_dialog_names_the_limit_and_offers_billing(studios: Any, qtbot: Any, db: Db,  # noqa: F811
                                                              tmp_path: Path) -> None:
    a = studios("home-free")
    sign_in_from_header(qtbot, a, f"free-{time.monotonic_ns()}@example.test", "secret-pw", sign_up=True)
    uid = a.s.cloud.session.cloud.auth.user_id
    with db.connect(autocommit=True) as conn:  # a plan with room for no cloud project at all
        conn.execute("insert into public.tiers (tier, rank, label, limits) select 'tiny', 0, 'Tiny', "
                     "limits || '{\"max_projects\": 0}' from public.tiers where tier = 'free' on conflict do nothing")
    db.set_tier(uid, "tiny")
    folder = a.s.projects_dir / "Mine.mashup"
    folder.parent.mkdir(parents=True, exist_ok=True)
    two_song_project(tmp_path / "make").rename(folder)
    a.go("Projects")
    projects_row(a, "Two songs")
    click(qtbot, a.projects_page.save_btn)
    wait_jobs(qtbot, a.s.jobs)
    from PySide6.QtWidgets import QLabel, QPushButton

    box = a.over_limit_box  # the Billing page's limit dialog when the build has one, else a message box
    assert box.isVisible()
    words = " ".join([lab.text() for lab in box.findChildren(QLabel)] + [getattr(box, "text", lambda: "")()])
    assert "project" in words.lower(), words  # the limit is named
    opened: list[bool] = []
    a.s.cloud.billing_requested.connect(lambda: opened.append(True))
    if "Billing" in a.pages:
        a.pages["Billing"].show_page.connect(lambda: opened.append(True))
    see = next(b for b in box.findChildren(QPushButton) if b.text() == "See plans")
    click(qtbot, see)
    assert opened

    # the refused change waits in the sync panel with its reason; after an upgrade, Retry sends it
    a.go("Projects")
    click(qtbot, a.cloud_status)
    panel = a.cloud_status.panel
    assert panel.rejected.rowCount() == 1 and "limit" in panel.rejected.item(0, 1).text()
    db.set_tier(uid, "pro")
    panel.rejected.selectRow(0)
    click(qtbot, panel.retry_btn)
    wait_jobs(qtbot, a.s.jobs)
    panel.refresh()
    assert panel.rejected.rowCount() == 0 and a.s.cloud.status.pending == 0
    panel.accept()
    projects_row(a, "Two songs")
    click(qtbot, a.projects_page.save_btn)  # now the media and contents go too
    wait_jobs(qtbot, a.s.jobs)
    assert projects_row(a, "Two songs").state == "synced", [(e.kind, e.reason, e.detail) for e in a.s.cloud.session.rejected()]
    assert open_project(folder).project.title == "Two songs"  # local work untouched


def test_oauth_sign_in_through_the_browser_button(studios: Any, qtbot: Any, gw: Gateway) -> None:  # noqa: F811
    import httpx

    w = studios("home-oauth")
    auth = w.s.cloud.session.cloud.auth
    opened: list[str] = []

    def browser(url: str) -> None:  # the system browser: follows the provider's redirect to the loopback
        opened.append(url)
        httpx.get(url, follow_redirects=True, timeout=10)

    auth.open_url = browser
    click(qtbot, w.account_button)
    panel = w.account_button.dialog.panel
    click(qtbot, panel.oauth_buttons["github"])
    wait_jobs(qtbot, w.s.jobs)
    assert opened and "/auth/v1/authorize" in opened[0] and "code_challenge=" in opened[0]
    assert w.account_button.text() == "github-user@example.test"
    assert w.s.cloud.status.state == "online"
    # the provider refuses: a clear message, still signed out
    click(qtbot, panel.sign_out_btn)
    wait_jobs(qtbot, w.s.jobs)
    gw.deny_oauth = True
    click(qtbot, panel.oauth_buttons["google"])
    wait_jobs(qtbot, w.s.jobs)
    assert w.s.cloud.status.state == "signed_out" and "denied" in panel.error.text()
