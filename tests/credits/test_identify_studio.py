"""Library → Identify (AcoustID) in the studio: hidden without the build's
key; with it, the lookup runs as a job against a local AcoustID-format
server, the user picks a match and the song's title and artist change."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.corpus import Song
from tests.credits.test_identify import Api

pytestmark = pytest.mark.skipif(shutil.which("fpcalc") is None, reason="fpcalc (libchromaprint-tools) not installed")


@pytest.fixture
def api() -> Iterator[Api]:
    a = Api()
    yield a
    a.httpd.shutdown()
    a.httpd.server_close()


def test_identify_fills_title_and_artist_after_confirmation(studio_home: Path, tmp_path: Path, qtbot: Any,
                                                            songs: list[Song], api: Api,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from studio.controllers import SongActions
    from studio.services import build_services
    from studio.views import identify_dialog
    from studio.views.library_page import LibraryPage

    s = build_services(settings_path=tmp_path / "settings.ini")
    try:
        f = tmp_path / "untagged.flac"
        shutil.copyfile(songs[0].mix, f)
        song = s.library.add(f)
        page = LibraryPage(s, SongActions(s, None))
        qtbot.addWidget(page)
        monkeypatch.delenv("MASHUPS_ACOUSTID_KEY", raising=False)
        names = [a.text() for a in page.build_menu([song.id]).actions()]
        assert "Identify (AcoustID)…" not in names and "Play" in names  # no key in this build: hidden
        monkeypatch.setenv("MASHUPS_ACOUSTID_KEY", "build-key")
        monkeypatch.setenv("MASHUPS_ACOUSTID_URL", api.url)
        shown: list[identify_dialog.IdentifyDialog] = []

        def accept(dlg: identify_dialog.IdentifyDialog) -> int:
            shown.append(dlg)
            dlg.list.setCurrentRow(1)  # the user picks the second match
            return identify_dialog.QDialog.DialogCode.Accepted.value

        monkeypatch.setattr(identify_dialog.IdentifyDialog, "exec", accept)
        action = next(a for a in page.build_menu([song.id]).actions() if a.text() == "Identify (AcoustID)…")
        action.trigger()
        qtbot.waitUntil(lambda: bool(shown) and s.library.get(song.id).title == "Night Drive (live)", timeout=60000)
        assert s.library.get(song.id).artist == "Band A"
        (req,) = api.requests
        assert req["client"] == "build-key" and req["fingerprint"].startswith("AQAA") and req["duration"] == "30"
        assert shown[0].list.count() == 2
    finally:
        s.close()
