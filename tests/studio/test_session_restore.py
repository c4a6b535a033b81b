"""Lost work (issue 19): a studio killed mid-session offers, at the next start,
to reopen what was open — a never-saved project and a saved project with
unsaved edits alike — with the edits made seconds before the kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

ROOT = Path(__file__).resolve().parents[2]


def _kill_a_studio(home: Path, *args: str) -> None:
    env = dict(os.environ, MASHUPS_HOME=str(home), QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    proc = subprocess.run([sys.executable, str(ROOT / "tests" / "studio" / "crash_target.py"), *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-3000:]
    assert "killing" in proc.stdout


def _click_reopen(window: Any, qtbot: Any) -> None:
    ed = window.editor_page
    ed.offer_recovery()
    box = ed.recovery_box
    assert box is not None and box.isVisible()
    assert "closed unexpectedly" in box.text()
    reopen = next(b for b in box.buttons() if b.text() == "Reopen")
    qtbot.mouseClick(reopen, Qt.MouseButton.LeftButton)


@pytest.mark.timeout(600)
def test_never_saved_project_is_restored_after_a_kill(studio_home: Path, window: Any, qtbot: Any) -> None:
    window.s.session.crashed = []  # the fixture's studio started before the crash below
    _kill_a_studio(studio_home, "untitled")
    from studio.session import SessionJournal

    window.s.session = SessionJournal(window.s.paths.data / "session.json")  # a fresh start reads the journal
    assert [e.title for e in window.s.session.crashed] == ["Never saved"]
    _click_reopen(window, qtbot)
    p = window.editor_page.doc.project
    assert p.title == "Never saved"
    assert len(p.clips()) == 2
    assert window.editor_page.doc.path is None  # still untitled: Save asks where
    assert window.editor_page.doc.dirty
    assert window.current_page() == "Editor"


@pytest.mark.timeout(600)
def test_saved_project_reopens_with_its_unsaved_edits(studio_home: Path, tmp_path: Path, window: Any,
                                                      qtbot: Any) -> None:
    target = tmp_path / "mine.mashup"
    _kill_a_studio(studio_home, "saved", str(target))
    from studio.session import SessionJournal

    window.s.session = SessionJournal(window.s.paths.data / "session.json")
    assert window.s.session.crashed and window.s.session.crashed[-1].path == target
    _click_reopen(window, qtbot)
    ed = window.editor_page
    assert ed.doc.path == target
    assert ed.doc.project.title == "Edited after save"  # the autosave, newer than the save
    assert len(ed.doc.project.clips()) == 2
    assert ed.doc.dirty


def test_a_clean_quit_offers_nothing(studio_home: Path, tmp_path: Path) -> None:
    from studio.session import OpenEntry, SessionJournal

    j = SessionJournal(tmp_path / "session.json")
    auto = tmp_path / "x.mashup"
    auto.mkdir()
    (auto / "autosave.json").write_text("{}")
    j.set_open([OpenEntry("x", None, auto)])
    assert SessionJournal(tmp_path / "session.json").crashed  # still running -> looks like a crash to a new start
    j.clean_exit()
    assert SessionJournal(tmp_path / "session.json").crashed == []
    (tmp_path / "session.json").write_text("{not json")
    assert SessionJournal(tmp_path / "session.json").crashed == []  # a damaged journal is ignored, not fatal
