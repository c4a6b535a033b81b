"""Songs to project commands (audio_engine.app.songs): the editor's "add
songs" and Magic build their tracks through the same operation."""

from __future__ import annotations

from pathlib import Path

from audio_engine.app.songs import SongToAdd, add_songs
from audio_engine.project import CommandStack, Macro, Project


def _song(h: str, title: str, *, stems: bool, bpm: float | None = 100.0) -> SongToAdd:
    st = {"vocals": ("b" * 40, ".flac"), "drums": ("c" * 40, ".flac")} if stems else {}
    return SongToAdd(hash=h * 40, ext=".flac", title=title, duration=12.0, bpm=bpm, key="A minor", stems=st,
                     captions={"segments": [], "language": "en"} if stems else None)


def test_first_batch_sets_tempo_key_and_one_track_per_stem(tmp_path: Path) -> None:
    p = Project()
    stack = CommandStack(p)
    stack.push(Macro(commands=add_songs(p, [_song("a", "One", stems=True), _song("d", "Two", stems=False)]), name="Add"))
    assert p.tempo == 100.0 and p.key == "A minor"
    assert [t.name for t in p.tracks] == ["One · drums", "One · vocals", "Two"]
    assert all(c.position == 0.0 and c.source_bpm == 100.0 for c in p.clips())
    assert p.caption_lanes and p.caption_lanes[0].clip_id == p.tracks[1].clips[0].id
    # A later song starts on the first bar after the end; the tempo stays.
    stack.push(Macro(commands=add_songs(p, [_song("e", "Three", stems=False, bpm=500.0)]), name="Add"))
    assert p.tempo == 100.0
    last = p.tracks[-1].clips[0]
    assert last.position == 20.0 and last.source_bpm is None  # 12 s at 100 BPM = 20 beats; 500 BPM is not usable
    stack.undo()
    stack.undo()
    assert p.tracks == [] and p.tempo == 120.0
