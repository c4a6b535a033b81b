"""Credits of a mashup: which songs it uses (fingerprint, title, artist,
album, ISRC, the parts used) and what it was made from (lineage: the mashup
it remixes, the remix pack it loads, and theirs, all the way up).

The project keeps the per-song facts on its :class:`~audio_engine.project.model.MediaRef`
entries and the lineage in ``Project.lineage`` (a flat list of :class:`Work`
dicts, nearest first, ``depth`` 1 = the direct parent). :func:`project_credits`
derives the credits (the used ranges come from the clips);
:mod:`audio_engine.credits_tags` writes them into rendered files and sidecars.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from audio_engine.errors import ProjectFileError

if TYPE_CHECKING:
    from audio_engine.project.model import MediaRef, Project

WorkKind = Literal["mashup", "pack"]
WORK_KINDS: tuple[str, ...] = ("mashup", "pack")
#: Bounds checked on load (a hostile project cannot make credits huge).
MAX_LINEAGE = 64
MAX_WORK_SOURCES = 200
MAX_WORK_JSON = 400_000
MAX_TEXT = 1_000
MAX_FINGERPRINT = 16_000
SCHEMA = "mashups-credits/1"


def _text(what: str, v: object, limit: int = MAX_TEXT) -> str:
    if not isinstance(v, str) or len(v) > limit:
        raise ProjectFileError(f"{what} must be text of at most {limit} characters.")
    return v


def merge_ranges(ranges: list[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    """Sorted, overlapping or touching ranges joined: [(0,5),(4,8),(10,12)] -> ((0,8),(10,12))."""
    out: list[tuple[float, float]] = []
    for a, b in sorted(ranges):
        if out and a <= out[-1][1] + 1e-6:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return tuple((round(a, 3), round(b, 3)) for a, b in out)


@dataclass(frozen=True)
class SourceCredit:
    """One song a work uses. ``used`` are source-second ranges; ``stems`` the
    stems used (empty = the full mix)."""

    hash: str
    title: str
    artist: str = ""
    album: str = ""
    isrc: str = ""
    fingerprint: str = ""
    used: tuple[tuple[float, float], ...] = ()
    stems: tuple[str, ...] = ()

    def label(self) -> str:
        return f"{self.artist} - {self.title}" if self.artist else self.title

    def to_dict(self) -> dict[str, Any]:
        return {"hash": self.hash, "title": self.title, "artist": self.artist, "album": self.album,
                "isrc": self.isrc, "fingerprint": self.fingerprint, "used": [list(r) for r in self.used],
                "stems": list(self.stems)}

    @classmethod
    def from_dict(cls, d: Any) -> SourceCredit:
        if not isinstance(d, dict):
            raise ProjectFileError("A credited source must be an object.")
        try:
            used = tuple((float(a), float(b)) for a, b in d.get("used", []))
            stems = tuple(_text("A credited stem", s, 32) for s in d.get("stems", []))
        except (TypeError, ValueError) as e:
            raise ProjectFileError(f"A credited source's used parts are malformed: {e}") from e
        return cls(hash=_text("A credited source's hash", d.get("hash", ""), 128),
                   title=_text("A credited title", d.get("title", "")),
                   artist=_text("A credited artist", d.get("artist", "")),
                   album=_text("A credited album", d.get("album", "")),
                   isrc=_text("A credited ISRC", d.get("isrc", ""), 20),
                   fingerprint=_text("A credited fingerprint", d.get("fingerprint", ""), MAX_FINGERPRINT),
                   used=used, stems=stems)


@dataclass(frozen=True)
class Work:
    """A work this one derives from: a published mashup it remixes or a remix
    pack it loaded. ``depth`` 1 = direct parent, 2 = the parent's parent..."""

    kind: str
    id: str
    title: str
    artist: str = ""
    licence: str = ""
    depth: int = 1
    sources: tuple[SourceCredit, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "title": self.title, "artist": self.artist,
                "licence": self.licence, "depth": self.depth, "sources": [s.to_dict() for s in self.sources]}

    @classmethod
    def from_dict(cls, d: Any) -> Work:
        if not isinstance(d, dict):
            raise ProjectFileError("A lineage entry must be an object.")
        kind = d.get("kind")
        if kind not in WORK_KINDS:
            raise ProjectFileError(f"A lineage entry's kind must be one of {', '.join(WORK_KINDS)}, not {kind!r}.")
        depth = d.get("depth", 1)
        if isinstance(depth, bool) or not isinstance(depth, int) or not 1 <= depth <= MAX_LINEAGE:
            raise ProjectFileError(f"A lineage entry's depth must be 1-{MAX_LINEAGE}.")
        sources = d.get("sources", [])
        if not isinstance(sources, list) or len(sources) > MAX_WORK_SOURCES:
            raise ProjectFileError(f"A lineage entry lists at most {MAX_WORK_SOURCES} sources.")
        return cls(kind=str(kind), id=_text("A lineage id", d.get("id", ""), 200),
                   title=_text("A lineage title", d.get("title", "")),
                   artist=_text("A lineage artist", d.get("artist", "")),
                   licence=_text("A lineage licence", d.get("licence", ""), 100),
                   depth=depth, sources=tuple(SourceCredit.from_dict(s) for s in sources))


def check_lineage(lineage: object) -> list[Work]:
    """Validate ``Project.lineage`` (raises :class:`ProjectFileError`)."""
    if not isinstance(lineage, list) or len(lineage) > MAX_LINEAGE:
        raise ProjectFileError(f"The project's lineage must be a list of at most {MAX_LINEAGE} works.")
    works = [Work.from_dict(w) for w in lineage]
    for w in lineage:
        if len(json.dumps(w)) > MAX_WORK_JSON:
            raise ProjectFileError("A lineage entry is too large.")
    return works


@dataclass(frozen=True)
class Credits:
    title: str
    artist: str
    sources: tuple[SourceCredit, ...] = ()
    lineage: tuple[Work, ...] = ()
    schema: str = field(default=SCHEMA)

    def to_dict(self) -> dict[str, Any]:
        return {"schema": self.schema, "title": self.title, "artist": self.artist,
                "sources": [s.to_dict() for s in self.sources], "lineage": [w.to_dict() for w in self.lineage]}

    def to_json(self, *, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent, sort_keys=indent is not None)

    @classmethod
    def from_dict(cls, d: Any) -> Credits:
        if not isinstance(d, dict) or d.get("schema") != SCHEMA:
            raise ProjectFileError("This is not a Mashups Studio credits document.")
        src, lin = d.get("sources", []), d.get("lineage", [])
        if not isinstance(src, list) or len(src) > MAX_WORK_SOURCES:
            raise ProjectFileError(f"Credits list at most {MAX_WORK_SOURCES} sources.")
        return cls(title=_text("The credited title", d.get("title", "")),
                   artist=_text("The credited artist", d.get("artist", "")),
                   sources=tuple(SourceCredit.from_dict(s) for s in src), lineage=tuple(check_lineage(lin)))

    @classmethod
    def from_json(cls, text: str) -> Credits:
        try:
            d = json.loads(text)
        except json.JSONDecodeError as e:
            raise ProjectFileError(f"The credits are not valid JSON: {e}") from e
        return cls.from_dict(d)

    def all_sources(self) -> list[SourceCredit]:
        """Own sources and those of every work in the lineage, each recording
        once (by fingerprint when known, else by hash)."""
        seen: set[str] = set()
        out: list[SourceCredit] = []
        for s in list(self.sources) + [s for w in self.lineage for s in w.sources]:
            k = s.fingerprint or s.hash
            if k not in seen:
                seen.add(k)
                out.append(s)
        return out

    def summary(self) -> str:
        """A human-readable text (the ``mashups credits`` output, tag comments)."""
        lines = [f"{self.title}" + (f" by {self.artist}" if self.artist else "")]
        for s in self.sources:
            parts = [s.label()]
            if s.album:
                parts.append(f"album {s.album}")
            if s.isrc:
                parts.append(f"ISRC {s.isrc}")
            if s.used:
                parts.append("uses " + ", ".join(f"{_mmss(a)}-{_mmss(b)}" for a, b in s.used))
            if s.stems:
                parts.append("stems " + ", ".join(s.stems))
            lines.append("  source: " + "; ".join(parts))
        for w in self.lineage:
            who = f" by {w.artist}" if w.artist else ""
            lic = f" ({w.licence})" if w.licence else ""
            lines.append(f"  {'  ' * (w.depth - 1)}from {w.kind} {w.title!r}{who}{lic} [level {w.depth}]")
            for s in w.sources:
                lines.append(f"  {'  ' * w.depth}source: {s.label()}")
        return "\n".join(lines)


def _mmss(t: float) -> str:
    return f"{int(t // 60)}:{t % 60:04.1f}"


def source_credit(project: Project, ref: MediaRef) -> SourceCredit:
    ranges: list[tuple[float, float]] = []
    stems: set[str] = set()
    for c in project.clips():
        if c.media == ref.hash:
            ranges.append((c.source_in, c.source_out))
            if c.stem:
                stems.add(c.stem)
    return SourceCredit(hash=ref.hash, title=ref.title or ref.name, artist=ref.artist, album=ref.album,
                        isrc=ref.isrc, fingerprint=ref.fingerprint, used=merge_ranges(ranges),
                        stems=tuple(sorted(stems)))


def project_credits(project: Project) -> Credits:
    """The credits of a project: every song a clip uses, and its lineage."""
    used = {c.media for c in project.clips()}
    sources = tuple(source_credit(project, ref) for h, ref in project.media.items() if h in used)
    return Credits(title=project.title, artist=project.artist, sources=sources,
                   lineage=tuple(check_lineage(project.lineage)))


def remix_lineage(parent: Credits, *, kind: str, work_id: str, licence: str = "") -> list[dict[str, Any]]:
    """The lineage of a new work made from ``parent`` (a published mashup or
    a pack): the parent at depth 1, then the parent's own lineage one level
    further up. Entries beyond :data:`MAX_LINEAGE` levels are dropped."""
    if kind not in WORK_KINDS:
        raise ProjectFileError(f"Unknown work kind {kind!r}.")
    top = Work(kind=kind, id=work_id, title=parent.title, artist=parent.artist, licence=licence, depth=1,
               sources=parent.sources)
    up = [Work(w.kind, w.id, w.title, w.artist, w.licence, w.depth + 1, w.sources)
          for w in parent.lineage if w.depth + 1 <= MAX_LINEAGE]
    return [w.to_dict() for w in [top, *up]]


def read_source_tags(path: str | os.PathLike[str]) -> dict[str, str]:
    """Title, artist, album and ISRC from a song file's tags (mutagen's easy
    interface; empty strings where a tag is missing or the file has none)."""
    out = {"title": "", "artist": "", "album": "", "isrc": ""}
    try:
        import mutagen

        f = mutagen.File(str(path), easy=True)
    except Exception:  # mutagen raises many types for odd files: no tags then
        return out
    if f is None or not f.tags:
        return out
    for k in out:
        try:
            v = f.tags.get(k)
        except Exception:  # mutagen's easy tag classes raise on unknown keys
            v = None
        if v:
            out[k] = str(v[0])[:MAX_TEXT] if isinstance(v, list) else str(v)[:MAX_TEXT]
    out["isrc"] = out["isrc"].strip().upper()[:20]
    return out


def credit_media(ref: MediaRef, path: str | os.PathLike[str], *, cache: Any | None = None) -> MediaRef:
    """``ref`` with its fingerprint and album/ISRC (and title/artist where the
    entry has none) filled from the song file at ``path``."""
    from dataclasses import replace

    from audio_engine.fingerprint import fingerprint_file

    tags = read_source_tags(path)
    fp = fingerprint_file(Path(path), cache=cache, content_hash=ref.hash)
    return replace(ref, fingerprint=fp.compressed, album=ref.album or tags["album"], isrc=ref.isrc or tags["isrc"],
                   title=ref.title or tags["title"], artist=ref.artist or tags["artist"])
