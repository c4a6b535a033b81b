"""Hybrid logical clock. Clock strings compare as text in the same order as
(physical ms, counter, device), which is what the server's per-field
last-writer-wins merge compares."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

# The server refuses clocks more than a day ahead of its own time.
MAX_AHEAD_MS = 24 * 3600 * 1000

_CLOCK = re.compile(r"^(\d{13})-(\d{5})-([A-Za-z0-9_-]{1,64})$")


def parse(clock: str) -> tuple[int, int, str]:
    m = _CLOCK.match(clock)
    if not m:
        raise ValueError(f"bad clock {clock!r}")
    return int(m.group(1)), int(m.group(2)), m.group(3)


def fmt(ms: int, counter: int, device: str) -> str:
    return f"{ms:013d}-{counter:05d}-{device}"


class HybridClock:
    def __init__(self, device: str, last: str | None = None, now_ms: Callable[[], int] | None = None) -> None:
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", device):
            raise ValueError("device id must be 1-64 of [A-Za-z0-9_-]")
        self.device = device
        self._now = now_ms or (lambda: int(time.time() * 1000))
        self._ms, self._n = (0, 0)
        if last:
            self._ms, self._n, _ = parse(last)
            if self._ms > self._now() + MAX_AHEAD_MS:
                # the stored clock came from a wrong (fast) system clock that has
                # since been fixed: start again from real time
                self._ms, self._n = (0, 0)
        self._lock = threading.Lock()

    def tick(self) -> str:
        with self._lock:
            now = self._now()
            if now > self._ms:
                self._ms, self._n = now, 0
            else:
                self._n += 1
                if self._n > 99999:
                    self._ms, self._n = self._ms + 1, 0
            return fmt(self._ms, self._n, self.device)

    def observe(self, clock: str) -> None:
        """Move past a clock seen from elsewhere, so later local edits win over it."""
        ms, n, _ = parse(clock)
        with self._lock:
            if (ms, n) > (self._ms, self._n):
                self._ms, self._n = ms, n
