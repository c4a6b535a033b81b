"""Editing operations of the application layer: what an editor's keys and
menus do, as project commands (so undo, autosave and sync see them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict

from audio_engine.errors import ProjectEditError
from audio_engine.project.commands import (
    AddClip,
    Command,
    Macro,
    MoveClip,
    MoveTrack,
    SetClipProperty,
    SetTrackProperty,
    TrimClip,
)
from audio_engine.project.model import TRACK_MIX_FIELDS, Clip, Project, new_id

#: A piece shorter than this (seconds on the timeline) is not cut off.
MIN_PIECE_S = 0.01


def clips_at(project: Project, seconds: float) -> list[Clip]:
    """Clips that sound at timeline ``seconds`` (strictly inside, not at an edge)."""
    out = []
    for c in project.clips():
        s0 = project.clip_start_seconds(c)
        if s0 + MIN_PIECE_S < seconds < s0 + c.length_seconds(project.tempo) - MIN_PIECE_S:
            out.append(c)
    return out


def split_clip(project: Project, clip_id: str, seconds: float) -> list[Command]:
    """Commands that cut ``clip_id`` at timeline ``seconds`` into two clips
    that play exactly what it played (the left keeps the fade-in, the right
    gets the fade-out). Raises :class:`ProjectEditError` outside the clip."""
    c = project.clip(clip_id)
    s0 = project.clip_start_seconds(c)
    length = c.length_seconds(project.tempo)
    if not s0 + MIN_PIECE_S < seconds < s0 + length - MIN_PIECE_S:
        raise ProjectEditError(f"The playhead is not inside clip {c.name or c.id}; nothing to split.")
    cut = c.source_at(seconds - s0, project.tempo)
    # a reversed clip plays its source backwards: the left piece is the source's later part
    left_src, right_src = ((cut, c.source_out), (c.source_in, cut)) if c.reversed else \
        ((c.source_in, cut), (cut, c.source_out))
    right = {**asdict(c), "id": new_id("clip"), "source_in": right_src[0], "source_out": right_src[1],
             "position": project.seconds_to_beats(seconds), "fade_in": 0.0}
    track = next(t for t in project.tracks if any(x.id == c.id for x in t.clips))
    cmds: list[Command] = [TrimClip(clip_id=c.id, source_in=left_src[0], source_out=left_src[1])]
    if c.fade_out:
        cmds.append(SetClipProperty(clip_id=c.id, name="fade_out", value=0.0))
    cmds.append(AddClip(track_id=track.id, clip=right))
    return cmds


def split_at(project: Project, seconds: float, clip_ids: Sequence[str] = ()) -> Command | None:
    """Split the given clips (or, when none are given, every clip under the
    playhead) at ``seconds``; one undoable command, or None when no clip is there."""
    targets = [project.clip(i) for i in clip_ids] if clip_ids else clips_at(project, seconds)
    cmds: list[Command] = []
    for c in targets:
        if c in clips_at(project, seconds):
            cmds.extend(split_clip(project, c.id, seconds))
    return Macro(commands=cmds, name="Split clips") if cmds else None


def duplicate(project: Project, clip_ids: Sequence[str]) -> Command | None:
    """Each clip copied onto its own track right after its end (Ctrl+D);
    one undoable command, or None when nothing is given."""
    cmds: list[Command] = []
    for cid in clip_ids:
        c = project.clip(cid)
        track = next(t for t in project.tracks if any(x.id == c.id for x in t.clips))
        end = project.clip_start_seconds(c) + c.length_seconds(project.tempo)
        cmds.append(AddClip(track_id=track.id, clip={**asdict(c), "id": new_id("clip"),
                                                      "position": project.seconds_to_beats(end)}))
    return Macro(commands=cmds, name="Duplicate clips") if cmds else None


def copy_clips(project: Project, clip_ids: Sequence[str]) -> list[tuple[str, dict[str, object]]]:
    """What Ctrl+C keeps: each clip (as data) with its track id."""
    out: list[tuple[str, dict[str, object]]] = []
    for cid in clip_ids:
        c = project.clip(cid)
        track = next(t for t in project.tracks if any(x.id == c.id for x in t.clips))
        out.append((track.id, asdict(c)))
    return out


def paste(project: Project, copied: Sequence[tuple[str, dict[str, object]]], seconds: float) -> Command | None:
    """Ctrl+V: the copied clips again, on their tracks (the first track when
    theirs is gone), the earliest starting at ``seconds``, spacing kept."""
    if not copied or not project.tracks:
        return None
    first = min(float(c["position"]) for _, c in copied)  # type: ignore[arg-type]
    at = project.seconds_to_beats(seconds)
    ids = {t.id for t in project.tracks}
    cmds: list[Command] = []
    for tid, c in copied:
        if c["media"] not in project.media:
            continue
        clip = {**c, "id": new_id("clip"), "position": at + float(c["position"]) - first}  # type: ignore[arg-type]
        cmds.append(AddClip(track_id=tid if tid in ids else project.tracks[0].id, clip=clip))
    return Macro(commands=cmds, name="Paste clips") if cmds else None


def rename_track(project: Project, track_id: str, name: str) -> Command | None:
    """The track's new name (spaces around it dropped); None when unchanged.
    Raises :class:`ProjectEditError` for an empty name."""
    name = name.strip()
    if not name:
        raise ProjectEditError("A track needs a name; the old one is kept.")
    if project.track(track_id).name == name:
        return None
    return SetTrackProperty(track_id=track_id, name="name", value=name)


def move_track(project: Project, track_id: str, step: int) -> Command | None:
    """The track ``step`` places up (negative) or down; None at the edge."""
    i = [t.id for t in project.tracks].index(project.track(track_id).id)
    to = i + step
    if step == 0 or not 0 <= to < len(project.tracks):
        return None
    return MoveTrack(track_id=track_id, index=to)


def nudge(project: Project, clip_ids: Sequence[str], beats: float) -> Command | None:
    """The clips ``beats`` later (earlier when negative), all together (the
    move stops where the earliest would cross zero); one undoable command, or
    None when nothing is given or nothing can move."""
    clips = [project.clip(i) for i in clip_ids]
    if not clips:
        return None
    step = max(beats, -min(c.position for c in clips))
    if abs(step) < 1e-9:
        return None
    cmds: list[Command] = [MoveClip(clip_id=c.id, position=round(c.position + step, 6)) for c in clips]
    return Macro(commands=cmds, name="Nudge clips")


def set_track_mix(project: Project, track_id: str, **values: object) -> Command | None:
    """One undo step ("Mix settings") that sets a track's mix settings
    (:data:`~audio_engine.project.model.TRACK_MIX_FIELDS`: ducking source and
    amount/attack/release, presence dip and its frequency, high-pass); only
    the values that change. None when nothing changes. Unknown names raise
    :class:`ProjectEditError`; bad values are refused when the command is applied."""
    unknown = sorted(set(values) - set(TRACK_MIX_FIELDS))
    if unknown:
        raise ProjectEditError(f"Not a mix setting: {', '.join(unknown)} (settable: {', '.join(TRACK_MIX_FIELDS)}).")
    track = project.track(track_id)
    cmds: list[Command] = [SetTrackProperty(track_id=track_id, name=k, value=v) for k, v in values.items()
                           if getattr(track, k) != v or type(getattr(track, k)) is not type(v)]
    if not cmds:
        return None
    return Macro(commands=cmds, name="Mix settings")
