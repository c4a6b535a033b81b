"""The studio's one job runner.

A queue with per-kind concurrency: ``ml`` (separation, captions: one at a
time by default — they use all cores or the GPU), ``cpu`` (analysis, renders),
``io`` (imports, peak files, downloads) and ``sync`` run beside each other.
Each job reports progress, stage and ETA, can be cancelled and retried, and
its result or error is delivered on the Qt main thread through signals and
the optional ``on_result`` / ``on_error`` callbacks.

Background jobs (``background=True``: waveform peaks, cache measuring, GPU
detection, playback renders) run the same way but the Jobs page hides them
unless asked, and they stay out of the history. Finished foreground jobs go
to the optional :class:`~studio.job_history.JobHistory`, which outlives a
restart.

Job bodies are plain callables ``fn(progress, cancel) -> result`` run on a
Python thread; ML bodies call :func:`audio_engine.worker.run_in_worker`, so
the thread only waits on the worker process and the UI thread never does
heavy work.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from audio_engine.errors import Cancelled, MashupsError
from audio_engine.progress import CancelToken, Progress
from studio.job_history import HistoryEntry, JobHistory

JobFn = Callable[[Callable[[Progress], None], CancelToken], Any]

DEFAULT_LIMITS = {"ml": 1, "cpu": 1, "io": 2, "sync": 2}


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobState.DONE, JobState.FAILED, JobState.CANCELLED)


@dataclass
class Job:
    id: int
    title: str
    kind: str
    fn: JobFn
    on_result: Callable[[Any], None] | None = None
    on_error: Callable[[BaseException], None] | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    state: JobState = JobState.QUEUED
    fraction: float = 0.0
    stage: str = "waiting"
    eta_s: float | None = None
    message: str = ""
    error: str = ""
    hint: str = ""
    exception: BaseException | None = None
    result: Any = None
    created: float = field(default_factory=time.monotonic)
    started: float | None = None
    finished_at: float | None = None
    cancel_token: CancelToken = field(default_factory=CancelToken)
    retry_of: int | None = None
    background: bool = False  # internal work the Jobs page hides by default

    @property
    def elapsed_s(self) -> float:
        if self.started is None:
            return 0.0
        return (self.finished_at or time.monotonic()) - self.started


# The engine's hints are written for the command line (they may name flags such
# as --max-stretch); in the studio the same advice names the control to use.
STUDIO_HINTS: dict[str, str] = {
    "ModelNotInstalledError": "Open the Models page to download the model (once, then offline) or import it from disk.",
    "StretchLimitError": "Pick songs with closer tempos, or raise the tempo stretch limit in the Magic mashup window.",
    "DeviceUnavailableError": "Choose Auto or CPU as the device on the Models page.",
}
_CLI_HINT = re.compile(r"`mashups [^`]*`|(?<![\w-])--[a-z][a-z-]+")


def studio_hint(e: BaseException, hint: str) -> str:
    """The hint in the studio's words: never a command-line flag or command."""
    for cls in type(e).__mro__:
        if cls.__name__ in STUDIO_HINTS:
            return STUDIO_HINTS[cls.__name__]
    if _CLI_HINT.search(hint):
        return "Retry; if it fails again, report it with the log (Help → Open logs folder)."
    return hint


def describe_error(e: BaseException) -> tuple[str, str]:
    """(message, hint) for a person: typed engine errors carry both; other
    errors get a generic hint (the traceback goes to the log, not the UI)."""
    if isinstance(e, MashupsError):
        text = str(e).split("\nTraceback", 1)[0].strip() or type(e).__name__
        return text, studio_hint(e, e.hint)
    if isinstance(e, MemoryError):
        return "The computer ran out of memory.", "Close other programs or use a shorter song."
    if isinstance(e, FileNotFoundError):
        return f"A file is missing: {e.filename or e}.", "Check that the song file still exists, then retry."
    if isinstance(e, PermissionError):
        return f"Permission denied: {e.filename or e}.", "Choose a folder you can write to."
    return f"{type(e).__name__}: {e}", "Retry; if it fails again, report it with the log."


class JobRunner(QObject):
    job_added = Signal(object)
    job_changed = Signal(object)
    job_finished = Signal(object)
    _progress_sig = Signal(int, object)
    _done_sig = Signal(int, object, object)

    def __init__(self, limits: dict[str, int] | None = None, parent: QObject | None = None, *,
                 history: JobHistory | None = None) -> None:
        super().__init__(parent)
        self.history = history
        self.limits = dict(DEFAULT_LIMITS)
        if limits:
            self.limits.update(limits)
        self._ids = itertools.count(1)
        self._jobs: dict[int, Job] = {}
        self._order: list[int] = []
        self._threads: dict[int, threading.Thread] = {}
        self._progress_sig.connect(self._on_progress)
        self._done_sig.connect(self._on_done)
        self.log: list[str] = []

    # -- public -------------------------------------------------------------
    def submit(
        self,
        title: str,
        kind: str,
        fn: JobFn,
        *,
        on_result: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        meta: dict[str, Any] | None = None,
        background: bool = False,
    ) -> Job:
        if kind not in self.limits:
            raise ValueError(f"Unknown job kind {kind!r}; one of {sorted(self.limits)}")
        job = Job(next(self._ids), title, kind, fn, on_result, on_error, dict(meta or {}), background=background)
        self._jobs[job.id] = job
        self._order.append(job.id)
        self.job_added.emit(job)
        self._schedule()
        return job

    def jobs(self) -> list[Job]:
        return [self._jobs[i] for i in self._order]

    def get(self, job_id: int) -> Job:
        return self._jobs[job_id]

    def active(self) -> list[Job]:
        return [j for j in self.jobs() if not j.state.finished]

    def cancel(self, job_id: int) -> None:
        job = self._jobs[job_id]
        if job.state == JobState.QUEUED:
            job.state = JobState.CANCELLED
            job.stage = "cancelled"
            job.finished_at = time.monotonic()
            self._record(job)
            self.job_changed.emit(job)
            self.job_finished.emit(job)
        elif job.state == JobState.RUNNING:
            job.cancel_token.cancel()
            job.stage = "cancelling…"
            self.job_changed.emit(job)

    def cancel_all(self) -> None:
        for j in self.active():
            self.cancel(j.id)

    def retry(self, job_id: int) -> Job:
        old = self._jobs[job_id]
        if not old.state.finished:
            raise ValueError("Only a finished job can be retried.")
        new = self.submit(old.title, old.kind, old.fn, on_result=old.on_result, on_error=old.on_error, meta=old.meta,
                          background=old.background)
        new.retry_of = old.id
        return new

    def clear_finished(self) -> None:
        self._order = [i for i in self._order if not self._jobs[i].state.finished]
        self._jobs = {i: self._jobs[i] for i in self._order}

    def running_count(self, kind: str) -> int:
        return sum(1 for j in self._jobs.values() if j.kind == kind and j.state == JobState.RUNNING)

    def shutdown(self, timeout: float = 5.0) -> None:
        """Cancel everything and wait (bounded) for the threads to stop."""
        self.cancel_all()
        deadline = time.monotonic() + timeout
        for t in list(self._threads.values()):
            t.join(timeout=max(0.0, deadline - time.monotonic()))

    def _record(self, job: Job) -> None:
        if self.history is not None and not job.background:
            self.history.add(HistoryEntry(job.title, job.kind, str(job.state), time.time(), job.elapsed_s,
                                          job.error, job.hint))

    # -- scheduling ---------------------------------------------------------
    def _schedule(self) -> None:
        for jid in self._order:
            job = self._jobs[jid]
            if job.state != JobState.QUEUED:
                continue
            if self.running_count(job.kind) >= self.limits[job.kind]:
                continue
            job.state = JobState.RUNNING
            job.stage = "starting"
            job.started = time.monotonic()
            t = threading.Thread(target=self._run, args=(job,), name=f"job-{job.id}-{job.kind}", daemon=True)
            self._threads[job.id] = t
            self.job_changed.emit(job)
            t.start()

    def _run(self, job: Job) -> None:
        """Runs on the job's thread: only calls the body and emits signals."""

        def progress(p: Progress) -> None:
            self._progress_sig.emit(job.id, p)

        try:
            result = job.fn(progress, job.cancel_token)
        except BaseException as e:  # noqa: BLE001 - delivered to the main thread
            self.log.append(f"job {job.id} {job.title}: {type(e).__name__}: {e}\n{traceback.format_exc()}")
            self._done_sig.emit(job.id, None, e)
        else:
            self._done_sig.emit(job.id, result, None)

    @Slot(int, object)
    def _on_progress(self, job_id: int, p: Progress) -> None:
        job = self._jobs.get(job_id)
        if job is None or job.state != JobState.RUNNING or job.cancel_token.cancelled:
            return
        job.fraction = max(job.fraction, min(1.0, p.fraction))
        if p.stage:
            job.stage = p.stage
        job.eta_s = p.eta_s
        job.message = p.message
        self.job_changed.emit(job)

    @Slot(int, object, object)
    def _on_done(self, job_id: int, result: Any, error: BaseException | None) -> None:
        job = self._jobs.get(job_id)
        self._threads.pop(job_id, None)
        if job is None:
            return
        job.finished_at = time.monotonic()
        job.eta_s = None
        if error is None and job.cancel_token.cancelled:
            error = Cancelled("Cancelled by the user.")
        if error is None:
            job.state = JobState.DONE
            job.fraction = 1.0
            job.stage = "done"
            job.result = result
        elif isinstance(error, Cancelled):
            job.state = JobState.CANCELLED
            job.stage = "cancelled"
            job.exception = error
        else:
            job.state = JobState.FAILED
            job.stage = "failed"
            job.exception = error
            job.error, job.hint = describe_error(error)
        self._record(job)
        self.job_changed.emit(job)
        try:
            if job.state == JobState.DONE and job.on_result is not None:
                job.on_result(result)
            elif job.state == JobState.FAILED and job.on_error is not None and error is not None:
                job.on_error(error)
        finally:
            self.job_finished.emit(job)
            self._schedule()
