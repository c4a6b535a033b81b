"""Missing media opens as offline clips and is relinked by content; a damaged
project.json leaves its backups to open (audio_engine.app.offline)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from audio_engine.app.offline import (
    list_backups,
    locate,
    missing_media,
    offline_clip_ids,
    open_backup,
    playable,
)
from audio_engine.errors import ProjectFileError
from audio_engine.project import AddClip, CommandStack, MediaResolver, open_project, save_project
from audio_engine.project.render import render_project
from tests.project.helpers import simple_project, tone


def _two_clip_project(tmp: Path) -> tuple[Path, Path, Path]:
    """A saved project with one clip of the song and two of its vocals stem;
    returns the project folder and the song's and the stem's original files."""
    p, store, ref = simple_project(tmp)
    stack = CommandStack(p)
    for cid, stem, pos in (("c1", None, 0.0), ("c2", "vocals", 8.0), ("c3", "vocals", 16.0)):
        stack.push(AddClip(track_id="t1", clip={"id": cid, "media": ref.hash, "stem": stem, "source_in": 0.0,
                                                 "source_out": 2.0, "position": pos, "source_bpm": 120.0}))
    folder = save_project(p, tmp / "p.mashup", media_sources=store)
    shutil.rmtree(tmp / "store")
    return folder, tmp / "src" / "song.flac", tmp / "src" / "vocals.flac"


def test_missing_stem_marks_its_clips_offline_and_locate_relinks_them_all(tmp_path: Path) -> None:
    folder, _song, vocals = _two_clip_project(tmp_path)
    media = folder / "media"
    stem_file = next(f for f in media.iterdir() if f.read_bytes() == vocals.read_bytes())
    stem_file.unlink()  # the stem went missing
    opened = open_project(folder)  # still opens
    resolver = MediaResolver([opened.media])
    missing = missing_media(opened.project, resolver)
    assert [(m.stem, m.clip_ids) for m in missing] == [("vocals", ["c2", "c3"])]
    assert offline_clip_ids(opened.project, resolver) == {"c2", "c3"}
    with pytest.raises(ProjectFileError, match="missing"):
        render_project(opened.project, media=resolver)
    # what can play: the song's clip alone
    assert [c.id for c in playable(opened.project, {"c2", "c3"}).clips()] == ["c1"]
    # a save elsewhere refuses missing media, unless told to keep it offline (the editor's save)
    with pytest.raises(ProjectFileError, match="missing"):
        save_project(opened.project, tmp_path / "copy.mashup", media_sources=resolver)
    copy = save_project(opened.project, tmp_path / "copy2.mashup", media_sources=resolver, offline_ok=True)
    reopened = open_project(copy)
    assert offline_clip_ids(reopened.project, MediaResolver([reopened.media])) == {"c2", "c3"}

    # a file with other content is refused in words, and nothing is stored
    other = tone(tmp_path / "other.flac", seconds=1.0, freq=300.0)
    with pytest.raises(ProjectFileError, match=r"other.flac is not the missing media.*“song \(vocals\)”"):
        locate(other, missing, opened.media)
    assert not stem_file.exists()

    # the right file, under another name and extension: relinked for both clips, verified by hash
    renamed = tmp_path / "my vocals.FLAC.bak"
    shutil.copy(vocals, renamed)
    got = locate(renamed, missing, opened.media)
    assert got.clip_ids == ["c2", "c3"] and stem_file.is_file()
    assert opened.media.verify(got.hash, got.ext)
    assert missing_media(opened.project, resolver) == []
    assert resolver.find(got.hash, got.ext) == stem_file  # what the renderer reads: a verified file


def test_backups_of_a_damaged_project_are_listed_newest_first_and_open(tmp_path: Path) -> None:
    p, store, ref = simple_project(tmp_path)
    folder = save_project(p, tmp_path / "p.mashup", media_sources=store)
    for i in range(3):  # three more saves: three backups (the earlier states)
        p.title = f"Take {i + 1}"
        save_project(p, folder, media_sources=store)
    (folder / "project.json").write_bytes(b'{"format": "mashups-project", "vers')  # damaged mid-write
    with pytest.raises(ProjectFileError, match="not valid JSON"):
        open_project(folder)
    (folder / "backups" / "project-000000-damaged.json").write_text("{nope")  # a damaged backup is left out
    found = list_backups(folder)
    assert [b.title for b in found] == ["Take 2", "Take 1", "Test"]
    assert [b.revision for b in found] == [3, 2, 1] and found[0].tracks == 2
    project = open_backup(found[0])
    assert project.title == "Take 2" and [t.id for t in project.tracks] == ["t1", "t2"]
    with pytest.raises(ProjectFileError, match="Cannot read the backup"):
        open_backup(folder / "backups" / "gone.json")
