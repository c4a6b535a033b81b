"""Upload and download of rendered mashups and stems to Supabase Storage.

Files are content-addressed and chunked: ``<user id>/blobs/<sha256>/00000.part``
... plus ``manifest.json`` (size, chunk size, per-chunk SHA-256) written last.
An upload is resumable (chunks already on the server are skipped) and
deduplicated (a finished manifest means nothing to do); a download verifies
every chunk and the whole file before it atomically replaces the target.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from .errors import AuthRequiredError, IntegrityError, StorageError
from .transport import Transport

CHUNK_SIZE = 8 * 1024 * 1024
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class UploadResult:
    sha256: str
    size: int
    storage_path: str
    chunks: int
    uploaded_chunks: int  # 0 when everything was already there


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1024 * 1024), b""):
            h.update(block)
    return h.hexdigest()


class MediaStorage:
    def __init__(self, transport: Transport, user_id: Callable[[], str | None], *, bucket: str = "media",
                 chunk_size: int = CHUNK_SIZE) -> None:
        if chunk_size < 1024:
            raise ValueError("chunk_size too small")
        self.transport = transport
        self._user_id = user_id
        self.bucket = bucket
        self.chunk_size = chunk_size

    def _prefix(self, sha256: str, owner_id: str | None = None) -> str:
        uid = self._user_id()
        if not uid:
            raise AuthRequiredError()
        return f"{owner_id or uid}/blobs/{sha256}"

    def _url(self, name: str) -> str:
        return f"/storage/v1/object/{self.bucket}/{quote(name)}"

    def _exists(self, name: str) -> bool:
        # Storage's object info endpoint (what storage3's ``exists`` uses): a
        # missing object is a 404 "not_found" (older servers: 400 with
        # statusCode "404"); anything else is an error, never "absent".
        r = self.transport.request("GET", f"/storage/v1/object/info/{self.bucket}/{quote(name)}",
                                   accept=(400, 403, 404))
        if r.status_code == 200:
            return True
        if r.status_code == 404 or (r.status_code == 400 and '"404"' in r.text):
            return False
        raise StorageError(r.status_code, _msg(r.text))

    def _put(self, name: str, data: bytes, content_type: str) -> None:
        r = self.transport.request("POST", self._url(name), content=data,
                                   headers={"Content-Type": content_type, "x-upsert": "false"},
                                   accept=(400, 403, 409, 413))
        if r.status_code == 409 or (r.status_code == 400 and '"409"' in r.text):
            return  # "Duplicate": already there (an earlier attempt got through)
        if r.status_code >= 400:
            raise StorageError(r.status_code, _msg(r.text))

    def _get(self, name: str) -> bytes:
        r = self.transport.request("GET", self._url(name), accept=(400, 403, 404))
        if r.status_code >= 400:
            raise StorageError(r.status_code, _msg(r.text))
        return r.content

    def upload(self, path: Path | str, *, progress: Progress | None = None) -> UploadResult:
        path = Path(path)
        size = path.stat().st_size
        sha = file_sha256(path)
        prefix = self._prefix(sha)
        n_chunks = max(1, -(-size // self.chunk_size))
        if self._exists(f"{prefix}/manifest.json"):
            if progress:
                progress(size, size)
            return UploadResult(sha, size, prefix, n_chunks, 0)
        chunk_hashes: list[str] = []
        uploaded = 0
        done = 0
        with path.open("rb") as f:
            for i in range(n_chunks):
                data = f.read(self.chunk_size)
                chunk_hashes.append(hashlib.sha256(data).hexdigest())
                name = f"{prefix}/{i:05d}.part"
                if not self._exists(name):
                    self._put(name, data, "application/octet-stream")
                    uploaded += 1
                done += len(data)
                if progress:
                    progress(done, size)
        if file_sha256(path) != sha:
            raise IntegrityError(f"{path} changed while it was being uploaded")
        manifest = {"version": 1, "sha256": sha, "size": size, "chunk_size": self.chunk_size,
                    "chunks": chunk_hashes}
        self._put(f"{prefix}/manifest.json", json.dumps(manifest).encode(), "application/json")
        return UploadResult(sha, size, prefix, n_chunks, uploaded)

    def download(self, sha256: str, dest: Path | str, *, owner_id: str | None = None,
                 progress: Progress | None = None, attempts: int = 3) -> Path:
        """Fetch a blob; ``owner_id`` for media of a project shared by someone else.

        Resumable: verified chunks go to ``.<dest name>.partial`` beside
        ``dest``; a later call (after a cut connection, a crash) continues after
        the last whole verified chunk. A chunk whose hash does not match is
        fetched again (``attempts`` times) before :class:`IntegrityError`. The
        whole file is checked against ``sha256`` before it replaces ``dest``."""
        dest = Path(dest)
        prefix = self._prefix(sha256, owner_id)
        manifest = json.loads(self._get(f"{prefix}/manifest.json"))
        if manifest.get("sha256") != sha256:
            raise IntegrityError("manifest does not describe the requested file")
        size = int(manifest["size"])
        chunk_size = int(manifest["chunk_size"])
        chunks: list[str] = list(manifest["chunks"])
        dest.parent.mkdir(parents=True, exist_ok=True)
        partial = dest.with_name(f".{dest.name}.partial")
        total = hashlib.sha256()
        done_chunks = 0
        if partial.exists():
            have = partial.stat().st_size
            done_chunks = min(have // chunk_size, len(chunks))
            with partial.open("r+b") as f:
                f.truncate(done_chunks * chunk_size)
                for i in range(done_chunks):
                    data = f.read(chunk_size)
                    if hashlib.sha256(data).hexdigest() != chunks[i]:
                        done_chunks = i
                        f.truncate(i * chunk_size)
                        break
                    total.update(data)
        done = done_chunks * chunk_size
        if progress and done:
            progress(done, size)
        with partial.open("ab") as out:
            for i in range(done_chunks, len(chunks)):
                for attempt in range(attempts):
                    data = self._get(f"{prefix}/{i:05d}.part")
                    if hashlib.sha256(data).hexdigest() == chunks[i]:
                        break
                    if attempt == attempts - 1:
                        raise IntegrityError(f"chunk {i} of {sha256[:12]} is corrupt ({attempts} attempts)")
                out.write(data)
                out.flush()
                total.update(data)
                done += len(data)
                if progress:
                    progress(done, size)
            os.fsync(out.fileno())
        if total.hexdigest() != sha256 or done != size:
            partial.unlink(missing_ok=True)
            raise IntegrityError(f"downloaded file does not match {sha256[:12]}")
        os.replace(partial, dest)
        return dest


def _msg(text: str) -> str:
    try:
        data = json.loads(text)
        return str(data.get("message") or data.get("error") or text)
    except (ValueError, AttributeError):
        return text[:200]
