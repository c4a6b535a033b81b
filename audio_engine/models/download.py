"""Generic model-file downloader and offline importer.

Used for every model the studio fetches (Demucs weights, Whisper models):

* streamed with httpx to ``<dest>/.<name>.part`` (never under the real name),
* resumed with an HTTP ``Range`` request after a cut connection (``retries``
  times inside one call; a later call also resumes from the partial file),
* progress reports (fraction, bytes done/total in the message, ETA) and a
  cancel that stops between chunks (the partial file is kept for a resume),
* checksum (full sha256 or a prefix of it, as Demucs names its files) and
  size verified *before* the file is moved into place with ``os.replace``
  after an ``fsync``: a file under its final name is always complete and
  verified. A bad checksum raises :class:`ChecksumError` and removes the
  partial file; network loss raises :class:`DownloadError` with a clear
  message.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from audio_engine.atomic import commit
from audio_engine.errors import ChecksumError, DownloadError, MashupsError
from audio_engine.progress import CancelToken, ProgressCallback, ProgressReporter

_CHUNK = 1 << 16
_HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class RemoteFile:
    """A file to download. ``sha256`` is the full hex digest or a prefix of
    it (Demucs embeds the first 8 hex digits in its file names); ``size`` is
    the exact size in bytes when known."""

    url: str
    filename: str
    size: int | None = None
    sha256: str | None = None


def _check_name(filename: str) -> str:
    if not filename or filename in {".", ".."} or "/" in filename or "\\" in filename or "\x00" in filename:
        raise MashupsError(f"Bad file name for a model file: {filename!r}.")
    return filename


def sha256_file(path: Path, *, cancel: CancelToken | None = None) -> str:
    """The sha256 hex digest of a file, streamed."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while b := f.read(_HASH_CHUNK):
            if cancel is not None:
                cancel.check()
            h.update(b)
    return h.hexdigest()


def checksum_matches(actual_hex: str, expected: str | None) -> bool:
    """True when ``expected`` is None/empty or a prefix (or all) of ``actual_hex``."""
    if not expected:
        return True
    return actual_hex.lower().startswith(expected.strip().lower())


def _fmt_mb(n: float) -> str:
    return f"{n / 1e6:.1f} MB"


def _verify_and_install(part: Path, final: Path, *, sha256: str | None, size: int | None, what: str,
                        cancel: CancelToken | None = None) -> Path:
    actual_size = part.stat().st_size
    if size is not None and actual_size != size:
        part.unlink(missing_ok=True)
        raise ChecksumError(
            f"{what}: expected {size} bytes but got {actual_size}; the file was removed.",
            hint="Download it again; if this keeps happening the server copy may have changed.",
        )
    if sha256:
        digest = sha256_file(part, cancel=cancel)
        if not checksum_matches(digest, sha256):
            part.unlink(missing_ok=True)
            raise ChecksumError(
                f"{what}: checksum mismatch (expected sha256 {sha256}..., got {digest[:len(sha256)]}...); "
                "the file is corrupt or not the right file and was removed.",
                hint="Download it again, or import the original file.",
            )
    return commit(part, final)


def _existing_ok(final: Path, remote_sha: str | None, remote_size: int | None) -> bool:
    if not final.is_file():
        return False
    if remote_size is not None and final.stat().st_size != remote_size:
        return False
    if remote_sha:
        return checksum_matches(sha256_file(final), remote_sha)
    return True


def download_file(
    remote: RemoteFile,
    dest_dir: Path,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    timeout: float = 30.0,
    retries: int = 3,
    backoff_s: float = 0.5,
    transport: object | None = None,
) -> Path:
    """Download ``remote`` into ``dest_dir / remote.filename`` and return that path.

    An already installed, verified file is returned at once. A partial file
    from an earlier, interrupted call is resumed. ``retries`` is how many
    times a cut or failed connection is retried (with resume) before
    :class:`DownloadError` is raised; the partial file is then kept so that
    the next call resumes. Cancelling raises :class:`Cancelled` (partial file
    kept). ``transport`` is an optional ``httpx`` transport (proxies, tests)."""
    import httpx

    name = _check_name(remote.filename)
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    final = dest_dir / name
    part = dest_dir / f".{name}.part"
    report = ProgressReporter(progress, stage="downloading")
    if _existing_ok(final, remote.sha256, remote.size):
        report(1.0, message=f"{name} is already installed", force=True)
        return final

    total: int | None = remote.size
    attempt = 0
    last_error = ""
    t0 = time.monotonic()
    start_bytes = part.stat().st_size if part.exists() else 0
    client_kwargs: dict[str, object] = {"timeout": httpx.Timeout(timeout), "follow_redirects": True}
    if transport is not None:
        client_kwargs["transport"] = transport
    with httpx.Client(**client_kwargs) as client:  # type: ignore[arg-type]
        while True:
            if cancel is not None:
                cancel.check()
            have = part.stat().st_size if part.exists() else 0
            if total is not None and have > total:
                part.unlink()  # Bigger than the real file: garbage from elsewhere.
                have = 0
            if total is not None and have == total and have > 0:
                break
            headers = {"Range": f"bytes={have}-"} if have else {}
            try:
                with client.stream("GET", remote.url, headers=headers) as r:
                    if r.status_code == 416 and have:
                        # Nothing left to send: the partial file is complete (verified below).
                        break
                    if r.status_code == 206:
                        mode = "ab"
                    elif r.status_code == 200:
                        mode, have = "wb", 0
                    else:
                        raise DownloadError(
                            f"Downloading {name} failed: the server answered HTTP {r.status_code} for {remote.url}.",
                            hint="The file may have moved; check for an update of the studio, or import the file from disk.",
                        )
                    length = r.headers.get("content-length")
                    if length is not None and length.isdigit():
                        server_total = have + int(length)
                        if total is not None and server_total != total:
                            raise DownloadError(
                                f"Downloading {name}: the server offers {server_total} bytes but "
                                f"{total} were expected; the file on the server has changed."
                            )
                        total = server_total
                    with open(part, mode) as out:
                        done = have
                        for chunk in r.iter_bytes(_CHUNK):
                            if cancel is not None:
                                cancel.check()
                            out.write(chunk)
                            done += len(chunk)
                            if total:
                                rate = (done - start_bytes) / max(1e-6, time.monotonic() - t0)
                                report(
                                    done / total,
                                    message=f"{name}: {_fmt_mb(done)} of {_fmt_mb(total)} ({_fmt_mb(rate)}/s)",
                                )
                            else:
                                report(0.0, message=f"{name}: {_fmt_mb(done)}")
                        out.flush()
                    if total is not None and done < total:
                        raise httpx.RemoteProtocolError(f"connection closed after {done} of {total} bytes")
                    total = total if total is not None else done
                    break
            except (httpx.TransportError, OSError) as e:
                attempt += 1
                last_error = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
                if attempt > retries:
                    got = part.stat().st_size if part.exists() else 0
                    raise DownloadError(
                        f"Downloading {name} failed after {attempt} attempt(s) ({last_error}). "
                        f"{_fmt_mb(got)} were kept; downloading again resumes from there."
                    ) from e
                time.sleep(min(10.0, backoff_s * 2 ** (attempt - 1)))
                continue

    path = _verify_and_install(part, final, sha256=remote.sha256, size=remote.size, what=name, cancel=cancel)
    report(1.0, message=f"{name}: installed ({_fmt_mb(path.stat().st_size)})", force=True)
    return path


def import_file(
    src: Path,
    dest_dir: Path,
    *,
    sha256: str | None,
    filename: str | None = None,
    size: int | None = None,
) -> Path:
    """Install a file the user already has (offline import): verified against
    ``sha256`` (full digest or prefix) and ``size`` first, then copied to a
    temporary name beside the target and moved into place atomically. The
    source is never modified. Returns the installed path."""
    src = Path(src)
    if not src.is_file():
        raise MashupsError(f"{src}: no such file to import.")
    name = _check_name(filename or src.name)
    if size is not None and src.stat().st_size != size:
        raise ChecksumError(f"{src.name}: expected {size} bytes but the file has {src.stat().st_size}; not imported.")
    if sha256:
        digest = sha256_file(src)
        if not checksum_matches(digest, sha256):
            raise ChecksumError(
                f"{src.name}: checksum mismatch (expected sha256 {sha256}..., got {digest[:len(sha256)]}...); "
                "it is not the right file or it is corrupt, so it was not imported."
            )
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    final = dest_dir / name
    part = dest_dir / f".{name}.part"
    try:
        shutil.copyfile(src, part)
        # Verify the copy as well: a full disk or a flaky drive must not install a bad file.
        return _verify_and_install(part, final, sha256=sha256, size=src.stat().st_size, what=name)
    finally:
        part.unlink(missing_ok=True)
