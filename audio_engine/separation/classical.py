"""The no-download fallback separator: classical signal processing with librosa.

Lower quality than Demucs, clearly labelled so; it lets a new user start
before a model has arrived. Per window (the streaming loop cross-fades
20-second windows, so memory stays bounded on long files):

1. vocals / accompaniment: REPET-SIM (Rafii & Pardo), as in librosa's
   "vocal separation" example: the repeating accompaniment is the median of
   the ``K`` most cosine-similar frames at least 2 s away (what
   ``librosa.decompose.nn_filter(aggregate=np.median, metric="cosine",
   width=...)`` computes; done here with one dense similarity matrix and a
   vectorised median because librosa's per-column loop is 10x slower),
   soft masks (``librosa.util.softmask``) split the spectrogram; vocals are
   kept out of the lowest band;
2. the accompaniment is split harmonic / percussive with
   ``librosa.decompose.hpss`` (soft masks): percussive -> ``drums``;
3. the harmonic accompaniment is split by a smooth low-pass crossover:
   below it -> ``bass``, above -> ``other``.

The four masks sum to one, so the stems sum back to the mix.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from audio_engine.separation.streaming import Separator

F32 = npt.NDArray[np.float32]

SOURCES = ["drums", "bass", "other", "vocals"]
#: Part of the stem cache key: bump when the algorithm or its settings change.
VERSION = "2"
SAMPLE_RATE = 44100
N_FFT = 2048
HOP = 1024
#: Neighbours in the REPET-SIM median.
K_NEIGHBOURS = 20
WINDOW_SECONDS = 20.0
#: Bass crossover: everything below ``BASS_LO`` Hz, nothing above ``BASS_HI`` Hz (cosine ramp between).
BASS_LO, BASS_HI = 180.0, 320.0
#: No vocals below this frequency.
VOCAL_LO = 120.0
VOCAL_MARGIN = 2.0
REPET_WIDTH_S = 2.0

NOTE = (
    "Classical separation (harmonic/percussive + REPET-SIM filtering): lower quality than the "
    "Demucs models; download htdemucs for studio-quality stems."
)


def _repet_sim(mag: npt.NDArray[np.float32], width: int) -> npt.NDArray[np.float32]:
    """Median of each frame's K most cosine-similar frames outside +-width."""
    n = mag.shape[1]
    unit = mag / (np.linalg.norm(mag, axis=0, keepdims=True) + 1e-10)
    sim = unit.T @ unit
    i = np.arange(n)
    sim[np.abs(i[:, None] - i[None, :]) < width] = -np.inf
    k = int(min(K_NEIGHBOURS, n - 2 * width))
    idx = np.argpartition(-sim, k - 1, axis=0)[:k]  # (k, n)
    out = np.empty_like(mag)
    for a in range(0, n, 256):
        out[:, a : a + 256] = np.median(mag[:, idx[:, a : a + 256]], axis=1)
    return out


def _masks(mag: npt.NDArray[np.float32], sr: int) -> dict[str, npt.NDArray[np.float32]]:
    import librosa

    freqs = librosa.fft_frequencies(sr=sr, n_fft=N_FFT)
    n_frames = mag.shape[1]
    width = int(min(librosa.time_to_frames(REPET_WIDTH_S, sr=sr, hop_length=HOP), max(1, (n_frames - 1) // 2)))
    rep = np.minimum(mag, _repet_sim(mag, width)) if n_frames >= 2 * width + 2 else mag.copy()
    vocal_band = np.clip((freqs - VOCAL_LO) / VOCAL_LO, 0.0, 1.0)[:, None]
    mask_v = librosa.util.softmask(mag - rep, VOCAL_MARGIN * rep, power=2) * vocal_band
    mask_a = 1.0 - mask_v
    acc = mag * mask_a
    mask_h, mask_p = librosa.decompose.hpss(acc, mask=True, margin=1.0, kernel_size=(17, 17))
    # Where the accompaniment is silent both HPSS masks are 0: give it to "other".
    none = (mask_h + mask_p) < 1e-6
    mask_h = np.where(none, 1.0, mask_h)
    x = np.clip((freqs - BASS_LO) / (BASS_HI - BASS_LO), 0.0, 1.0)
    low = (0.5 + 0.5 * np.cos(np.pi * x))[:, None]
    return {
        "vocals": mask_v.astype(np.float32),
        "drums": (mask_a * mask_p).astype(np.float32),
        "bass": (mask_a * mask_h * low).astype(np.float32),
        "other": (mask_a * mask_h * (1.0 - low)).astype(np.float32),
    }


def separate_window(x: F32, sr: int = SAMPLE_RATE) -> F32:
    """(channels, n) -> (4, channels, n) in :data:`SOURCES` order."""
    import librosa

    n = x.shape[-1]
    spec = librosa.stft(x, n_fft=N_FFT, hop_length=HOP)  # (C, F, T)
    mag = np.abs(spec).mean(axis=0).astype(np.float32)
    masks = _masks(mag, sr)
    out = np.empty((len(SOURCES), x.shape[0], n), np.float32)
    for i, name in enumerate(SOURCES):
        out[i] = librosa.istft(spec * masks[name][None], hop_length=HOP, n_fft=N_FFT, length=n)
    return out


def _forward(batch: F32) -> F32:
    return np.stack([separate_window(b) for b in batch])


def classical_separator(channels: int = 2) -> Separator:
    return Separator(
        sources=list(SOURCES),
        samplerate=SAMPLE_RATE,
        channels=channels,
        segment_length=int(WINDOW_SECONDS * SAMPLE_RATE),
        valid_length=lambda n: n,
        forward=_forward,
    )
