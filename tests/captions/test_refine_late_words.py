"""Onset refinement also pulls back a word that Whisper placed late, in silence."""

from __future__ import annotations

import numpy as np

from audio_engine.captions.doc import Segment, Word
from audio_engine.captions.refine import refine_word_starts

SR = 16000


def _burst(x: np.ndarray, start: float, end: float, gap: tuple[float, float] | None = None) -> None:
    t = np.arange(int((end - start) * SR)) / SR
    seg = 0.3 * np.sin(2 * np.pi * 220 * t).astype(np.float32)
    if gap is not None:  # a short dip inside the word (a stop consonant)
        seg[int((gap[0] - start) * SR):int((gap[1] - start) * SR)] = 0.0
    x[int(start * SR):int(start * SR) + len(seg)] += seg


def test_a_word_placed_in_silence_moves_back_onto_its_sound() -> None:
    x = np.zeros(4 * SR, np.float32)
    _burst(x, 0.20, 0.60)
    _burst(x, 1.00, 1.80, gap=(1.30, 1.40))
    words = [Word(0.18, 0.62, "one", 0.9), Word(2.40, 2.40, "two", 0.9)]  # "two" late and zero-length
    out = refine_word_starts([Segment(0.18, 2.40, "one two", words)], x, SR)
    w = out[0].words
    assert abs(w[0].start - 0.20) <= 0.03  # a word on its sound keeps (or snaps to) its onset
    assert abs(w[1].start - 1.00) <= 0.03, w[1]  # pulled back across the dip to the word's real onset
    assert w[1].end >= w[1].start and w[1].end <= 1.85
    assert out[0].start == w[0].start


def test_a_word_with_sound_of_its_own_is_not_pulled_back() -> None:
    x = np.zeros(4 * SR, np.float32)
    _burst(x, 0.20, 0.60)
    _burst(x, 2.00, 2.50)
    words = [Word(0.2, 0.6, "one", 0.9), Word(2.0, 2.5, "two", 0.9)]
    out = refine_word_starts([Segment(0.2, 2.5, "one two", words)], x, SR)
    assert abs(out[0].words[1].start - 2.0) <= 0.03
