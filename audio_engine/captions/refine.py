"""Word start refinement.

Whisper's cross-attention word times often start a word early when silence
precedes it (the first word of a line swallows the pause before it). Like
stable-ts' silence suppression, each word's start is moved forward to the
first frame inside the word whose loudness reaches ``rel_db`` below the
word's own peak; a word that is already loud at its start does not move,
and a start never moves past ``min_len`` before the word's end.

The opposite error happens too: a short word spoken alone after a pause can
be placed late, in the silence after it (even with zero length). A word
whose own span is silent (its loudness stays ``silent_db`` below the
track's speech level) is moved back onto the last stretch of sound between
the previous word's end and its own start, when there is one.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import numpy.typing as npt

from audio_engine.captions.doc import Segment, Word

HOP_S = 0.01
MAX_DIP_FRAMES = 15  # a quieter gap of up to 150 ms still belongs to the same word


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
    silent_db: float = -30.0,
) -> list[Segment]:
    """Segments with word starts snapped to the onset of sound (see module doc);
    a segment's start follows its first word."""
    if not segments or samples.size == 0:
        return segments
    rms = frame_rms(samples, sample_rate)
    n = rms.shape[0]
    ratio = float(10.0 ** (rel_db / 20.0))
    level = float(np.percentile(rms, 95)) if n else 0.0
    floor = level * float(10.0 ** (silent_db / 20.0))
    out = []
    prev_end = 0.0
    for seg in segments:
        words: list[Word] = []
        for w in seg.words:
            w = _pull_back_if_silent(w, rms, floor, prev_end, min_len)
            prev_end = max(prev_end, w.end)
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
        if words and words[0].start != seg.start:
            start = words[0].start
        end = max(seg.end, words[-1].end) if words else seg.end
        changed = words != seg.words or start != seg.start or end != seg.end
        out.append(Segment(start, end, seg.text, words) if changed else seg)
    return out


def _pull_back_if_silent(w: Word, rms: npt.NDArray[np.float32], floor: float, prev_end: float,
                         min_len: float) -> Word:
    """A word placed in silence moves onto the last sound between ``prev_end`` and its start."""
    n = rms.shape[0]
    if n == 0 or floor <= 0.0:
        return w
    a = max(0, int(np.floor(w.start / HOP_S)))
    b = min(n, max(a + 1, int(np.ceil(w.end / HOP_S)) + 1))
    if a >= n or float(rms[a:b].max()) >= floor:
        return w  # the word has sound of its own
    lo = max(0, int(np.ceil(prev_end / HOP_S)))
    loud = np.flatnonzero(rms[lo:a] >= floor)
    if loud.size == 0:
        return w
    # the last stretch of sound, bridging the short dips inside a word (stops, "p", "t")
    k = loud.size - 1
    while k > 0 and loud[k] - loud[k - 1] <= MAX_DIP_FRAMES:
        k -= 1
    last, first = int(loud[-1]), int(loud[k])
    start = (lo + first) * HOP_S
    end = max((lo + last) * HOP_S, start + min_len)
    return replace(w, start=start, end=end)
