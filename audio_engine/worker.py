"""Run heavy inference (torch, CTranslate2) in a spawned worker process.

A crash or out-of-memory in a model cannot take the caller down, a cancel is
a hard stop (the process is terminated if it does not stop by itself within
the grace period), and the memory goes back to the OS when the job ends.
Messages are typed dataclasses sent through a multiprocessing queue.

The target must be an importable top-level function taking keyword
arguments plus ``progress`` and ``cancel``; its result must be picklable
(send big arrays through files, not the queue).
"""

from __future__ import annotations

import multiprocessing as mp
import queue as queue_mod
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from audio_engine.errors import Cancelled, MashupsError, WorkerCrashedError
from audio_engine.progress import CancelToken, Progress, ProgressCallback

T = TypeVar("T")


@dataclass(frozen=True)
class ProgressMsg:
    progress: Progress


@dataclass(frozen=True)
class ResultMsg:
    value: Any


@dataclass(frozen=True)
class ErrorMsg:
    error: BaseException | None
    type_name: str
    message: str
    traceback: str


@dataclass(frozen=True)
class LogMsg:
    """A line the worker wants the user to see (e.g. "CUDA out of memory: using CPU")."""

    message: str


def _child(target: Callable[..., Any], kwargs: dict[str, Any], q: Any, cancel_event: Any) -> None:
    token = CancelToken(cancel_event)

    def send_progress(p: Progress) -> None:
        q.put(ProgressMsg(p))

    try:
        value = target(**kwargs, progress=send_progress, cancel=token)
        q.put(ResultMsg(value))
    except BaseException as e:  # noqa: BLE001 - everything must reach the parent
        tb = traceback.format_exc()
        err: BaseException | None = e
        try:
            import pickle

            pickle.dumps(e)
        except Exception:
            err = None
        q.put(ErrorMsg(err, type(e).__name__, str(e), tb))
    finally:
        q.close()
        q.join_thread()


def run_in_worker(
    target: Callable[..., T],
    /,
    *,
    kwargs: dict[str, Any] | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    log: Callable[[str], None] | None = None,
    grace_s: float = 1.5,
    poll_s: float = 0.05,
) -> T:
    """Run ``target(**kwargs, progress=..., cancel=...)`` in a spawned process
    and return its result. Progress reports are forwarded in order to
    ``progress``. If ``cancel`` is cancelled, the worker is asked to stop and is
    terminated after ``grace_s`` seconds; :class:`Cancelled` is raised either
    way. Errors raised in the worker are re-raised here with their type when
    they are picklable (all engine errors are); a dead worker gives
    :class:`WorkerCrashedError`."""
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    ev = ctx.Event()
    proc = ctx.Process(target=_child, args=(target, dict(kwargs or {}), q, ev), daemon=True, name="mashups-worker")
    proc.start()
    deadline: float | None = None
    try:
        while True:
            if cancel is not None and cancel.cancelled and deadline is None:
                ev.set()
                deadline = time.monotonic() + grace_s
            if deadline is not None and time.monotonic() > deadline:
                raise Cancelled("Cancelled by the user.")
            try:
                msg = q.get(timeout=poll_s)
            except queue_mod.Empty:
                if not proc.is_alive():
                    # Drain anything sent just before exit.
                    try:
                        msg = q.get(timeout=0.5)
                    except queue_mod.Empty:
                        if deadline is not None:
                            raise Cancelled("Cancelled by the user.") from None
                        raise WorkerCrashedError(
                            f"The worker process stopped unexpectedly (exit code {proc.exitcode})."
                        ) from None
                else:
                    continue
            if isinstance(msg, ProgressMsg):
                if progress is not None and deadline is None:
                    progress(msg.progress)
            elif isinstance(msg, LogMsg):
                if log is not None:
                    log(msg.message)
            elif isinstance(msg, ResultMsg):
                return msg.value  # type: ignore[no-any-return]
            elif isinstance(msg, ErrorMsg):
                if msg.error is not None and (deadline is None or isinstance(msg.error, Cancelled)):
                    raise msg.error
                if deadline is not None:
                    raise Cancelled("Cancelled by the user.")
                raise MashupsError(f"{msg.type_name}: {msg.message}\n{msg.traceback}")
    finally:
        if proc.is_alive():
            proc.join(timeout=0.5 if deadline is None else 0.0)
        if proc.is_alive():
            proc.terminate()
            proc.join(timeout=2.0)
        if proc.is_alive():
            proc.kill()
            proc.join(timeout=2.0)
        q.close()
        q.cancel_join_thread()
