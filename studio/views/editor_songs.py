"""Songs from the Library into the open project: the media copied into the
store as a job, then the engine's one songs-to-commands operation
(:func:`audio_engine.app.songs.add_songs`) as one undo step."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from audio_engine import project as proj
from audio_engine.app.songs import SongToAdd, add_songs
from audio_engine.project import Command
from studio.controllers import SongActions
from studio.services import Services
from studio.views.editor_document import ProjectDocument


class SongAdder:
    """Adds songs as tracks; a batch with songs still being analysed waits for all of them."""

    def __init__(self, services: Services, actions: SongActions, doc: ProjectDocument,
                 push: Callable[[Command], bool], say: Callable[[str], None], added: Callable[[], None]) -> None:
        self.s = services
        self.actions = actions
        self.doc = doc
        self.push = push
        self.say = say
        self.added = added
        self._waiting_batches: list[tuple[list[int], set[int]]] = []
        self._autoplay = False

    def add_songs(self, song_ids: list[int], *, wait_for_analysis: bool = False, autoplay: bool = False) -> None:
        """Add each song as a track (its stems as stem lanes when separated),
        in the order given. When some are still being analysed, the whole
        batch waits for them, so the layout never depends on which analysis
        finishes first."""
        waiting = [sid for sid in song_ids
                   if not self.s.library.get(sid).analysed and (wait_for_analysis or sid in self.actions.analysing)]
        self._autoplay = autoplay
        if waiting:
            self._waiting_batches.append((list(song_ids), set(waiting)))
            self.say("Waiting for analysis before adding songs (tempo and key)…")
            if len(self._waiting_batches) == 1:
                self.actions.song_updated.connect(self._song_updated)
            return
        self._add_now(list(song_ids))

    def _song_updated(self, sid: int) -> None:
        if sid in self.actions.analysing:
            return
        ready = []
        for batch in self._waiting_batches:
            batch[1].discard(sid)
            if not batch[1]:
                ready.append(batch)
        for batch in ready:
            self._waiting_batches.remove(batch)
            self._add_now(batch[0])
        if not self._waiting_batches:
            self.actions.song_updated.disconnect(self._song_updated)

    def _add_now(self, song_ids: list[int]) -> None:
        songs = [self.s.library.get(i) for i in song_ids]
        store = self.doc.media_store

        def fn(progress: Any, cancel: Any) -> list[SongToAdd]:
            from audio_engine.credits import read_source_tags

            out = []
            for song in songs:
                cancel.check()
                h, ext = store.add_file(song.path, known_hash=song.content_hash)
                stems: dict[str, tuple[str, str]] = {}
                for name, p in song.stems.items():
                    if Path(p).is_file():
                        stems[name] = store.add_file(p)
                captions = None
                if song.captions and Path(song.captions).is_file():
                    captions = json.loads(Path(song.captions).read_text())
                tags = read_source_tags(song.path)  # album and ISRC for the credits
                fp = (song.analysis or {}).get("fingerprint")
                out.append(SongToAdd(hash=h, ext=ext, title=song.title, duration=song.duration, artist=song.artist,
                                     bpm=song.bpm, key=song.key_name, stems=stems, captions=captions,
                                     album=tags["album"], isrc=tags["isrc"], fingerprint=fp if isinstance(fp, str) else ""))
            return out

        self.s.jobs.submit("Add songs to the project", "io", fn, on_result=self._add_songs_done)

    def _add_songs_done(self, result: list[SongToAdd]) -> None:
        cmds = add_songs(self.doc.project, result)  # the engine's one songs-to-commands operation
        if cmds and self.push(proj.Macro(commands=cmds, name="Add songs")):
            self.added()
            if self._autoplay:
                self._autoplay = False
                self.s.transport.loaded.connect(self._autoplay_once)

    def _autoplay_once(self, _d: float) -> None:
        self.s.transport.loaded.disconnect(self._autoplay_once)
        self.s.transport.seek(0.0)
        self.s.transport.play()
