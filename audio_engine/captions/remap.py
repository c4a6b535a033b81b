"""Caption times onto a mashup timeline: the one function the renderer and
the UI share, so what is burnt into a video and what the editor shows agree.

Convention (the same as ``pedalboard.time_stretch``'s ``stretch_factor``):
``stretch_ratio`` > 1 plays the clip *faster* (shorter on the timeline),
< 1 slower. A clip that plays its source from ``source_start`` seconds, is
placed at ``timeline_start`` seconds and is stretched by ``stretch_ratio``
maps a source time ``t_src`` to::

    t_timeline = timeline_start + (t_src - source_start) / stretch_ratio
"""

from __future__ import annotations

import math
from dataclasses import replace

from audio_engine.captions.doc import CaptionDoc, Segment, Word, join_words


def source_to_timeline(t_src: float, *, source_start: float, timeline_start: float, stretch_ratio: float) -> float:
    """One source time onto the timeline (see the module docstring)."""
    _check(source_start, timeline_start, stretch_ratio)
    return timeline_start + (t_src - source_start) / stretch_ratio


def timeline_to_source(t_tl: float, *, source_start: float, timeline_start: float, stretch_ratio: float) -> float:
    """The inverse: a timeline time back to the source time it plays."""
    _check(source_start, timeline_start, stretch_ratio)
    return source_start + (t_tl - timeline_start) * stretch_ratio


def _check(source_start: float, timeline_start: float, stretch_ratio: float, source_end: float | None = None) -> None:
    for name, v in (("source_start", source_start), ("timeline_start", timeline_start), ("stretch_ratio", stretch_ratio)):
        if not math.isfinite(v):
            raise ValueError(f"{name} must be finite, not {v!r}.")
    if stretch_ratio <= 0:
        raise ValueError(f"stretch_ratio must be > 0 (1 = unchanged, 2 = twice as fast), not {stretch_ratio!r}.")
    if source_start < 0:
        raise ValueError(f"source_start must be >= 0, not {source_start!r}.")
    if source_end is not None and (not math.isfinite(source_end) or source_end < source_start):
        raise ValueError(f"source_end ({source_end!r}) must be finite and >= source_start ({source_start!r}).")


def remap(
    doc: CaptionDoc,
    *,
    source_start: float,
    timeline_start: float,
    stretch_ratio: float,
    source_end: float | None = None,
) -> CaptionDoc:
    """Captions of a clip's source, moved onto the mashup timeline.

    The clip plays source seconds ``[source_start, source_end)`` (to the end
    of the source when ``source_end`` is None), placed at ``timeline_start``
    seconds on the timeline, ``stretch_ratio`` times faster than the source
    (pedalboard's ``stretch_factor`` convention: 2.0 = twice as fast, half as
    long; 0.5 = half speed)::

        t_timeline = timeline_start + (t_src - source_start) / stretch_ratio

    Words that lie wholly outside the played range are dropped; words and
    segments that straddle an edge are clipped to it. A segment left with no
    words (when it had some) is dropped, and a segment's text is rebuilt from
    the words it keeps. ``duration`` becomes the clip's length on the timeline
    when known. Raises ValueError for a ratio <= 0 or non-finite numbers."""
    _check(source_start, timeline_start, stretch_ratio, source_end)
    lo = source_start
    hi = math.inf if source_end is None else source_end

    def f(t: float) -> float:
        return timeline_start + (t - source_start) / stretch_ratio

    segs: list[Segment] = []
    for s in doc.segments:
        if s.end <= lo or s.start >= hi:
            # A zero-length segment exactly at lo is kept only if inside.
            if not (s.start == s.end and lo <= s.start < hi):
                continue
        words = []
        for w in s.words:
            if w.end <= lo or w.start >= hi:
                if not (w.start == w.end and lo <= w.start < hi):
                    continue
            words.append(Word(f(max(w.start, lo)), f(min(w.end, hi)), w.text, w.probability))
        if s.words and not words:
            continue
        text = s.text if len(words) == len(s.words) else join_words(words)
        segs.append(Segment(f(max(s.start, lo)), f(min(s.end, hi)), text, words))
    duration: float | None = None
    if source_end is not None:
        duration = (source_end - source_start) / stretch_ratio
    elif doc.duration is not None:
        duration = max(0.0, doc.duration - source_start) / stretch_ratio
    return replace(doc, segments=segs, duration=duration)
