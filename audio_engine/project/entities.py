"""A project as entities: the grain at which it syncs and is edited together.

A project is a set of entities, each ``(kind, id) -> {field: value}``:

=========  ==========================  ==================================================
kind       id                          fields
=========  ==========================  ==================================================
props      ``"project"``               title, artist, tempo, key, time_signature,
                                       sample_rate, notes, model_id
media      the media content hash      name, ext, stems, stem_exts, bpm, key, duration,
                                       title, artist, separation_model
track      track id                    name, gain_db, pan, mute, solo, order, and the
                                       mix settings (model.TRACK_MIX_FIELDS)
clip       clip id                     track_id + every :class:`Clip` field but ``id``
marker     marker id                   position, name, color
caption    caption lane id             name, clip_id, meta (the lane's caption document
                                       without its lines: language, model, ...)
caption_   caption line id             lane_id, start, end, text, words (one line of a
line                                   lane: two people editing different lines of one
                                       lane both keep their edits)
=========  ==========================  ==================================================

:func:`decompose` turns a :class:`Project` into entities and :func:`compose`
turns entities back into a project (deterministic order: tracks by ``order``
then id, clips by position then id, markers by position then id, lanes by id,
each lane's lines by start then id),
so ``compose(decompose(p))`` is ``canonical(p)``. Clips whose track is gone are
dropped by :func:`compose`: a deleted track's clips never come back (nor a
deleted lane's lines).

:func:`command_changes` says which entity fields an engine command touched
(after ``apply`` *or* ``revert``) and reads their current values from the
project: the per-entity change stream that sync (and collaboration) sends.
It is derived from the commands, never from diffing files.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from audio_engine.errors import ProjectFileError
from audio_engine.project import commands as cmd
from audio_engine.project.model import (
    TRACK_MIX_FIELDS,
    CaptionLane,
    Clip,
    Marker,
    MediaRef,
    Project,
    Track,
    with_line_ids,
)

PROPS_ID = "project"
LINE_FIELDS: tuple[str, ...] = ("lane_id", "start", "end", "text", "words")
CLIP_FIELDS: tuple[str, ...] = ("track_id",) + tuple(f.name for f in fields(Clip) if f.name != "id")
FIELDS: dict[str, tuple[str, ...]] = {
    "props": ("title", "artist", "tempo", "key", "time_signature", "sample_rate", "notes", "model_id", "lineage"),
    "media": tuple(f.name for f in fields(MediaRef) if f.name != "hash"),
    "track": ("name", "gain_db", "pan", "mute", "solo", "order", "color", *TRACK_MIX_FIELDS),
    "clip": CLIP_FIELDS,
    "marker": ("position", "name", "color"),
    "caption": ("name", "clip_id", "meta"),
    "caption_line": LINE_FIELDS,
}
KINDS: tuple[str, ...] = tuple(FIELDS)

Key = tuple[str, str]
Entities = dict[Key, dict[str, Any]]


@dataclass(frozen=True)
class EntityChange:
    """New values of some fields of one entity, or its deletion (tombstone)."""

    kind: str
    id: str
    fields: dict[str, Any]
    deleted: bool = False


# -- project <-> entities ---------------------------------------------------------
def _props(p: Project) -> dict[str, Any]:
    return {"title": p.title, "artist": p.artist, "tempo": p.tempo, "key": p.key,
            "time_signature": list(p.time_signature), "sample_rate": p.sample_rate, "notes": list(p.notes),
            "model_id": p.id, "lineage": list(p.lineage)}


def _track(t: Track, order: int) -> dict[str, Any]:
    return {"name": t.name, "gain_db": t.gain_db, "pan": t.pan, "mute": t.mute, "solo": t.solo, "order": order,
            "color": t.color, **{k: getattr(t, k) for k in TRACK_MIX_FIELDS}}


def _clip(c: Clip, track_id: str) -> dict[str, Any]:
    d = asdict(c)
    d.pop("id")
    d["track_id"] = track_id
    return d


def _lane(ln: CaptionLane) -> dict[str, Any]:
    return {"name": ln.name, "clip_id": ln.clip_id, "meta": {k: v for k, v in ln.doc.items() if k != "segments"}}


def _line(seg: Mapping[str, Any], lane_id: str) -> dict[str, Any]:
    return {"lane_id": lane_id, "start": seg.get("start", 0.0), "end": seg.get("end", 0.0),
            "text": seg.get("text", ""), "words": seg.get("words", [])}


def _marker(m: Marker) -> dict[str, Any]:
    return {"position": m.position, "name": m.name, "color": m.color}


def _media(m: MediaRef) -> dict[str, Any]:
    d = asdict(m)
    d.pop("hash")
    return d


def decompose(project: Project) -> Entities:
    out: Entities = {("props", PROPS_ID): _props(project)}
    for h, m in project.media.items():
        out[("media", h)] = _media(m)
    for i, t in enumerate(project.tracks):
        out[("track", t.id)] = _track(t, i)
        for c in t.clips:
            out[("clip", c.id)] = _clip(c, t.id)
    for mk in project.markers:
        out[("marker", mk.id)] = _marker(mk)
    for ln in project.caption_lanes:
        out[("caption", ln.id)] = _lane(ln)
        for seg in ln.lines():
            out[("caption_line", str(seg.get("id")))] = _line(seg, ln.id)
    return out


def split_lane_doc(lane_id: str, doc: object) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """A lane's whole caption document, as lanes synced before their lines had
    ids (one ``doc`` field), as ``(meta, {line id: line fields})``: the lines get
    the ids :func:`~audio_engine.project.model.with_line_ids` gives on load (the
    local store's and the server's upgrades use this split)."""
    d = with_line_ids(lane_id, doc if isinstance(doc, dict) else {})
    segs = d.get("segments")
    lines = {str(s["id"]): _line(s, lane_id) for s in (segs if isinstance(segs, list) else []) if isinstance(s, dict)}
    return {k: v for k, v in d.items() if k != "segments"}, lines


def compose(entities: Mapping[Key, Mapping[str, Any]]) -> Project:
    """Build the project that live (non-deleted) entities describe. Raises
    :class:`ProjectFileError` for data that does not make a valid project."""
    by_kind: dict[str, list[tuple[str, Mapping[str, Any]]]] = {k: [] for k in KINDS}
    for (kind, eid), f in entities.items():
        if kind in by_kind:
            by_kind[kind].append((eid, f))
    props = dict(next((f for _, f in by_kind["props"]), {}))
    try:
        media = {h: MediaRef(hash=h, **{k: v for k, v in f.items() if k in FIELDS["media"]})
                 for h, f in by_kind["media"]}
        tracks = [Track(id=tid, name=str(f.get("name", "")), gain_db=float(f.get("gain_db", 0.0)),
                        pan=float(f.get("pan", 0.0)), mute=bool(f.get("mute", False)), solo=bool(f.get("solo", False)),
                        color=f.get("color"),
                        **{k: f[k] for k in TRACK_MIX_FIELDS if k in f})  # rows synced before the mix: defaults
                  for tid, f in sorted(by_kind["track"], key=lambda x: (float(x[1].get("order", 0)), x[0]))]
        by_id = {t.id: t for t in tracks}
        for cid, f in sorted(by_kind["clip"], key=lambda x: (float(x[1].get("position", 0.0)), x[0])):
            t = by_id.get(str(f.get("track_id")))
            if t is None:
                continue  # its track was deleted: the clip goes with it
            t.clips.append(Clip(id=cid, **{k: v for k, v in f.items() if k in CLIP_FIELDS and k != "track_id"}))
        live_clips = {c.id for t in tracks for c in t.clips}
        markers = [Marker(mid, float(f.get("position", 0.0)), str(f.get("name", "")), f.get("color"))
                   for mid, f in sorted(by_kind["marker"], key=lambda x: (float(x[1].get("position", 0.0)), x[0]))]
        lines: dict[str, list[dict[str, Any]]] = {}
        for sid, f in sorted(by_kind["caption_line"], key=lambda x: (float(x[1].get("start", 0.0)), x[0])):
            lines.setdefault(str(f.get("lane_id")), []).append(
                {"id": sid, **{k: f.get(k, d) for k, d in (("start", 0.0), ("end", 0.0), ("text", ""), ("words", []))}})
        lanes = [CaptionLane(lid, str(f.get("name", "")),
                             f.get("clip_id") if f.get("clip_id") in live_clips else None,
                             {**dict(f.get("meta") or {}), "segments": lines.get(lid, [])})
                 for lid, f in sorted(by_kind["caption"])]
        ts = props.get("time_signature") or [4, 4]
        p = Project(title=str(props.get("title", "Untitled mashup")), artist=str(props.get("artist", "")),
                    tempo=float(props.get("tempo", 120.0)), key=props.get("key"),
                    time_signature=(int(ts[0]), int(ts[1])), sample_rate=int(props.get("sample_rate", 44100)),
                    tracks=tracks, markers=markers, caption_lanes=lanes, media=media,
                    notes=[str(n) for n in props.get("notes") or []],
                    lineage=list(props.get("lineage") or []))
        if props.get("model_id"):
            p.id = str(props["model_id"])
    except (TypeError, ValueError, IndexError) as e:
        raise ProjectFileError(f"The synced project data is malformed: {e}") from e
    p.validate()
    return p


def canonical(project: Project) -> Project:
    """The project in the order :func:`compose` gives (what every synced copy holds)."""
    return compose(decompose(project))


# -- commands -> entity changes ---------------------------------------------------
_Touch = tuple[str, str, tuple[str, ...] | None]  # kind, id, fields (None: every field / tombstone)


def _all_track_orders(p: Project) -> list[_Touch]:
    return [("track", t.id, ("order",)) for t in p.tracks]


def _touched(c: cmd.Command) -> list[_Touch]:
    """Entities (and fields) a command changes: each command carries the ids
    it needs (and its undo memory the rest)."""
    if isinstance(c, cmd.Macro):
        return [t for sub in c.commands for t in _touched(sub)]
    if isinstance(c, cmd.AddMedia):
        return [("media", str(c.media.get("hash")), None)]
    if isinstance(c, cmd.AddTrack):
        tid = str(c.track.get("id"))
        return [("track", tid, None), *[("clip", str(x.get("id")), None) for x in c.track.get("clips", [])],
                ("*track_order", "", None)]
    if isinstance(c, cmd.RemoveTrack):
        removed = c._removed
        clips = [x.id for x in removed.clips] if removed is not None else []
        return [("track", c.track_id, None), *[("clip", cid, None) for cid in clips], ("*track_order", "", None),
                ("*lanes_of", ",".join(clips), None)]
    if isinstance(c, cmd.MoveTrack):
        return [("*track_order", "", None)]
    if isinstance(c, cmd.AddClip):
        return [("clip", str(c.clip.get("id")), None)]
    if isinstance(c, cmd.RemoveClip):
        return [("clip", c.clip_id, None), ("*lanes_of", c.clip_id, None)]
    if isinstance(c, cmd.MoveClip):
        return [("clip", c.clip_id, ("position", "track_id"))]
    if isinstance(c, cmd.TrimClip):
        return [("clip", c.clip_id, ("source_in", "source_out", "position"))]
    if isinstance(c, cmd.SetClipProperty):
        return [("clip", c.clip_id, (c.name,))]
    if isinstance(c, cmd.SetTrackProperty):
        return [("track", c.track_id, (c.name,))]
    if isinstance(c, cmd.SetTempo):
        return [("props", PROPS_ID, ("tempo",))]
    if isinstance(c, cmd.SetProjectProperty):
        return [("props", PROPS_ID, (c.name,))]
    if isinstance(c, cmd.AddMarker):
        return [("marker", c.marker_id, None)]
    if isinstance(c, cmd.RenameMarker):
        return [("marker", c.marker_id, ("name",))]
    if isinstance(c, cmd.MoveMarker):
        return [("marker", c.marker_id, ("position",))]
    if isinstance(c, cmd.SetMarkerColor):
        return [("marker", c.marker_id, ("color",))]
    if isinstance(c, cmd.RemoveMarker):
        return [("marker", c.marker_id, None)]
    if isinstance(c, cmd.SetCaptions):
        return _caption_touches(c)
    if isinstance(c, cmd.EditCaptionLine):
        return [("caption_line", c.line_id, ("start", "end", "text", "words"))]
    raise ProjectFileError(f"No entity mapping for command {type(c).__name__}.")


def _caption_touches(c: cmd.SetCaptions) -> list[_Touch]:
    """A lane set anew touches its own fields that changed and the lines that
    changed, appeared or went (by id): an edit of one line is one line's change."""
    old: CaptionLane | None = c._old[1] if c._old else None
    new: CaptionLane | None = c._new
    if old is None or new is None:
        lane: list[_Touch] = [("caption", c.lane_id, None)]
    else:
        was, now = _lane(old), _lane(new)
        changed = tuple(k for k in FIELDS["caption"] if was[k] != now[k])
        lane = [("caption", c.lane_id, changed)] if changed else []
    before = {str(s.get("id")): s for s in (old.lines() if old is not None else [])}
    after = {str(s.get("id")): s for s in (new.lines() if new is not None else [])}
    lines: list[_Touch] = [("caption_line", lid, None) for lid in sorted(set(before) | set(after))
                           if before.get(lid) != after.get(lid)]
    return lane + lines


def command_changes(command: cmd.Command, project: Project) -> list[EntityChange]:
    """The entity changes a command made, read from ``project`` right after
    the command was applied or reverted. An entity the project no longer has
    becomes a tombstone."""
    current = _Lazy(project)
    out: dict[Key, EntityChange] = {}

    def put(kind: str, eid: str, names: Iterable[str] | None) -> None:
        key = (kind, eid)
        now = current.get(key)
        if now is None:
            out[key] = EntityChange(kind, eid, {}, deleted=True)
            return
        prev = out.get(key)
        wanted = FIELDS[kind] if names is None else tuple(names)
        merged = {} if prev is None or prev.deleted else dict(prev.fields)
        merged.update({n: now[n] for n in wanted})
        out[key] = EntityChange(kind, eid, merged)

    for kind, eid, names in _touched(command):
        if kind == "*track_order":
            for _, tid, f in _all_track_orders(project):
                put("track", tid, f)
        elif kind == "*lanes_of":
            ids = set(eid.split(",")) - {""}
            for ln in project.caption_lanes:
                if ln.clip_id in ids or ln.clip_id is None:
                    put("caption", ln.id, ("clip_id",))
        else:
            put(kind, eid, names)
    # a track just added needs all its fields, not only its order
    for c in _iter_commands(command):
        if isinstance(c, cmd.AddTrack):
            tid = str(c.track.get("id"))
            if ("track", tid) in current:
                put("track", tid, None)
    return list(out.values())


class _Lazy:
    """The entities of a project, each built only when asked for (an edit
    touches a few; decomposing a big project for each would cost ~ms)."""

    def __init__(self, project: Project) -> None:
        self.p = project
        self._tracks: dict[str, tuple[int, Track]] | None = None

    def _track_index(self) -> dict[str, tuple[int, Track]]:
        if self._tracks is None:
            self._tracks = {t.id: (i, t) for i, t in enumerate(self.p.tracks)}
        return self._tracks

    def get(self, key: Key) -> dict[str, Any] | None:
        kind, eid = key
        p = self.p
        if kind == "props":
            return _props(p) if eid == PROPS_ID else None
        if kind == "media":
            m = p.media.get(eid)
            return None if m is None else _media(m)
        if kind == "track":
            hit = self._track_index().get(eid)
            return None if hit is None else _track(hit[1], hit[0])
        if kind == "clip":
            try:
                t, _, c = p.find_clip(eid)
            except KeyError:
                return None
            return _clip(c, t.id)
        if kind == "marker":
            mk = next((m for m in p.markers if m.id == eid), None)
            return None if mk is None else _marker(mk)
        if kind == "caption":
            ln = next((x for x in p.caption_lanes if x.id == eid), None)
            return None if ln is None else _lane(ln)
        if kind == "caption_line":
            for ln in p.caption_lanes:
                seg = next((s for s in ln.lines() if s.get("id") == eid), None)
                if seg is not None:
                    return _line(seg, ln.id)
        return None

    def __contains__(self, key: Key) -> bool:
        return self.get(key) is not None


def _iter_commands(c: cmd.Command) -> Iterable[cmd.Command]:
    if isinstance(c, cmd.Macro):
        for sub in c.commands:
            yield from _iter_commands(sub)
    else:
        yield c


def apply_changes(entities: Entities, changes: Iterable[EntityChange]) -> Entities:
    """``entities`` with ``changes`` applied (tombstones remove the entity)."""
    out = {k: dict(v) for k, v in entities.items()}
    for ch in changes:
        key = (ch.kind, ch.id)
        if ch.deleted:
            out.pop(key, None)
        else:
            out.setdefault(key, {}).update(ch.fields)
    return out
