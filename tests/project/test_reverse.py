"""Reversed clips (format 7): an undoable clip setting, validated, kept
through save/open and sync's entities; the one clip render export and
playback share plays the source range backwards (bit-exact against numpy),
with fades and gain in timeline order; a reversed clip never reuses the
forward clip's cached render; split and trim keep what a reversed clip plays."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from audio_engine.app.edit import split_at
from audio_engine.app.render import BlockRenderer, ClipMemo, track_buffers
from audio_engine.audio import Audio
from audio_engine.cache import FileCache
from audio_engine.errors import ProjectEditError, ProjectFileError
from audio_engine.io import load
from audio_engine.project import (
    AddClip,
    CommandStack,
    MediaResolver,
    MediaStore,
    Project,
    SetClipProperty,
    open_project,
    save_project,
)
from audio_engine.project.entities import command_changes, compose, decompose
from audio_engine.project.render import clip_cache_key, render_clip, render_project
from audio_engine.transform import db_to_gain, fade
from tests.project.helpers import SR, simple_project

SRC = (0.25, 1.25)  # the clip's source range (s): a click on every beat, tone bursts decaying forward


def _project(tmp: Path, **clip: object) -> tuple[Project, MediaStore, CommandStack]:
    p, store, ref = simple_project(tmp)
    stack = CommandStack(p)
    stack.push(AddClip(track_id="t1", clip={"id": "c1", "media": ref.hash, "stem": "vocals", "source_in": SRC[0],
                                             "source_out": SRC[1], "position": 0.0, "stretch_mode": "fixed",
                                             "stretch_ratio": 1.0, **clip}))
    return p, store, stack


def _source(p: Project, store: MediaStore) -> np.ndarray:
    """The clip's source range as the loader gives it (the reference to reverse with numpy)."""
    ref = p.media[p.clip("c1").media]
    path = MediaResolver([store]).find(ref.file_hash("vocals"), ref.file_ext("vocals"))
    a = load(path, sample_rate=SR, channels=2, offset=SRC[0], duration=SRC[1] - SRC[0])
    return a.samples[:, : int(round(SRC[1] * SR)) - int(round(SRC[0] * SR))]


def test_reverse_is_an_undoable_edit_kept_through_save_open_and_entities(tmp_path: Path) -> None:
    p, store, stack = _project(tmp_path)
    assert p.clip("c1").reversed is False
    cmd = SetClipProperty(clip_id="c1", name="reversed", value=True)
    stack.push(cmd)
    assert p.clip("c1").reversed is True
    [change] = command_changes(cmd, p)  # what sync and live collaboration send: the one field
    assert change.fields == {"reversed": True}
    for bad in ("yes", 1, None):
        with pytest.raises(ProjectEditError, match="reversed must be true or false"):
            stack.push(SetClipProperty(clip_id="c1", name="reversed", value=bad))
    assert p.clip("c1").reversed is True

    folder = save_project(p, tmp_path / "r.mashup", media_sources=store)
    env = json.loads((folder / "project.json").read_text())
    assert env["version"] == 7 and env["project"]["tracks"][0]["clips"][0]["reversed"] is True
    assert open_project(folder).project.clip("c1").reversed is True
    assert compose(decompose(p)).clip("c1").reversed is True
    rows = decompose(p)
    del rows[("clip", "c1")]["reversed"]  # a row synced before clips could be reversed
    assert compose(rows).clip("c1").reversed is False

    stack.undo()
    assert p.clip("c1").reversed is False
    stack.redo()
    assert p.clip("c1").reversed is True


def test_a_format_6_project_opens_unreversed_and_a_bad_value_on_disk_is_named(tmp_path: Path) -> None:
    p, store, _ = _project(tmp_path)
    folder = save_project(p, tmp_path / "old.mashup", media_sources=store)
    f = folder / "project.json"
    env = json.loads(f.read_text())
    env["version"] = 6
    for t in env["project"]["tracks"]:
        for c in t["clips"]:
            c.pop("reversed")
    f.write_text(json.dumps(env))
    opened = open_project(folder)
    assert opened.upgraded_from == 6 and opened.project.clip("c1").reversed is False
    env["version"] = 7
    env["project"]["tracks"][0]["clips"][0]["reversed"] = "backwards"
    f.write_text(json.dumps(env))
    with pytest.raises(ProjectFileError, match=r"Clip c1: reversed must be true or false, not 'backwards'"):
        open_project(folder)


def test_reversed_clip_renders_the_numpy_reversed_source_in_export_and_playback(tmp_path: Path) -> None:
    p, store, stack = _project(tmp_path, fade_in=0.1, fade_out=0.2, gain_db=-3.0)
    stack.push(SetClipProperty(clip_id="c1", name="reversed", value=True))
    media = MediaResolver([store])
    src = _source(p, store)
    clip = p.clip("c1")
    audio, _ = render_clip(p, clip, media=media, sample_rate=SR)
    assert np.array_equal(audio.samples, src[:, ::-1])  # bit-exact: the shared clip render reverses the range

    # fades and gain apply in timeline order, after reversing (the fade-in is at the reversed clip's start)
    want = fade(Audio(np.ascontiguousarray(src[:, ::-1]), SR), fade_in_s=0.1, fade_out_s=0.2).samples * db_to_gain(-3.0)
    [buf, _] = track_buffers(p, media, sample_rate=SR, memo=ClipMemo())  # playback's buffers
    n = want.shape[1]
    assert float(np.abs(buf[:, :n] - want).max()) < 1e-6
    blocks = BlockRenderer(p, media, sample_rate=SR, memo=ClipMemo())  # streaming playback, in blocks
    got = np.concatenate([blocks.render(s, 1000)[0] for s in range(0, blocks.length, 1000)], axis=1)
    assert np.array_equal(got[:, : buf.shape[1]], buf)
    export = render_project(p, media=media, target_lufs=None)  # quiet: the limiter leaves it untouched
    assert np.array_equal(export.audio.samples[:, : buf.shape[1]], buf)  # export = playback, bit-exact
    # the click heard first is the source's last one, near the clip's start
    heard = np.abs(export.audio.samples[0])
    last_click = SRC[1] - 1.0  # the source's clicks fall on every 0.5 s; the last before 1.25 s is at 1.0 s
    assert abs(int(np.argmax(heard > 0.05)) / SR - last_click) < 0.03


def test_a_reversed_clip_never_reuses_the_forward_render(tmp_path: Path) -> None:
    p, store, _ = _project(tmp_path, pitch=2.0)  # a pitched clip: Rubber Band renders and caches it
    media = MediaResolver([store])
    cache = FileCache(tmp_path / "cache")
    clip = p.clip("c1")
    fwd_key = clip_cache_key(p, clip, sample_rate=SR, quality="fast")
    forward, cached = render_clip(p, clip, media=media, sample_rate=SR, cache=cache)
    assert not cached
    clip.reversed = True
    assert clip_cache_key(p, clip, sample_rate=SR, quality="fast") != fwd_key
    backward, cached = render_clip(p, clip, media=media, sample_rate=SR, cache=cache)
    assert not cached and not np.array_equal(backward.samples, forward.samples)
    again, cached = render_clip(p, clip, media=media, sample_rate=SR, cache=cache)
    assert cached and np.array_equal(again.samples, backward.samples)
    clip.reversed = False  # forward keys are unchanged by the new setting: old caches stay valid
    assert clip_cache_key(p, clip, sample_rate=SR, quality="fast") == fwd_key


def test_split_and_trim_of_a_reversed_clip_keep_what_it_plays(tmp_path: Path) -> None:
    p, store, stack = _project(tmp_path, reversed=True)
    media = MediaResolver([store])
    before = render_project(p, media=media, target_lufs=None).audio.samples
    cmd = split_at(p, 0.4)
    assert cmd is not None
    stack.push(cmd)
    left, right = sorted(p.tracks[0].clips, key=lambda c: c.position)
    assert (left.source_in, left.source_out) == pytest.approx((SRC[1] - 0.4, SRC[1]))  # the source's later part
    assert (right.source_in, right.source_out) == pytest.approx((SRC[0], SRC[1] - 0.4))
    assert left.reversed and right.reversed
    after = render_project(p, media=media, target_lufs=None).audio.samples
    n = min(before.shape[1], after.shape[1])
    assert float(np.abs(before[:, :n] - after[:, :n]).max()) < 1e-6
    # dragging a reversed clip's end shortens what it plays last: its source start
    assert right.trimmed_range("end", 0.5) == pytest.approx((SRC[1] - 0.4 - 0.5, SRC[1] - 0.4))
    assert right.trimmed_range("start", 0.5) == pytest.approx((SRC[0], SRC[0] + 0.5))
    assert p.source_to_timeline(left, SRC[1]) == pytest.approx(0.0)


def test_a_lane_following_a_reversed_clip_shows_no_lines_until_it_plays_forwards(tmp_path: Path) -> None:
    from audio_engine.project import SetCaptions

    p, _, stack = _project(tmp_path)
    stack.push(SetCaptions(lane_id="lyrics", clip_id="c1", name="Lyrics", doc={"language": "en", "segments": [
        {"start": 0.5, "end": 0.9, "text": "la la", "words": []}]}))
    assert [s.text for s in p.timeline_captions("lyrics").segments] == ["la la"]
    stack.push(SetClipProperty(clip_id="c1", name="reversed", value=True))
    assert p.timeline_captions("lyrics").segments == []  # its words are not sung forwards anywhere
    assert len(p.caption_lanes[0].lines()) == 1  # ... and are kept, not lost
    stack.undo()
    assert [s.text for s in p.timeline_captions("lyrics").segments] == ["la la"]
