"""Remix pack round trip: stems published as a pack (manifest + hash-named
files) are served by a real HTTP server on 127.0.0.1 with Range support; the
download is cut off half-way, resumed from the bytes on disk, verified, stored
content-addressed; the loaded project has one lane per stem at the pack's
tempo and key, credits the pack, and its media are sample-identical to the
published stems."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from audio_engine import io
from audio_engine.credits import SourceCredit, project_credits
from audio_engine.project import MediaStore
from sync.remix_packs import (
    PackError,
    PackManifest,
    build_manifest,
    download_pack,
    fetch_manifest,
    pack_project,
    publish_pack_files,
)
from tests.corpus import Song


class Server:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.cut_after: int | None = None  # bytes of the next full response before the connection drops
        self.ranges: list[str] = []
        server = self

        class Handler(SimpleHTTPRequestHandler):
            def __init__(self, *a: Any, **kw: Any) -> None:
                super().__init__(*a, directory=str(root), **kw)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:  # noqa: N802
                path = root / self.path.lstrip("/")
                if not path.is_file():
                    self.send_error(404)
                    return
                data = path.read_bytes()
                rng = self.headers.get("Range")
                start = 0
                if rng:
                    server.ranges.append(rng)
                    start = int(rng.removeprefix("bytes=").split("-")[0])
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if server.cut_after is not None and path.suffix != ".json":
                    self.wfile.write(body[: server.cut_after])
                    self.wfile.flush()
                    server.cut_after = None
                    self.close_connection = True
                    return
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Server]:
    s = Server(tmp_path / "served")
    (tmp_path / "served").mkdir()
    yield s
    s.close()


def test_pack_round_trip_with_resume_gives_identical_samples(songs: list[Song], served: Server, tmp_path: Path) -> None:
    song = songs[0]
    stems = {name: song.stem(name) for name in ("vocals", "drums", "bass")}
    src = SourceCredit(hash="a" * 64, title="Night Drive", artist="Band A", fingerprint="AQAAx")
    manifest = build_manifest("pack-1", stems, title="Night Drive stems", artist="Band A", licence="remix-with-credit",
                              tempo=float(song.truth.get("bpm", 120.0)), key="A minor", sources=(src,))
    publish_pack_files(manifest, stems, served.root / "pack-1")
    base = f"{served.url}/pack-1"
    got = fetch_manifest(base)
    assert got == manifest
    store = MediaStore(tmp_path / "media")
    seen: list[tuple[int, int]] = []
    served.cut_after = 20_000  # the first stem's connection drops after 20 kB
    with pytest.raises(PackError, match="run it again to resume"):
        download_pack(got, base, store, partial_dir=tmp_path / "partial", progress=lambda d, t: seen.append((d, t)))
    parts = list((tmp_path / "partial").iterdir())
    assert len(parts) == 1 and parts[0].stat().st_size == 20_000
    placed = download_pack(got, base, store, partial_dir=tmp_path / "partial", progress=lambda d, t: seen.append((d, t)))
    assert served.ranges == ["bytes=20000-"]  # resumed, not started over
    assert seen[-1] == (sum(s.size for s in manifest.stems),) * 2
    assert list((tmp_path / "partial").iterdir()) == []
    again: list[tuple[int, int]] = []
    assert download_pack(got, base, store, partial_dir=tmp_path / "partial", progress=lambda d, t: again.append((d, t))) == placed
    assert served.ranges == ["bytes=20000-"]  # all from the content-addressed store: nothing fetched
    duration = io.info(song.stem("vocals")).duration
    p = pack_project(got, placed, duration=duration)
    assert (p.tempo, p.key) == (manifest.tempo, "A minor")
    assert sorted(c.stem for c in p.clips()) == ["bass", "drums", "vocals"]
    assert all(c.position == 0.0 for c in p.clips()) and len(p.tracks) == 3
    for c in p.clips():
        ref = p.media[c.media]
        path = store.path(ref.file_hash(c.stem), ref.file_ext(c.stem))
        assert np.array_equal(io.load(path).samples, io.load(stems[c.stem or ""]).samples)
    credits = project_credits(p)
    (work,) = credits.lineage
    assert (work.kind, work.id, work.licence, work.depth) == ("pack", "pack-1", "remix-with-credit", 1)
    assert [s.title for s in credits.all_sources()] == ["Night Drive stems", "Night Drive"]


def test_damaged_or_hostile_packs_are_refused(songs: list[Song], served: Server, tmp_path: Path) -> None:
    stems = {"vocals": songs[1].stem("vocals")}
    m = build_manifest("pack-2", stems, title="t", artist="a", licence="non-commercial", tempo=100.0, key=None)
    publish_pack_files(m, stems, served.root / "pack-2")
    blob = served.root / "pack-2" / f"{m.stems[0].hash}{m.stems[0].ext}"
    data = bytearray(blob.read_bytes())
    data[5000] ^= 0xFF
    blob.write_bytes(bytes(data))
    store = MediaStore(tmp_path / "media")
    with pytest.raises(PackError, match="does not match its hash"):
        download_pack(m, f"{served.url}/pack-2", store, partial_dir=tmp_path / "p")
    assert store.files() == [] and list((tmp_path / "p").iterdir()) == []
    bad = m.to_json()
    for change, message in (({"licence": "all-rights"}, "licence"), ({"id": "../x"}, "not valid"),
                            ({"stems": [{"name": "../v", "hash": "a" * 64, "ext": ".flac", "size": 1}]}, "stem name"),
                            ({"stems": [{"name": "v", "hash": "../../etc", "ext": ".flac", "size": 1}]}, "not a media content hash"),
                            ({"tempo": "fast"}, "malformed")):
        with pytest.raises(PackError, match=message):
            PackManifest.from_json({**bad, **change})
    with pytest.raises(PackError, match="HTTP 404"):
        fetch_manifest(f"{served.url}/missing")
