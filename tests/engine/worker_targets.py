"""Top-level functions the worker tests run in a spawned process."""

from __future__ import annotations

import os
import time
from typing import Any

from audio_engine.errors import AudioDecodeError
from audio_engine.progress import CancelToken, Progress


def count(*, n: int, progress: Any, cancel: CancelToken) -> int:
    for i in range(n):
        cancel.check()
        progress(Progress(fraction=(i + 1) / n, stage="counting"))
    return n * 2


def fail(*, progress: Any, cancel: CancelToken) -> None:
    raise AudioDecodeError("bad.wav: the file is empty (0 bytes).", hint="pick another file")


def cooperative_loop(*, progress: Any, cancel: CancelToken) -> None:
    while True:
        cancel.check()
        time.sleep(0.01)


def stubborn_loop(*, progress: Any, cancel: CancelToken) -> None:
    while True:  # ignores cancel: must be terminated
        time.sleep(0.01)


def crash(*, progress: Any, cancel: CancelToken) -> None:
    os._exit(3)


def pid(*, progress: Any, cancel: CancelToken) -> int:
    return os.getpid()
