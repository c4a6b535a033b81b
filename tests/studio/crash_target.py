"""Run as a script by test_session_restore: a studio that builds a project from
the demo songs, makes an edit, and is then killed (SIGKILL) without quitting.

argv[1]: "untitled" (never saved) or "saved" (saved to argv[2], then edited).
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path


def main() -> None:
    mode = sys.argv[1]
    from PySide6.QtWidgets import QApplication

    from studio.main_window import MainWindow
    from studio.resources import demo_songs
    from studio.services import build_services

    app = QApplication(sys.argv[:1])
    s = build_services()
    s.settings.set("audio/device", "null")
    s.transport.device = "null"
    w = MainWindow(s, first_run_prompt=False)
    w.resize(1200, 800)
    w.show()

    def pump(seconds: float, until: object = None) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            if until is not None and until():  # type: ignore[operator]
                return
            time.sleep(0.02)

    w.actions_ctl.import_paths(demo_songs(), analyse=False)
    pump(120, lambda: len(s.library.all()) == 2 and not s.jobs.active())
    ids = [x.id for x in s.library.all()]
    w.editor_page.new_project(title="Crash test")
    w.editor_page.add_songs(ids)
    ed = w.editor_page
    pump(120, lambda: len(ed.doc.project.clips()) == 2)
    if mode == "saved":
        assert ed.save_to(Path(sys.argv[2]))
    ed.title.setText("Edited after save" if mode == "saved" else "Never saved")
    ed.title.editingFinished.emit()  # as Enter in the title does
    pump(3.0)  # the debounced autosave runs 1.5 s after the edit
    print("killing", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    main()
