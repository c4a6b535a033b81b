"""Issue 16, "Remix this" end to end: three users, each with their own studio
home, through the local backend (real HTTP gateway, PostgreSQL with the
migrations, Storage with its policies). A publishes a mashup with its cloud
project and allows remixes; B remixes it (server copy, media downloaded into
B's cache and re-uploaded to B's folder) and B's render is sample-identical
to A's; C remixes B's published remix and A remixes C's, so the last project's
lineage has three levels. Before A allows remixes, B's attempt is refused
with the reason and leaves nothing behind; a remix cut off after the server's
copy resumes on the next try without a second copy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from audio_engine.audio import Audio
from audio_engine.credits import project_credits
from audio_engine.io import save
from audio_engine.project import open_project
from backend.devserver.gateway import Gateway
from sync.community import CommunityClient, PublishRequest
from sync.errors import SyncError
from sync.remix import (
    Destination,
    RemixGrant,
    RemixNotAllowedError,
    remix_folder,
    remix_published,
    set_remix_licence,
)
from sync.session import CloudSession
from tests.cloud.conftest import Db, gw
from tests.cloud.test_project_sync import Factory, email, home, render, two_song_project

__all__ = ["gw", "home"]


def publish(s: CloudSession, folder: Path, audio: Path, *, licence: str | None) -> str:
    """Save the project to the cloud, publish ``audio`` as its mix with the project, set the licence."""
    assert s.projects is not None and s.cloud is not None
    pid = s.projects.upload(folder)
    client = CommunityClient(s.require)
    r = client.publish(PublishRequest(audio, open_project(folder).project.title, project_id=pid))
    mid = str(r["mashup_id"])
    if licence:
        set_remix_licence(s.cloud.transport, mid, licence)
    return mid


def remix(s: CloudSession, mid: str, dest: Destination, who: str, seen: list[tuple[int, int]] | None = None) -> Path:
    assert s.projects is not None and s.cloud is not None
    _, folder = remix_published(s.projects, s.cloud.transport, mid, dest, remixer=who,
                                progress=None if seen is None else lambda d, t: seen.append((d, t)))
    return folder


class Closed(Exception):
    """The app closed in the middle of a remix."""


def test_remix_this_through_the_cloud_identical_render_and_three_level_lineage(tmp_path: Path, gw: Gateway, db: Db,
                                                                               home: Factory) -> None:
    a, b, c = (home(n, chunk_size=None) for n in ("a", "b", "c"))
    for s, tag in ((a, "creator"), (b, "remixer"), (c, "third")):
        s.sign_up(email(tag), "secret-pw")
    folder_a = two_song_project(tmp_path / "a-work")
    mix_a = render(folder_a)
    audio = tmp_path / "published.flac"  # the published mix (its first second: a remix copies the project, not this)
    save(Audio(mix_a[:, :44100], 44100), audio)
    m_a = publish(a, folder_a, audio, licence=None)
    projects_before = db.connect().execute("select count(*) n from public.projects").fetchone()
    # not (yet) open to remixes: refused with the reason, nothing left behind
    with pytest.raises(RemixNotAllowedError, match="not open to remixes"):
        remix(b, m_a, tmp_path / "b-work" / "Refused.mashup", "B")
    assert not (tmp_path / "b-work" / "Refused.mashup").exists()
    assert db.connect().execute("select count(*) n from public.projects").fetchone() == projects_before
    assert a.cloud is not None
    set_remix_licence(a.cloud.transport, m_a, "remix-with-credit")
    (mine,) = CommunityClient(a.require).my_mashups().data
    assert mine["remix_licence"] == "remix-with-credit"  # what the pages show the button by

    # the first try is cut off after the server made the copy (Storage answers 503 to the download), the second
    # while uploading into B's folder, after the folder was written (the app closed): each next one resumes it,
    # into the same folder (the studio's chooser names it by the remix's cloud project id, kept until done)
    work_b = tmp_path / "b-work"
    chosen: list[str] = []

    def choose(g: RemixGrant) -> Path:
        chosen.append(g.project_id)
        return remix_folder(work_b, g.title, g.project_id)

    gw.fail_next(2, 503, prefix="/storage/")
    with pytest.raises(SyncError):
        remix(b, m_a, choose, "B")
    assert not work_b.exists()

    def close_while_uploading(done: int, total: int) -> None:
        if done > total // 2:
            raise Closed

    assert b.projects is not None and b.cloud is not None
    with pytest.raises(Closed):
        remix_published(b.projects, b.cloud.transport, m_a, choose, remixer="B", progress=close_while_uploading)
    (cut,) = work_b.iterdir()
    seen: list[tuple[int, int]] = []
    folder_b = remix(b, m_a, choose, "B", seen)
    assert folder_b == cut and list(work_b.iterdir()) == [cut] and cut.name == f"Two songs (remix {chosen[0][:8]}).mashup"
    assert len(chosen) == 1  # the folder was chosen once, by the try that got the copy
    assert db.connect().execute("select count(*) n from public.projects where owner_id = %s",
                                (b.cloud.auth.user_id,)).fetchone() == {"n": 1}  # one copy, not two
    assert seen[-1][0] == seen[-1][1] and [d for d, _ in seen] == sorted(d for d, _ in seen)
    opened = open_project(folder_b)
    pb = opened.project
    assert pb.title == "Two songs (remix)" and pb.artist == "B"
    assert all(opened.media.verify(ref.hash, ref.ext) for ref in pb.media.values())
    assert np.array_equal(mix_a, render(folder_b))  # B's render of the copy: the same samples as A's
    # B's copy lives in B's own folder now: its cloud project has its own media rows, and opening
    # it on another computer of B's needs nothing of A's
    assert b.projects is not None and b.cloud is not None
    pid_b = b.projects.project_for(pb.id)
    assert pid_b is not None
    rows = db.connect().execute("select owner_id::text o, storage_path from public.project_media "
                                "where project_id = %s and not deleted", (pid_b,)).fetchall()
    assert rows and all(r["o"] == b.cloud.auth.user_id and r["storage_path"].startswith(r["o"]) for r in rows)

    m_b = publish(b, folder_b, audio, licence="non-commercial")
    folder_c = remix(c, m_b, tmp_path / "c-work" / "Remix2.mashup", "C")
    m_c = publish(c, folder_c, audio, licence="remix-with-credit")
    folder_d = remix(a, m_c, tmp_path / "a-work" / "Remix3.mashup", "A again")
    last = open_project(folder_d)
    got = project_credits(last.project)
    assert [(w.id, w.depth, w.artist, w.licence) for w in got.lineage] == [
        (m_c, 1, "C", "remix-with-credit"), (m_b, 2, "B", "non-commercial"), (m_a, 3, "", "remix-with-credit")]
    assert sorted(s.title for s in got.lineage[2].sources) == ["Song A", "Song B"]
    assert last.project.title == "Two songs (remix) (remix) (remix)"
    assert all(last.media.verify(ref.hash, ref.ext) for ref in last.project.media.values())
