"""Every export format round-trips through import, to the format's precision."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audio_engine.captions import CaptionDoc, Segment, Word, dumps, export, import_captions, loads
from audio_engine.captions.formats import FORMATS
from audio_engine.errors import CaptionFormatError, UnsupportedFormatError

# Precision of each format's time stamps (seconds).
PRECISION = {"srt": 0.001, "vtt": 0.001, "lrc": 0.01, "elrc": 0.01, "ass": 0.01, "json": 0.0}
WORD_STARTS = {"vtt", "elrc", "ass", "json"}


def carries_words(fmt: str, seg: Segment) -> bool:
    """VTT word times are inline time stamps after the cue start: a one-word
    cue whose word starts with the cue has none, and reads back as a plain line."""
    if fmt not in WORD_STARTS:
        return False
    if fmt == "vtt":
        return len(seg.words) > 1 or round(seg.words[0].start * 1000) > round(seg.start * 1000)
    return True


def sample_doc() -> CaptionDoc:
    def seg(start: float, words: list[tuple[float, float, str]]) -> Segment:
        ws = [Word(a, b, t, 0.5 + 0.1 * i) for i, (a, b, t) in enumerate(words)]
        return Segment(start, words[-1][1], " ".join(t for _, _, t in words), ws)

    return CaptionDoc(
        segments=[
            seg(1.234, [(1.234, 1.5, "Hello"), (1.61, 2.0, "world,"), (2.05, 2.72, "it's")]),
            seg(3.5, [(3.5, 3.9, "a"), (4.0, 4.31, "<tag>"), (4.4, 5.0, "&"), (5.1, 6.0, "{brace}")]),
            seg(65.007, [(65.1, 65.5, "über"), (65.6, 66.0, "café")]),
            seg(3725.5, [(3725.5, 3726.25, "late")]),
        ],
        language="en",
        duration=3730.0,
        model="faster-whisper:tiny.en:int8",
        source="vocals",
    )


def _norm(text: str, fmt: str = "") -> list[str]:
    if fmt == "ass":  # ASS override braces in lyrics become parentheses
        text = text.replace("{", "(").replace("}", ")")
    return text.split()


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_every_format(fmt: str, tmp_path: Path) -> None:
    doc = sample_doc()
    ext = {"elrc": "lrc"}.get(fmt, fmt)
    path = export(doc, tmp_path / f"out.{ext}", format=fmt)
    back = import_captions(path, format=fmt)
    tol = PRECISION[fmt] / 2 + 1e-9
    assert len(back.segments) == len(doc.segments)
    for a, b in zip(doc.segments, back.segments, strict=True):
        assert b.start == pytest.approx(a.start, abs=tol)
        assert b.end == pytest.approx(a.end, abs=tol)
        assert _norm(b.text) == _norm(a.text, fmt)
        if carries_words(fmt, a):
            assert [w.text for w in b.words] == _norm(" ".join(w.text for w in a.words), fmt)
            for wa, wb in zip(a.words, b.words, strict=True):
                assert wb.start == pytest.approx(wa.start, abs=tol)
            # The last word's end is carried by enhanced LRC, ASS and JSON.
            if fmt != "vtt":
                assert b.words[-1].end == pytest.approx(a.words[-1].end, abs=tol)
    if fmt == "json":
        assert back == doc
    if fmt in ("vtt", "lrc", "elrc", "json"):
        assert back.language == "en"
    # Exporting what was imported gives the same file again (a fixed point).
    assert dumps(back, fmt) == dumps(loads(dumps(back, fmt), fmt), fmt)


def test_plain_segments_without_words_round_trip(tmp_path: Path) -> None:
    doc = CaptionDoc([Segment(0.0, 1.5, "first line\nsecond line"), Segment(2.0, 3.0, "next")])
    for fmt in ("srt", "vtt", "ass"):
        back = loads(dumps(doc, fmt), fmt)
        assert [s.text for s in back.segments] == ["first line\nsecond line", "next"]
        assert all(not s.words for s in back.segments)
    back = loads(dumps(doc, "lrc"), "lrc")
    assert [s.text for s in back.segments] == ["first line second line", "next"]
    assert [(s.start, s.end) for s in back.segments] == [(0.0, 1.5), (2.0, 3.0)]


def test_ass_has_karaoke_tags() -> None:
    text = dumps(sample_doc(), "ass")
    first = next(line for line in text.splitlines() if line.startswith("Dialogue:"))
    # Hello 1.23-1.50 = 27 cs, pause to 1.61 = 11 cs, world 1.61-2.00 = 39 cs, pause 5 cs, it's 2.05-2.72 = 67 cs
    assert first.endswith(r"{\kf27}Hello {\k11}{\kf39}world, {\k5}{\kf67}it's")
    back = loads(text, "ass").segments[0].words
    assert [t for w in back for t in (w.start, w.end)] == pytest.approx([1.23, 1.5, 1.61, 2.0, 2.05, 2.72])
    assert "(brace)" in text  # override braces in lyrics are neutralised


def test_elrc_layout() -> None:
    text = dumps(sample_doc(), "elrc")
    assert "[00:01.23]<00:01.23>Hello <00:01.61>world, <00:02.05>it's <00:02.72>" in text
    assert "[62:05.50]<62:05.50>late <62:06.25>" in text  # minutes keep counting past 59


def test_vtt_escapes_and_inline_times() -> None:
    text = dumps(sample_doc(), "vtt")
    assert "<00:00:04.000>&lt;tag&gt;" in text and "<00:00:04.400>&amp;" in text
    assert text.startswith("WEBVTT\n")


def test_import_third_party_files(tmp_path: Path) -> None:
    srt = "\ufeff1\r\n00:00:01,000 --> 00:00:02,500\r\n<i>Hello</i> there\r\n\r\n2\r\n00:00:03,000 --> 00:00:04,000\r\nBye\r\n"
    doc = loads(srt, "srt")
    assert [(s.start, s.end, s.text) for s in doc.segments] == [(1.0, 2.5, "Hello there"), (3.0, 4.0, "Bye")]
    vtt = ("WEBVTT - title\n\nNOTE a comment\n\nSTYLE\n::cue { color: red }\n\nintro\n"
           "00:01.000 --> 00:02.000 align:start position:10%\n<v Singer>La la</v>\n")
    doc = loads(vtt, "vtt")
    assert [(s.start, s.end, s.text) for s in doc.segments] == [(1.0, 2.0, "La la")]
    lrc = "[ar:Someone]\n[ti:Song]\n[offset:+500]\n[00:10.00][00:30.00]Chorus line\n[00:20.5]Verse\n[00:40.00]\n"
    doc = loads(lrc, "lrc")
    assert [(round(s.start, 3), s.text) for s in doc.segments] == [(9.5, "Chorus line"), (20.0, "Verse"),
                                                                    (29.5, "Chorus line")]
    assert doc.segments[-1].end == pytest.approx(39.5)
    ass = ("[Script Info]\nScriptType: v4.00+\n\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, "
           "MarginV, Effect, Text\nDialogue: 0,0:00:01.00,0:00:03.00,Default,,0,0,0,,{\\k50}one {\\K100}two, three\n"
           "Comment: 0,0:00:04.00,0:00:05.00,Default,,0,0,0,,ignored\n"
           "Dialogue: 0,0:00:06.00,0:00:07.00,Default,,0,0,0,,{\\i1}plain{\\i0}\\Nline\n")
    doc = loads(ass, "ass")
    assert [w.text for w in doc.segments[0].words] == ["one", "two,", "three"]
    assert [w.start for w in doc.segments[0].words] == [1.0, 1.5, 1.5]
    assert doc.segments[1].text == "plain\nline"


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        ("srt", "1\n00:00:01,000 -> 00:00:02,000\nbad arrow\n"),
        ("srt", "1\n00:00:99,000 --> 00:01:00,000\nbad seconds\n"),
        ("vtt", "00:00:01.000 --> 00:00:02.000\nno header\n"),
        ("lrc", "just words, no tags\n"),
        ("lrc", "[00:99.00]bad seconds\n"),
        ("ass", "[Script Info]\nTitle: nothing\n"),
        ("json", "{\"format\": \"something-else\"}"),
        ("json", "{not json"),
        ("json", "{\"format\": \"mashups-captions\", \"version\": 99, \"segments\": []}"),
    ],
)
def test_malformed_files_give_typed_errors(fmt: str, text: str) -> None:
    with pytest.raises(CaptionFormatError):
        loads(text, fmt)


def test_lrc_without_lines_is_an_empty_document() -> None:
    doc = loads("[ar:Artist]\n[ti:Instrumental]\n", "lrc")
    assert doc.segments == []


def test_bad_paths_and_formats(tmp_path: Path) -> None:
    doc = sample_doc()
    with pytest.raises(UnsupportedFormatError):
        export(doc, tmp_path / "out.docx")
    with pytest.raises(UnsupportedFormatError):
        dumps(doc, "txt")
    with pytest.raises(CaptionFormatError):
        import_captions(tmp_path / "missing.srt")
    binary = tmp_path / "binary.srt"
    binary.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(CaptionFormatError):
        import_captions(binary)
    # A failed export leaves no file and no temp file behind; an existing file is untouched.
    target = tmp_path / "keep.srt"
    target.write_text("old")
    with pytest.raises(UnsupportedFormatError):
        export(doc, target, format="nope")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["binary.srt", "keep.srt"]


_times = st.floats(min_value=0.0, max_value=20_000.0, allow_nan=False, allow_infinity=False)
_word = st.text(alphabet=st.characters(categories=["L", "N"], max_codepoint=0x2FFF), min_size=1, max_size=8)


@st.composite
def docs(draw: st.DrawFn) -> CaptionDoc:
    n = draw(st.integers(0, 5))
    t = draw(_times)
    segs = []
    for _ in range(n):
        k = draw(st.integers(1, 5))
        words = []
        start = t
        for _ in range(k):
            d = draw(st.floats(0.01, 3.0))
            words.append(Word(t, t + d, draw(_word), draw(st.floats(0.0, 1.0))))
            t += d + draw(st.floats(0.0, 2.0))
        segs.append(Segment(start, words[-1].end, " ".join(w.text for w in words), words))
        t += draw(st.floats(0.0, 5.0))
    return CaptionDoc(segs, language="en")


@settings(max_examples=60, deadline=None)
@given(docs(), st.sampled_from(FORMATS))
def test_round_trip_property(doc: CaptionDoc, fmt: str) -> None:
    back = loads(dumps(doc, fmt), fmt)
    tol = PRECISION[fmt] + 1e-6
    assert len(back.segments) == len(doc.segments)
    for a, b in zip(doc.segments, back.segments, strict=True):
        assert b.start == pytest.approx(a.start, abs=tol)
        assert b.end == pytest.approx(a.end, abs=tol)
        assert b.text.split() == a.text.split()
        if carries_words(fmt, a):
            assert [w.text for w in b.words] == [w.text for w in a.words]
            assert all(wb.start == pytest.approx(wa.start, abs=tol) for wa, wb in zip(a.words, b.words, strict=True))
