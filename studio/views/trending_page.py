"""Trending page: source songs ranked by how many recent mashups use them and
how those are played and voted (computed on the server on a schedule), and
Spotify/YouTube charts where the server has API keys. "Start a mashup" finds
the song in the local library (by fingerprint, else title/artist:
:mod:`audio_engine.library_match`, as a job) or asks for the file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout

from studio.views.community_common import CommunityPage, heading, label
from studio.widgets import Card, muted
from sync.community import CommunityClient, Fetched

if TYPE_CHECKING:
    from audio_engine.library import Library
    from audio_engine.library_match import LibraryMatch
    from studio.cloud import CloudController


class TrendingPage(CommunityPage):
    TITLE = "Trending"
    SUBTITLE = "Sounds the community is mashing up right now."
    NEEDS_ACCOUNT = False
    start_with_song = Signal(int)  # library song id
    import_file = Signal(str)  # a file to import, then start with

    def __init__(self, cloud: CloudController | None, client: CommunityClient | None,
                 library: Library | None = None, cache_db: Path | None = None) -> None:
        super().__init__(cloud, client)
        self.library = library
        self.cache_db = cache_db  # the analysis cache: library fingerprints computed once

    def fetch(self, client: CommunityClient) -> Fetched:
        return client.trending()

    def render(self, t: dict[str, Any]) -> None:
        sounds = Card()
        sounds.body.addWidget(heading("In mashups"))
        if not t["sounds"]:
            sounds.body.addWidget(muted("Nothing trending yet (the ranking is computed hourly)."))
        for s in t["sounds"][:50]:
            row = QHBoxLayout()
            row.addWidget(label(f"{s['rank']}. {s['artist'] + ' – ' if s['artist'] else ''}{s['title']}", bold=True), 1)
            stats = muted(f"{s['mashups']} mashups · score {s['score']}")
            stats.setWordWrap(False)
            row.addWidget(stats)
            b = self.action_button("Start a mashup", lambda _c=False, s=s: self.start(s), name=f"start_{s['rank']}")
            b.setEnabled(True)  # works offline: it only looks in the local library
            b.setToolTip("Find it in your library, or choose the file")
            row.addWidget(b)
            sounds.body.addLayout(row)
        self.body_lay.addWidget(sounds)
        ext = Card()
        ext.body.addWidget(heading("Charts (Spotify, YouTube)"))
        if not t["external"]:
            ext.body.addWidget(muted("Not configured on this server: the platform adds Spotify/YouTube API keys "
                                     "to `python -m backend.jobs trending` to show them here."))
        for e in t["external"][:40]:
            ext.body.addWidget(label(f"{e['source']} #{e['rank']}: {e['artist']} – {e['title']}"))
        self.body_lay.addWidget(ext)

    def find_local(self, s: dict[str, Any], progress: Any = None, cancel: Any = None) -> LibraryMatch | None:
        """The library song for a trending sound (Qt-free; runs in a job)."""
        if self.library is None:
            return None
        from audio_engine.cache import JsonCache
        from audio_engine.library_match import find_song

        cache = JsonCache(self.cache_db) if self.cache_db is not None else None
        try:
            return find_song(self.library, title=str(s.get("title") or ""), artist=str(s.get("artist") or ""),
                             fingerprint=s.get("fingerprint") or None, cache=cache, progress=progress, cancel=cancel)
        finally:
            if cache is not None:
                cache.close()

    def start(self, s: dict[str, Any]) -> None:
        """Look for the song (a job: fingerprints may need fpcalc), then open it or ask for the file."""
        if self.cloud is None:
            self.found(s, self.find_local(s))
            return
        self.say(f"Looking for {s['title']} in your library…")
        self.cloud.jobs.submit(f"Find {s['title']} in the library", "io", lambda p, c: self.find_local(s, p, c),
                               on_result=lambda m: self.found(s, m), on_error=self.show_error, background=True)

    def found(self, s: dict[str, Any], m: LibraryMatch | None) -> None:
        if m is not None:
            how = "by its fingerprint" if m.how == "fingerprint" else "by title"
            self.say(f"Found {s['title']} in your library ({how}: {m.song.title}).")
            self.start_with_song.emit(m.song.id)
            return
        self.say(f"{s['title']} is not in your library: choose the file.")
        path, _ = QFileDialog.getOpenFileName(self, f"Where is {s['title']}?", str(Path.home()),
                                              "Audio (*.wav *.flac *.mp3 *.ogg *.m4a *.aiff)")
        if path:
            self.import_file.emit(path)
