"""remap(): caption times of a clip's source onto the mashup timeline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audio_engine.captions import (
    CaptionDoc,
    Segment,
    Word,
    remap,
    source_to_timeline,
    timeline_to_source,
    transcribe,
)
from audio_engine.captions.metrics import align, normalize_words
from tests.captions.conftest import Speech


def doc() -> CaptionDoc:
    return CaptionDoc(
        [
            Segment(1.0, 3.0, "a b c", [Word(1.0, 1.5, "a"), Word(1.8, 2.4, "b"), Word(2.6, 3.0, "c")]),
            Segment(10.0, 12.0, "d e", [Word(10.0, 11.0, "d"), Word(11.2, 12.0, "e")]),
            Segment(20.0, 22.0, "plain line"),
        ],
        language="en",
        duration=30.0,
    )


def test_formula_and_convention() -> None:
    # 2x faster (pedalboard stretch_factor=2): a source second lasts half a second on the timeline.
    out = remap(doc(), source_start=0.0, timeline_start=100.0, stretch_ratio=2.0)
    assert [s.start for s in out.segments] == [100.5, 105.0, 110.0]
    assert [w.start for w in out.segments[0].words] == [100.5, 100.9, 101.3]
    assert out.segments[0].words[0].end == 100.75
    assert out.duration == 15.0
    slow = remap(doc(), source_start=0.0, timeline_start=0.0, stretch_ratio=0.5)
    assert slow.segments[1].start == 20.0 and slow.segments[1].end == 24.0


def test_clip_range_drops_and_clips() -> None:
    out = remap(doc(), source_start=2.0, source_end=11.1, timeline_start=50.0, stretch_ratio=1.0)
    # "a" (1.0-1.5) is before the clip: dropped. "b" (1.8-2.4) straddles: clipped to start at 2.0.
    first = out.segments[0]
    assert [w.text for w in first.words] == ["b", "c"]
    assert first.text == "b c"
    assert first.words[0].start == 50.0 and first.words[0].end == pytest.approx(50.4)
    assert first.start == 50.0
    # "e" starts at 11.2 > 11.1: dropped; "d" ends at 11.0 inside.
    second = out.segments[1]
    assert [w.text for w in second.words] == ["d"] and second.end == pytest.approx(59.1)
    assert len(out.segments) == 2  # the plain line at 20 s is outside
    assert out.duration == pytest.approx(9.1)


def test_round_trip_of_single_times() -> None:
    kw = dict(source_start=12.5, timeline_start=3.25, stretch_ratio=1.37)
    for t in (12.5, 13.0, 40.0):
        assert timeline_to_source(source_to_timeline(t, **kw), **kw) == pytest.approx(t)


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_ratio(bad: float) -> None:
    with pytest.raises(ValueError):
        remap(doc(), source_start=0.0, timeline_start=0.0, stretch_ratio=bad)
    with pytest.raises(ValueError):
        remap(doc(), source_start=5.0, source_end=4.0, timeline_start=0.0, stretch_ratio=1.0)


@settings(max_examples=100, deadline=None)
@given(
    st.floats(0.0, 25.0), st.floats(0.0, 500.0), st.floats(0.25, 4.0), st.one_of(st.none(), st.floats(0.0, 40.0))
)
def test_remap_properties(src0: float, tl0: float, ratio: float, src_end: float | None) -> None:
    if src_end is not None and src_end < src0:
        src0, src_end = src_end, src0
    out = remap(doc(), source_start=src0, timeline_start=tl0, stretch_ratio=ratio, source_end=src_end)
    end_tl = np.inf if src_end is None else tl0 + (src_end - src0) / ratio
    for s in out.segments:
        assert tl0 - 1e-9 <= s.start <= s.end <= end_tl + 1e-9
        for w in s.words:
            assert s.start - 1e-9 <= w.start <= w.end <= s.end + 1e-9
            # Each kept word maps back inside its original word.
            orig = next(o for o in doc().words() if o.text == w.text)
            back = timeline_to_source(w.start, source_start=src0, timeline_start=tl0, stretch_ratio=ratio)
            assert orig.start - 1e-6 <= back <= orig.end + 1e-6


def test_remap_matches_real_time_stretch(speech: Speech, tiny_en: Path, recognizer: object) -> None:
    """Stretch real speech with pedalboard (Rubber Band) 1.25x faster, transcribe it,
    and compare with remap() of the original captions: word starts agree."""
    import pedalboard

    ratio = 1.25
    x = speech.samples[None, :].astype(np.float32)
    y = pedalboard.time_stretch(x, speech.sample_rate, stretch_factor=ratio, high_quality=True)
    from audio_engine.audio import Audio

    orig = transcribe(Audio(x, speech.sample_rate), model=str(tiny_en), cache=False, in_worker=False,
                      recognizer=recognizer)
    fast = transcribe(Audio(np.ascontiguousarray(y, dtype=np.float32), speech.sample_rate), model=str(tiny_en),
                      cache=False, in_worker=False, recognizer=recognizer)
    mapped = remap(orig, source_start=0.0, timeline_start=0.0, stretch_ratio=ratio)
    mw = [(w.start, normalize_words(w.text)) for w in mapped.words()]
    fw = [(w.start, normalize_words(w.text)) for w in fast.words()]
    a = [" ".join(t) for _, t in mw]
    b = [" ".join(t) for _, t in fw]
    pairs = [(i, j) for i, j in align(a, b) if i is not None and j is not None and a[i] == b[j]]
    assert len(pairs) >= 0.7 * len(a)
    errs = [abs(mw[i][0] - fw[j][0]) for i, j in pairs]
    assert float(np.median(errs)) <= 0.08
    # The unmapped times would be off by seconds near the end: the mapping matters.
    last_i, last_j = pairs[-1]
    assert abs(orig.words()[last_i].start - fw[last_j][0]) > 0.5
