"""What a packaged app needs: --version on both entry points, the rotating log,
the crash dialog, Help → Open logs folder / About, the optional update check
(against a real HTTP server on 127.0.0.1), the separation-device line, and the
resource lookup that works frozen and from a checkout."""

from __future__ import annotations

import json
import threading
import tomllib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _pyproject_version() -> str:
    return str(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"])


# -- --version ------------------------------------------------------------------
def test_cli_version_matches_pyproject(capsys: pytest.CaptureFixture[str]) -> None:
    from audio_engine.cli.main import main

    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out.strip() == f"mashups {_pyproject_version()}"


def test_studio_version_needs_no_qt_app(capsys: pytest.CaptureFixture[str]) -> None:
    from studio.app import main

    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out.strip() == f"mashups-studio {_pyproject_version()}"


def test_pyproject_licence_is_gpl3_or_later() -> None:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert meta["license"] == {"text": "GPL-3.0-or-later"}
    assert "GNU GENERAL PUBLIC LICENSE" in (ROOT / "LICENSE").read_text()
    assert "Version 3, 29 June 2007" in (ROOT / "LICENSE").read_text()


# -- resources --------------------------------------------------------------------
def test_resources_from_checkout_override_and_frozen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from studio import resources as r

    monkeypatch.delenv("MASHUPS_RESOURCES_DIR", raising=False)
    assert r.resource_path("icons", "play.svg") == ROOT / "resources" / "icons" / "play.svg"
    assert [p.name for p in r.demo_songs()] == ["demo1.flac", "demo2.flac"]
    with pytest.raises(FileNotFoundError, match="nope.svg"):
        r.resource_path("icons", "nope.svg")
    # A PyInstaller bundle: sys._MEIPASS/resources
    (tmp_path / "resources").mkdir()
    (tmp_path / "resources" / "build.json").write_text(json.dumps({"update_feed": "https://example.org/feed"}))
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.delenv("MASHUPS_UPDATE_FEED", raising=False)
    assert r.is_frozen()
    assert r.resources_dir() == tmp_path / "resources"
    assert r.build_config() == {"update_feed": "https://example.org/feed"}
    monkeypatch.setenv("MASHUPS_UPDATE_FEED", "")
    assert r.build_config()["update_feed"] == ""
    monkeypatch.setenv("MASHUPS_RESOURCES_DIR", str(ROOT / "resources"))
    assert r.resource_path("themes", "base.qss").is_file()


# -- log and crash dialog ------------------------------------------------------------
def test_rotating_log_keeps_bounded_backups(tmp_path: Path) -> None:
    import logging

    from studio.crash import setup_logging

    path = setup_logging(tmp_path / "logs", max_bytes=2000, backups=2)
    assert setup_logging(tmp_path / "logs", max_bytes=2000, backups=2) == path  # no second handler
    lg = logging.getLogger("mashups.test")
    for i in range(200):
        lg.info("line %d %s", i, "x" * 40)
    for h in logging.getLogger("mashups").handlers:
        h.flush()
    files = sorted(p.name for p in (tmp_path / "logs").iterdir())
    assert files == ["studio.log", "studio.log.1", "studio.log.2"]
    assert all((tmp_path / "logs" / f).stat().st_size <= 2100 for f in files)
    assert "line 199" in path.read_text()
    _remove_handlers(tmp_path)


def _remove_handlers(tmp_path: Path) -> None:
    import logging

    root = logging.getLogger("mashups")
    for h in list(root.handlers):
        if str(tmp_path) in getattr(h, "baseFilename", ""):
            root.removeHandler(h)
            h.close()
    pyw = logging.getLogger("py.warnings")
    for h in list(pyw.handlers):
        if str(tmp_path) in getattr(h, "baseFilename", ""):
            pyw.removeHandler(h)


def test_unhandled_errors_show_a_copyable_report_and_reach_the_log(qtbot: Any, tmp_path: Path) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QGuiApplication

    from studio.crash import CrashHandler, setup_logging

    log_path = setup_logging(tmp_path / "logs")
    handler = CrashHandler(log_path).install()
    try:
        def boom() -> None:
            raise ValueError("slot exploded on purpose")

        QTimer.singleShot(0, boom)  # PySide6 hands exceptions in slots to sys.excepthook
        qtbot.waitUntil(lambda: len(handler.dialogs) == 1, timeout=5000)
        dlg = handler.dialogs[0]
        report = dlg.text.toPlainText()
        assert "ValueError: slot exploded on purpose" in report and "Mashups Studio" in report
        dlg.copy_button.click()
        assert QGuiApplication.clipboard().text() == report

        t = threading.Thread(target=lambda: (_ for _ in ()).throw(RuntimeError("worker thread failed")),
                             name="bg-thread")
        t.start()
        t.join()
        qtbot.waitUntil(lambda: len(handler.dialogs) == 2, timeout=5000)
        assert "Thread: bg-thread" in handler.dialogs[1].text.toPlainText()
        text = log_path.read_text()
        assert "slot exploded on purpose" in text and "worker thread failed" in text
        assert len(handler.reports) == 2
        for d in list(handler.dialogs):
            d.close()
    finally:
        handler.uninstall()
        _remove_handlers(tmp_path)


# -- Help menu, About ------------------------------------------------------------------
def test_help_menu_about_shows_version_licence_and_notices(window: Any, qtbot: Any, monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path) -> None:
    from studio.help_menu import HelpMenu

    opened: list[str] = []
    monkeypatch.setattr("studio.help_menu.open_folder", lambda p: opened.append(str(p)) or True)
    menu = HelpMenu(window, window.s)
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles[-1] == "&Help"
    menu.logs_action.trigger()
    assert opened and opened[0].endswith("logs")  # MASHUPS_HOME/logs in tests
    assert not menu.update_action.isEnabled()  # no feed configured in a checkout
    dlg = menu.show_about()
    qtbot.waitExposed(dlg)
    assert dlg.tabs.count() == 3
    assert "GNU GENERAL PUBLIC LICENSE" in dlg.licence_view.toPlainText()
    assert dlg.notices_view.toPlainText() == ""  # loaded when the tab opens
    dlg.tabs.setCurrentWidget(dlg.notices_view)
    notices = dlg.notices_view.toPlainText()
    assert "pedalboard" in notices and "PySide6" in notices
    dlg.grab().save(str(tmp_path / "about.png"))
    dlg.close()


def test_notices_name_each_package_licence() -> None:
    from studio.about import notices_for

    text = notices_for(["pedalboard", "PySide6_Essentials", "numpy", "no-such-package-xyz"])
    summary = text.split("=" * 78, 1)[0]
    assert "pedalboard" in summary and "GPL" in summary.split("pedalboard", 1)[1].splitlines()[0]
    assert "Rubber Band" in summary
    assert "LGPL" in summary.split("PySide6", 1)[1].splitlines()[0]
    assert "no-such-package" not in text
    assert "--- " in text  # at least one full licence file text follows


# -- update check ----------------------------------------------------------------------
class _Feed:
    def __init__(self, body: bytes, status: int = 200) -> None:
        self.body, self.status, self.hits = body, status, 0


@pytest.fixture()
def feed_server() -> Iterator[tuple[str, _Feed]]:
    feed = _Feed(b"{}")

    class H(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            feed.hits += 1
            self.send_response(feed.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(feed.body)))
            self.end_headers()
            self.wfile.write(feed.body)

        def log_message(self, *a: Any) -> None:
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/latest.json", feed
    srv.shutdown()
    srv.server_close()


def test_update_rules() -> None:
    from studio import updates

    assert updates.is_newer("0.2.0", "0.1.0") and updates.is_newer("1.0", "0.9.9")
    assert not updates.is_newer("0.1.0", "0.1.0") and not updates.is_newer("0.1", "0.1.0")
    assert updates.parse_feed({"tag_name": "v0.3.1", "html_url": "https://x.org/r"}) == updates.Release(
        "0.3.1", "https://x.org/r")
    for bad in ([], {"version": "1.0"}, {"version": "1.0", "url": "file:///etc/passwd"}, {"version": "x", "url": "https://a"}):
        with pytest.raises(updates.FeedError):
            updates.parse_feed(bad)
    assert updates.due(0.0, 86400.0) and not updates.due(1000.0, 2000.0) and updates.due(5000.0, 10.0)


def test_update_check_offers_the_download_page_once_a_day(services: Any, window: Any, qtbot: Any,
                                                          feed_server: tuple[str, _Feed]) -> None:
    from studio.help_menu import UpdateChecker

    url, feed = feed_server
    now = [1_000_000.0]
    feed.body = json.dumps({"version": "9.0.0", "url": "https://example.org/download"}).encode()
    checker = UpdateChecker(services, window, feed=url, clock=lambda: now[0])
    with qtbot.waitSignal(checker.available, timeout=10000) as sig:
        assert checker.maybe_check()
    assert sig.args[0].version == "9.0.0" and feed.hits == 1
    assert checker.offer is not None and "9.0.0" in checker.offer.text()
    assert services.settings.get("updates/last_check") == now[0]
    assert not checker.maybe_check()  # checked less than a day ago
    now[0] += 86401
    feed.body = json.dumps({"version": "0.0.1", "url": "https://example.org/old"}).encode()
    with qtbot.waitSignal(checker.checked, timeout=10000) as sig:
        assert checker.maybe_check()
    assert sig.args[0] is None and feed.hits == 2  # current: nothing offered
    now[0] += 86401
    feed.body, feed.status = b"<html>not json</html>", 200
    with qtbot.waitSignal(checker.checked, timeout=10000) as sig:
        checker.maybe_check()
    assert isinstance(sig.args[0], ValueError)  # malformed feed: logged, never a crash
    now[0] += 86401
    services.settings.set("updates/check", False)  # the Settings switch
    assert not checker.maybe_check() and feed.hits == 3
    assert not UpdateChecker(services, window, feed="").enabled()  # no feed: off, whatever the setting


def test_settings_page_update_switch_and_device_line(window: Any, qtbot: Any) -> None:
    page = window.settings_page
    assert not page.update_check.isEnabled()  # a checkout's build config has no feed
    page.update_check.setChecked(False)
    assert window.s.settings.get("updates/check") is False
    window.go("Settings")
    qtbot.waitUntil(lambda: page.separation_device.info is not None, timeout=60000)
    text = page.separation_device.text()
    assert text.startswith(("CPU", "CUDA", "MPS")), text
    window.s.settings.set("models/device", "cpu")
    page.separation_device.refresh()
    assert page.separation_device.text() == "CPU — CPU, because Settings → Models asks for the CPU."


def test_device_explanations() -> None:
    from studio.device_info import explain

    cpu_build = {"cuda": False, "mps": False, "names": [], "torch_cuda": None}
    assert explain("auto", cpu_build)[0] == "cpu" and "built without CUDA" in explain("auto", cpu_build)[1]
    gpu = {"cuda": True, "mps": False, "names": ["RTX 4070"], "torch_cuda": "12.8"}
    assert explain("auto", gpu) == ("cuda", "CUDA on RTX 4070: Auto prefers an NVIDIA GPU.")
    assert explain("cuda", cpu_build)[0] == "none" and "CPU-only" in explain("cuda", cpu_build)[1]
    assert explain("auto", {"cuda": False, "mps": True, "names": [], "torch_cuda": None})[0] == "mps"
    assert explain("mps", cpu_build)[0] == "none"
    assert explain("auto", {"error": "libtorch missing"})[0] == "cpu"
