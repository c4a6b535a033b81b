"""The community tests run on the cloud tests' real PostgreSQL (tests/cloud/conftest.py)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.cloud.conftest import db, fresh_db, gw, pg_server, template_db

__all__ = ["db", "fresh_db", "gw", "pg_server", "template_db", "recordings"]


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
