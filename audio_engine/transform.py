"""Time-stretch and pitch-shift (Rubber Band through pedalboard), gain,
fades and pan.

Stretch ratio convention (pedalboard's ``stretch_factor``): ``ratio > 1``
plays faster, so the output is shorter (``len_out = len_in / ratio``). To
move a song from ``from_bpm`` to ``to_bpm``, ``ratio = to_bpm / from_bpm``.

Quality: ``"fast"`` (Rubber Band's R2 engine) is the default because its
timing is exact: clicks land where ``t / ratio`` says, with a constant
offset of a few ms and no drift. ``"high"`` (the R3 "finer" engine) sounds
smoother but, as pedalboard drives it, realises the ratio on a coarse hop
grid (0.9 becomes 230/256 = 0.8984) and drifts by up to ~0.2 % -- 45 ms
after 24 s, which audibly pulls a stretched vocal off the beat. Measured in
tests/engine/test_transform_mix_master.py; use "high" only for material that
is not locked to a beat grid. Pitch: R2's own shifter measured up to 30 cents
off on pure tones, so "fast" shifts pitch by an exact soxr resample and lets
R2 do only the stretching (pure pitch shifts within a few cents); R2's
stretch still smears the spectral peak of a lone sinusoid by up to ~30 cents
when stretching, which R3 does not.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

from audio_engine.audio import Audio
from audio_engine.errors import InvalidAudioError

Quality = Literal["high", "fast"]

MIN_RATIO = 0.25
MAX_RATIO = 4.0
MAX_SEMITONES = 24.0


def stretched_length(frames: int, ratio: float) -> int:
    """Exact output length of :func:`time_stretch` for ``frames`` input frames."""
    return int(round(frames / ratio))


def time_stretch(
    audio: Audio,
    *,
    ratio: float = 1.0,
    semitones: float = 0.0,
    quality: Quality = "fast",
    preserve_formants: bool = True,
) -> Audio:
    """Stretch by ``ratio`` (>1 faster) and shift by ``semitones`` in one
    Rubber Band pass. ``quality="fast"`` (default) is timing-exact;
    ``"high"`` uses Rubber Band's finer engine, which drifts (module docs). The output has exactly
    ``stretched_length(audio.frames, ratio)`` frames (sample-accurate
    placement depends on it)."""
    if not (math.isfinite(ratio) and MIN_RATIO <= ratio <= MAX_RATIO):
        raise InvalidAudioError(f"Stretch ratio {ratio} is outside {MIN_RATIO}-{MAX_RATIO}.")
    if not (math.isfinite(semitones) and abs(semitones) <= MAX_SEMITONES):
        raise InvalidAudioError(f"Pitch shift {semitones} semitones is outside +/-{MAX_SEMITONES}.")
    if quality not in ("high", "fast"):
        raise ValueError(f"quality must be 'high' or 'fast', not {quality!r}")
    target = stretched_length(audio.frames, ratio)
    if ratio == 1.0 and semitones == 0.0:
        return audio
    if audio.frames == 0:
        return audio
    import pedalboard

    samples = audio.samples
    stretch = float(ratio)
    shift = float(semitones)
    if quality == "fast" and semitones != 0.0:
        # R2's own pitch shifter is off by up to ~30 cents on tonal input (measured);
        # Rubber Band shifts pitch by stretching and resampling anyway, so do the
        # resampling exactly with soxr (pitch x p, length / p) and let R2 stretch
        # by ratio / p, which keeps its exact timing.
        import soxr

        p = 2.0 ** (semitones / 12.0)
        samples = np.ascontiguousarray(
            soxr.resample(audio.samples.T, audio.sample_rate * p, audio.sample_rate, quality="VHQ").T,
            dtype=np.float32,
        )
        stretch, shift = ratio / p, 0.0
    out = pedalboard.time_stretch(
        samples,
        float(audio.sample_rate),
        stretch_factor=stretch,
        pitch_shift_in_semitones=shift,
        high_quality=quality == "high",
        preserve_formants=preserve_formants,
    )
    return Audio(fit_length(np.asarray(out, dtype=np.float32), target), audio.sample_rate)


def pitch_shift(audio: Audio, *, semitones: float, quality: Quality = "fast") -> Audio:
    """Shift pitch by ``semitones`` keeping the duration."""
    return time_stretch(audio, ratio=1.0, semitones=semitones, quality=quality)


def fit_length(samples: np.ndarray, frames: int) -> np.ndarray:
    """Trim or zero-pad ``(channels, n)`` to exactly ``frames``."""
    n = samples.shape[1]
    if n == frames:
        return samples
    if n > frames:
        return samples[:, :frames]
    return np.pad(samples, ((0, 0), (0, frames - n)))


def db_to_gain(db: float) -> float:
    return float(10.0 ** (db / 20.0))


def gain(audio: Audio, db: float) -> Audio:
    if not math.isfinite(db):
        raise InvalidAudioError(f"Gain must be a finite number of dB, not {db}.")
    if db == 0.0:
        return audio
    return Audio(audio.samples * np.float32(db_to_gain(db)), audio.sample_rate)


def fade_curve(n: int, *, shape: str = "equal-power") -> np.ndarray:
    """Rising curve 0 -> 1 over ``n`` samples ("linear", "equal-power" or "s-curve")."""
    t = (np.arange(n, dtype=np.float64) + 0.5) / max(n, 1)
    if shape == "linear":
        c = t
    elif shape == "equal-power":
        c = np.sin(0.5 * np.pi * t)
    elif shape == "s-curve":
        c = 0.5 - 0.5 * np.cos(np.pi * t)
    else:
        raise ValueError(f"Unknown fade shape {shape!r}")
    return c.astype(np.float32)


def fade(audio: Audio, *, fade_in_s: float = 0.0, fade_out_s: float = 0.0, shape: str = "equal-power") -> Audio:
    """Fade in at the start and out at the end (seconds; clipped to the length)."""
    n_in = min(audio.frames, max(0, int(round(fade_in_s * audio.sample_rate))))
    n_out = min(audio.frames, max(0, int(round(fade_out_s * audio.sample_rate))))
    if n_in == 0 and n_out == 0:
        return audio
    out = audio.samples.copy()
    if n_in:
        out[:, :n_in] *= fade_curve(n_in, shape=shape)
    if n_out:
        out[:, audio.frames - n_out :] *= fade_curve(n_out, shape=shape)[::-1]
    return Audio(out, audio.sample_rate)


def pan_gains(pan: float) -> tuple[float, float]:
    """Constant-power (-3 dB centre) left/right gains for ``pan`` in [-1, 1]."""
    if not (math.isfinite(pan) and -1.0 <= pan <= 1.0):
        raise InvalidAudioError(f"Pan must be between -1 (left) and 1 (right), not {pan}.")
    theta = (pan + 1.0) * math.pi / 4.0
    return math.cos(theta) * math.sqrt(2.0), math.sin(theta) * math.sqrt(2.0)


def pan(audio: Audio, value: float) -> Audio:
    """Pan to stereo: mono is placed, stereo is balanced (centre leaves it unchanged)."""
    stereo = audio.to_channels(2) if audio.channels != 2 else audio
    if value == 0.0:
        return stereo
    lg, rg = pan_gains(value)
    out = stereo.samples.copy()
    out[0] *= np.float32(lg)
    out[1] *= np.float32(rg)
    return Audio(out, audio.sample_rate)
