"""A project as entities: decompose/compose round trip, and every engine
command (applied, undone, redone) yields entity changes that carry a copy of
the project to the same state: the stream sync and collaboration send."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audio_engine.project import (
    AddClip,
    AddMarker,
    AddTrack,
    CommandStack,
    EditCaptionLine,
    Macro,
    MoveClip,
    RemoveClip,
    RemoveMarker,
    RemoveTrack,
    SetCaptions,
    SetClipProperty,
    SetProjectProperty,
    SetTempo,
    SetTrackProperty,
    TrimClip,
)
from audio_engine.project.entities import apply_changes, canonical, command_changes, compose, decompose
from audio_engine.project.model import line_id
from tests.project.helpers import simple_project


def _base(tmp: Path):  # type: ignore[no-untyped-def]
    p, _store, ref = simple_project(tmp)
    st_ = CommandStack(p)
    st_.push(AddClip(track_id="t1", clip={"id": "c1", "media": ref.hash, "source_in": 0.0, "source_out": 3.0,
                                          "position": 0.0, "source_bpm": 120.0}))
    st_.push(AddClip(track_id="t2", clip={"id": "c2", "media": ref.hash, "stem": "vocals", "source_in": 0.5,
                                          "source_out": 2.5, "position": 4.0, "source_bpm": 120.0}))
    st_.push(SetCaptions(lane_id="l1", clip_id="c2", name="Lyrics",
                         doc={"language": "en", "segments": [{"start": 0.6, "end": 1.2, "text": "hey", "words": []},
                                                             {"start": 1.4, "end": 2.0, "text": "you", "words": []}]}))
    return p, ref


def _lane_doc(p, edit):  # type: ignore[no-untyped-def]
    """Lane l1's doc with ``edit(lines)`` applied to a copy of its lines (ids kept), as an editor would."""
    import copy

    doc = copy.deepcopy(p.caption_lanes[0].doc)
    edit(doc["segments"])
    return doc


def test_decompose_compose_round_trip(tmp_path: Path) -> None:
    p, _ = _base(tmp_path)
    ents = decompose(p)
    assert {k for k, _ in ents} == {"props", "media", "track", "clip", "caption", "caption_line"}
    assert ents[("caption", "l1")] == {"name": "Lyrics", "clip_id": "c2", "meta": {"language": "en"}}
    assert sorted(f["text"] for (k, _), f in ents.items() if k == "caption_line") == ["hey", "you"]
    assert compose(ents).to_dict() == canonical(p).to_dict()
    # a clip whose track is gone is not composed (a deleted track's clips never come back)
    del ents[("track", "t1")]
    q = compose(ents)
    assert [c.id for c in q.clips()] == ["c2"]
    # nor the lines of a deleted lane
    del ents[("caption", "l1")]
    assert compose(ents).caption_lanes == []


def test_old_caption_lines_get_the_same_ids_everywhere(tmp_path: Path) -> None:
    """Lines saved before they had ids get them on load, the same on every computer
    (derived from the lane id and the line's place; the server's upgrade computes the same)."""
    from audio_engine.project import Project
    from audio_engine.project.model import line_id

    p, _ = _base(tmp_path)
    d = p.to_dict()
    for seg in d["caption_lanes"][0]["doc"]["segments"]:
        del seg["id"]
    one, two = Project.from_dict(d), Project.from_dict(d)
    ids = [s["id"] for s in one.caption_lanes[0].lines()]
    assert ids == [s["id"] for s in two.caption_lanes[0].lines()] == [line_id("l1", 0), line_id("l1", 1)]
    assert ids == [s["id"] for s in p.caption_lanes[0].lines()]  # the command gave the same ids
    # a line that already has an id keeps it; a new id never repeats one
    d["caption_lanes"][0]["doc"]["segments"][1]["id"] = line_id("l1", 0)
    three = Project.from_dict(d)
    assert [s["id"] for s in three.caption_lanes[0].lines()] == [line_id("l1", 0, 1), line_id("l1", 0)]


def test_a_caption_edit_is_a_change_of_the_lines_it_touched(tmp_path: Path) -> None:
    p, _ = _base(tmp_path)
    first, second = (s["id"] for s in p.caption_lanes[0].lines())
    c = SetCaptions(lane_id="l1", clip_id="c2", name="Lyrics",
                    doc=_lane_doc(p, lambda lines: lines[1].update(text="YOU")))
    c.apply(p)
    [ch] = command_changes(c, p)
    assert (ch.kind, ch.id, ch.fields["text"]) == ("caption_line", second, "YOU")
    c.revert(p)
    [ch] = command_changes(c, p)
    assert (ch.kind, ch.id, ch.fields["text"]) == ("caption_line", second, "you")
    # a removed line is a tombstone; a renamed lane is one field of the lane
    c = SetCaptions(lane_id="l1", clip_id="c2", name="Words", doc=_lane_doc(p, lambda lines: lines.pop(0)))
    c.apply(p)
    out = {(x.kind, x.id): x for x in command_changes(c, p)}
    assert set(out) == {("caption", "l1"), ("caption_line", first)}
    assert out[("caption_line", first)].deleted and out[("caption", "l1")].fields == {"name": "Words"}


def commands(ref_hash: str) -> list[object]:
    return [
        MoveClip(clip_id="c1", position=8.0),
        MoveClip(clip_id="c1", position=2.0, track_id="t2"),
        TrimClip(clip_id="c2", source_in=1.0, source_out=2.0, position=5.0),
        SetClipProperty(clip_id="c1", name="gain_db", value=-6.0),
        SetTrackProperty(track_id="t2", name="mute", value=True),
        SetTempo(bpm=96.0),
        SetProjectProperty(name="title", value="Renamed"),
        AddMarker(marker_id="m1", position=4.0, name="drop"),
        RemoveMarker(marker_id="m1"),
        AddTrack(track={"id": "t3", "name": "three", "clips": [
            {"id": "c9", "media": ref_hash, "source_in": 0.0, "source_out": 1.0, "position": 1.0}]}, index=0),
        RemoveClip(clip_id="c2"),
        RemoveTrack(track_id="t1"),
        SetCaptions(lane_id="l1", doc=None),
        SetCaptions(lane_id="l1", clip_id="c2", name="Lyrics", doc={"segments": [
            {"start": 0.6, "end": 1.3, "text": "hey hey", "words": []},
            {"start": 2.5, "end": 3.0, "text": "new line", "words": []}]}),
        EditCaptionLine(lane_id="l1", line_id=line_id("l1", 0), start=0.7, line_text="hey there"),
        Macro(commands=[MoveClip(clip_id="c1", position=1.0), SetClipProperty(clip_id="c1", name="pitch", value=2.0)],
              name="two"),
    ]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(picks=st.lists(st.tuples(st.integers(0, 15), st.sampled_from(["do", "undo", "redo"])), max_size=12))
def test_command_stream_replays_to_the_same_project(tmp_path: Path, picks: list[tuple[int, str]]) -> None:
    p, ref = _base(tmp_path)
    stack = CommandStack(p)
    mirror = decompose(p)  # what another computer holds
    for i, action in picks:
        cmd = None
        if action == "do":
            cmd = commands(ref.hash)[i]
            try:
                stack.push(cmd)  # type: ignore[arg-type]
            except Exception:
                continue  # an edit that does not apply now (e.g. its clip is gone)
        elif action == "undo":
            cmd = stack.undo()
        else:
            cmd = stack.redo()
        if cmd is None:
            continue
        mirror = apply_changes(mirror, command_changes(cmd, p))  # type: ignore[arg-type]
        assert compose(mirror).to_dict() == canonical(p).to_dict(), (i, action)


def test_changes_name_only_the_fields_touched(tmp_path: Path) -> None:
    p, _ = _base(tmp_path)
    c = MoveClip(clip_id="c1", position=6.0)
    c.apply(p)
    [ch] = command_changes(c, p)
    assert (ch.kind, ch.id, ch.deleted, set(ch.fields)) == ("clip", "c1", False, {"position", "track_id"})
    r = RemoveTrack(track_id="t2")
    r.apply(p)
    out = {(x.kind, x.id): x for x in command_changes(r, p)}
    assert out[("track", "t2")].deleted and out[("clip", "c2")].deleted
    assert out[("caption", "l1")].fields == {"clip_id": None}  # the lane lets go of the deleted clip


def test_every_command_type_has_an_entity_mapping() -> None:
    """A new engine command must say which entities it touches (entities._touched),
    or its edits would never reach the cloud."""
    from audio_engine.project import commands
    from audio_engine.project.entities import _touched

    for name, cls in commands._REGISTRY.items():
        _touched(cls())  # raises ProjectFileError("No entity mapping ...") for an unmapped command
        assert name


def test_editing_one_caption_line_is_that_line_s_change(tmp_path: Path) -> None:
    """The timeline's caption lane edits one line (edges, text): one line's change, undone exactly."""
    p, _ = _base(tmp_path)
    first = line_id("l1", 0)
    before = p.caption_lanes[0].doc
    c = EditCaptionLine(lane_id="l1", line_id=first, start=0.5, end=1.3, line_text="hey hey")
    c.apply(p)
    [ch] = command_changes(c, p)
    assert (ch.kind, ch.id) == ("caption_line", first)
    assert (ch.fields["start"], ch.fields["end"], ch.fields["text"]) == (0.5, 1.3, "hey hey")
    assert p.caption_lanes[0].lines()[0]["id"] == first and before["segments"][0]["text"] == "hey"
    c.revert(p)
    assert p.caption_lanes[0].doc == before
    from audio_engine.errors import ProjectEditError

    for bad in (EditCaptionLine(lane_id="l1", line_id=first, start=2.0, end=1.0),
                EditCaptionLine(lane_id="l1", line_id=first, line_text="   "),
                EditCaptionLine(lane_id="l1", line_id="ln-gone", line_text="x"),
                EditCaptionLine(lane_id="l1", line_id=first, line_text="x" * 5000)):
        try:
            bad.apply(p)
        except ProjectEditError:
            continue
        raise AssertionError(f"{bad} applied")
    assert p.caption_lanes[0].doc == before  # refused edits changed nothing
