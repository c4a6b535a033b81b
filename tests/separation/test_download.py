"""The generic downloader against a real local HTTP server."""

from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from audio_engine.errors import Cancelled, ChecksumError, DownloadError, MashupsError
from audio_engine.models.download import RemoteFile, download_file, import_file
from audio_engine.progress import CancelToken, Progress

from .httpserver import FileServer, ServedFile

PAYLOAD = os.urandom(3 * 1024 * 1024 + 12345)
SHA = hashlib.sha256(PAYLOAD).hexdigest()


@pytest.fixture
def server() -> Iterator[FileServer]:
    s = FileServer().start()
    yield s
    s.stop()


def test_download_progress_checksum_and_atomic_install(server: FileServer, tmp_path: Path) -> None:
    server.files["m.th"] = ServedFile(PAYLOAD)
    seen: list[Progress] = []
    path = download_file(
        RemoteFile(server.url("m.th"), "m.th", size=len(PAYLOAD), sha256=SHA), tmp_path, progress=seen.append
    )
    assert path == tmp_path / "m.th"
    assert path.read_bytes() == PAYLOAD
    assert not (tmp_path / ".m.th.part").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["m.th"]
    fractions = [p.fraction for p in seen]
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0
    assert all(p.stage == "downloading" for p in seen)
    assert any("MB of" in p.message for p in seen)
    # A second call finds the verified file and does not download again.
    n = len(server.requests)
    assert download_file(RemoteFile(server.url("m.th"), "m.th", sha256=SHA[:8]), tmp_path) == path
    assert len(server.requests) == n


def test_resume_after_cut_connection(server: FileServer, tmp_path: Path) -> None:
    cut = 1_000_000
    server.files["m.th"] = ServedFile(PAYLOAD, cut_times=1, cut_at=cut)
    path = download_file(RemoteFile(server.url("m.th"), "m.th", sha256=SHA[:8]), tmp_path, backoff_s=0.01)
    assert path.read_bytes() == PAYLOAD
    # First request from 0, second resumed exactly where the body was cut.
    assert server.requests[0] == ("m.th", None)
    assert server.requests[1][1] is not None
    resumed_from = int(server.requests[1][1].split("=")[1].rstrip("-"))
    assert 0 < resumed_from <= cut


def test_network_loss_gives_download_error_and_a_later_call_resumes(server: FileServer, tmp_path: Path) -> None:
    server.files["m.th"] = ServedFile(PAYLOAD, cut_times=3, cut_at=500_000)
    remote = RemoteFile(server.url("m.th"), "m.th", size=len(PAYLOAD), sha256=SHA)
    with pytest.raises(DownloadError) as ei:
        download_file(remote, tmp_path, retries=2, backoff_s=0.01)
    assert "m.th" in str(ei.value) and "resumes" in str(ei.value)
    part = tmp_path / ".m.th.part"
    assert part.exists() and 0 < part.stat().st_size < len(PAYLOAD)
    assert not (tmp_path / "m.th").exists()
    kept = part.stat().st_size
    path = download_file(remote, tmp_path, backoff_s=0.01)
    assert path.read_bytes() == PAYLOAD
    # The later call resumed from the kept partial file instead of starting over.
    assert server.requests[-1][1] == f"bytes={kept}-"


def test_server_down_is_a_clear_download_error(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DownloadError) as ei:
        download_file(RemoteFile(f"http://127.0.0.1:{port}/x.th", "x.th"), tmp_path, retries=1, backoff_s=0.01)
    assert "x.th" in str(ei.value) and "ConnectError" in str(ei.value)
    assert ei.value.hint


def test_http_error_status(server: FileServer, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="HTTP 404"):
        download_file(RemoteFile(server.url("missing.th"), "missing.th"), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_bad_checksum_rejected_and_partial_removed(server: FileServer, tmp_path: Path) -> None:
    server.files["m.th"] = ServedFile(PAYLOAD)
    with pytest.raises(ChecksumError):
        download_file(RemoteFile(server.url("m.th"), "m.th", sha256="deadbeef"), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_server_ignoring_range_restarts_cleanly(server: FileServer, tmp_path: Path) -> None:
    server.files["m.th"] = ServedFile(PAYLOAD, cut_times=1, cut_at=700_000, honour_range=False)
    path = download_file(RemoteFile(server.url("m.th"), "m.th", sha256=SHA), tmp_path, backoff_s=0.01)
    assert path.read_bytes() == PAYLOAD


def test_cancel_stops_and_keeps_partial(server: FileServer, tmp_path: Path) -> None:
    server.files["m.th"] = ServedFile(PAYLOAD, delay_s=0.02)
    token = CancelToken()

    def cancel_once_started(p: object) -> None:  # the creator clicks Cancel while bytes arrive
        if getattr(p, "fraction", 0.0) > 0.0:
            token.cancel()

    with pytest.raises(Cancelled):
        download_file(RemoteFile(server.url("m.th"), "m.th", sha256=SHA), tmp_path, cancel=token,
                      progress=cancel_once_started)
    assert not (tmp_path / "m.th").exists()
    assert (tmp_path / ".m.th.part").exists()


def test_existing_corrupt_file_is_replaced(server: FileServer, tmp_path: Path) -> None:
    server.files["m.th"] = ServedFile(PAYLOAD)
    (tmp_path / "m.th").write_bytes(b"corrupt")
    path = download_file(RemoteFile(server.url("m.th"), "m.th", sha256=SHA), tmp_path)
    assert path.read_bytes() == PAYLOAD


def test_import_file(tmp_path: Path) -> None:
    src = tmp_path / "src" / "weights.th"
    src.parent.mkdir()
    src.write_bytes(PAYLOAD)
    dest = tmp_path / "models"
    with pytest.raises(ChecksumError):
        import_file(src, dest, sha256="00000000")
    assert not dest.exists() or list(dest.iterdir()) == []
    path = import_file(src, dest, sha256=SHA[:8], filename="abc-12345678.th")
    assert path == dest / "abc-12345678.th" and path.read_bytes() == PAYLOAD
    assert src.read_bytes() == PAYLOAD  # source untouched
    assert sorted(p.name for p in dest.iterdir()) == ["abc-12345678.th"]
    with pytest.raises(MashupsError):
        import_file(tmp_path / "nope.th", dest, sha256=None)
    with pytest.raises(MashupsError):
        import_file(src, dest, sha256=None, filename="../evil.th")
