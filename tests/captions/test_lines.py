"""Caption line breaking (audio_engine.captions.split_lines): pauses,
punctuation and length limits, as a pure function."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audio_engine.captions import CaptionDoc, Segment, Word, split_lines
from audio_engine.captions.doc import join_words


def _speech(text: str, start: float = 0.0, word_s: float = 0.3, gap_s: float = 0.02) -> Segment:
    words, t = [], start
    for token in text.split():
        words.append(Word(round(t, 3), round(t + word_s, 3), token))
        t += word_s + gap_s
    return Segment(start, words[-1].end, text, words)


SPEECH_23 = ("So today we are going to look at how the studio writes captions, and why a long clip "
             "should never become one line.")


def test_a_23_word_speech_clip_becomes_readable_lines() -> None:
    seg = _speech(SPEECH_23)
    assert len(seg.words) == 23 and seg.end - seg.start > 7.0
    out = split_lines(CaptionDoc([seg]))
    lines = out.segments
    assert len(lines) >= 3
    for line in lines:
        assert len(line.text) <= 42 and line.end - line.start <= 5.0 + 1e-9
        assert len(line.words) >= 2  # no orphan words
    # nothing lost or reordered, times kept
    assert [w for s in lines for w in s.words] == seg.words
    assert lines[0].start == seg.start and lines[-1].end == seg.end
    # the comma is a preferred break: some line ends with "captions,"
    assert any(line.words[-1].text == "captions," for line in lines)


def test_sentence_end_beats_a_fuller_line() -> None:
    seg = _speech("I came home. Then we sang the whole night long together")
    lines = split_lines(CaptionDoc([seg]), max_chars=30).segments
    assert lines[0].text == "I came home."


def test_pauses_always_break_and_short_lines_stay_whole() -> None:
    words = [Word(0.0, 0.4, "hello"), Word(0.5, 0.9, "there"), Word(2.5, 2.9, "again")]
    seg = Segment(0.0, 3.0, "hello there again", words)
    assert [s.text for s in split_lines(CaptionDoc([seg])).segments] == ["hello there", "again"]
    short = _speech("just a few words")
    assert split_lines(CaptionDoc([short])).segments == [short]


def test_duration_limit_and_long_words() -> None:
    slow = _speech("one two three four five six", word_s=1.2)
    lines = split_lines(CaptionDoc([slow]), max_seconds=3.0).segments
    assert all(s.end - s.start <= 3.0 for s in lines) and len(lines) >= 3
    giant = Segment(0, 2, "x", [Word(0, 1, "a" * 60), Word(1, 2, "b")])
    lines = split_lines(CaptionDoc([giant]), max_chars=42).segments
    assert [s.text for s in lines] == ["a" * 60, "b"]


def test_rules_can_be_turned_off_and_bad_limits_are_refused() -> None:
    seg = _speech(SPEECH_23)
    assert split_lines(CaptionDoc([seg]), pause_s=None, max_chars=None, max_seconds=None).segments == [seg]
    for bad in ({"pause_s": 0.0}, {"max_seconds": float("nan")}, {"max_chars": 0}):
        with pytest.raises(ValueError):
            split_lines(CaptionDoc([seg]), **bad)  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.text("abcdefghij,.", min_size=1, max_size=12), st.floats(0.05, 1.5),
                          st.floats(0.0, 1.2)), min_size=2, max_size=40))
def test_property_words_kept_and_limits_met(spec: list[tuple[str, float, float]]) -> None:
    words, t = [], 0.0
    for text, dur, gap in spec:
        words.append(Word(t, t + dur, text))
        t += dur + gap
    seg = Segment(0.0, t, join_words(words), words)
    lines = split_lines(CaptionDoc([seg]), max_chars=30, max_seconds=4.0).segments
    assert [w for s in lines for w in s.words] == words
    for s in lines:
        if len(s.words) > 1:
            assert len(s.text) <= 30 and s.words[-1].end - s.words[0].start <= 4.0
        assert s.text == join_words(s.words) or s is seg
