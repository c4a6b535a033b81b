"""Word start refinement.

Whisper's cross-attention word times often start a word early when silence
precedes it (the first word of a line swallows the pause before it). Like
stable-ts' silence suppression, each word's start is moved forward to the
first frame inside the word whose loudness reaches ``rel_db`` below the
word's own peak; a word that is already loud at its start does not move,
and a start never moves past ``min_len`` before the word's end.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import numpy.typing as npt

from audio_engine.captions.doc import Segment, Word

HOP_S = 0.01


def frame_rms(samples: npt.NDArray[np.float32], sample_rate: int) -> npt.NDArray[np.float32]:
    """RMS over 40 ms windows every 10 ms, frame i centred at ``i * HOP_S``
    (librosa's ``feature.rms(center=True)`` layout, without importing librosa
    and numba into the worker for one moving average)."""
    hop = int(round(HOP_S * sample_rate))
    win = 4 * hop
    x = np.pad(samples.astype(np.float64), (win // 2, win // 2))
    c = np.concatenate([[0.0], np.cumsum(x * x)])
    n = 1 + (len(x) - win) // hop
    starts = np.arange(n) * hop
    energy = (c[starts + win] - c[starts]) / win
    out: npt.NDArray[np.float32] = np.sqrt(np.maximum(energy, 0.0)).astype(np.float32)
    return out


def refine_word_starts(
    segments: list[Segment],
    samples: npt.NDArray[np.float32],
    sample_rate: int,
    *,
    rel_db: float = -20.0,
    min_len: float = 0.05,
) -> list[Segment]:
    """Segments with word starts snapped to the onset of sound (see module doc);
    a segment's start follows its first word."""
    if not segments or samples.size == 0:
        return segments
    rms = frame_rms(samples, sample_rate)
    n = rms.shape[0]
    ratio = float(10.0 ** (rel_db / 20.0))
    out = []
    for seg in segments:
        words: list[Word] = []
        for w in seg.words:
            a = max(0, int(np.floor(w.start / HOP_S)))
            b = min(n, int(np.ceil(w.end / HOP_S)) + 1)
            if b - a < 2:
                words.append(w)
                continue
            span = rms[a:b]
            peak = float(span.max())
            if peak <= 0.0:
                words.append(w)
                continue
            first = int(np.argmax(span >= peak * ratio))
            t = (a + first) * HOP_S
            new_start = min(max(w.start, t), max(w.start, w.end - min_len))
            words.append(replace(w, start=new_start) if new_start != w.start else w)
        start = seg.start
        if words and words[0].start > seg.start:
            start = words[0].start
        out.append(Segment(start, seg.end, seg.text, words) if words != seg.words or start != seg.start else seg)
    return out
