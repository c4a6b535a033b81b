from __future__ import annotations

from pathlib import Path

import pytest

from audio_engine.magic import Caches


@pytest.fixture(scope="session")
def magic_caches(tmp_path_factory: pytest.TempPathFactory) -> Caches:
    """One private cache for the whole session: songs are analysed and
    separated once, then reused by every test (as in the studio)."""
    return Caches.under(Path(tmp_path_factory.mktemp("magic-cache")))
