"""The community tests run on the cloud tests' real PostgreSQL (tests/cloud/conftest.py);
studios signed up on the local gateway (one or two, as the page tests use them)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.devserver.gateway import ANON_KEY, Gateway
from studio.cloud import CloudController
from studio.jobs import JobRunner
from studio.settings import Settings
from studio.views.community_common import CommunityPage
from sync.auth import MemoryTokenStore
from sync.community import CommunityClient
from sync.config import CloudConfig
from sync.session import CloudSession
from sync.transport import RetryPolicy
from tests.cloud.conftest import Db, db, fresh_db, fresh_gw, gw, pg_server, template_db

__all__ = ["db", "fresh_db", "fresh_gw", "gw", "pg_server", "template_db", "recordings", "two_studios"]

Studio = tuple[CloudController, CommunityClient]
ROOT = Path(__file__).resolve().parents[2]


def admin(db: Db, *args: str) -> dict[str, Any]:
    """``python -m backend.admin ARGS`` as the platform team runs it (a real subprocess, DATABASE_URL); its JSON."""
    p = subprocess.run([sys.executable, "-m", "backend.admin", *args], cwd=ROOT, capture_output=True, text=True,
                       env={**os.environ, "DATABASE_URL": db.dsn}, timeout=60)
    assert p.returncode == 0, p.stderr
    out: dict[str, Any] = json.loads(p.stdout)
    return out


def wait_loaded(qtbot: Any, page: CommunityPage) -> None:
    """A fresh load after every load in flight (an action reloads its page by itself)."""
    qtbot.waitUntil(lambda: page.loading == 0, timeout=30000)
    before = page.fetched
    page.refresh()
    qtbot.waitUntil(lambda: page.loading == 0 and page.fetched is not before and page.fetched is not None,
                    timeout=30000)


def signed_up_studio(gw: Gateway, tmp_path: Path, who: str, jobs: JobRunner, email: str = "") -> Studio:
    """A studio's cloud controller and community client, signed up as a new account on ``gw``
    (its home ``tmp_path/who``; one try per request: the local server answers or not)."""
    s = CloudSession(CloudConfig(gw.url, ANON_KEY, timeout_s=10), data_dir=tmp_path / who,
                     token_store=MemoryTokenStore(), retry=RetryPolicy(attempts=1, initial_s=0.01, max_s=0.02))
    s.sign_up(email or f"{who}-{os.getpid()}-{id(s)}@example.test", "correct horse battery")
    return CloudController(s, jobs, Settings(tmp_path / f"{who}.ini"), auto_sync=False), CommunityClient(s.require)


@pytest.fixture
def two_studios(qapp: Any, fresh_gw: Gateway, tmp_path: Path) -> Iterator[dict[str, Studio]]:
    """Studios "a" and "b", two new accounts on this test's own database (``fresh_gw``), one job runner."""
    jobs = JobRunner()
    yield {who: signed_up_studio(fresh_gw, tmp_path, who, jobs) for who in ("a", "b")}
    jobs.shutdown(timeout=3)


@pytest.fixture(scope="session")
def recordings(songs: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Real fpcalc fingerprints, computed once: corpus song 0 as FLAC (``hit``) and as a 128 kbit/s
    MP3 rip (``hit_rip``), songs 1 and 2 (``other``, ``third``); ``paths`` holds the files."""
    if shutil.which("fpcalc") is None:
        pytest.skip("fpcalc (libchromaprint-tools) not installed")
    from audio_engine import io
    from audio_engine.fingerprint import compute

    rip = Path(tmp_path_factory.mktemp("recordings")) / "rip.mp3"
    io.save(io.load(songs[0].mix), rip, mp3_bitrate_kbps=128)
    paths = {"hit": songs[0].mix, "hit_rip": rip, "other": songs[1].mix, "third": songs[2].mix}
    return {**{k: compute(p) for k, p in paths.items()}, "paths": paths}
