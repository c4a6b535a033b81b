"""Fades and crossfades, as project commands (application layer).

A clip's ``fade_in``/``fade_out`` are seconds on the timeline; the renderer
applies them with equal-power curves (:func:`audio_engine.transform.fade`)
and sums overlapping clips of a track. So a crossfade is two complementary
fades over the overlap: the earlier clip fades out exactly where the later
one fades in (sin/cos gains, whose squares add up to one: constant power).

:func:`move_clip` and :func:`trim_clip` are what the timeline's drags do:
the edit plus the crossfades it makes or ends, as one undoable command.
Dragging a clip over another on its track creates the overlap's crossfade;
dragging it away again removes the fades that crossfade had set.
"""

from __future__ import annotations

from dataclasses import dataclass

from audio_engine.errors import ProjectEditError
from audio_engine.project.commands import Command, Macro, MoveClip, SetClipProperty, TrimClip
from audio_engine.project.model import MAX_FADE_SECONDS, Clip, Project

#: Fades and overlaps are compared to this (seconds): below it they are equal.
EPS = 1e-6
#: The shape clip fades render with (``clip_placement`` uses
#: :func:`audio_engine.transform.fade`'s default): sin/cos gains.
FADE_SHAPE = "equal-power"


@dataclass(frozen=True)
class Crossfade:
    """Two clips of one track overlapping from ``start`` to ``end`` (seconds)."""

    track_id: str
    left: str  # the clip that starts first (fades out)
    right: str  # the clip that starts later (fades in)
    start: float
    end: float

    @property
    def length(self) -> float:
        return self.end - self.start

    def complete(self, project: Project) -> bool:
        """Whether both clips' fades cover the overlap (it sounds as a crossfade)."""
        a, b = project.clip(self.left), project.clip(self.right)
        return a.fade_out >= self.length - 1e-3 and b.fade_in >= self.length - 1e-3


def span(project: Project, clip: Clip) -> tuple[float, float]:
    """Start and end of the clip on the timeline (seconds)."""
    s = project.clip_start_seconds(clip)
    return s, s + clip.length_seconds(project.tempo)


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float] | None:
    """The overlap of two spans when each sticks out of the other on one side
    (a clip lying wholly inside another makes no crossfade)."""
    (s0, e0), (s1, e1) = sorted((a, b))
    if s0 < s1 - EPS and s1 < e0 - EPS and e0 < e1 - EPS:
        return s1, e0
    return None


def crossfades(project: Project) -> list[Crossfade]:
    """Every partial overlap of two clips on the same track."""
    out = []
    for t in project.tracks:
        spans = sorted(((span(project, c), c) for c in t.clips), key=lambda x: x[0])
        for i, (sa, a) in enumerate(spans):
            for sb, b in spans[i + 1:]:
                if sb[0] >= sa[1]:
                    break
                ov = _overlap(sa, sb)
                if ov is not None:
                    out.append(Crossfade(t.id, a.id, b.id, ov[0], ov[1]))
    return out


def _limit(value: float, clip: Clip, project: Project, other: float) -> float:
    """A fade within the clip's length (and the longest fade the model allows),
    leaving the other fade its room."""
    room = max(0.0, clip.length_seconds(project.tempo) - other)
    return round(max(0.0, min(value, room, MAX_FADE_SECONDS)), 6)


def set_fades(project: Project, clip_id: str, *, fade_in: float | None = None,
              fade_out: float | None = None) -> Command | None:
    """The clip's fades set (seconds, clamped to what fits in the clip: a
    fade-in and a fade-out together never exceed its length); one undoable
    command, or None when nothing changes."""
    c = project.clip(clip_id)
    cmds: list[Command] = []
    fi, fo = c.fade_in, c.fade_out
    if fade_in is not None:
        fi = _limit(fade_in, c, project, fo)
        if abs(fi - c.fade_in) > EPS:
            cmds.append(SetClipProperty(clip_id=clip_id, name="fade_in", value=fi))
    if fade_out is not None:
        fo = _limit(fade_out, c, project, fi)
        if abs(fo - c.fade_out) > EPS:
            cmds.append(SetClipProperty(clip_id=clip_id, name="fade_out", value=fo))
    if not cmds:
        return None
    name = "Fade in" if fade_out is None else "Fade out" if fade_in is None else "Fades"
    return Macro(commands=cmds, name=name)


def _neighbour_overlaps(project: Project, track_id: str, clip_id: str,
                        where: tuple[float, float]) -> list[tuple[Clip, str, float]]:
    """(neighbour, "left"|"right", overlap seconds) for the clips of a track a
    clip spanning ``where`` would partially overlap."""
    out = []
    for n in project.track(track_id).clips:
        if n.id == clip_id:
            continue
        sn = span(project, n)
        ov = _overlap(where, sn)
        if ov is not None:
            out.append((n, "left" if sn[0] < where[0] else "right", ov[1] - ov[0]))
    return out


def crossfade_commands(project: Project, clip_id: str, *, track_id: str,
                       new_span: tuple[float, float]) -> list[Command]:
    """Fade changes for clip ``clip_id`` moving from where it is now to
    ``new_span`` on track ``track_id``: every partial overlap there gets a
    crossfade (both fades equal to the overlap); crossfades it had where it
    was and no longer has are undone (a fade only reset when it still equals
    the crossfade it was set for, so a fade drawn by hand stays)."""
    old_track, _, clip = project.find_clip(clip_id)
    old = _neighbour_overlaps(project, old_track.id, clip_id, span(project, clip))
    new = _neighbour_overlaps(project, track_id, clip_id, new_span)
    want: dict[tuple[str, str], float] = {}  # (clip id, "fade_in"|"fade_out") -> seconds
    for n, side, length in old:
        mine, theirs = ("fade_in", "fade_out") if side == "left" else ("fade_out", "fade_in")
        if abs(getattr(n, theirs) - length) < 1e-3:
            want[(n.id, theirs)] = 0.0
        if abs(getattr(clip, mine) - length) < 1e-3:
            want[(clip_id, mine)] = 0.0
    mine_new: dict[str, float] = {}
    for n, side, length in new:
        mine, theirs = ("fade_in", "fade_out") if side == "left" else ("fade_out", "fade_in")
        want[(n.id, theirs)] = round(length, 6)
        mine_new[mine] = max(mine_new.get(mine, 0.0), round(length, 6))
    for k, v in mine_new.items():
        want[(clip_id, k)] = v
    cmds: list[Command] = []
    for (cid, name), value in want.items():
        if abs(getattr(project.clip(cid), name) - value) > EPS:
            cmds.append(SetClipProperty(clip_id=cid, name=name, value=value))
    return cmds


def move_clip(project: Project, clip_id: str, position: float, track_id: str | None = None) -> Command:
    """Move a clip to ``position`` beats (onto ``track_id`` when given), with
    the crossfades its new overlaps make (and those it leaves ended): one
    undoable command."""
    if not position >= 0:
        raise ProjectEditError(f"Clip position must be >= 0 beats, not {position!r}.")
    t, _, c = project.find_clip(clip_id)
    dest = track_id or t.id
    start = project.beats_to_seconds(position)
    move = MoveClip(clip_id=clip_id, position=round(position, 6), track_id=track_id)
    fades = crossfade_commands(project, clip_id, track_id=dest,
                               new_span=(start, start + c.length_seconds(project.tempo)))
    return Macro(commands=[move, *fades], name="Move clip + crossfade") if fades else move


def trim_clip(project: Project, clip_id: str, source_in: float, source_out: float,
              position: float | None = None) -> Command:
    """Trim a clip to the source range (moving it to ``position`` beats when
    given), with the crossfades its new edges make or end: one command."""
    t, _, c = project.find_clip(clip_id)
    if not source_out > source_in:
        raise ProjectEditError("A clip cannot be trimmed to nothing.")
    pos = c.position if position is None else position
    start = project.beats_to_seconds(pos)
    end = start + (source_out - source_in) / c.ratio(project.tempo)
    trim = TrimClip(clip_id=clip_id, source_in=source_in, source_out=source_out, position=position)
    fades = crossfade_commands(project, clip_id, track_id=t.id, new_span=(start, end))
    # a fade longer than the trimmed clip is shortened with it
    for name in ("fade_in", "fade_out"):
        if not any(isinstance(f, SetClipProperty) and f.clip_id == clip_id and f.name == name for f in fades):
            if getattr(c, name) > end - start + EPS:
                fades.append(SetClipProperty(clip_id=clip_id, name=name, value=round(end - start, 6)))
    return Macro(commands=[trim, *fades], name="Trim clip + crossfade") if fades else trim
