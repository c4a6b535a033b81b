"""Songs to project commands: the one place that turns songs (and their
stems and captions) into tracks and clips. The editor's "add songs" and
Magic mashup both build their projects with these commands, so undo,
autosave and sync see the same stream whichever made the project."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from audio_engine.project.commands import (
    AddClip,
    AddMedia,
    AddTrack,
    Command,
    SetCaptions,
    SetProjectProperty,
    SetTempo,
)
from audio_engine.project.model import MAX_BPM, MIN_BPM, Project, new_id


@dataclass(frozen=True)
class SongToAdd:
    """A song already in the project's media store: the mix's ``(hash,
    ext)``, its stems' ``{name: (hash, ext)}`` and what analysis knows."""

    hash: str
    ext: str
    title: str
    duration: float
    artist: str = ""
    bpm: float | None = None
    key: str | None = None
    stems: dict[str, tuple[str, str]] = field(default_factory=dict)
    captions: dict[str, Any] | None = None
    separation_model: str = ""
    album: str = ""
    isrc: str = ""
    fingerprint: str = ""

    def media(self) -> dict[str, Any]:
        return {"hash": self.hash, "name": self.title, "ext": self.ext, "bpm": self.bpm, "key": self.key,
                "duration": self.duration, "title": self.title, "artist": self.artist,
                "stems": {k: v[0] for k, v in self.stems.items()}, "stem_exts": {k: v[1] for k, v in self.stems.items()},
                "separation_model": self.separation_model, "album": self.album, "isrc": self.isrc,
                "fingerprint": self.fingerprint}


def track_name(title: str, stem: str | None) -> str:
    return f"{title} · {stem}" if stem else title


def track_with_clip(*, name: str, clip: dict[str, Any]) -> tuple[list[Command], str, str]:
    """A new track holding one clip: the commands, the track id and the clip id."""
    tid = new_id("track")
    clip = {"id": new_id("clip"), "name": name, **clip}
    return [AddTrack(track={"id": tid, "name": name}), AddClip(track_id=tid, clip=clip)], tid, str(clip["id"])


def usable_bpm(bpm: float | None) -> float | None:
    return bpm if bpm and MIN_BPM <= bpm <= MAX_BPM else None


def add_songs(project: Project, songs: Sequence[SongToAdd]) -> list[Command]:
    """Commands that add each song as tracks (one per stem, or the mix when
    it has none), in order: the first song into an empty project sets the
    tempo and key; each further song starts on the first bar after the
    current end; captions follow the song's last clip."""
    cmds: list[Command] = []
    first = not project.clips()
    tempo = project.tempo
    if first and songs and usable_bpm(songs[0].bpm):
        tempo = round(float(songs[0].bpm or tempo), 2)
        cmds.append(SetTempo(bpm=tempo))
    if first and songs and songs[0].key and project.key is None:
        cmds.append(SetProjectProperty(name="key", value=songs[0].key))
    end_beats = project.seconds_to_beats(project.end_seconds())
    bar = 4.0
    for song in songs:
        cmds.append(AddMedia(media=song.media()))
        start = 0.0 if first else float(round(end_beats / bar + 0.499) * bar)
        lanes: list[str | None] = list(sorted(song.stems)) if song.stems else [None]
        last_clip = ""
        for stem in lanes:
            more, _, last_clip = track_with_clip(name=track_name(song.title, stem), clip={
                "media": song.hash, "stem": stem, "source_in": 0.0, "source_out": round(song.duration, 6),
                "position": start, "stretch_mode": "tempo", "source_bpm": usable_bpm(song.bpm), "name": song.title})
            cmds.extend(more)
        if song.captions is not None:
            cmds.append(SetCaptions(lane_id=new_id("lane"), doc=song.captions, clip_id=last_clip, name=song.title))
    return cmds
