"""Small real media for project tests: stereo FLAC files written with io.save."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from audio_engine.audio import Audio
from audio_engine.io import save
from audio_engine.project import CommandStack, MediaRef, MediaStore, Project, Track
from audio_engine.project.commands import AddClip
from audio_engine.project.media import add_song

SR = 44100


def click_track(path: Path, *, seconds: float = 4.0, bpm: float = 120.0, freq: float = 1000.0, first: float = 0.0) -> Path:
    """Short decaying tone bursts on every beat (first at ``first`` s)."""
    n = int(seconds * SR)
    x = np.zeros(n, dtype=np.float32)
    burst_n = int(0.03 * SR)
    t = np.arange(burst_n) / SR
    burst = (0.5 * np.sin(2 * np.pi * freq * t) * np.exp(-t * 80)).astype(np.float32)
    k = 0
    while True:
        s = int(round((first + k * 60.0 / bpm) * SR))
        if s >= n:
            break
        m = min(burst_n, n - s)
        x[s : s + m] += burst[:m]
        k += 1
    save(Audio(np.stack([x, x]), SR), path)
    return path


def tone(path: Path, *, seconds: float = 4.0, freq: float = 440.0, amp: float = 0.3) -> Path:
    t = np.arange(int(seconds * SR)) / SR
    x = (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    save(Audio(np.stack([x, x]), SR), path)
    return path


def simple_project(tmp: Path) -> tuple[Project, MediaStore, MediaRef]:
    src = tmp / "src"
    src.mkdir(exist_ok=True)
    song = tone(src / "song.flac", seconds=4.0)
    voc = click_track(src / "vocals.flac", seconds=4.0)
    store = MediaStore(tmp / "store")
    ref = add_song(store, song, stems={"vocals": voc}, bpm=120.0, key="A minor", title="Song", artist="Band")
    p = Project(title="Test", tempo=120.0, key="A minor")
    p.media[ref.hash] = ref
    p.tracks.append(Track(id="t1", name="one"))
    p.tracks.append(Track(id="t2", name="two"))
    return p, store, ref


def two_song_tracks(title: str, a: MediaRef, b: MediaRef) -> tuple[Project, CommandStack]:
    """A project at 120 BPM with songs ``a`` and ``b`` on tracks "A" and "B": clip c1 (a's first
    4 beats at beat 0) and c2 (b's first 4 beats at beat 4); the stack to add more with."""
    p = Project(title=title, tempo=120.0)
    st = CommandStack(p)
    p.media[a.hash] = a
    p.media[b.hash] = b
    p.tracks += [Track(id="t1", name="A"), Track(id="t2", name="B")]
    st.push(AddClip(track_id="t1", clip={"id": "c1", "media": a.hash, "source_in": 0.0, "source_out": 4.0,
                                         "position": 0.0, "source_bpm": 120.0}))
    st.push(AddClip(track_id="t2", clip={"id": "c2", "media": b.hash, "source_in": 0.0, "source_out": 4.0,
                                         "position": 4.0, "source_bpm": 120.0}))
    return p, st
