"""The `Audio` value: float32 samples shaped (channels, samples) with an explicit rate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from audio_engine.errors import InvalidAudioError

MIN_SAMPLE_RATE = 1_000
MAX_SAMPLE_RATE = 768_000
MAX_CHANNELS = 64

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True, eq=False)
class Audio:
    """Audio in the engine's one convention: ``samples`` is float32, shape
    ``(channels, n)``; ``sample_rate`` in Hz."""

    samples: FloatArray
    sample_rate: int

    def __post_init__(self) -> None:
        s = self.samples
        if not isinstance(s, np.ndarray):
            raise InvalidAudioError(f"Audio samples must be a numpy array, not {type(s).__name__}.")
        if s.ndim != 2:
            raise InvalidAudioError(f"Audio samples must be 2-D (channels, samples); got shape {s.shape}.")
        if s.dtype != np.float32:
            object.__setattr__(self, "samples", s.astype(np.float32))
        check_sample_rate(self.sample_rate)
        if not 1 <= s.shape[0] <= MAX_CHANNELS:
            raise InvalidAudioError(f"Audio must have 1 to {MAX_CHANNELS} channels; got {s.shape[0]}.")

    @classmethod
    def silence(cls, seconds: float, sample_rate: int, channels: int = 2) -> Audio:
        return cls(np.zeros((channels, int(round(seconds * sample_rate))), np.float32), sample_rate)

    @property
    def channels(self) -> int:
        return int(self.samples.shape[0])

    @property
    def frames(self) -> int:
        return int(self.samples.shape[1])

    @property
    def duration(self) -> float:
        return self.frames / float(self.sample_rate)

    def mono(self) -> Audio:
        if self.channels == 1:
            return self
        return Audio(self.samples.mean(axis=0, keepdims=True, dtype=np.float32), self.sample_rate)

    def to_channels(self, channels: int) -> Audio:
        """Mono is duplicated to stereo; more channels are averaged down to ``channels``."""
        if channels == self.channels:
            return self
        if self.channels == 1:
            return Audio(np.repeat(self.samples, channels, axis=0), self.sample_rate)
        if channels == 1:
            return self.mono()
        if channels == 2 and self.channels > 2:
            # Keep L/R, fold the rest (centre, surrounds) equally into both sides.
            left = self.samples[0]
            right = self.samples[1]
            rest = self.samples[2:].mean(axis=0) if self.channels > 2 else 0.0
            return Audio(np.stack([left + 0.5 * rest, right + 0.5 * rest]).astype(np.float32), self.sample_rate)
        raise InvalidAudioError(f"Cannot convert {self.channels} channels to {channels}.")

    def resample(self, sample_rate: int, *, quality: str = "HQ") -> Audio:
        """Resample with soxr (``quality``: "VHQ", "HQ", "MQ", "LQ", "QQ")."""
        check_sample_rate(sample_rate)
        if sample_rate == self.sample_rate:
            return self
        import soxr

        out = soxr.resample(self.samples.T, self.sample_rate, sample_rate, quality=quality)
        return Audio(np.ascontiguousarray(out.T, dtype=np.float32), sample_rate)

    def slice(self, start_s: float, end_s: float | None = None) -> Audio:
        a = max(0, int(round(start_s * self.sample_rate)))
        b = self.frames if end_s is None else min(self.frames, int(round(end_s * self.sample_rate)))
        return Audio(self.samples[:, a:max(a, b)], self.sample_rate)

    def peak(self) -> float:
        return float(np.max(np.abs(self.samples))) if self.frames else 0.0

    def check_finite(self) -> None:
        if not np.all(np.isfinite(self.samples)):
            bad = int(np.count_nonzero(~np.isfinite(self.samples)))
            raise InvalidAudioError(
                f"Audio contains {bad} NaN or infinite sample(s); the file or the processing step that made it is broken."
            )


def check_sample_rate(rate: object) -> int:
    if isinstance(rate, bool) or not isinstance(rate, (int, np.integer)):
        raise InvalidAudioError(f"Sample rate must be an integer number of Hz, not {rate!r}.")
    if not MIN_SAMPLE_RATE <= int(rate) <= MAX_SAMPLE_RATE:
        raise InvalidAudioError(
            f"Sample rate {int(rate)} Hz is outside the supported range {MIN_SAMPLE_RATE}-{MAX_SAMPLE_RATE} Hz."
        )
    return int(rate)
