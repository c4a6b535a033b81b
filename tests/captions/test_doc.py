"""Edit operations are pure functions on plain data."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from audio_engine.captions import (
    CaptionDoc,
    Segment,
    Word,
    delete,
    insert,
    merge,
    replace_text,
    retime,
    shift,
    split,
)
from audio_engine.captions.doc import split_on_gaps
from audio_engine.captions.refine import frame_rms, refine_word_starts


def doc3() -> CaptionDoc:
    a = Segment(1.0, 3.0, "one two three", [Word(1.0, 1.5, "one", 0.9), Word(1.6, 2.2, "two", 0.8),
                                            Word(2.3, 3.0, "three", 0.7)])
    b = Segment(4.0, 5.0, "four five", [Word(4.0, 4.4, "four", 0.6), Word(4.5, 5.0, "five", 0.5)])
    c = Segment(6.0, 7.0, "no words here")
    return CaptionDoc([a, b, c], language="en", duration=8.0)


def test_edits_do_not_change_the_original() -> None:
    d = doc3()
    before = copy.deepcopy(d)
    split(d, 0, at_word=1)
    merge(d, 0)
    retime(d, 1, start=4.5, end=6.0)
    replace_text(d, 0, "won too tree")
    shift(d, 1.0)
    delete(d, 2)
    assert d == before


def test_split_by_word_and_time() -> None:
    d = split(doc3(), 0, at_word=1)
    assert [s.text for s in d.segments[:2]] == ["one", "two three"]
    assert d.segments[0].start == 1.0 and d.segments[0].end == 1.5
    assert d.segments[1].start == 1.6 and d.segments[1].end == 3.0
    assert len(d.segments) == 4
    d2 = split(doc3(), 0, at_time=2.25)
    assert [s.text for s in d2.segments[:2]] == ["one two", "three"]
    d3 = split(doc3(), 2, at_time=6.5)  # no word times: text divided in proportion
    assert [s.text for s in d3.segments[2:]] == ["no words", "here"] or [s.text for s in d3.segments[2:]] == [
        "no", "words here"]
    assert d3.segments[2].end == 6.5 and d3.segments[3].start == 6.5
    with pytest.raises(ValueError):
        split(doc3(), 0, at_word=0)
    with pytest.raises(ValueError):
        split(doc3(), 0, at_word=1, at_time=2.0)
    with pytest.raises(IndexError):
        split(doc3(), 9, at_word=1)
    with pytest.raises(ValueError):
        split(doc3(), 2, at_time=math.nan)


def test_merge() -> None:
    d = merge(doc3(), 0)
    assert len(d.segments) == 2
    m = d.segments[0]
    assert (m.start, m.end, m.text) == (1.0, 5.0, "one two three four five")
    assert [w.text for w in m.words] == ["one", "two", "three", "four", "five"]
    with pytest.raises(IndexError):
        merge(doc3(), 2)


def test_retime_scales_words() -> None:
    d = retime(doc3(), 0, start=2.0, end=6.0)  # twice as long, moved by 1 s
    s = d.segments[0]
    assert (s.start, s.end) == (2.0, 6.0)
    assert [w.start for w in s.words] == pytest.approx([2.0, 3.2, 4.6])
    assert [w.end for w in s.words] == pytest.approx([3.0, 4.4, 6.0])
    with pytest.raises(ValueError):
        retime(doc3(), 0, start=5.0, end=4.0)
    with pytest.raises(ValueError):
        retime(doc3(), 0, start=-1.0)


def test_replace_text_keeps_or_spreads_word_times() -> None:
    d = replace_text(doc3(), 0, "won  two tree")
    s = d.segments[0]
    assert s.text == "won two tree"
    assert [(w.start, w.text) for w in s.words] == [(1.0, "won"), (1.6, "two"), (2.3, "tree")]
    assert [w.probability for w in s.words] == [1.0, 0.8, 1.0]
    d2 = replace_text(doc3(), 1, "forty-five and more")
    ws = d2.segments[1].words
    assert [w.text for w in ws] == ["forty-five", "and", "more"]
    assert ws[0].start == 4.0 and ws[-1].end == 5.0
    assert all(a.end == pytest.approx(b.start) for a, b in zip(ws, ws[1:], strict=False))
    assert ws[0].end - ws[0].start > ws[1].end - ws[1].start  # longer word, more time
    with pytest.raises(ValueError):
        replace_text(doc3(), 0, "   ")


def test_shift_delete_insert() -> None:
    d = shift(doc3(), 0.5)
    assert [s.start for s in d.segments] == [1.5, 4.5, 6.5]
    assert d.segments[0].words[0].start == 1.5
    d = shift(doc3(), -0.5, indices=[1])
    assert [s.start for s in d.segments] == [1.0, 3.5, 6.0]
    with pytest.raises(ValueError):
        shift(doc3(), -2.0)
    d = delete(doc3(), 1)
    assert [s.text for s in d.segments] == ["one two three", "no words here"]
    d = insert(doc3(), Segment(3.5, 3.8, "new"))
    assert [s.text for s in d.segments] == ["one two three", "new", "four five", "no words here"]


def test_split_on_gaps() -> None:
    words = [Word(1.0, 1.4, "a"), Word(1.5, 2.0, "b"), Word(3.2, 3.6, "c"), Word(3.7, 4.0, "d"), Word(6.0, 6.5, "e")]
    d = CaptionDoc([Segment(0.9, 6.6, "a b c d e", words), Segment(8.0, 9.0, "plain")])
    out = split_on_gaps(d, min_gap=1.0)
    assert [(s.start, s.end, s.text) for s in out.segments] == [
        (0.9, 2.0, "a b"), (3.2, 4.0, "c d"), (6.0, 6.6, "e"), (8.0, 9.0, "plain")]
    assert split_on_gaps(d, min_gap=2.5) == d
    with pytest.raises(ValueError):
        split_on_gaps(d, min_gap=0.0)


def test_json_dict_round_trip() -> None:
    d = doc3()
    assert CaptionDoc.from_dict(d.to_dict()) == d


def test_frame_rms_is_centred_windowed_rms() -> None:
    """Same layout as librosa.feature.rms(center=True, pad_mode="constant"): frame i
    is the RMS of the 40 ms window centred on i * 10 ms (zero-padded at the edges)."""
    sr = 16000
    x = np.random.default_rng(1).standard_normal(sr * 2).astype(np.float32)
    ours = frame_rms(x, sr)
    hop, win = 160, 640
    padded = np.pad(x.astype(np.float64), (win // 2, win // 2))
    n = 1 + (len(padded) - win) // hop
    ref = np.array([np.sqrt(np.mean(padded[i * hop : i * hop + win] ** 2)) for i in range(n)])
    assert ours.shape == ref.shape == (1 + len(x) // hop,)
    np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-6)


def test_refine_moves_early_starts_to_the_onset() -> None:
    sr = 16000
    x = np.zeros(sr * 3, np.float32)
    t = np.arange(int(0.5 * sr)) / sr
    x[int(1.2 * sr) : int(1.7 * sr)] = 0.5 * np.sin(2 * np.pi * 220 * t)
    seg = Segment(0.8, 1.7, "tone", [Word(0.8, 1.7, "tone", 0.9)])
    loud = Segment(1.3, 1.7, "loud", [Word(1.3, 1.6, "loud", 0.9)])
    out = refine_word_starts([seg, loud], x, sr)
    assert out[0].words[0].start == pytest.approx(1.2, abs=0.03)
    assert out[0].start == out[0].words[0].start
    assert out[1] == loud  # already loud at its start: unchanged
