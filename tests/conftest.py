from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Tests never read or write the machine's real keychain: a keychain that works
# (a CI runner's, a developer's) kept a sign-in between tests, and `mashups plan`
# then found someone signed in. Tests that need a keychain pass their own
# in-memory keyring backend; everything else gets keyring's "no keychain".
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
# numba's on-disk cache of librosa's JIT functions was seen corrupted (segfaults)
# when several processes compiled at once; each test session gets its own.
if "NUMBA_CACHE_DIR" not in os.environ:
    import tempfile

    os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="mashups-numba-")

from tests.corpus import Song, corpus  # noqa: E402


@pytest.fixture(scope="session")
def songs() -> list[Song]:
    """Six 30-second labelled corpus songs (rendered once, cached on disk)."""
    return corpus(songs=6, seed=1, seconds=30.0)


@pytest.fixture()
def studio_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private MASHUPS_HOME so tests never touch the user's real folders."""
    home = tmp_path / "mashups-home"
    monkeypatch.setenv("MASHUPS_HOME", str(home))
    for var in ("MASHUPS_DATA_DIR", "MASHUPS_CACHE_DIR", "MASHUPS_MODEL_DIR"):
        monkeypatch.delenv(var, raising=False)
    return home
