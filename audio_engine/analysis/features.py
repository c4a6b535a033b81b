"""Time-frequency features for analysis, in bounded memory, numpy only.

These are the standard definitions librosa uses (Slaney mel filterbank,
log-mel spectral flux with librosa's frame alignment; a pitch-class profile
from a long-window STFT), written against numpy so that the first analysis in
a fresh process does not pay librosa's numba compilation at import (several
seconds per process for its uncacheable stencils and gufuncs). The tests check
them against librosa's own functions.

Long tracks are processed in chunks cut on frame boundaries of the
zero-padded signal (librosa's ``center=True`` framing), so no full-length
spectrogram is ever held.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]

#: Analysis sample rate (mono).
SR = 22050
#: Hop of the onset/rhythm features: 256 samples = 11.6 ms.
HOP = 256
N_FFT = 2048
N_MELS = 128
#: Chroma: computed at SR / 2 with a 0.74 s window (1.35 Hz bins: semitones
#: resolved down to about 25 Hz) and a hop of 93 ms.
CHROMA_DECIMATE = 2
CHROMA_N_FFT = 8192
CHROMA_HOP = 1024
CHROMA_FMIN = 32.70  # C1
CHROMA_FMAX = 4186.0  # C8
SHORT_N_FFT = 2048
SHORT_HOP = 256
#: Bass chroma: C1 up to B3.
BASS_FMAX = 247.0
#: Frames per chunk of spectrogram work (bounded memory for long tracks).
_CHUNK_FRAMES = 4096


def frame_times(n: int, hop: int, sr: int) -> F64:
    return np.arange(n, dtype=np.float64) * (hop / sr)


def stft_power_chunks(y: F32, *, n_fft: int, hop: int) -> Iterator[F32]:
    """|STFT|^2 (n_fft//2+1, frames) of the centred, zero-padded signal, in
    chunks of frames; frame i is centred on sample ``i * hop``."""
    n_frames = 1 + len(y) // hop
    pad = n_fft // 2
    yp = np.pad(np.asarray(y, dtype=np.float32), (pad, pad + n_fft), mode="constant")
    import scipy.fft

    window = np.hanning(n_fft + 1)[:-1].astype(np.float32)  # periodic Hann, as scipy/librosa
    for f0 in range(0, n_frames, _CHUNK_FRAMES):
        f1 = min(n_frames, f0 + _CHUNK_FRAMES)
        seg = yp[f0 * hop : (f1 - 1) * hop + n_fft]
        frames = np.lib.stride_tricks.sliding_window_view(seg, n_fft)[::hop][: f1 - f0]
        spec = scipy.fft.rfft(frames * window, axis=1)
        yield (spec.real**2 + spec.imag**2).astype(np.float32).T


def _hz_to_mel(f: F64) -> F64:
    """Slaney's mel scale (librosa's default, htk=False)."""
    f = np.asarray(f, dtype=np.float64)
    mels = f / (200.0 / 3)
    log_t = f >= 1000.0
    return np.where(log_t, 15.0 + np.log(np.maximum(f, 1e-10) / 1000.0) / (np.log(6.4) / 27.0), mels)


def _mel_to_hz(m: F64) -> F64:
    m = np.asarray(m, dtype=np.float64)
    freqs = (200.0 / 3) * m
    log_t = m >= 15.0
    return np.where(log_t, 1000.0 * np.exp((np.log(6.4) / 27.0) * (m - 15.0)), freqs)


def mel_filterbank(*, sr: int, n_fft: int, n_mels: int, fmin: float = 0.0, fmax: float | None = None) -> F32:
    """Slaney-normalised triangular mel filters, as ``librosa.filters.mel``."""
    fmax = sr / 2.0 if fmax is None else fmax
    fftfreqs = np.linspace(0.0, sr / 2.0, 1 + n_fft // 2)
    mel_f = _mel_to_hz(np.linspace(_hz_to_mel(np.array(fmin)), _hz_to_mel(np.array(fmax)), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fftfreqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_f[2 : n_mels + 2] - mel_f[:n_mels]))[:, None]
    return weights.astype(np.float32)


def mel_center_frequencies(n_mels: int, fmax: float) -> F64:
    return _mel_to_hz(np.linspace(_hz_to_mel(np.array(0.0)), _hz_to_mel(np.array(fmax)), n_mels + 2))[1:-1]


@dataclass(frozen=True)
class RhythmFeatures:
    """Onset envelopes on the HOP grid (frame i is at ``i * HOP / SR`` s)."""

    onset: F64  # full-band spectral flux (median over mel bands), as librosa.onset.onset_strength
    onset_low: F64  # low band (< 200 Hz: kick, bass) spectral flux (mean)
    energy_db: F64  # frame energy in dB relative to the loudest frame


def spectral_flux(logmel: F32, *, aggregate: str) -> F64:
    """Onset strength with librosa's conventions (lag 1, positive
    differences, aggregated over bands, delayed by ``1 + n_fft // (2*hop)``
    frames to counter the framing)."""
    diff = np.maximum(0.0, logmel[:, 1:] - logmel[:, :-1])
    agg = np.median(diff, axis=0) if aggregate == "median" else diff.mean(axis=0)
    shift = 1 + N_FFT // (2 * HOP)
    out = np.concatenate([np.zeros(shift), agg.astype(np.float64)])
    return out[: logmel.shape[1]]


def rhythm_features(y: F32) -> RhythmFeatures:
    mel = mel_filterbank(sr=SR, n_fft=N_FFT, n_mels=N_MELS)
    n_low = max(2, int(np.searchsorted(mel_center_frequencies(N_MELS, SR / 2.0), 200.0)))
    # dB as librosa.power_to_db(ref=1, amin=1e-10, top_db=80), converted
    # chunk by chunk so that only one full-length matrix is held.
    logs: list[F32] = []
    energies: list[F64] = []
    for p in stft_power_chunks(y, n_fft=N_FFT, hop=HOP):
        power = mel @ p
        energies.append(power.sum(axis=0).astype(np.float64))
        logs.append((10.0 * np.log10(np.maximum(power, np.float32(1e-10)))).astype(np.float32))
    logmel: F32 = np.concatenate(logs, axis=1) if len(logs) > 1 else logs[0]
    del logs
    energy = np.concatenate(energies)
    np.maximum(logmel, logmel.max() - 80.0, out=logmel)
    onset = spectral_flux(logmel, aggregate="median")
    onset_low = spectral_flux(logmel[:n_low], aggregate="mean")
    peak = float(energy.max()) if energy.size else 0.0
    energy_db = 10.0 * np.log10(np.maximum(energy, 1e-20) / max(peak, 1e-20))
    return RhythmFeatures(onset=onset, onset_low=onset_low, energy_db=energy_db)


def _chroma_matrix(n_fft: int, sr: float, fmin: float, fmax: float) -> F32:
    """(12, bins) weights mapping FFT bins to pitch classes (C first): each
    bin counts for the semitone it is nearest to, weighted by a Gaussian of
    its distance in semitones (bins between two semitones count little)."""
    freqs = np.linspace(0.0, sr / 2.0, 1 + n_fft // 2)
    out = np.zeros((12, len(freqs)), dtype=np.float32)
    ok = (freqs >= fmin) & (freqs <= fmax)
    midi = 69.0 + 12.0 * np.log2(freqs[ok] / 440.0)
    nearest = np.round(midi)
    w = np.exp(-0.5 * ((midi - nearest) / 0.25) ** 2)
    idx = np.flatnonzero(ok)
    out[(nearest.astype(np.int64) % 12), idx] = w
    return out


@dataclass(frozen=True)
class ChromaFeatures:
    chroma: F32  # (12, frames) magnitude chroma, full range C1-C8
    bass: F32  # (12, frames) C1-B3
    times: F64  # frame centres (s)
    #: Short-window chroma (0.19 s, C2-C8) for harmonic change at beats: the
    #: long window would leak the next chord into the beat before it.
    short: F32
    short_times: F64


def chroma_features(y: F32) -> ChromaFeatures:
    """Pitch-class energy per frame from a long-window STFT at SR / 2."""
    import soxr

    sr = SR // CHROMA_DECIMATE
    yd = np.asarray(soxr.resample(y, SR, sr, quality="HQ"), dtype=np.float32)
    full_m = _chroma_matrix(CHROMA_N_FFT, sr, CHROMA_FMIN, CHROMA_FMAX)
    bass_m = _chroma_matrix(CHROMA_N_FFT, sr, CHROMA_FMIN, BASS_FMAX)
    full, bass = [], []
    for p in stft_power_chunks(yd, n_fft=CHROMA_N_FFT, hop=CHROMA_HOP):
        mag = np.sqrt(p)
        full.append(full_m @ mag)
        bass.append(bass_m @ mag)
    c = np.concatenate(full, axis=1)
    b = np.concatenate(bass, axis=1)
    short_m = _chroma_matrix(SHORT_N_FFT, sr, 65.0, CHROMA_FMAX)
    sh = np.concatenate([short_m @ np.sqrt(p) for p in stft_power_chunks(yd, n_fft=SHORT_N_FFT, hop=SHORT_HOP)], axis=1)
    return ChromaFeatures(
        c, b, frame_times(c.shape[1], CHROMA_HOP, sr), sh, frame_times(sh.shape[1], SHORT_HOP, sr)
    )
