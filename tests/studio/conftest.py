from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from studio.jobs import JobRunner

# The offscreen platform's default screen is 800x800, smaller than the main
# window's minimum size; give it a 1920x1080 screen (before QApplication exists).
if os.environ.get("QT_QPA_PLATFORM") == "offscreen":
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={Path(__file__).with_name('offscreen-screen.json')}"


def silent_services(settings_path: Path) -> Any:
    """Every studio service, built by the composition root (MASHUPS_HOME as the test set it),
    playing to the null audio device: CI machines have no sound card."""
    from studio.services import build_services

    s = build_services(settings_path=settings_path)
    s.settings.set("audio/device", "null")
    s.transport.device = "null"
    return s


def shown_window(services: Any, qtbot: Any) -> Any:
    """The main window over ``services``, shown at 1440x900 (closed with the test)."""
    from studio.main_window import MainWindow

    w = MainWindow(services, first_run_prompt=False)
    qtbot.addWidget(w)
    w.resize(1440, 900)
    w.show()
    return w


@pytest.fixture()
def services(studio_home: Path, tmp_path: Path, qapp: object) -> Iterator[object]:
    """Every studio service, built by the composition root, with settings in a temp folder."""
    s = silent_services(tmp_path / "settings.ini")
    yield s
    s.close()


@pytest.fixture()
def window(services: object, qtbot: object) -> Iterator[object]:
    w = shown_window(services, qtbot)
    yield w
    w.editor_page.undo_stack.setClean()
    w.close()


def wait_jobs(qtbot: object, runner: JobRunner, timeout: float = 120.0) -> None:
    """Wait (processing events) until the runner has nothing queued or running."""
    deadline = time.monotonic() + timeout
    while runner.active():
        if time.monotonic() > deadline:
            raise AssertionError("jobs still running: " + ", ".join(f"{j.title} [{j.stage}]" for j in runner.active()))
        qtbot.wait(50)  # type: ignore[attr-defined]


def assert_not_blank(png: Path) -> None:
    from PySide6.QtGui import QImage

    img = QImage(str(png))
    assert not img.isNull() and img.width() > 200 and img.height() > 200
    img = img.convertToFormat(QImage.Format.Format_RGB32)
    ptr = img.constBits()
    arr = np.frombuffer(ptr, dtype=np.uint8, count=img.sizeInBytes()).reshape(img.height(), img.bytesPerLine())
    assert float(arr.std()) > 8.0, f"{png.name} looks blank (pixel std {arr.std():.1f})"
