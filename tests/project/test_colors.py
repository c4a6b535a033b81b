"""Colours of tracks and clips and a clip's own stretch quality (format 6):
validated on load and edit, undoable, kept through save/open and sync's
entities, and the quality is what the clip renders with."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from audio_engine.errors import ProjectEditError, ProjectFileError
from audio_engine.project import (
    AddClip,
    CommandStack,
    MediaResolver,
    SetClipProperty,
    SetTrackProperty,
    open_project,
    save_project,
)
from audio_engine.project.entities import compose, decompose
from audio_engine.project.render import clip_cache_key, render_clip
from tests.project.helpers import SR, simple_project


def _project(tmp: Path):  # type: ignore[no-untyped-def]
    p, store, ref = simple_project(tmp)
    stack = CommandStack(p)
    stack.push(AddClip(track_id="t1", clip={"id": "c1", "media": ref.hash, "stem": "vocals", "source_in": 0.0,
                                             "source_out": 0.5, "position": 0.0, "source_bpm": 120.0, "pitch": 2.0}))
    return p, store, stack


def test_colours_and_quality_are_edits_kept_through_save_open_and_entities(tmp_path: Path) -> None:
    p, store, stack = _project(tmp_path)
    stack.push(SetClipProperty(clip_id="c1", name="color", value="#e0607e"))
    stack.push(SetClipProperty(clip_id="c1", name="quality", value="high"))
    stack.push(SetTrackProperty(track_id="t2", name="color", value="#4F86E8"))
    for bad in ("red", "#12345", "#1234567", 7):
        with pytest.raises(ProjectEditError, match="colour written #rrggbb"):
            stack.push(SetClipProperty(clip_id="c1", name="color", value=bad))
        with pytest.raises(ProjectEditError, match="colour written #rrggbb"):
            stack.push(SetTrackProperty(track_id="t1", name="color", value=bad))
    with pytest.raises(ProjectEditError, match="stretch quality must be"):
        stack.push(SetClipProperty(clip_id="c1", name="quality", value="best"))
    assert (p.clip("c1").color, p.clip("c1").quality, p.track("t2").color) == ("#e0607e", "high", "#4F86E8")

    folder = save_project(p, tmp_path / "c.mashup", media_sources=store)
    env = json.loads((folder / "project.json").read_text())
    assert env["version"] >= 6  # 7 since reversed clips
    back = open_project(folder).project
    assert (back.clip("c1").color, back.clip("c1").quality, back.track("t2").color, back.track("t1").color) == (
        "#e0607e", "high", "#4F86E8", None)
    again = compose(decompose(back))
    assert (again.clip("c1").color, again.clip("c1").quality, again.track("t2").color) == ("#e0607e", "high", "#4F86E8")

    stack.undo()
    stack.undo()
    assert p.track("t2").color is None and p.clip("c1").quality is None and p.clip("c1").color == "#e0607e"


def test_a_format_5_project_opens_and_a_bad_colour_on_disk_is_named(tmp_path: Path) -> None:
    p, store, _ = _project(tmp_path)
    folder = save_project(p, tmp_path / "old.mashup", media_sources=store)
    f = folder / "project.json"
    env = json.loads(f.read_text())
    env["version"] = 5
    for t in env["project"]["tracks"]:
        t.pop("color")
        for c in t["clips"]:
            c.pop("color")
            c.pop("quality")
    f.write_text(json.dumps(env))
    opened = open_project(folder)
    assert opened.upgraded_from == 5 and opened.project.clip("c1").color is None
    env["version"] = 6
    env["project"]["tracks"][0]["clips"][0]["color"] = "javascript:alert(1)"
    f.write_text(json.dumps(env))
    with pytest.raises(ProjectFileError, match=r"Clip c1 colour must be a colour written #rrggbb"):
        open_project(folder)


def test_a_clip_renders_with_its_own_quality(tmp_path: Path) -> None:
    p, store, _ = _project(tmp_path)
    media = MediaResolver([store])
    clip = p.clip("c1")
    fast, _ = render_clip(p, clip, media=media, sample_rate=SR, quality="fast")
    high, _ = render_clip(p, clip, media=media, sample_rate=SR, quality="high")
    assert not np.array_equal(fast.samples, high.samples)  # the two engines differ on this pitched clip
    clip.quality = "high"
    own, _ = render_clip(p, clip, media=media, sample_rate=SR, quality="fast")  # the clip's own wins
    assert np.array_equal(own.samples, high.samples)
    assert clip_cache_key(p, clip, sample_rate=SR, quality="fast") == clip_cache_key(p, clip, sample_rate=SR,
                                                                                       quality="high")
