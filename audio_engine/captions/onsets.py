"""Line starts snapped to the onset of the voice.

Whisper's word times come from cross-attention alignment (DTW) at 20 ms
steps; the first word after a pause tends to start early, inside the pause,
and on a mix the band plays through that pause, so the loudness-based
refinement of :mod:`audio_engine.captions.refine` cannot see where the voice
comes in. Here the first word of each line (a word after ``gap_s`` without
words) is moved to the strongest *sustained* rise of energy in the voice
band (300-3400 Hz, the telephone band that carries speech) near Whisper's
start: for every 10 ms frame, the per-bin rise of the log spectrum from the
median of the ``window_s`` before to the median of the ``window_s`` after,
averaged over the bins. Medians make a drum hit (a few frames) count little
and a voice (that holds for the length of a word) count fully. The frame is
then pinned to the steepest short rise inside that stretch.

Only rises of at least ``min_rise_db`` count; otherwise the word keeps
Whisper's time. The search window is ``back_s`` before to ``forward_s``
after Whisper's start (never past the word's end, the next word's start or
back over the previous word).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt

from audio_engine.captions.doc import Segment, Word

HOP_S = 0.01
N_FFT = 512
SHORT_FRAMES = 3  # 30 ms either side for the precise onset
_CHUNK = 2000  # frames per block of the sliding statistics


def voice_band_rise(
    samples: npt.NDArray[np.float32], sample_rate: int, *, band: tuple[float, float] = (300.0, 3400.0),
    window_s: float = 0.2,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(sustained rise, short rise) in dB per 10 ms frame (frame i at ``i * HOP_S``), see module doc."""
    from audio_engine.analysis.features import stft_power_chunks

    hop = int(round(HOP_S * sample_rate))
    n_fft = max(N_FFT, 2 * hop)
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    sel = (freqs >= band[0]) & (freqs <= band[1])
    logspec = np.concatenate(
        [10.0 * np.log10(p[sel].astype(np.float64) + 1e-10) for p in stft_power_chunks(samples, n_fft=n_fft, hop=hop)],
        axis=1,
    )
    w = max(2, int(round(window_s / HOP_S)))
    return _rise(logspec, w, np.median), _rise(logspec, 2 * SHORT_FRAMES, np.mean)


def _rise(logspec: npt.NDArray[np.float64], w: int, stat: Callable[..., Any]) -> npt.NDArray[np.float64]:
    """Per frame i: the bins' mean of max(0, stat over frames [i, i+w) - stat over [i-w, i))."""
    bins, nf = logspec.shape
    out = np.zeros(nf)
    if nf < 2 * w + 1:
        return out
    agg = np.empty((bins, nf - w + 1))  # agg[:, j] = stat over [j, j+w)
    for c0 in range(0, nf - w + 1, _CHUNK):  # in bounded memory
        c1 = min(nf - w + 1, c0 + _CHUNK)
        win = np.lib.stride_tricks.sliding_window_view(logspec[:, c0:c1 + w - 1], w, axis=1)
        agg[:, c0:c1] = stat(win, axis=-1)
    out[w:nf - w + 1] = np.maximum(agg[:, w:] - agg[:, :-w], 0.0).mean(axis=0)
    return out


def snap_line_starts(
    segments: list[Segment],
    samples: npt.NDArray[np.float32],
    sample_rate: int,
    *,
    gap_s: float = 0.3,
    back_s: float = 0.3,
    forward_s: float = 0.8,
    window_s: float = 0.2,
    min_rise_db: float = 2.0,
    min_len: float = 0.05,
) -> list[Segment]:
    """Segments whose line-first words start on the voice's onset (see module
    doc); a segment's start follows its first word. ``samples`` is mono."""
    words = [w for s in segments for w in s.words]
    if not words or samples.size < int(4 * window_s * sample_rate):
        return segments
    sustained, short = voice_band_rise(samples, sample_rate, window_s=window_s)
    n = sustained.shape[0]
    half = max(1, int(round(window_s / HOP_S)) // 2)
    moved: dict[int, Word] = {}
    prev_end = float("-inf")
    for i, w in enumerate(words):
        if w.start - prev_end >= gap_s:
            nxt = words[i + 1].start if i + 1 < len(words) else float("inf")
            lo = max(w.start - back_s, prev_end if np.isfinite(prev_end) else 0.0, 0.0)
            hi = min(w.start + forward_s, max(w.start, w.end - min_len), nxt)
            a, b = int(np.ceil(lo / HOP_S)), min(n, int(np.floor(hi / HOP_S)) + 1)
            if b > a:
                k = a + int(np.argmax(sustained[a:b]))
                if sustained[k] >= min_rise_db:
                    # pin it to the steepest short rise inside the sustained one
                    c, d = max(a, k - half), min(b, k + half + 1)
                    k = c + int(np.argmax(short[c:d]))
                    t = round(k * HOP_S, 3)
                    moved[id(w)] = replace(w, start=t, end=max(w.end, t + min_len))
        prev_end = max(prev_end, w.end)
    if not moved:
        return segments
    out = []
    for s in segments:
        ws = [moved.get(id(w), w) for w in s.words]
        if ws == s.words:
            out.append(s)
            continue
        out.append(Segment(ws[0].start, max(s.end, ws[-1].end), s.text, ws))
    return out
