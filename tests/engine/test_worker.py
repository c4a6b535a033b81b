from __future__ import annotations

import os
import threading
import time

import pytest

from audio_engine.errors import AudioDecodeError, Cancelled, WorkerCrashedError
from audio_engine.progress import CancelToken, Progress, ProgressReporter
from audio_engine.worker import run_in_worker
from tests.engine import worker_targets as t


def test_result_and_ordered_progress():
    seen: list[Progress] = []
    assert run_in_worker(t.count, kwargs={"n": 50}, progress=seen.append) == 100
    fr = [p.fraction for p in seen]
    assert fr == sorted(fr) and fr[-1] == 1.0 and len(fr) == 50
    assert all(p.stage == "counting" for p in seen)


def test_runs_in_another_process():
    assert run_in_worker(t.pid) != os.getpid()


def test_typed_error_crosses_the_process_boundary():
    with pytest.raises(AudioDecodeError, match="empty") as info:
        run_in_worker(t.fail)
    assert info.value.hint == "pick another file"


@pytest.mark.parametrize("target", [t.cooperative_loop, t.stubborn_loop])
def test_cancel_stops_within_two_seconds(target):
    token = CancelToken()
    threading.Timer(1.0, token.cancel).start()
    start = time.monotonic()
    with pytest.raises(Cancelled):
        run_in_worker(target, cancel=token)
    assert time.monotonic() - start - 1.0 < 2.0


def test_crash_is_reported_not_hung():
    with pytest.raises(WorkerCrashedError, match="exit code 3"):
        run_in_worker(t.crash)


def test_progress_reporter_throttles_orders_and_finishes():
    now = [0.0]
    out: list[Progress] = []
    rep = ProgressReporter(out.append, stage="x", rate_hz=2.0, clock=lambda: now[0])
    for i in range(100):
        now[0] = i * 0.01  # one second in total
        rep(i / 100)
    rep(0.5)  # going backwards is ignored
    rep(1.0)
    assert 2 <= len(out) <= 4
    assert [p.fraction for p in out] == sorted(p.fraction for p in out)
    assert out[-1].fraction == 1.0
    sub = ProgressReporter(out.append, stage="a").sub(0.5, 0.5, stage="b")
    sub(0.5, force=True)
    assert out[-1].fraction == pytest.approx(0.75) and out[-1].stage == "b"
