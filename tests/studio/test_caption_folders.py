"""The studio's caption models and caption cache follow the folders chosen in
Settings: the composition root passes them in, and nothing in the engine
looks anywhere else (the per-user default folder stays untouched)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.captions.conftest import Speech, speech, tiny_en  # noqa: F401  (fixtures)
from tests.studio.conftest import wait_jobs

VARS = ("MASHUPS_DATA_DIR", "MASHUPS_CACHE_DIR", "MASHUPS_MODEL_DIR")


def test_captioning_reads_and_writes_only_the_settings_folders(
    studio_home: Path, tmp_path: Path, qtbot: object,
    tiny_en: Path, speech: Speech,  # noqa: F811
) -> None:
    from audio_engine.cache import JsonCache
    from audio_engine.captions.models import import_model
    from studio.controllers import SongActions
    from studio.jobs import JobState
    from studio.services import build_services
    from studio.settings import Settings

    chosen = tmp_path / "chosen"
    settings_path = tmp_path / "settings.ini"
    st = Settings(settings_path)
    st.set("storage/models", str(chosen / "models"))
    st.set("storage/cache", str(chosen / "cache"))
    s = build_services(settings_path=settings_path)
    try:
        # Only what the composition root passes in counts: no folder reaches the engine through the environment.
        assert not [v for v in VARS if v in os.environ]
        s.settings.set("audio/device", "null")
        s.transport.device = "null"
        assert s.paths.models == chosen / "models" and s.paths.cache == chosen / "cache"
        import_model(tiny_en, name="tiny.en", root=s.paths.models)
        s.settings.set("models/captions", "tiny.en")
        s.settings.set("captions/language", "en")
        song = s.library.add(speech.path)
        actions = SongActions(s)
        results: list[str] = []
        actions.captions_ready.connect(lambda _i, p: results.append(p))
        job = actions.caption(song.id)
        wait_jobs(qtbot, s.jobs, timeout=180)
        assert job.state == JobState.DONE and results, (job.error, job.hint)
        from audio_engine.captions import CaptionDoc, word_error_rate
        from tests.captions.conftest import SENTENCE

        doc = CaptionDoc.from_dict(json.loads(Path(results[0]).read_text()))
        assert word_error_rate(SENTENCE, doc.text) <= 0.25  # the model in the chosen folder really ran
        cache = JsonCache(s.paths.captions_db)
        try:
            assert s.paths.captions_db == chosen / "cache" / "captions.sqlite3" and len(cache) == 1
        finally:
            cache.close()
    finally:
        s.close()
    assert (chosen / "cache" / "captions.sqlite3").is_file()
    assert not (studio_home / "cache").exists()
    assert not (studio_home / "models").exists()
