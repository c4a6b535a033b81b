"""Entry point of the ``mashups-studio`` gui script: the composition root.

``mashups-studio --smoke-test`` (or ``MASHUPS_STUDIO_SMOKE=1``) opens the
window, runs the event loop briefly and exits 0: a CI check of the run
command. Nothing heavy is imported here: torch, librosa and CTranslate2 load
in the worker process when a job needs them.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from audio_engine import __version__


def _parse(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="mashups-studio", description="Mashups Studio desktop app")
    ap.add_argument("--smoke-test", action="store_true", help="open the window, run briefly, exit 0")
    ap.add_argument("--smoke-ms", type=int, default=1500, help="how long the smoke test runs the event loop")
    ap.add_argument("--settings", type=Path, default=None, help="settings file (INI) to use")
    ap.add_argument("--screenshot", type=Path, default=None, help="save a PNG of the main window and exit")
    ap.add_argument("--version", action="version", version=f"mashups-studio {__version__}")
    ap.add_argument("files", nargs="*", type=Path, help="songs to import or a .mashup project to open")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    smoke = args.smoke_test or os.environ.get("MASHUPS_STUDIO_SMOKE") == "1"

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from studio.crash import CrashHandler, setup_logging
    from studio.help_menu import HelpMenu
    from studio.main_window import MainWindow
    from studio.services import build_services

    log_path = setup_logging()

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    crash = CrashHandler(log_path).install()
    app.setApplicationName("Mashups Studio")
    app.setOrganizationName("Mashups")
    services = build_services(settings_path=args.settings)
    services.theme.apply(app)
    window = MainWindow(services, first_run_prompt=not smoke and args.screenshot is None)
    crash.parent_window = lambda: window
    window.help_menu = HelpMenu(window, services)  # type: ignore[attr-defined]
    window.show()
    if not smoke and args.screenshot is None:
        QTimer.singleShot(5000, window.help_menu.updates.maybe_check)  # type: ignore[attr-defined]
    for f in args.files:
        if f.suffix == ".mashup":
            window.open_project(f)
        else:
            window.library_page.import_paths([f])
    if os.environ.get("MASHUPS_PRINT_SHOWN") == "1":  # bench/bench_bundle.py: time to a shown window
        def shown() -> None:
            handle = window.windowHandle()
            if handle is not None and handle.isExposed():
                print("SHOWN", flush=True)
                app.quit()
            else:
                QTimer.singleShot(5, shown)

        QTimer.singleShot(0, shown)
    if args.screenshot is not None:
        def shoot() -> None:
            window.grab().save(str(args.screenshot))
            app.quit()

        QTimer.singleShot(800, shoot)
    elif smoke:
        def visit_pages() -> None:  # every page and the About dialog open without an error
            for name in window.pages:
                window.go(name)
                app.processEvents()
            window.help_menu.show_about().close()  # type: ignore[attr-defined]
            QTimer.singleShot(max(100, args.smoke_ms), app.quit)

        QTimer.singleShot(0, visit_pages)
    code = app.exec()
    window.close()
    services.close()
    crash.uninstall()
    if smoke and crash.reports:
        print(f"smoke test: {len(crash.reports)} unhandled error(s)", file=sys.stderr)
        return 1
    if smoke and "torch" in sys.modules:
        print("smoke test: torch was imported in the UI process", file=sys.stderr)
        return 1
    return int(code)


if __name__ == "__main__":
    raise SystemExit(main())
