"""Sum clips onto a bus with sample-accurate placement."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from audio_engine.audio import Audio
from audio_engine.errors import InvalidAudioError
from audio_engine.transform import db_to_gain, pan_gains


@dataclass(frozen=True)
class Placement:
    """``audio`` starting at sample ``start`` of the bus (negative starts are
    cut at 0), with ``gain_db`` and constant-power ``pan``."""

    audio: Audio
    start: int
    gain_db: float = 0.0
    pan: float = 0.0


def mix(
    placements: Iterable[Placement],
    *,
    sample_rate: int,
    channels: int = 2,
    length: int | None = None,
) -> Audio:
    """Sum every placement into one ``channels``-channel bus. ``length``
    defaults to the end of the last clip. All clips must be at ``sample_rate``
    (resample before mixing: a silent rate mismatch would shift timing)."""
    items = list(placements)
    for p in items:
        if p.audio.sample_rate != sample_rate:
            raise InvalidAudioError(
                f"Clip at {p.audio.sample_rate} Hz cannot be mixed on a {sample_rate} Hz bus; resample it first."
            )
    end = max((p.start + p.audio.frames for p in items), default=0)
    n = end if length is None else length
    bus = np.zeros((channels, max(0, n)), dtype=np.float32)
    mix_into(items, bus, 0)
    return Audio(bus, sample_rate)


def mix_into(placements: Iterable[Placement], out: np.ndarray, start: int) -> np.ndarray:
    """Add every placement's part that falls in ``[start, start + out
    frames)`` into ``out`` (channels x frames): any range of the bus, with
    the same arithmetic as the whole bus, so blocks equal it sample for sample."""
    channels, n = out.shape
    for p in placements:
        src = p.audio.to_channels(channels).samples
        a, b = p.start - start, p.start - start + src.shape[1]
        lo, hi = max(a, 0, -start), min(b, n)
        if hi <= lo:
            continue
        seg = src[:, lo - a : hi - a]
        g = db_to_gain(p.gain_db)
        if channels == 2 and p.pan != 0.0:
            lg, rg = pan_gains(p.pan)
            out[0, lo:hi] += seg[0] * np.float32(g * lg)
            out[1, lo:hi] += seg[1] * np.float32(g * rg)
        elif g != 1.0:
            out[:, lo:hi] += seg * np.float32(g)
        else:
            out[:, lo:hi] += seg
    return out
