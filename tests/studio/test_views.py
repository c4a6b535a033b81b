"""Every view opens, looks like something (screenshots are not blank), and
the window's shortcuts, theme and remembered state work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence

from tests.studio.conftest import assert_not_blank, wait_jobs


def test_every_page_opens_and_is_not_blank(window: Any, qtbot: Any, tmp_path: Path) -> None:
    from studio.main_window import PAGES

    for i, name in enumerate(PAGES, start=1):
        qtbot.mouseClick(window.nav_buttons[name], Qt.MouseButton.LeftButton)
        assert window.current_page() == name
        qtbot.wait(30)
        png = tmp_path / f"{name.lower()}.png"
        assert window.grab().save(str(png))
        assert_not_blank(png)
        # Ctrl+<n> reaches the same page
        window.go("Library")
        qtbot.keyClick(window, Qt.Key(Qt.Key.Key_0 + i), Qt.KeyboardModifier.ControlModifier)
        assert window.current_page() == name
    wait_jobs(qtbot, window.s.jobs, 60)


def test_dialogs_open(window: Any, qtbot: Any, tmp_path: Path) -> None:
    window.show_welcome()
    qtbot.waitExposed(window.welcome)
    assert window.welcome.isVisible()
    png = tmp_path / "welcome.png"
    window.welcome.grab().save(str(png))
    assert_not_blank(png)
    qtbot.mouseClick(window.welcome.skip_btn, Qt.MouseButton.LeftButton)
    assert window.s.settings.get("first_run_done") is True
    window.open_magic(-1, None)
    assert window.magic_wizard.isVisible() and not window.magic_wizard.generate_btn.isEnabled()
    window.magic_wizard.reject()
    wait_jobs(qtbot, window.s.jobs, 60)


def test_shortcuts_are_bound(window: Any) -> None:
    assert window.play_action.shortcut() == QKeySequence(Qt.Key.Key_Space)
    assert window.undo_action.shortcut() == QKeySequence("Ctrl+Z")
    assert QKeySequence("Ctrl+Shift+Z") in window.redo_action.shortcuts()
    assert window.save_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Save)
    assert window.delete_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Delete)


def test_light_theme_and_back(window: Any, qtbot: Any, tmp_path: Path) -> None:
    page = window.settings_page
    window.go("Settings")
    page.theme.setCurrentIndex(page.theme.findData("light"))
    assert window.s.theme.name == "light" and window.s.settings.str("theme") == "light"
    png = tmp_path / "light.png"
    window.grab().save(str(png))
    assert_not_blank(png)
    from PySide6.QtGui import QImage

    light = QImage(str(png)).pixelColor(600, 400).lightness()
    page.theme.setCurrentIndex(page.theme.findData("dark"))
    window.grab().save(str(tmp_path / "dark.png"))
    dark = QImage(str(tmp_path / "dark.png")).pixelColor(600, 400).lightness()
    assert light > dark + 100
    wait_jobs(qtbot, window.s.jobs, 60)


def test_window_state_is_remembered(services: Any, qtbot: Any) -> None:
    from studio.main_window import MainWindow

    w = MainWindow(services, first_run_prompt=False)
    qtbot.addWidget(w)
    w.show()
    w.resize(1234, 777)
    qtbot.wait(20)
    w.close()
    again = MainWindow(services, first_run_prompt=False)
    qtbot.addWidget(again)
    again.show()
    assert (again.width(), again.height()) == (1234, 777)
    again.close()
    wait_jobs(qtbot, services.jobs, 60)


def test_smoke_test_flag_exits_zero_without_torch(studio_home: Path, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", MASHUPS_HOME=str(studio_home))
    r = subprocess.run([sys.executable, "-m", "studio.app", "--smoke-test", "--smoke-ms", "300",
                        "--settings", str(tmp_path / "s.ini")], env=env, capture_output=True, text=True, timeout=120,
                       cwd=Path(__file__).resolve().parents[2])
    assert r.returncode == 0, r.stderr[-2000:]
