"""The caption document: segments (lines) and words with times in seconds and
a confidence per word, as plain immutable data.

Edit operations (:func:`split`, :func:`merge`, :func:`retime`, :func:`shift`,
:func:`replace_text`, :func:`delete`) are pure functions: they return a new
document and never change the one they are given, so the UI can keep the old
one for undo.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

#: Version of the JSON layout written by :meth:`CaptionDoc.to_dict`.
DOC_FORMAT_VERSION = 1


@dataclass(frozen=True)
class Word:
    """One word: ``start``/``end`` in seconds, ``text`` without surrounding
    spaces, ``probability`` the recogniser's confidence 0..1 (1.0 for words a
    person typed)."""

    start: float
    end: float
    text: str
    probability: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text, "probability": self.probability}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Word:
        return cls(float(d["start"]), float(d["end"]), str(d["text"]), float(d.get("probability", 1.0)))


@dataclass(frozen=True)
class Segment:
    """One caption line: ``start``/``end`` in seconds, its ``text`` and its
    ``words`` (empty when the source had no word times, e.g. an SRT file)."""

    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text, "words": [w.to_dict() for w in self.words]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Segment:
        return cls(
            float(d["start"]),
            float(d["end"]),
            str(d["text"]),
            [Word.from_dict(w) for w in d.get("words", [])],
        )


@dataclass(frozen=True)
class CaptionDoc:
    """A whole caption/lyrics document.

    ``language`` is an ISO 639-1 code ("en") or "" when unknown;
    ``language_probability`` the detector's confidence (1.0 when given);
    ``duration`` the length of the transcribed audio in seconds (None if
    unknown); ``model`` names the model that made it ("" for imported files);
    ``source`` says what was transcribed ("vocals", "mix", "file")."""

    segments: list[Segment]
    language: str = ""
    language_probability: float = 1.0
    duration: float | None = None
    model: str = ""
    source: str = ""

    @property
    def text(self) -> str:
        return "\n".join(s.text for s in self.segments)

    def words(self) -> list[Word]:
        return [w for s in self.segments for w in s.words]

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": "mashups-captions",
            "version": DOC_FORMAT_VERSION,
            "language": self.language,
            "language_probability": self.language_probability,
            "duration": self.duration,
            "model": self.model,
            "source": self.source,
            "segments": [s.to_dict() for s in self.segments],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CaptionDoc:
        dur = d.get("duration")
        return cls(
            segments=[Segment.from_dict(s) for s in d.get("segments", [])],
            language=str(d.get("language", "")),
            language_probability=float(d.get("language_probability", 1.0)),
            duration=None if dur is None else float(dur),
            model=str(d.get("model", "")),
            source=str(d.get("source", "")),
        )


# ----------------------------------------------------------------- helpers


def join_words(words: Sequence[Word]) -> str:
    return " ".join(w.text for w in words if w.text)


def _check_index(doc: CaptionDoc, index: int) -> None:
    if not 0 <= index < len(doc.segments):
        raise IndexError(f"No segment {index}: the document has {len(doc.segments)} segment(s).")


def _check_time(name: str, t: float) -> None:
    if not math.isfinite(t):
        raise ValueError(f"{name} must be a finite number of seconds, not {t!r}.")


def _with_segments(doc: CaptionDoc, segments: list[Segment]) -> CaptionDoc:
    return replace(doc, segments=segments)


def _spread_words(tokens: Sequence[str], start: float, end: float) -> list[Word]:
    """Place typed words across ``[start, end]`` in proportion to their length."""
    if not tokens:
        return []
    weights = [max(1, len(t)) for t in tokens]
    total = float(sum(weights))
    out = []
    t = start
    for tok, w in zip(tokens, weights, strict=True):
        d = (end - start) * w / total
        out.append(Word(t, t + d, tok, 1.0))
        t += d
    # Exact end despite float sums.
    out[-1] = replace(out[-1], end=end)
    return out


# ----------------------------------------------------------------- edits


def split(doc: CaptionDoc, index: int, *, at_word: int | None = None, at_time: float | None = None) -> CaptionDoc:
    """Split segment ``index`` in two, before word ``at_word`` or at time
    ``at_time`` (words starting before it go to the first part). A segment
    without words is split at ``at_time`` with its text divided in proportion."""
    _check_index(doc, index)
    if (at_word is None) == (at_time is None):
        raise ValueError("Give exactly one of at_word or at_time.")
    seg = doc.segments[index]
    if seg.words:
        if at_time is not None:
            _check_time("at_time", at_time)
            k = sum(1 for w in seg.words if w.start < at_time)
        else:
            assert at_word is not None
            k = at_word
        if not 0 < k < len(seg.words):
            raise ValueError(f"Cannot split a {len(seg.words)}-word segment before word {k}: both parts need a word.")
        a, b = seg.words[:k], seg.words[k:]
        first = Segment(seg.start, a[-1].end, join_words(a), list(a))
        second = Segment(b[0].start, seg.end, join_words(b), list(b))
    else:
        if at_time is None:
            raise ValueError("This segment has no word times; split it with at_time.")
        _check_time("at_time", at_time)
        if not seg.start < at_time < seg.end:
            raise ValueError(f"at_time {at_time:.3f} s is not inside the segment ({seg.start:.3f}-{seg.end:.3f} s).")
        tokens = seg.text.split()
        k = round(len(tokens) * (at_time - seg.start) / (seg.end - seg.start))
        k = min(max(k, 1), len(tokens) - 1) if len(tokens) > 1 else len(tokens)
        first = Segment(seg.start, at_time, " ".join(tokens[:k]))
        second = Segment(at_time, seg.end, " ".join(tokens[k:]))
    segs = list(doc.segments)
    segs[index : index + 1] = [first, second]
    return _with_segments(doc, segs)


def merge(doc: CaptionDoc, index: int) -> CaptionDoc:
    """Merge segment ``index`` with the one after it."""
    _check_index(doc, index)
    if index + 1 >= len(doc.segments):
        raise IndexError(f"Segment {index} is the last one; there is nothing after it to merge with.")
    a, b = doc.segments[index], doc.segments[index + 1]
    text = " ".join(t for t in (a.text.strip(), b.text.strip()) if t)
    merged = Segment(min(a.start, b.start), max(a.end, b.end), text, list(a.words) + list(b.words))
    segs = list(doc.segments)
    segs[index : index + 2] = [merged]
    return _with_segments(doc, segs)


def retime(doc: CaptionDoc, index: int, *, start: float | None = None, end: float | None = None) -> CaptionDoc:
    """Give segment ``index`` new start and/or end times; its words are moved
    and scaled linearly into the new span (their order and relative timing kept)."""
    _check_index(doc, index)
    seg = doc.segments[index]
    new_start = seg.start if start is None else start
    new_end = seg.end if end is None else end
    _check_time("start", new_start)
    _check_time("end", new_end)
    if new_end < new_start:
        raise ValueError(f"end ({new_end:.3f} s) is before start ({new_start:.3f} s).")
    if new_start < 0:
        raise ValueError(f"start ({new_start:.3f} s) is negative.")
    span = seg.end - seg.start
    scale = (new_end - new_start) / span if span > 0 else 0.0

    def f(t: float) -> float:
        return new_start + (t - seg.start) * scale

    words = [replace(w, start=f(w.start), end=f(w.end)) for w in seg.words]
    segs = list(doc.segments)
    segs[index] = Segment(new_start, new_end, seg.text, words)
    return _with_segments(doc, segs)


def shift(doc: CaptionDoc, seconds: float, *, indices: Sequence[int] | None = None) -> CaptionDoc:
    """Move segments (all, or those in ``indices``) by ``seconds``; times never
    go below zero (a shift that would is refused)."""
    _check_time("seconds", seconds)
    chosen = set(range(len(doc.segments))) if indices is None else set(indices)
    for i in chosen:
        _check_index(doc, i)
    segs = []
    for i, s in enumerate(doc.segments):
        if i in chosen:
            if s.start + seconds < 0:
                raise ValueError(f"Shifting by {seconds:.3f} s would move segment {i} before zero.")
            s = Segment(
                s.start + seconds,
                s.end + seconds,
                s.text,
                [replace(w, start=w.start + seconds, end=w.end + seconds) for w in s.words],
            )
        segs.append(s)
    return _with_segments(doc, segs)


def replace_text(doc: CaptionDoc, index: int, text: str) -> CaptionDoc:
    """Replace the text of segment ``index``. When the new text has as many
    words as the old one, each word keeps its time (a spelling fix); otherwise
    the new words are spread over the segment in proportion to their length.
    Typed words get probability 1.0."""
    _check_index(doc, index)
    seg = doc.segments[index]
    clean = " ".join(text.split())
    if not clean:
        raise ValueError("The new text is empty; delete the segment instead.")
    tokens = clean.split(" ")
    if seg.words and len(tokens) == len(seg.words):
        words = [replace(w, text=t, probability=1.0 if t != w.text else w.probability) for w, t in zip(seg.words, tokens, strict=True)]
    elif seg.words:
        words = _spread_words(tokens, seg.start, seg.end)
    else:
        words = []
    segs = list(doc.segments)
    segs[index] = Segment(seg.start, seg.end, clean, words)
    return _with_segments(doc, segs)


def delete(doc: CaptionDoc, index: int) -> CaptionDoc:
    """Remove segment ``index``."""
    _check_index(doc, index)
    segs = list(doc.segments)
    del segs[index]
    return _with_segments(doc, segs)


def insert(doc: CaptionDoc, segment: Segment) -> CaptionDoc:
    """Add a segment, keeping the segments in start-time order."""
    _check_time("start", segment.start)
    _check_time("end", segment.end)
    if segment.end < segment.start or segment.start < 0:
        raise ValueError(f"Bad segment times {segment.start:.3f}-{segment.end:.3f} s.")
    segs = list(doc.segments)
    pos = sum(1 for s in segs if s.start <= segment.start)
    segs.insert(pos, segment)
    return _with_segments(doc, segs)


def split_on_gaps(doc: CaptionDoc, *, min_gap: float = 1.0) -> CaptionDoc:
    """Split every segment where its words pause for at least ``min_gap``
    seconds (Whisper often runs several sung lines into one segment).
    :func:`split_lines` with only its pause rule."""
    return split_lines(doc, pause_s=min_gap, max_chars=None, max_seconds=None)


#: Word endings that close a sentence or a clause: preferred places to break a line.
SENTENCE_END = (".", "?", "!", "…", '."', '?"', '!"')
CLAUSE_END = (",", ";", ":", "—", "–")


def split_lines(
    doc: CaptionDoc,
    *,
    pause_s: float | None = 1.0,
    max_chars: int | None = 42,
    max_seconds: float | None = 5.0,
) -> CaptionDoc:
    """Break every segment into caption lines a person can read.

    Rules, in order: a line always ends where the words pause for at least
    ``pause_s`` seconds; a line longer than ``max_chars`` characters (42 is the
    broadcast subtitle limit) or ``max_seconds`` seconds is broken at the best
    word boundary that keeps the first part within both limits -- after a
    sentence end (``. ? !``), else after a clause mark (``, ; :``), else at the
    longest pause, preferring fuller lines and never leaving a single word
    behind when another choice exists. A single word longer than the limits
    becomes its own line. Segments without word times are kept as they are.
    ``None`` turns a rule off. The first line keeps its segment's start, the
    last its end; the others run from their first word's start to their last
    word's end. Raises ValueError for a limit that is not a positive number."""
    for name, value in (("pause_s", pause_s), ("max_seconds", max_seconds)):
        if value is not None and (not math.isfinite(value) or value <= 0):
            raise ValueError(f"{name} must be a positive number of seconds, not {value!r}.")
    if max_chars is not None and max_chars < 1:
        raise ValueError(f"max_chars must be a positive number of characters, not {max_chars!r}.")
    segs: list[Segment] = []
    for s in doc.segments:
        if len(s.words) < 2:
            segs.append(s)
            continue
        groups: list[list[Word]] = []
        for chunk in _split_at_pauses(s.words, pause_s):
            groups.extend(_fit_lines(chunk, max_chars, max_seconds))
        if len(groups) == 1:
            segs.append(s)
            continue
        for i, g in enumerate(groups):
            start = s.start if i == 0 else g[0].start
            end = s.end if i == len(groups) - 1 else g[-1].end
            segs.append(Segment(start, end, join_words(g), list(g)))
    return _with_segments(doc, segs)


def _split_at_pauses(words: Sequence[Word], pause_s: float | None) -> list[list[Word]]:
    groups: list[list[Word]] = [[words[0]]]
    for prev, w in zip(words, words[1:], strict=False):
        if pause_s is not None and w.start - prev.end >= pause_s:
            groups.append([w])
        else:
            groups[-1].append(w)
    return groups


def _fits(words: Sequence[Word], max_chars: int | None, max_seconds: float | None) -> bool:
    if max_chars is not None and len(join_words(words)) > max_chars:
        return False
    return max_seconds is None or words[-1].end - words[0].start <= max_seconds


#: Words a line should not end on (English articles, prepositions, conjunctions).
WEAK_LINE_END = frozenset("a an the and or but of to in on at for with from by as how that than if so".split())


def _fit_lines(words: list[Word], max_chars: int | None, max_seconds: float | None) -> list[list[Word]]:
    """Break ``words`` into lines within the limits with the least total cost
    (a small Knuth-Plass: every line costs 1 plus its unused room squared;
    breaking after a sentence end, a clause mark or a pause earns credit,
    after a weak word or before a lone last word costs)."""
    n = len(words)
    if _fits(words, max_chars, max_seconds):
        return [words]

    def fill(i: int, j: int) -> float:  # how close words[i:j] comes to the nearer limit, 0..1
        ratios = [0.0]
        if max_chars is not None:
            ratios.append(len(join_words(words[i:j])) / max_chars)
        if max_seconds is not None:
            ratios.append((words[j - 1].end - words[i].start) / max_seconds)
        return min(1.0, max(ratios))

    def break_cost(j: int) -> float:  # breaking after words[j - 1]
        last = words[j - 1].text
        cost = 0.0
        if last.endswith(SENTENCE_END):
            cost -= 3.0
        elif last.endswith(CLAUSE_END):
            cost -= 2.0
        elif last.lower().strip("\"'") in WEAK_LINE_END:
            cost += 1.0
        cost -= min(1.0, max(0.0, words[j].start - words[j - 1].end) / 0.5)
        return cost

    best = [0.0] + [math.inf] * n
    back = [0] * (n + 1)
    for j in range(1, n + 1):
        for i in range(j - 1, -1, -1):
            if j - i > 1 and not _fits(words[i:j], max_chars, max_seconds):
                break  # longer lines only grow
            cost = best[i] + 1.0 + (1.0 - fill(i, j)) ** 2 * (0.5 if j == n else 2.0)
            if j < n:
                cost += break_cost(j)
            if j - i == 1 and n > 1:
                cost += 2.5  # a word alone on a line
            if cost < best[j]:
                best[j], back[j] = cost, i
    lines: list[list[Word]] = []
    j = n
    while j > 0:
        lines.append(words[back[j]:j])
        j = back[j]
    return lines[::-1]
