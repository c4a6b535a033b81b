from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from audio_engine.errors import AudioDecodeError
from audio_engine.progress import CancelToken, Progress
from studio.jobs import JobRunner, JobState
from tests.studio.conftest import wait_jobs


def test_one_ml_job_at_a_time_io_beside_it(qtbot: Any) -> None:
    runner = JobRunner()
    running: list[str] = []
    peak = {"ml": 0}
    lock = threading.Lock()

    def body(name: str, kind: str) -> Any:
        def fn(progress: Any, cancel: CancelToken) -> str:
            with lock:
                running.append(kind)
                peak["ml"] = max(peak["ml"], running.count("ml"))
            time.sleep(0.15)
            with lock:
                running.remove(kind)
            return name

        return fn

    jobs = [runner.submit(f"ml{i}", "ml", body(f"ml{i}", "ml")) for i in range(3)]
    io = runner.submit("io", "io", body("io", "io"))
    qtbot.wait(60)
    assert io.state == JobState.RUNNING and jobs[0].state == JobState.RUNNING and jobs[1].state == JobState.QUEUED
    wait_jobs(qtbot, runner, 10)
    assert peak["ml"] == 1
    assert [j.result for j in jobs] == ["ml0", "ml1", "ml2"] and all(j.state == JobState.DONE for j in jobs)


def test_progress_and_result_arrive_on_the_main_thread(qtbot: Any) -> None:
    runner = JobRunner()
    seen: list[tuple[str, float]] = []
    main = threading.get_ident()
    where: list[int] = []

    def fn(progress: Any, cancel: CancelToken) -> int:
        progress(Progress(0.5, "halfway", 1.0))
        time.sleep(0.1)
        return 42

    runner.job_changed.connect(lambda j: seen.append((j.stage, j.fraction)))
    job = runner.submit("p", "cpu", fn, on_result=lambda r: where.append(threading.get_ident()))
    with qtbot.waitSignal(runner.job_finished, timeout=5000):
        pass
    assert job.result == 42 and where == [main]
    assert ("halfway", 0.5) in seen and seen[-1] == ("done", 1.0)


def test_cancel_running_and_queued_then_retry(qtbot: Any) -> None:
    runner = JobRunner()

    def slow(progress: Any, cancel: CancelToken) -> str:
        for _ in range(200):
            cancel.check()
            time.sleep(0.01)
        return "finished"

    a = runner.submit("a", "ml", slow)
    b = runner.submit("b", "ml", slow)
    qtbot.wait(50)
    runner.cancel(b.id)
    assert b.state == JobState.CANCELLED  # queued: cancelled at once
    runner.cancel(a.id)
    wait_jobs(qtbot, runner, 5)
    assert a.state == JobState.CANCELLED
    again = runner.retry(a.id)
    assert again.retry_of == a.id
    wait_jobs(qtbot, runner, 10)
    assert again.state == JobState.DONE and again.result == "finished"


def test_errors_are_words_with_a_hint(qtbot: Any) -> None:
    runner = JobRunner()
    errors: list[BaseException] = []

    def bad(progress: Any, cancel: CancelToken) -> None:
        raise AudioDecodeError("“x.mp3” is not an audio file.")

    job = runner.submit("bad", "io", bad, on_error=errors.append)
    wait_jobs(qtbot, runner, 5)
    assert job.state == JobState.FAILED and isinstance(errors[0], AudioDecodeError)
    assert job.error == "“x.mp3” is not an audio file." and "WAV" in job.hint
    with pytest.raises(ValueError):
        runner.submit("x", "gpu-party", bad)
