"""Cloud sync over loopback: the local backend (throwaway PostgreSQL +
migrations + the Supabase-compatible gateway on 127.0.0.1), two homes.

* media of a 3-song project: upload (save to cloud) and download (open on a
  second computer) in MB/s, against the same bytes sent as one raw Storage
  request each with httpx (the transport's floor, measured in the same run);
* a project with 1,000 edits: time from the first computer's sync until the
  second computer holds the same project; and one edit's trip, against the
  ARCHITECTURE reference "a peer's edit in well under a second".

    .venv/bin/python bench/bench_sync.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
from common import table

from audio_engine.audio import Audio
from audio_engine.io import save
from audio_engine.project import (
    AddClip,
    CommandStack,
    MoveClip,
    Project,
    SetClipProperty,
    Track,
    save_project,
)
from audio_engine.project.media import MediaStore, add_song
from backend.devserver.gateway import ANON_KEY, Gateway
from backend.devserver.pg import create_database, throwaway_cluster
from sync.auth import MemoryTokenStore
from sync.config import CloudConfig
from sync.session import CloudSession


def make_project(tmp: Path, seconds: float) -> tuple[Path, int]:
    rng = np.random.default_rng(7)
    store = MediaStore(tmp / "lib")
    p = Project(title="Bench", tempo=120.0)
    st = CommandStack(p)
    for i in range(3):
        x = (0.2 * rng.standard_normal((2, int(seconds * 44100)))).astype(np.float32)
        f = tmp / f"song{i}.flac"
        save(Audio(x, 44100), f)
        ref = add_song(store, f, bpm=120.0, title=f"Song {i}")
        p.media[ref.hash] = ref
        p.tracks.append(Track(id=f"t{i}", name=f"Track {i}"))
        for k in range(10):
            st.push(AddClip(track_id=f"t{i}", clip={"id": f"c{i}-{k}", "media": ref.hash, "source_in": k * 1.0,
                                                    "source_out": k * 1.0 + 4.0, "position": k * 8.0,
                                                    "source_bpm": 120.0}))
    folder = save_project(p, tmp / "A" / "Bench.mashup", media_sources=store)
    size = sum(f.stat().st_size for f in (folder / "media").iterdir())
    return folder, size


def session(url: str, home: Path) -> CloudSession:
    return CloudSession(CloudConfig(url, ANON_KEY, timeout_s=60), data_dir=home, token_store=MemoryTokenStore())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60.0, help="length of each of the 3 songs")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as td, throwaway_cluster() as server:
        tmp = Path(td)
        gw = Gateway(server.dsn(create_database(server, "bench")))
        gw.start()
        folder, size = make_project(tmp, args.seconds)
        mb = size / 1e6
        a, b = session(gw.url, tmp / "home-a"), session(gw.url, tmp / "home-b")
        email = f"bench-{time.monotonic_ns()}@example.test"
        uid = a.sign_up(email, "secret-pw")
        with __import__("psycopg").connect(gw.dsn, autocommit=True) as conn:
            conn.execute("insert into public.entitlements (user_id, tier, source) values (%s, 'studio', 'grant')",
                         (uid,))
        b.sign_in(email, "secret-pw")
        assert a.projects is not None and b.projects is not None

        # reference: the same bytes as single raw Storage requests
        token = a.require().auth.access_token()
        headers = {"apikey": ANON_KEY, "Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream"}
        files = sorted((folder / "media").iterdir())
        with httpx.Client(timeout=120) as http:
            t = time.perf_counter()
            for f in files:
                http.post(f"{gw.url}/storage/v1/object/media/{uid}/raw/{f.name}", content=f.read_bytes(),
                          headers=headers).raise_for_status()
            raw_up = time.perf_counter() - t
            t = time.perf_counter()
            for f in files:
                http.get(f"{gw.url}/storage/v1/object/media/{uid}/raw/{f.name}", headers=headers).raise_for_status()
            raw_down = time.perf_counter() - t

        # media transfer alone (chunked, resumable, each chunk and file SHA-256-checked), fresh account
        c = session(gw.url, tmp / "home-c")
        c.sign_up(f"bench-c-{time.monotonic_ns()}@example.test", "secret-pw")
        media = c.require().media
        t = time.perf_counter()
        for f in files:
            media.upload(f)
        m_up = time.perf_counter() - t
        t = time.perf_counter()
        for f in files:
            media.download(f.stem, tmp / "C" / f.name)
        m_down = time.perf_counter() - t
        c.close()

        t = time.perf_counter()
        pid = a.projects.upload(folder)
        up = time.perf_counter() - t
        t = time.perf_counter()
        b.projects.download(pid, tmp / "B" / "Bench.mashup")
        down = time.perf_counter() - t
        print(f"3-song project media: {mb:.1f} MB ({len(files)} files, 8 MiB chunks, SHA-256 per chunk and file)\n")
        print(table(["what", "ours s", "ours MB/s", "raw single request s", "raw MB/s", "ours / raw time"], [
            ["media upload (chunked, verified)", m_up, mb / m_up, raw_up, mb / raw_up, m_up / raw_up],
            ["media download (chunked, verified)", m_down, mb / m_down, raw_down, mb / raw_down, m_down / raw_down],
            ["save to cloud (project + media + entities + sync)", up, mb / up, raw_up, mb / raw_up, up / raw_up],
            ["open on a 2nd computer (sync + media + write .mashup)", down, mb / down, raw_down, mb / raw_down,
             down / raw_down],
        ]))

        # 1,000 edits on computer A reach computer B
        rng = random.Random(3)
        p = b.projects.materialize(pid)
        pa = a.projects.materialize(pid)
        clips = [c.id for c in pa.clips()]
        t = time.perf_counter()
        for i in range(1000):
            cid = rng.choice(clips)
            cmd = (MoveClip(clip_id=cid, position=float(rng.randrange(0, 400))) if i % 2 == 0 else
                   SetClipProperty(clip_id=cid, name="gain_db", value=-float(rng.randrange(0, 12))))
            cmd.apply(pa)
            a.projects.record(pid, cmd, pa)
        record_s = time.perf_counter() - t
        t = time.perf_counter()
        a.sync()
        push_s = time.perf_counter() - t
        t2 = time.perf_counter()
        b.sync()
        p = b.projects.materialize(pid)
        pull_s = time.perf_counter() - t2
        total = time.perf_counter() - t
        assert p.to_dict() == a.projects.materialize(pid).to_dict()

        # one edit's trip (push + pull + compose), best of 5
        trips = []
        for k in range(5):
            cmd = MoveClip(clip_id=clips[k], position=float(500 + k))
            cmd.apply(pa)
            t = time.perf_counter()
            a.projects.record(pid, cmd, pa)
            a.sync()
            b.sync()
            q = b.projects.materialize(pid)
            trips.append(time.perf_counter() - t)
            assert q.clip(clips[k]).position == 500 + k
        print("\nEdits reaching a second computer (the reference: Figma-class editors show a peer's edit in well "
              "under a second)\n")
        print(table(["what", "seconds", "reference s", "ratio"], [
            ["record 1,000 edits locally (SQLite outbox)", record_s, "-", "-"],
            ["1,000 edits: A pushes", push_s, "-", "-"],
            ["1,000 edits: B pulls + composes", pull_s, "-", "-"],
            ["1,000 edits: A sync -> B has them", total, 1.0, total / 1.0],
            ["one edit: A records+syncs -> B has it (best of 5)", min(trips), 1.0, min(trips) / 1.0],
        ]))
        a.close()
        b.close()
        gw.stop()


if __name__ == "__main__":
    main()
