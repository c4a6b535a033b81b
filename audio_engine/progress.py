"""Progress reports and cancellation for long work."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from audio_engine.errors import Cancelled


@dataclass(frozen=True)
class Progress:
    """One progress report. ``fraction`` is 0..1 for the whole job; ``stage``
    names the current step ("decoding", "separating", ...); ``eta_s`` is the
    estimated seconds left, or None when unknown."""

    fraction: float
    stage: str = ""
    eta_s: float | None = None
    message: str = ""


ProgressCallback = Callable[[Progress], None]


class _Flag(Protocol):
    def is_set(self) -> bool: ...
    def set(self) -> None: ...


class CancelToken:
    """Cooperative cancel. Work calls :meth:`check` between chunks; it raises
    :class:`Cancelled` once :meth:`cancel` was called (from any thread, or
    from the parent process when backed by a multiprocessing Event)."""

    def __init__(self, flag: _Flag | None = None) -> None:
        self._flag: _Flag = flag if flag is not None else threading.Event()

    def cancel(self) -> None:
        self._flag.set()

    @property
    def cancelled(self) -> bool:
        return self._flag.is_set()

    def check(self) -> None:
        if self._flag.is_set():
            raise Cancelled("Cancelled by the user.")


def check(cancel: CancelToken | None) -> None:
    if cancel is not None:
        cancel.check()


class ProgressReporter:
    """Throttles and orders progress: at most ``rate_hz`` reports a second,
    fractions never go backwards, the final 1.0 is always sent, ETA from the
    elapsed time and the fraction done."""

    def __init__(
        self,
        callback: ProgressCallback | None,
        *,
        stage: str = "",
        rate_hz: float = 5.0,
        start: float = 0.0,
        span: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._cb = callback
        self._stage = stage
        self._min_dt = 1.0 / rate_hz
        self._start = start
        self._span = span
        self._clock = clock
        self._t0 = clock()
        self._last_t = -1e9
        self._last_f = -1.0

    def __call__(self, fraction: float, *, stage: str | None = None, message: str = "", force: bool = False) -> None:
        if self._cb is None:
            return
        if stage is not None and stage != self._stage:
            self._stage = stage
            force = True
        f = min(1.0, max(0.0, float(fraction)))
        overall = self._start + self._span * f
        now = self._clock()
        if overall < self._last_f:
            overall = self._last_f
        if not force and f < 1.0 and now - self._last_t < self._min_dt:
            return
        if overall == self._last_f and not force and f < 1.0:
            return
        elapsed = now - self._t0
        eta = elapsed * (1.0 - f) / f if f > 0.01 else None
        self._last_t = now
        self._last_f = overall
        self._cb(Progress(fraction=overall, stage=self._stage, eta_s=eta, message=message))

    def sub(self, start: float, span: float, *, stage: str | None = None) -> ProgressReporter:
        """A reporter for a sub-step covering ``[start, start+span]`` of this one."""
        return ProgressReporter(
            self._cb,
            stage=stage if stage is not None else self._stage,
            rate_hz=1.0 / self._min_dt,
            start=self._start + self._span * start,
            span=self._span * span,
            clock=self._clock,
        )
