"""Library → Identify (AcoustID): look the song's fingerprint up and, after
the user picks a match, fill in its title and artist. Shown only when the
build has an AcoustID client key. The lookup is the engine's
(:mod:`audio_engine.credits_identify`); this module runs it as a job and asks."""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QListWidget, QVBoxLayout, QWidget

from audio_engine.credits_identify import API_URL, Match, client_key


def identify_key() -> str | None:
    """The build's AcoustID key (None: the Identify action is hidden)."""
    from sync.session import bundled_config_path

    return client_key(bundled=bundled_config_path())


class IdentifyDialog(QDialog):
    def __init__(self, song_title: str, matches: list[Match], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Identify “{song_title}”")
        self.resize(560, 320)
        lay = QVBoxLayout(self)
        text = ("AcoustID knows these recordings with this song's fingerprint. Pick one to use its title and "
                "artist:" if matches else "AcoustID does not know this recording. The song keeps its name.")
        lab = QLabel(text)
        lab.setWordWrap(True)
        lay.addWidget(lab)
        self.list = QListWidget()
        self.list.setObjectName("identify_matches")
        for m in matches:
            self.list.addItem(m.label())
        if matches:
            self.list.setCurrentRow(0)
        lay.addWidget(self.list, 1)
        self.matches = matches
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Use this")
        ok.setEnabled(bool(matches))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)

    def chosen(self) -> Match | None:
        i = self.list.currentRow()
        return self.matches[i] if 0 <= i < len(self.matches) else None


def identify_song(page: Any, song_id: int, key: str) -> None:
    """Run the lookup for a library song as a job; on a confirmed match set its tags."""
    s = page.s
    song = s.library.get(song_id)
    cache_db = str(s.analysis_db)

    def fn(_progress: Any, _cancel: Any) -> list[Match]:
        from audio_engine.cache import JsonCache
        from audio_engine.credits_identify import lookup
        from audio_engine.fingerprint import fingerprint_file

        fp = (song.analysis or {}).get("fingerprint")
        if not isinstance(fp, str) or not fp:
            cache = JsonCache(cache_db)
            try:
                fp = fingerprint_file(song.path, cache=cache, content_hash=song.content_hash).compressed
            finally:
                cache.close()
        # MASHUPS_ACOUSTID_URL: another lookup endpoint (a mirror, the tests' local server)
        return lookup(fp, song.duration, key, url=os.environ.get("MASHUPS_ACOUSTID_URL") or API_URL)

    def done(matches: list[Match]) -> None:
        dlg = IdentifyDialog(song.title, matches, page)
        if dlg.exec() == QDialog.DialogCode.Accepted and (m := dlg.chosen()) is not None:
            s.library.set_tags(song_id, title=m.title, artist=m.artist)
            page.actions.song_updated.emit(song_id)

    s.jobs.submit(f"Identify “{song.title}”", "io", fn, on_result=done)
