from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audio_engine.errors import ProjectEditError
from audio_engine.project import (
    AddClip,
    AddMarker,
    AddTrack,
    CommandStack,
    Macro,
    MoveClip,
    Project,
    RemoveClip,
    RemoveMarker,
    RemoveTrack,
    SetCaptions,
    SetClipProperty,
    SetProjectProperty,
    SetTempo,
    SetTrackProperty,
    TrimClip,
    command_from_dict,
)
from audio_engine.project.commands import snapshot
from tests.project.helpers import simple_project


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Project:
    p, _, _ = simple_project(tmp_path_factory.mktemp("cmd"))
    return p


def _clip(ref_hash: str, cid: str, pos: float = 0.0) -> dict[str, object]:
    return {"id": cid, "media": ref_hash, "stem": "vocals", "source_in": 0.5, "source_out": 2.5, "position": pos,
            "source_bpm": 120.0}


def test_commands_apply_revert_and_json(base: Project) -> None:
    p = base.copy()
    h = next(iter(p.media))
    stack = CommandStack(p)
    before = snapshot(p)
    stack.push(AddClip(track_id="t1", clip=_clip(h, "c1")))
    stack.push(MoveClip(clip_id="c1", position=8.0, track_id="t2"))
    stack.push(TrimClip(clip_id="c1", source_in=1.0, source_out=2.0, position=9.0))
    stack.push(SetClipProperty(clip_id="c1", name="pitch", value=-2.0))
    stack.push(SetTrackProperty(track_id="t2", name="solo", value=True))
    stack.push(SetTempo(bpm=100.0))
    stack.push(AddMarker(marker_id="m1", position=4.0, name="Drop"))
    c = p.clip("c1")
    assert (p.find_clip("c1")[0].id, c.position, c.source_in, c.pitch, p.tempo) == ("t2", 9.0, 1.0, -2.0, 100.0)
    # Tempo mode: the clip follows the project tempo from its source tempo.
    assert c.ratio(p.tempo) == pytest.approx(100.0 / 120.0)
    # The stream replays on a fresh copy to the same state (what collaboration does).
    replay = base.copy()
    for d in stack.history():
        command_from_dict(json.loads(json.dumps(d))).apply(replay)
    assert snapshot(replay) == snapshot(p)
    while stack.can_undo:
        stack.undo()
    assert snapshot(p) == before
    while stack.can_redo:
        stack.redo()
    assert snapshot(replay) == snapshot(p)


@pytest.mark.parametrize(
    "cmd",
    [
        MoveClip(clip_id="nope", position=1.0),
        SetClipProperty(clip_id="c1", name="pitch", value=99.0),
        SetClipProperty(clip_id="c1", name="media", value="x"),
        SetClipProperty(clip_id="c1", name="stem", value="drums"),
        TrimClip(clip_id="c1", source_in=2.0, source_out=1.0),
        TrimClip(clip_id="c1", source_in=0.0, source_out=400.0),
        SetTrackProperty(track_id="t1", name="pan", value=3.0),
        SetTrackProperty(track_id="t1", name="mute", value="yes"),
        SetTempo(bpm=1000.0),
        SetProjectProperty(name="key", value="H sharp"),
        AddClip(track_id="t1", clip={"id": "c2", "media": "0" * 40, "source_in": 0, "source_out": 1}),
        RemoveTrack(track_id="ghost"),
        Macro(commands=[SetTempo(bpm=90.0), MoveClip(clip_id="ghost", position=0.0)]),
    ],
)
def test_rejected_edits_change_nothing(base: Project, cmd: object) -> None:
    p = base.copy()
    h = next(iter(p.media))
    stack = CommandStack(p)
    stack.push(AddClip(track_id="t1", clip=_clip(h, "c1")))
    before = snapshot(p)
    with pytest.raises(ProjectEditError):
        stack.push(cmd)  # type: ignore[arg-type]
    assert snapshot(p) == before
    assert len(stack.history()) == 1


def test_unknown_command_type() -> None:
    with pytest.raises(ProjectEditError):
        command_from_dict({"type": "format_disk"})


@st.composite
def _step(draw: st.DrawFn, p: Project, h: str, n: int) -> object:
    tracks = [t.id for t in p.tracks]
    clips = [c.id for c in p.clips()]
    markers = [m.id for m in p.markers]
    kind = draw(st.sampled_from(["add_track", "remove_track", "add_clip", "remove_clip", "move", "trim", "clip_prop",
                                 "track_prop", "tempo", "key", "marker", "unmarker", "captions", "macro"]))
    num = st.floats(min_value=-5, max_value=50, allow_nan=False, allow_subnormal=False)
    if kind == "add_track":
        return AddTrack(track={"id": f"t{n}", "name": "x", "gain_db": draw(st.floats(-20, 6, allow_subnormal=False))}, index=draw(st.integers(0, 5)))
    if kind == "remove_track" and tracks:
        return RemoveTrack(track_id=draw(st.sampled_from(tracks)))
    if kind == "add_clip" and tracks:
        return AddClip(track_id=draw(st.sampled_from(tracks)), clip=_clip(h, f"c{n}", draw(st.floats(0, 64, allow_subnormal=False))))
    if kind == "remove_clip" and clips:
        return RemoveClip(clip_id=draw(st.sampled_from(clips)))
    if kind == "move" and clips:
        return MoveClip(clip_id=draw(st.sampled_from(clips)), position=draw(num),
                        track_id=draw(st.sampled_from([None, *tracks])))
    if kind == "trim" and clips:
        a = draw(st.floats(0, 3.9, allow_subnormal=False))
        return TrimClip(clip_id=draw(st.sampled_from(clips)), source_in=a, source_out=draw(st.floats(0, 4.5, allow_subnormal=False)))
    if kind == "clip_prop" and clips:
        name = draw(st.sampled_from(["pitch", "gain_db", "fade_in", "stretch_mode", "stretch_ratio", "source_bpm"]))
        value = draw(st.sampled_from(["tempo", "fixed", "bogus"])) if name == "stretch_mode" else draw(num)
        return SetClipProperty(clip_id=draw(st.sampled_from(clips)), name=name, value=value)
    if kind == "track_prop" and tracks:
        name = draw(st.sampled_from(["gain_db", "pan", "mute", "solo", "name"]))
        value: object = draw(st.booleans()) if name in ("mute", "solo") else draw(num)
        return SetTrackProperty(track_id=draw(st.sampled_from(tracks)), name=name, value=value)
    if kind == "tempo":
        return SetTempo(bpm=draw(st.floats(10, 500, allow_subnormal=False)))
    if kind == "key":
        return SetProjectProperty(name="key", value=draw(st.sampled_from(["Am", "F# major", None, "Q"])))
    if kind == "marker":
        return AddMarker(marker_id=draw(st.sampled_from([f"m{n}", *markers])), position=draw(num))
    if kind == "unmarker" and markers:
        return RemoveMarker(marker_id=draw(st.sampled_from(markers)))
    if kind == "captions":
        doc = {"segments": [{"start": 0.5, "end": 1.0, "text": "la", "words": []}]}
        return SetCaptions(lane_id=draw(st.sampled_from(["L1", "L2"])), doc=draw(st.sampled_from([doc, None])),
                           clip_id=draw(st.sampled_from([None, *clips])))
    return Macro(commands=[SetTempo(bpm=draw(st.floats(60, 180, allow_subnormal=False))), SetProjectProperty(name="title", value=f"T{n}")])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_command_sequences_undo_to_original(base: Project, data: st.DataObject) -> None:
    p = base.copy()
    h = next(iter(p.media))
    original = snapshot(p)
    stack = CommandStack(p)
    states = [original]
    for n in range(data.draw(st.integers(1, 25))):
        cmd = data.draw(_step(p, h, n))
        try:
            stack.push(cmd)  # type: ignore[arg-type]
        except ProjectEditError:
            assert snapshot(p) == states[-1]  # a rejected edit changes nothing
            continue
        states.append(snapshot(p))
    # Undo steps back through every intermediate state, then redo forward.
    for want in reversed(states[:-1]):
        stack.undo()
        assert snapshot(p) == want
    assert snapshot(p) == original
    for want in states[1:]:
        stack.redo()
        assert snapshot(p) == want
    Project.from_dict(json.loads(json.dumps(p.to_dict())))  # the result still serialises and validates


def test_clean_state_tracking(base: Project) -> None:
    p = base.copy()
    stack = CommandStack(p)
    assert stack.is_clean
    stack.push(SetTempo(bpm=99.0))
    assert not stack.is_clean
    stack.set_clean()
    stack.undo()
    assert not stack.is_clean
    stack.redo()
    assert stack.is_clean
    stack.undo()
    stack.push(SetTempo(bpm=98.0))  # the saved state is gone from the history
    assert not stack.is_clean


def test_captions_follow_clip(base: Project, tmp_path: Path) -> None:
    from audio_engine.captions.doc import CaptionDoc, Segment, Word

    p = base.copy()
    h = next(iter(p.media))
    stack = CommandStack(p)
    stack.push(AddClip(track_id="t1", clip={**_clip(h, "c1", 8.0), "stretch_mode": "fixed", "stretch_ratio": 2.0}))
    doc = CaptionDoc([Segment(1.0, 2.0, "hello there", [Word(1.0, 1.4, "hello"), Word(1.5, 2.0, "there")])])
    stack.push(SetCaptions(lane_id="L", doc=doc.to_dict(), clip_id="c1"))
    tl = p.timeline_captions("L")
    # Clip at beat 8 = 4 s, playing source from 0.5 s twice as fast: 1.0 s -> 4 + 0.5/2.
    assert tl.segments[0].start == pytest.approx(4.25)
    assert tl.segments[0].words[1].end == pytest.approx(4.75)
