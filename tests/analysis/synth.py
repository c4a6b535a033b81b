"""Synthetic test signals with exactly known beats, bars and harmony."""

from __future__ import annotations

import numpy as np

from audio_engine.audio import Audio

SR = 22050


def _tone(freqs: list[float], n: int, sr: int) -> np.ndarray:
    t = np.arange(n) / sr
    out = np.zeros(n)
    for f in freqs:
        for h, a in ((1, 1.0), (2, 0.4), (3, 0.2)):
            out += a * np.sin(2 * np.pi * f * h * t)
    return out / max(1, len(freqs))


def _burst(n: int, sr: int, freq: float | None, decay_s: float, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(n) / sr
    env = np.exp(-t / decay_s)
    sig = np.sin(2 * np.pi * freq * t) if freq else rng.standard_normal(n)
    return sig * env


def pulse_song(
    bpm: float,
    seconds: float,
    *,
    first_downbeat: float = 0.0,
    beats_per_bar: int = 4,
    sub_level: float = 0.0,
    chords: bool = True,
    sr: int = SR,
    seed: int = 0,
) -> tuple[Audio, np.ndarray, np.ndarray]:
    """Kick-like thumps on every beat (snare-like noise on even beats), hats on
    the half-beats at ``sub_level`` of the beat loudness, and a different
    sustained chord every bar (I-IV-V-I of C major). Returns the audio and the
    true beat and downbeat times."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    y = np.zeros(n)
    period = 60.0 / bpm
    beats = np.arange(first_downbeat, seconds - period, period)
    downbeats = beats[::beats_per_bar]
    hit = int(0.25 * sr)
    for i, t in enumerate(beats):
        a = int(round(t * sr))
        m = min(hit, n - a)
        y[a : a + m] += 0.8 * _burst(m, sr, 60.0, 0.08, rng)[:m] + 0.4 * _burst(m, sr, None, 0.004, rng)[:m]
        if i % 2 == 1:
            y[a : a + m] += 0.3 * _burst(m, sr, None, 0.05, rng)[:m]
        if sub_level > 0:
            b = int(round((t + period / 2) * sr))
            if b < n:
                mm = min(int(0.05 * sr), n - b)
                hat = np.diff(_burst(mm + 2, sr, None, 0.02, rng), 2)  # high-passed noise
                y[b : b + mm] += sub_level * 0.15 * hat[:mm]
    if chords:
        progression = [[261.63, 329.63, 392.0], [174.61, 220.0, 261.63], [196.0, 246.94, 293.66], [261.63, 329.63, 392.0]]
        bass = [65.41, 87.31, 98.0, 65.41]
        for j, t in enumerate(downbeats):
            a = int(round(t * sr))
            b = min(n, int(round((t + beats_per_bar * period) * sr)))
            ch = j % len(progression)
            y[a:b] += 0.25 * _tone(progression[ch], b - a, sr) + 0.3 * _tone([bass[ch]], b - a, sr)
    y /= np.max(np.abs(y)) * 1.25
    return Audio(np.stack([y, y]).astype(np.float32), sr), beats, downbeats
