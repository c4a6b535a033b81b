"""Edits as commands: each has ``apply(project)`` and ``revert(project)``, is
plain data, and round-trips through JSON (``to_dict`` / :func:`command_from_dict`),
so the studio can wrap them in QUndoStack and collaboration can send the same
stream. ``apply`` checks everything before it changes anything: a rejected
edit raises :class:`ProjectEditError` and leaves the project as it was.
``revert`` restores exactly the state ``apply`` found (it remembers what it
replaced)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar

from audio_engine.errors import ProjectEditError, ProjectFileError
from audio_engine.project.model import (
    ENTITY_ID,
    MAX_BPM,
    MIN_BPM,
    TRACK_MIX_FIELDS,
    CaptionLane,
    Clip,
    MediaRef,
    Project,
    Track,
    check_color,
    clip_from_dict,
    track_from_dict,
    with_line_ids,
)

_REGISTRY: dict[str, type[Command]] = {}


def _register(cls: type[Command]) -> type[Command]:
    _REGISTRY[cls.type_name] = cls
    return cls


def _fail(msg: str) -> ProjectEditError:
    return ProjectEditError(msg)


def _find_clip(p: Project, clip_id: str) -> tuple[Track, int, Clip]:
    try:
        return p.find_clip(clip_id)
    except KeyError:
        raise _fail(f"There is no clip {clip_id!r} in the project.") from None


def _find_track(p: Project, track_id: str) -> Track:
    try:
        return p.track(track_id)
    except KeyError:
        raise _fail(f"There is no track {track_id!r} in the project.") from None


def _check_clip(p: Project, c: Clip) -> None:
    try:
        c.validate()
    except ProjectFileError as e:
        raise _fail(str(e)) from None
    if c.media not in p.media:
        raise _fail(f"Clip {c.id} refers to media {c.media[:12]} that is not in the project; add the media first.")
    try:
        p.media[c.media].file_hash(c.stem)
    except ProjectFileError as e:
        raise _fail(str(e)) from None


@dataclass
class Command:
    """Base class. Subclasses are dataclasses; fields starting with ``_`` are
    the undo memory (not part of the serialised command)."""

    type_name: ClassVar[str] = ""
    label: ClassVar[str] = ""

    def apply(self, project: Project) -> None:
        raise NotImplementedError

    def revert(self, project: Project) -> None:
        raise NotImplementedError

    def text(self) -> str:
        return self.label

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: copy.deepcopy(getattr(self, f.name)) for f in fields(self) if not f.name.startswith("_")}
        d["type"] = self.type_name
        return d


def command_from_dict(d: dict[str, Any]) -> Command:
    """Rebuild a command from :meth:`Command.to_dict` output."""
    d = dict(d)
    name = d.pop("type", None)
    cls = _REGISTRY.get(str(name))
    if cls is None:
        raise ProjectEditError(f"Unknown command type {name!r}.")
    if cls is Macro:
        return Macro(commands=[command_from_dict(c) for c in d.get("commands", [])], name=str(d.get("name", "")))
    try:
        return cls(**d)
    except TypeError as e:
        raise ProjectEditError(f"Malformed {name} command: {e}") from None


@_register
@dataclass
class AddMedia(Command):
    type_name: ClassVar[str] = "add_media"
    label: ClassVar[str] = "Add song"
    media: dict[str, Any] = field(default_factory=dict)
    _existed: Any = None

    def apply(self, project: Project) -> None:
        try:
            ref = MediaRef(**self.media)
        except TypeError as e:
            raise _fail(f"Malformed media entry: {e}") from None
        self._existed = project.media.get(ref.hash)
        project.media[ref.hash] = ref

    def revert(self, project: Project) -> None:
        h = str(self.media["hash"])
        if self._existed is None:
            project.media.pop(h, None)
        else:
            project.media[h] = self._existed


@_register
@dataclass
class AddTrack(Command):
    type_name: ClassVar[str] = "add_track"
    label: ClassVar[str] = "Add track"
    track: dict[str, Any] = field(default_factory=dict)
    index: int | None = None

    def apply(self, project: Project) -> None:
        t = track_from_dict(self.track)
        if any(x.id == t.id for x in project.tracks):
            raise _fail(f"A track with id {t.id!r} already exists.")
        try:
            t.validate()
        except ProjectFileError as e:
            raise _fail(str(e)) from None
        for c in t.clips:
            _check_clip(project, c)
        i = len(project.tracks) if self.index is None else max(0, min(self.index, len(project.tracks)))
        project.tracks.insert(i, t)

    def revert(self, project: Project) -> None:
        tid = self.track["id"]
        project.tracks[:] = [t for t in project.tracks if t.id != tid]


@_register
@dataclass
class RemoveTrack(Command):
    type_name: ClassVar[str] = "remove_track"
    label: ClassVar[str] = "Remove track"
    track_id: str = ""
    _removed: Any = None
    _index: int = 0
    _lanes: Any = None

    def apply(self, project: Project) -> None:
        t = _find_track(project, self.track_id)
        self._index = project.tracks.index(t)
        self._removed = t
        ids = {c.id for c in t.clips}
        self._lanes = [(i, ln.clip_id) for i, ln in enumerate(project.caption_lanes) if ln.clip_id in ids]
        for i, _ in self._lanes:
            project.caption_lanes[i].clip_id = None
        project.tracks.pop(self._index)

    def revert(self, project: Project) -> None:
        project.tracks.insert(self._index, self._removed)
        for i, cid in self._lanes:
            project.caption_lanes[i].clip_id = cid


@_register
@dataclass
class MoveTrack(Command):
    """Put a track at another place in the track list (0 is the top)."""

    type_name: ClassVar[str] = "move_track"
    label: ClassVar[str] = "Move track"
    track_id: str = ""
    index: int = 0
    _old: int = 0

    def apply(self, project: Project) -> None:
        t = _find_track(project, self.track_id)
        if not isinstance(self.index, int) or not 0 <= self.index < len(project.tracks):
            raise _fail(f"Track position {self.index!r} is outside 0-{len(project.tracks) - 1}.")
        self._old = project.tracks.index(t)
        project.tracks.insert(self.index, project.tracks.pop(self._old))

    def revert(self, project: Project) -> None:
        t = _find_track(project, self.track_id)
        project.tracks.insert(self._old, project.tracks.pop(project.tracks.index(t)))


@_register
@dataclass
class AddClip(Command):
    type_name: ClassVar[str] = "add_clip"
    label: ClassVar[str] = "Add clip"
    track_id: str = ""
    clip: dict[str, Any] = field(default_factory=dict)

    def apply(self, project: Project) -> None:
        t = _find_track(project, self.track_id)
        try:
            c = clip_from_dict(self.clip)
        except TypeError as e:
            raise _fail(f"Malformed clip: {e}") from None
        if any(x.id == c.id for x in project.clips()) or any(x.id == c.id for x in project.tracks):
            raise _fail(f"An item with id {c.id!r} already exists.")
        _check_clip(project, c)
        t.clips.append(c)

    def revert(self, project: Project) -> None:
        t, i, _ = _find_clip(project, self.clip["id"])
        t.clips.pop(i)


@_register
@dataclass
class RemoveClip(Command):
    type_name: ClassVar[str] = "remove_clip"
    label: ClassVar[str] = "Remove clip"
    clip_id: str = ""
    _track: str = ""
    _index: int = 0
    _clip: Any = None
    _lanes: Any = None

    def apply(self, project: Project) -> None:
        t, i, c = _find_clip(project, self.clip_id)
        self._track, self._index, self._clip = t.id, i, c
        self._lanes = [i for i, ln in enumerate(project.caption_lanes) if ln.clip_id == self.clip_id]
        for li in self._lanes:
            project.caption_lanes[li].clip_id = None
        t.clips.pop(i)

    def revert(self, project: Project) -> None:
        project.track(self._track).clips.insert(self._index, self._clip)
        for li in self._lanes:
            project.caption_lanes[li].clip_id = self.clip_id


@_register
@dataclass
class MoveClip(Command):
    """Move a clip to ``position`` beats, optionally onto another track."""

    type_name: ClassVar[str] = "move_clip"
    label: ClassVar[str] = "Move clip"
    clip_id: str = ""
    position: float = 0.0
    track_id: str | None = None
    _old: Any = None

    def apply(self, project: Project) -> None:
        t, i, c = _find_clip(project, self.clip_id)
        dest = t if self.track_id is None else _find_track(project, self.track_id)
        if not (isinstance(self.position, (int, float)) and 0 <= self.position < 1e7):
            raise _fail(f"Clip position must be >= 0 beats, not {self.position!r}.")
        self._old = (t.id, i, c.position)
        t.clips.pop(i)
        c.position = float(self.position)
        dest.clips.append(c)

    def revert(self, project: Project) -> None:
        tid, i, pos = self._old
        t, j, c = _find_clip(project, self.clip_id)
        t.clips.pop(j)
        c.position = pos
        project.track(tid).clips.insert(i, c)


@_register
@dataclass
class TrimClip(Command):
    """Change the played source range; ``position`` (beats) moves the clip
    too (trimming the left edge usually moves it right)."""

    type_name: ClassVar[str] = "trim_clip"
    label: ClassVar[str] = "Trim clip"
    clip_id: str = ""
    source_in: float = 0.0
    source_out: float = 0.0
    position: float | None = None
    _old: Any = None

    def apply(self, project: Project) -> None:
        _, _, c = _find_clip(project, self.clip_id)
        old = (c.source_in, c.source_out, c.position)
        c.source_in, c.source_out = float(self.source_in), float(self.source_out)
        if self.position is not None:
            c.position = float(self.position)
        try:
            _check_clip(project, c)
            dur = project.media[c.media].duration
            if dur and c.source_out > dur + 1e-6:
                raise _fail(f"Clip {c.id}: source end {c.source_out:.3f} s is past the media's end ({dur:.3f} s).")
        except ProjectEditError:
            c.source_in, c.source_out, c.position = old
            raise
        self._old = old

    def revert(self, project: Project) -> None:
        _, _, c = _find_clip(project, self.clip_id)
        c.source_in, c.source_out, c.position = self._old


_CLIP_PROPS = {
    "pitch", "gain_db", "fade_in", "fade_out", "stretch_mode", "stretch_ratio", "source_bpm", "name", "stem",
    "color", "quality", "reversed",
}
_TRACK_PROPS = {"gain_db", "pan", "mute", "solo", "name", "color", *TRACK_MIX_FIELDS}


@_register
@dataclass
class SetClipProperty(Command):
    type_name: ClassVar[str] = "set_clip_property"
    label: ClassVar[str] = "Change clip"
    clip_id: str = ""
    name: str = ""
    value: Any = None
    _old: Any = None

    def apply(self, project: Project) -> None:
        if self.name not in _CLIP_PROPS:
            raise _fail(f"Clip property {self.name!r} cannot be set (settable: {', '.join(sorted(_CLIP_PROPS))}).")
        _, _, c = _find_clip(project, self.clip_id)
        old = getattr(c, self.name)
        setattr(c, self.name, self.value)
        try:
            _check_clip(project, c)
        except ProjectEditError:
            setattr(c, self.name, old)
            raise
        self._old = old

    def revert(self, project: Project) -> None:
        _, _, c = _find_clip(project, self.clip_id)
        setattr(c, self.name, self._old)


@_register
@dataclass
class SetTrackProperty(Command):
    type_name: ClassVar[str] = "set_track_property"
    label: ClassVar[str] = "Change track"
    track_id: str = ""
    name: str = ""
    value: Any = None
    _old: Any = None

    def apply(self, project: Project) -> None:
        if self.name not in _TRACK_PROPS:
            raise _fail(f"Track property {self.name!r} cannot be set (settable: {', '.join(sorted(_TRACK_PROPS))}).")
        t = _find_track(project, self.track_id)
        if self.name in ("mute", "solo") and not isinstance(self.value, bool):
            raise _fail(f"Track {self.name} must be true or false.")
        old = getattr(t, self.name)
        setattr(t, self.name, self.value)
        try:
            t.validate()
        except ProjectFileError as e:
            setattr(t, self.name, old)
            raise _fail(str(e)) from None
        self._old = old

    def revert(self, project: Project) -> None:
        setattr(_find_track(project, self.track_id), self.name, self._old)


@_register
@dataclass
class SetTempo(Command):
    """Change the project tempo. Clips keep their bar positions (positions are
    in beats) and clips in "tempo" mode re-stretch to follow."""

    type_name: ClassVar[str] = "set_tempo"
    label: ClassVar[str] = "Change tempo"
    bpm: float = 120.0
    _old: float = 0.0

    def apply(self, project: Project) -> None:
        if not (isinstance(self.bpm, (int, float)) and MIN_BPM <= self.bpm <= MAX_BPM):
            raise _fail(f"Tempo must be {MIN_BPM:g}-{MAX_BPM:g} BPM, not {self.bpm!r}.")
        for c in project.clips():
            if c.stretch_mode == "tempo" and c.source_bpm:
                r = self.bpm / c.source_bpm
                if not 0.25 <= r <= 4.0:
                    raise _fail(f"At {self.bpm} BPM clip {c.name or c.id} would need a stretch of {r:.2f} (limit 0.25-4).")
        self._old = project.tempo
        project.tempo = float(self.bpm)

    def revert(self, project: Project) -> None:
        project.tempo = self._old


@_register
@dataclass
class SetProjectProperty(Command):
    """Title, artist, key (a key name or None) or time signature ([4, 4])."""

    type_name: ClassVar[str] = "set_project_property"
    label: ClassVar[str] = "Change project"
    name: str = ""
    value: Any = None
    _old: Any = None

    def apply(self, project: Project) -> None:
        v = self.value
        if self.name in ("title", "artist"):
            if not isinstance(v, str):
                raise _fail(f"{self.name} must be text.")
        elif self.name == "key":
            if v is not None:
                from audio_engine.keys import KeyParseError, parse_key

                try:
                    v = parse_key(str(v)).name
                except KeyParseError as e:
                    raise _fail(str(e)) from None
        elif self.name == "time_signature":
            try:
                num, den = int(v[0]), int(v[1])
            except (TypeError, ValueError, IndexError):
                raise _fail("Time signature must be two numbers like [4, 4].") from None
            if not (1 <= num <= 32 and den in (1, 2, 4, 8, 16, 32)):
                raise _fail(f"Time signature {num}/{den} is not supported.")
            v = (num, den)
        else:
            raise _fail(f"Project property {self.name!r} cannot be set.")
        self._old = getattr(project, self.name)
        setattr(project, self.name, v)

    def revert(self, project: Project) -> None:
        setattr(project, self.name, self._old)


@_register
@dataclass
class AddMarker(Command):
    type_name: ClassVar[str] = "add_marker"
    label: ClassVar[str] = "Add marker"
    marker_id: str = ""
    position: float = 0.0
    name: str = ""

    def apply(self, project: Project) -> None:
        from audio_engine.project.model import Marker

        if any(m.id == self.marker_id for m in project.markers):
            raise _fail(f"Marker {self.marker_id!r} already exists.")
        if not (isinstance(self.position, (int, float)) and self.position >= 0):
            raise _fail("Marker position must be >= 0 beats.")
        project.markers.append(Marker(self.marker_id, float(self.position), self.name))

    def revert(self, project: Project) -> None:
        project.markers[:] = [m for m in project.markers if m.id != self.marker_id]


@_register
@dataclass
class RemoveMarker(Command):
    type_name: ClassVar[str] = "remove_marker"
    label: ClassVar[str] = "Remove marker"
    marker_id: str = ""
    _saved: Any = None

    def apply(self, project: Project) -> None:
        for i, m in enumerate(project.markers):
            if m.id == self.marker_id:
                self._saved = (i, m)
                project.markers.pop(i)
                return
        raise _fail(f"There is no marker {self.marker_id!r}.")

    def revert(self, project: Project) -> None:
        i, m = self._saved
        project.markers.insert(i, m)


@_register
@dataclass
class RenameMarker(Command):
    type_name: ClassVar[str] = "rename_marker"
    label: ClassVar[str] = "Rename marker"
    marker_id: str = ""
    name: str = ""
    _old: str = ""

    def apply(self, project: Project) -> None:
        if not isinstance(self.name, str) or not 1 <= len(self.name.strip()) <= 200:
            raise _fail("A marker name must be text of 1-200 characters.")
        m = next((m for m in project.markers if m.id == self.marker_id), None)
        if m is None:
            raise _fail(f"There is no marker {self.marker_id!r}.")
        self._old, m.name = m.name, self.name

    def revert(self, project: Project) -> None:
        next(m for m in project.markers if m.id == self.marker_id).name = self._old


@_register
@dataclass
class MoveMarker(Command):
    """Move a marker to ``position`` beats (dragged in the ruler)."""

    type_name: ClassVar[str] = "move_marker"
    label: ClassVar[str] = "Move marker"
    marker_id: str = ""
    position: float = 0.0
    _old: float = 0.0

    def apply(self, project: Project) -> None:
        if isinstance(self.position, bool) or not (isinstance(self.position, (int, float)) and 0 <= self.position < 1e7):
            raise _fail(f"Marker position must be >= 0 beats, not {self.position!r}.")
        m = next((m for m in project.markers if m.id == self.marker_id), None)
        if m is None:
            raise _fail(f"There is no marker {self.marker_id!r}.")
        self._old, m.position = m.position, float(self.position)

    def revert(self, project: Project) -> None:
        next(m for m in project.markers if m.id == self.marker_id).position = self._old


@_register
@dataclass
class SetMarkerColor(Command):
    """A marker's colour (``#rrggbb``; None: the theme's)."""

    type_name: ClassVar[str] = "set_marker_color"
    label: ClassVar[str] = "Marker colour"
    marker_id: str = ""
    color: str | None = None
    _old: str | None = None

    def apply(self, project: Project) -> None:
        try:
            check_color("A marker colour", self.color)
        except ProjectFileError as e:
            raise _fail(str(e)) from None
        m = next((m for m in project.markers if m.id == self.marker_id), None)
        if m is None:
            raise _fail(f"There is no marker {self.marker_id!r}.")
        self._old, m.color = m.color, self.color

    def revert(self, project: Project) -> None:
        next(m for m in project.markers if m.id == self.marker_id).color = self._old


@_register
@dataclass
class SetCaptions(Command):
    """Create or replace a caption lane (``doc`` is a CaptionDoc dict in the
    clip's source seconds; ``doc=None`` removes the lane)."""

    type_name: ClassVar[str] = "set_captions"
    label: ClassVar[str] = "Edit captions"
    lane_id: str = ""
    doc: dict[str, Any] | None = None
    clip_id: str | None = None
    name: str = ""
    _old: Any = None
    _new: Any = None

    def apply(self, project: Project) -> None:
        if self.doc is not None:
            from audio_engine.captions.doc import CaptionDoc

            try:
                CaptionDoc.from_dict(self.doc)
            except Exception as e:  # malformed caption data from outside
                raise _fail(f"Malformed captions: {e}") from None
            if self.clip_id is not None:
                _find_clip(project, self.clip_id)
        if not isinstance(self.lane_id, str) or not ENTITY_ID.match(self.lane_id):
            raise _fail(f"A caption lane id is 1-128 letters, digits, '_', '.' or '-', not {self.lane_id!r}.")
        idx = next((i for i, ln in enumerate(project.caption_lanes) if ln.id == self.lane_id), None)
        if self.doc is None and idx is None:
            raise _fail(f"There is no caption lane {self.lane_id!r}.")
        self._old = (idx, None if idx is None else project.caption_lanes[idx])
        new = None if self.doc is None else CaptionLane(self.lane_id, self.name, self.clip_id,
                                                        _doc_with_line_ids(project, self.lane_id, self.doc))
        self._new = new
        if idx is None:
            assert new is not None
            project.caption_lanes.append(new)
        elif new is None:
            project.caption_lanes.pop(idx)
        else:
            project.caption_lanes[idx] = new

    def revert(self, project: Project) -> None:
        idx, old = self._old
        if idx is None:
            project.caption_lanes[:] = [ln for ln in project.caption_lanes if ln.id != self.lane_id]
        elif self.doc is None:
            project.caption_lanes.insert(idx, old)
        else:
            project.caption_lanes[idx] = old


def _doc_with_line_ids(project: Project, lane_id: str, doc: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``doc`` whose lines all have ids: lines without one (or with
    an id another line has, or a malformed one) get the deterministic
    :func:`~audio_engine.project.model.line_id`, so every computer applying
    the same command gives the same ids."""
    elsewhere = {s.get("id") for ln in project.caption_lanes if ln.id != lane_id for s in ln.lines()}
    d = copy.deepcopy(doc)
    segs = d.get("segments")
    if isinstance(segs, list):
        for s in segs:
            lid = s.get("id") if isinstance(s, dict) else None
            if lid is not None and (not isinstance(lid, str) or not ENTITY_ID.match(lid) or lid in elsewhere):
                del s["id"]
            elif lid is not None:
                elsewhere.add(lid)  # a second line with the same id gets a new one
    return with_line_ids(lane_id, d)


#: Longest text of one caption line (the server bounds a line's text at 20 kB).
MAX_LINE_TEXT = 2000


def _lane_and_line(project: Project, lane_id: str, line_id: str) -> tuple[CaptionLane, int]:
    lane = next((ln for ln in project.caption_lanes if ln.id == lane_id), None)
    if lane is None:
        raise _fail(f"There is no caption lane {lane_id!r}.")
    segs = lane.doc.get("segments")
    i = next((k for k, s in enumerate(segs) if isinstance(s, dict) and s.get("id") == line_id), None) \
        if isinstance(segs, list) else None
    if i is None:
        raise _fail(f"The caption line {line_id!r} is no longer in this lane.")
    return lane, i


def _set_line(lane: CaptionLane, index: int, line: dict[str, Any]) -> None:
    segs = list(lane.doc["segments"])
    segs[index] = line
    lane.doc = {**lane.doc, "segments": segs}  # a new doc: an older copy of it stays as it was


@_register
@dataclass
class EditCaptionLine(Command):
    """Change one caption line: its ``start``/``end`` (seconds of the lane's
    document, i.e. the source of the clip it follows; its words move and scale
    with it) and/or its text (``line_text``) (a spelling fix keeps each word's time, other
    text is spread over the line). The line keeps its id: it syncs as that
    one line (audio_engine.captions.doc.retime / replace_text)."""

    type_name: ClassVar[str] = "edit_caption_line"
    label: ClassVar[str] = "Edit caption line"
    lane_id: str = ""
    line_id: str = ""
    start: float | None = None
    end: float | None = None
    line_text: str | None = None
    _old: Any = None

    def apply(self, project: Project) -> None:
        from audio_engine.captions import doc as cd

        lane, i = _lane_and_line(project, self.lane_id, self.line_id)
        old = lane.doc["segments"][i]
        if self.line_text is not None and (not isinstance(self.line_text, str) or len(self.line_text) > MAX_LINE_TEXT):
            raise _fail(f"A caption line is text of at most {MAX_LINE_TEXT} characters.")
        for name in ("start", "end"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
                raise _fail(f"The line's {name} must be a number of seconds, not {v!r}.")
        try:
            d = cd.CaptionDoc.from_dict({"segments": [old]})
            if self.start is not None or self.end is not None:
                d = cd.retime(d, 0, start=self.start, end=self.end)
            if self.line_text is not None:
                d = cd.replace_text(d, 0, self.line_text)
        except (ValueError, KeyError, TypeError) as e:
            raise _fail(f"Cannot change that caption line: {e}") from None
        self._old = old
        _set_line(lane, i, {"id": self.line_id, **d.segments[0].to_dict()})

    def revert(self, project: Project) -> None:
        lane, i = _lane_and_line(project, self.lane_id, self.line_id)
        _set_line(lane, i, self._old)


@_register
@dataclass
class Macro(Command):
    """Several commands as one undo step (applied in order, reverted backwards;
    if one fails, those already applied are reverted)."""

    type_name: ClassVar[str] = "macro"
    label: ClassVar[str] = "Edit"
    commands: list[Command] = field(default_factory=list)
    name: str = ""

    def apply(self, project: Project) -> None:
        done: list[Command] = []
        try:
            for c in self.commands:
                c.apply(project)
                done.append(c)
        except Exception:
            for c in reversed(done):
                c.revert(project)
            raise

    def revert(self, project: Project) -> None:
        for c in reversed(self.commands):
            c.revert(project)

    def text(self) -> str:
        return self.name or self.label

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type_name, "name": self.name, "commands": [c.to_dict() for c in self.commands]}


Listener = Callable[["CommandStack"], None]


class CommandStack:
    """Undo/redo over a project. ``push`` applies a command and drops the redo
    tail; ``clean`` marks the state last saved. ``history()`` is the applied
    stream as JSON dicts (what collaboration sends)."""

    def __init__(self, project: Project, *, limit: int = 1000) -> None:
        self.project = project
        self.limit = limit
        self._done: list[Command] = []
        self._undone: list[Command] = []
        self._clean: int | None = 0
        self._listeners: list[Listener] = []

    def subscribe(self, fn: Listener) -> None:
        self._listeners.append(fn)

    def _changed(self) -> None:
        for fn in self._listeners:
            fn(self)

    def push(self, command: Command) -> None:
        command.apply(self.project)
        self._done.append(command)
        self._undone.clear()
        if self._clean is not None and self._clean > len(self._done) - 1:
            self._clean = None  # the saved state can no longer be reached by undo/redo
        if len(self._done) > self.limit:
            self._done.pop(0)
            self._clean = None if self._clean is None or self._clean == 0 else self._clean - 1
        self._changed()

    def undo(self) -> Command | None:
        if not self._done:
            return None
        c = self._done.pop()
        c.revert(self.project)
        self._undone.append(c)
        self._changed()
        return c

    def redo(self) -> Command | None:
        if not self._undone:
            return None
        c = self._undone.pop()
        c.apply(self.project)
        self._done.append(c)
        self._changed()
        return c

    @property
    def can_undo(self) -> bool:
        return bool(self._done)

    @property
    def can_redo(self) -> bool:
        return bool(self._undone)

    def set_clean(self) -> None:
        self._clean = len(self._done)

    @property
    def is_clean(self) -> bool:
        return self._clean == len(self._done)

    def history(self) -> list[dict[str, Any]]:
        return [c.to_dict() for c in self._done]


def snapshot(project: Project) -> dict[str, Any]:
    """A comparable deep copy of the project's state."""
    return asdict(project)
