"""Caption file formats: export and import.

=========  ======================================================  ==============
format     what it holds                                            time precision
=========  ======================================================  ==============
``srt``    lines with start/end                                     1 ms
``vtt``    lines with start/end, word starts as inline timestamps   1 ms
``lrc``    line starts; a blank timed line closes a line            10 ms
``elrc``   enhanced LRC (A2): line starts plus ``<mm:ss.xx>`` word   10 ms
           starts and the last word's end
``ass``    Advanced SubStation karaoke: lines with ``{\\kf}`` word   10 ms
           durations (centiseconds)
``json``   everything in :class:`CaptionDoc` (probabilities too)    exact
=========  ======================================================  ==============

Every format is read back by :func:`loads`/:func:`import_captions`; what a
format cannot hold (word ends in LRC, probabilities outside JSON) is rebuilt
from what it does hold (a word ends where the next one starts).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path

from audio_engine.captions.doc import CaptionDoc, Segment, Word, join_words
from audio_engine.errors import CaptionFormatError, UnsupportedFormatError

FORMATS: tuple[str, ...] = ("srt", "vtt", "lrc", "elrc", "ass", "json")
_EXTENSIONS = {".srt": "srt", ".vtt": "vtt", ".lrc": "lrc", ".ass": "ass", ".ssa": "ass", ".json": "json"}
#: Caption files bigger than this are refused on import (a 3-hour SRT is ~1 MB).
MAX_FILE_BYTES = 32 * 1024 * 1024


def format_from_path(path: str | os.PathLike[str]) -> str:
    ext = Path(path).suffix.lower()
    try:
        return _EXTENSIONS[ext]
    except KeyError:
        raise UnsupportedFormatError(
            f"Unknown caption format {ext or '(no extension)'!r} for {Path(path).name}; "
            f"use one of .srt, .vtt, .lrc, .ass, .json.",
            hint="Choose an output name ending in .srt, .vtt, .lrc, .ass or .json.",
        ) from None


def _check_format(fmt: str) -> str:
    f = fmt.lower().lstrip(".")
    if f == "webvtt":
        f = "vtt"
    if f not in FORMATS:
        raise UnsupportedFormatError(f"Unknown caption format {fmt!r}; use one of {', '.join(FORMATS)}.")
    return f


# ------------------------------------------------------------ time stamps


def _ms(t: float) -> int:
    return max(0, int(round(t * 1000.0)))


def _cs(t: float) -> int:
    return max(0, int(round(t * 100.0)))


def _hmsms(t: float, sep: str) -> str:
    ms = _ms(t)
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _lrc_time(t: float) -> str:
    cs = _cs(t)
    m, rem = divmod(cs, 6000)
    s, cs = divmod(rem, 100)
    return f"{m:02d}:{s:02d}.{cs:02d}"


def _ass_time(t: float) -> str:
    cs = _cs(t)
    h, rem = divmod(cs, 360_000)
    m, rem = divmod(rem, 6000)
    s, cs = divmod(rem, 100)
    return f"{h:d}:{m:02d}:{s:02d}.{cs:02d}"


_CLOCK = re.compile(r"^\s*(?:(\d+):)?(\d+):(\d{1,2})(?:[.,](\d{1,3}))?\s*$")
_LRC_CLOCK = re.compile(r"^(\d+):(\d{1,2})(?:[.:](\d{1,3}))?$")


def _parse_clock(text: str, where: str) -> float:
    """``[h:]mm:ss[.fff]`` (also ``,`` or ``:`` before the fraction) -> seconds."""
    m = _CLOCK.match(text)
    if not m:
        raise CaptionFormatError(f"{where}: bad time stamp {text.strip()!r}.")
    h = int(m.group(1) or 0)
    mi = int(m.group(2))
    s = int(m.group(3))
    frac = m.group(4) or ""
    if s >= 60 or (m.group(1) is not None and mi >= 60):
        raise CaptionFormatError(f"{where}: bad time stamp {text.strip()!r} (minutes/seconds out of range).")
    f = int(frac) / (10 ** len(frac)) if frac else 0.0
    return h * 3600 + mi * 60 + s + f


def _parse_lrc_clock(text: str, where: str) -> float:
    """LRC ``mm:ss[.xx]`` (minutes unbounded; ``:`` also marks the fraction)."""
    m = _LRC_CLOCK.match(text.strip())
    if not m or int(m.group(2)) >= 60:
        raise CaptionFormatError(f"{where}: bad time stamp {text.strip()!r}.")
    frac = m.group(3) or ""
    return int(m.group(1)) * 60 + int(m.group(2)) + (int(frac) / 10 ** len(frac) if frac else 0.0)


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff").split("\n")


def _blocks(text: str) -> list[tuple[int, list[str]]]:
    """Blank-line separated blocks with the 1-based line number of their first line."""
    out: list[tuple[int, list[str]]] = []
    cur: list[str] = []
    first = 0
    for i, line in enumerate(_lines(text), 1):
        if line.strip():
            if not cur:
                first = i
            cur.append(line.rstrip())
        elif cur:
            out.append((first, cur))
            cur = []
    if cur:
        out.append((first, cur))
    return out


def _words_from_starts(pairs: list[tuple[float, str]], end: float) -> list[Word]:
    """Words from (start, text) pairs: each ends where the next starts."""
    words = []
    for i, (t, w) in enumerate(pairs):
        nxt = pairs[i + 1][0] if i + 1 < len(pairs) else end
        words.append(Word(t, max(t, nxt), w, 1.0))
    return words


# ------------------------------------------------------------------- SRT


def to_srt(doc: CaptionDoc) -> str:
    out = []
    for i, s in enumerate(doc.segments, 1):
        text = "\n".join(line for line in s.text.split("\n") if line.strip()) or " "
        out.append(f"{i}\n{_hmsms(s.start, ',')} --> {_hmsms(s.end, ',')}\n{text}\n")
    return "\n".join(out)


_ARROW = re.compile(r"^\s*(\S+)\s+-->\s+(\S+)(.*)$")


def from_srt(text: str) -> CaptionDoc:
    segs = []
    for lineno, block in _blocks(text):
        k = 0
        if not _ARROW.match(block[0]):
            if len(block) > 1 and _ARROW.match(block[1]) and block[0].strip().isdigit():
                k = 1
            else:
                raise CaptionFormatError(f"SRT line {lineno}: expected a cue number and 'start --> end', got {block[0]!r}.")
        m = _ARROW.match(block[k])
        assert m is not None
        start = _parse_clock(m.group(1), f"SRT line {lineno + k}")
        end = _parse_clock(m.group(2), f"SRT line {lineno + k}")
        body = "\n".join(_SRT_TAG.sub("", b) for b in block[k + 1 :]).strip()
        segs.append(Segment(start, max(start, end), body))
    return CaptionDoc(segs, source="file")


_TAG = re.compile(r"<[^>]*>")
#: The formatting tags SRT players understand (anything else in <> is text).
_SRT_TAG = re.compile(r"</?(?:i|b|u|s|font)(?:\s[^>]*)?>|\{\\an\d\}", re.IGNORECASE)


def _strip_tags(s: str) -> str:
    return _TAG.sub("", s)


# ---------------------------------------------------------------- WebVTT


def _vtt_escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("-->", "--&gt;")


def _vtt_unescape(s: str) -> str:
    return (
        s.replace("&lt;", "<").replace("&gt;", ">").replace("&nbsp;", "\u00a0").replace("&lrm;", "\u200e")
        .replace("&rlm;", "\u200f").replace("&amp;", "&")
    )


def to_vtt(doc: CaptionDoc) -> str:
    out = ["WEBVTT", ""]
    if doc.language:
        out = ["WEBVTT", f"Language: {doc.language}", ""]
    for s in doc.segments:
        out.append(f"{_hmsms(s.start, '.')} --> {_hmsms(s.end, '.')}")
        if s.words:
            parts = []
            for i, w in enumerate(s.words):
                tag = "" if (i == 0 and _ms(w.start) <= _ms(s.start)) else f"<{_hmsms(w.start, '.')}>"
                parts.append(tag + _vtt_escape(w.text))
            out.append(" ".join(parts))
        else:
            out.append("\n".join(_vtt_escape(line) for line in s.text.split("\n") if line.strip()) or " ")
        out.append("")
    return "\n".join(out)


_VTT_TS = re.compile(r"<((?:\d+:)?\d{1,2}:\d{1,2}\.\d{3})>")


def from_vtt(text: str) -> CaptionDoc:
    blocks = _blocks(text)
    if not blocks or not blocks[0][1][0].startswith("WEBVTT"):
        raise CaptionFormatError("Not a WebVTT file: the first line must start with 'WEBVTT'.")
    language = ""
    for line in blocks[0][1][1:]:
        if line.lower().startswith("language:"):
            language = line.split(":", 1)[1].strip()
    segs = []
    for lineno, block in blocks[1:]:
        head = block[0].strip()
        if head.startswith(("NOTE", "STYLE", "REGION")):
            continue
        k = 0 if _ARROW.match(block[0]) else 1
        if k >= len(block) or not _ARROW.match(block[k]):
            raise CaptionFormatError(f"VTT line {lineno}: expected 'start --> end', got {block[0]!r}.")
        m = _ARROW.match(block[k])
        assert m is not None
        start = _parse_clock(m.group(1), f"VTT line {lineno + k}")
        end = max(start, _parse_clock(m.group(2), f"VTT line {lineno + k}"))
        raw = "\n".join(block[k + 1 :])
        words: list[Word] = []
        if _VTT_TS.search(raw):
            pieces = _VTT_TS.split(raw)  # [text0, ts1, text1, ts2, text2, ...]
            pairs: list[tuple[float, str]] = []
            lead = _vtt_unescape(_strip_tags(pieces[0])).split()
            t0 = start
            for tok in lead:
                pairs.append((t0, tok))
            for j in range(1, len(pieces), 2):
                t = _parse_clock(pieces[j], f"VTT line {lineno}")
                toks = _vtt_unescape(_strip_tags(pieces[j + 1])).split()
                for tok in toks:
                    pairs.append((t, tok))
            words = _words_from_starts(pairs, end)
            body = join_words(words)
        else:
            body = _vtt_unescape(_strip_tags(raw)).strip()
        segs.append(Segment(start, end, body, words))
    return CaptionDoc(segs, language=language, source="file")


# ------------------------------------------------------------------- LRC


def _lrc(doc: CaptionDoc, enhanced: bool) -> str:
    out = ["[re:Mashups Studio]"]
    if doc.language:
        out.append(f"[la:{doc.language}]")
    if doc.duration is not None:
        out.append(f"[length:{_lrc_time(doc.duration).split('.')[0]}]")
    segs = doc.segments
    for i, s in enumerate(segs):
        line = " ".join(s.text.split())
        if enhanced and s.words:
            parts = [f"<{_lrc_time(w.start)}>{w.text}" for w in s.words]
            line = " ".join(parts) + f" <{_lrc_time(s.words[-1].end)}>"
        out.append(f"[{_lrc_time(s.start)}]{line}")
        nxt = segs[i + 1].start if i + 1 < len(segs) else None
        if nxt is None or _cs(nxt) > _cs(s.end):
            out.append(f"[{_lrc_time(s.end)}]")
    return "\n".join(out) + "\n"


def to_lrc(doc: CaptionDoc) -> str:
    """Plain LRC: one ``[mm:ss.xx]`` line per segment, closed by a blank timed line."""
    return _lrc(doc, enhanced=False)


def to_elrc(doc: CaptionDoc) -> str:
    """Enhanced (A2) LRC: ``[mm:ss.xx]<mm:ss.xx>word <mm:ss.xx>word ... <mm:ss.xx>``."""
    return _lrc(doc, enhanced=True)


_LRC_TIME_TAG = re.compile(r"\[(\d+:\d{1,2}(?:[.:]\d{1,3})?)\]")
_LRC_META = re.compile(r"^\[([a-zA-Z#]+):(.*)\]\s*$")
_LRC_WORD = re.compile(r"<(\d+:\d{1,2}(?:[.:]\d{1,3})?)>")


def from_lrc(text: str) -> CaptionDoc:
    """Plain or enhanced LRC. Repeated time tags on one line give one segment
    each; ``[offset:ms]`` is applied (positive = lyrics earlier)."""
    entries: list[tuple[float, str, int]] = []
    meta: dict[str, str] = {}
    for lineno, line in enumerate(_lines(text), 1):
        s = line.strip()
        if not s:
            continue
        mm = _LRC_META.match(s)
        if mm and not _LRC_TIME_TAG.match(s):
            meta[mm.group(1).lower()] = mm.group(2).strip()
            continue
        times = []
        pos = 0
        while True:
            m = _LRC_TIME_TAG.match(s, pos)
            if not m:
                break
            times.append(_parse_lrc_clock(m.group(1), f"LRC line {lineno}"))
            pos = m.end()
        if not times:
            raise CaptionFormatError(f"LRC line {lineno}: expected a [mm:ss.xx] time tag, got {s[:40]!r}.")
        for t in times:
            entries.append((t, s[pos:].strip(), lineno))
    if not entries and not meta:
        raise CaptionFormatError("No timed lines in this LRC file.")
    try:
        offset = float(meta.get("offset", "0") or 0) / 1000.0
    except ValueError:
        raise CaptionFormatError(f"LRC: bad [offset:{meta.get('offset')}] tag.") from None
    entries.sort(key=lambda e: e[0])
    length: float | None = None
    if "length" in meta:
        try:
            length = _parse_lrc_clock(meta["length"], "LRC [length]")
        except CaptionFormatError:
            length = None
    segs = []
    for i, (t, body, lineno) in enumerate(entries):
        if not body:
            continue  # a blank line only ends the previous one
        start = max(0.0, t - offset)
        if i + 1 < len(entries):
            end = max(start, entries[i + 1][0] - offset)
        else:
            end = max(start, (length if length is not None else t + 5.0) - offset)
        words: list[Word] = []
        if _LRC_WORD.search(body):
            pieces = _LRC_WORD.split(body)
            pairs: list[tuple[float, str]] = [(start, tok) for tok in pieces[0].split()]
            last = end
            for j in range(1, len(pieces), 2):
                wt = max(0.0, _parse_lrc_clock(pieces[j], f"LRC line {lineno}") - offset)
                toks = pieces[j + 1].split()
                if not toks:
                    last = wt  # trailing tag: end of the last word
                for tok in toks:
                    pairs.append((wt, tok))
            words = _words_from_starts(pairs, last)
            if words:
                # The last word ends at the trailing tag (or the line's end).
                lw = words[-1]
                words[-1] = Word(lw.start, max(lw.start, last), lw.text, 1.0)
            body = join_words(words)
        segs.append(Segment(start, end, body, words))
    return CaptionDoc(segs, language=meta.get("la", ""), duration=length, source="file")


# ------------------------------------------------------------------- ASS

_ASS_HEADER = """[Script Info]
; Written by Mashups Studio
ScriptType: v4.00+
PlayResX: 1920
PlayResY: 1080
WrapStyle: 0
ScaledBorderAndShadow: yes

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Karaoke,Arial,72,&H0000D7FF,&H00FFFFFF,&H00000000,&H80000000,-1,0,0,0,100,100,0,0,1,4,2,2,60,60,80,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
"""


def _ass_text(s: str) -> str:
    return s.replace("{", "(").replace("}", ")").replace("\n", "\\N")


def to_ass(doc: CaptionDoc) -> str:
    """ASS karaoke: each word carries a ``{\\kf<centiseconds>}`` fill tag lasting
    the word, and pauses between words an empty ``{\\k<centiseconds>}``, so
    players (mpv, VLC, Aegisub, ffmpeg's subtitles filter) sweep it in time."""
    out = [_ASS_HEADER.rstrip("\n")]
    for s in doc.segments:
        if s.words:
            parts = []
            pos = _cs(s.start)
            for i, w in enumerate(s.words):
                ws = max(pos, _cs(w.start))
                if ws > pos:
                    parts.append(f"{{\\k{ws - pos}}}")
                end = _cs(w.end)
                if i + 1 < len(s.words):
                    end = min(end, max(ws, _cs(s.words[i + 1].start)))
                dur = max(0, end - ws)
                sep = " " if i + 1 < len(s.words) else ""
                parts.append(f"{{\\kf{dur}}}{_ass_text(w.text)}{sep}")
                pos = ws + dur
            text = "".join(parts)
        else:
            text = _ass_text(s.text)
        out.append(f"Dialogue: 0,{_ass_time(s.start)},{_ass_time(s.end)},Karaoke,,0,0,0,,{text}")
    return "\n".join(out) + "\n"


_ASS_OVERRIDE = re.compile(r"\{([^}]*)\}")
_ASS_K = re.compile(r"\\(?:k|kf|ko|K)(\d+)")


def from_ass(text: str) -> CaptionDoc:
    fields: list[str] | None = None
    in_events = False
    segs = []
    for lineno, line in enumerate(_lines(text), 1):
        s = line.strip()
        if s.startswith("[") and s.endswith("]"):
            in_events = s.lower() == "[events]"
            continue
        if not in_events:
            continue
        if s.lower().startswith("format:"):
            fields = [f.strip().lower() for f in s.split(":", 1)[1].split(",")]
            continue
        if not s.lower().startswith("dialogue:"):
            continue
        if fields is None or "text" not in fields or "start" not in fields or "end" not in fields:
            raise CaptionFormatError(f"ASS line {lineno}: Dialogue before a usable 'Format:' line in [Events].")
        values = s.split(":", 1)[1].lstrip().split(",", len(fields) - 1)
        if len(values) != len(fields):
            raise CaptionFormatError(f"ASS line {lineno}: expected {len(fields)} fields, got {len(values)}.")
        row = dict(zip(fields, values, strict=True))
        start = _parse_clock(row["start"], f"ASS line {lineno}")
        end = max(start, _parse_clock(row["end"], f"ASS line {lineno}"))
        raw = row["text"]
        words: list[Word] = []
        if _ASS_K.search(raw):
            t = start
            pending: list[tuple[float, float, str]] = []
            for chunk in re.split(r"(\{[^}]*\})", raw):
                if chunk.startswith("{") and chunk.endswith("}"):
                    ks = _ASS_K.findall(chunk)
                    if ks:
                        dur = sum(int(k) for k in ks) / 100.0
                        pending.append((t, t + dur, ""))
                        t += dur
                    continue
                txt = chunk.replace("\\N", " ").replace("\\n", " ").replace("\\h", " ")
                if pending:
                    a, b, prev = pending[-1]
                    pending[-1] = (a, b, prev + txt)
            for a, b, w in pending:
                for tok in w.split():
                    words.append(Word(a, b, tok, 1.0))
            body = join_words(words)
        else:
            body = _ASS_OVERRIDE.sub("", raw).replace("\\N", "\n").replace("\\n", "\n").replace("\\h", " ").strip()
        segs.append(Segment(start, end, body, words))
    if fields is None:
        raise CaptionFormatError("Not an ASS/SSA file: no [Events] section with a Format line.")
    return CaptionDoc(segs, source="file")


# ------------------------------------------------------------------ JSON


def to_json(doc: CaptionDoc) -> str:
    return json.dumps(doc.to_dict(), indent=2, ensure_ascii=False) + "\n"


def from_json(text: str) -> CaptionDoc:
    try:
        d = json.loads(text)
    except json.JSONDecodeError as e:
        raise CaptionFormatError(f"Caption JSON is not valid JSON: {e}.") from None
    if not isinstance(d, dict) or d.get("format") != "mashups-captions":
        raise CaptionFormatError("This JSON file is not a Mashups caption document.")
    if int(d.get("version", 0)) > 1:
        raise CaptionFormatError(
            f"Caption JSON version {d.get('version')} is newer than this app understands.", hint="Update Mashups Studio."
        )
    try:
        return CaptionDoc.from_dict(d)
    except (KeyError, TypeError, ValueError) as e:
        raise CaptionFormatError(f"Caption JSON is missing or has a bad field: {e}.") from None


# ------------------------------------------------------------- public API

_WRITERS: dict[str, Callable[[CaptionDoc], str]] = {
    "srt": to_srt,
    "vtt": to_vtt,
    "lrc": to_lrc,
    "elrc": to_elrc,
    "ass": to_ass,
    "json": to_json,
}
_READERS: dict[str, Callable[[str], CaptionDoc]] = {
    "srt": from_srt,
    "vtt": from_vtt,
    "lrc": from_lrc,
    "elrc": from_lrc,
    "ass": from_ass,
    "json": from_json,
}


def dumps(doc: CaptionDoc, format: str) -> str:
    """The document as text in ``format`` (one of :data:`FORMATS`)."""
    return _WRITERS[_check_format(format)](doc)


def loads(text: str, format: str) -> CaptionDoc:
    """Parse caption text in ``format``. Raises :class:`CaptionFormatError`."""
    doc = _READERS[_check_format(format)](text)
    for i, s in enumerate(doc.segments):
        if s.end < s.start:
            raise CaptionFormatError(f"Segment {i + 1} ends before it starts.")
    return doc


def export(doc: CaptionDoc, path: str | os.PathLike[str], *, format: str | None = None) -> Path:
    """Write ``doc`` to ``path`` atomically (temp file, fsync, rename). The
    format comes from the extension unless given (``elrc`` for word-timed LRC)."""
    p = Path(path)
    fmt = _check_format(format) if format else format_from_path(p)
    data = dumps(doc, fmt).encode("utf-8")
    from audio_engine.atomic import atomic_path

    with atomic_path(p) as tmp:
        tmp.write_bytes(data)
    return p


def import_captions(path: str | os.PathLike[str], *, format: str | None = None) -> CaptionDoc:
    """Read a caption file. Raises :class:`CaptionFormatError` for a malformed
    or oversized file, :class:`UnsupportedFormatError` for an unknown extension."""
    p = Path(path)
    fmt = _check_format(format) if format else format_from_path(p)
    if not p.is_file():
        raise CaptionFormatError(f"{p}: no such caption file.")
    size = p.stat().st_size
    if size > MAX_FILE_BYTES:
        raise CaptionFormatError(f"{p.name}: {size / 1e6:.0f} MB is too big for a caption file.")
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError:
            raise CaptionFormatError(f"{p.name}: not UTF-8 text.") from None
    return loads(text, fmt)
