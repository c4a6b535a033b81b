"""Remix packs, client side (Qt-free): a creator's stems published with a
licence, and "Load into editor" on the other end.

A pack is a manifest (:class:`PackManifest`: id, title, artist, licence,
tempo, key, the stems' content hashes/extensions/sizes and the credited
sources of the song) plus one file per stem, named by its SHA-256 under the
pack's base URL (Storage's public ``published`` bucket in production).

:func:`download_pack` fetches the stems into the content-addressed media
store with progress; an interrupted transfer resumes from the bytes already
on disk (HTTP ``Range``), and every file is verified against its hash before
it is stored. :func:`pack_project` lays the stems out as stem lanes at the
pack's tempo and key, with the pack in the project's lineage (credits).

Not built yet (issue 16, next): the server tables/RPCs that list packs and
the Packs page; :func:`publish_pack_files` writes what the upload would.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from audio_engine.credits import Credits, SourceCredit, remix_lineage
from audio_engine.project import MediaStore, Project
from audio_engine.project.media import check_ext, check_hash_name
from audio_engine.project.model import check_stem_name

from .errors import SyncError

LICENCES: dict[str, str] = {
    "remix-with-credit": "Remix allowed with credit",
    "non-commercial": "Remix allowed with credit, non-commercial only",
}
MAX_STEMS = 16
MAX_STEM_BYTES = 2 << 30
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

Progress = Callable[[int, int], None]  # bytes done, bytes total


class PackError(SyncError):
    """A pack that cannot be read, downloaded or verified."""


@dataclass(frozen=True)
class PackStem:
    name: str
    hash: str
    ext: str
    size: int


@dataclass(frozen=True)
class PackManifest:
    id: str
    title: str
    artist: str
    licence: str
    tempo: float
    key: str | None
    stems: tuple[PackStem, ...]
    sources: tuple[SourceCredit, ...] = field(default=())

    def check(self) -> None:
        if not _ID.match(self.id):
            raise PackError(f"Pack id {self.id!r} is not valid.")
        if self.licence not in LICENCES:
            raise PackError(f"Unknown pack licence {self.licence!r} (known: {', '.join(LICENCES)}).")
        if not 20.0 <= self.tempo <= 400.0:
            raise PackError(f"The pack's tempo {self.tempo} BPM is outside 20-400.")
        if not 1 <= len(self.stems) <= MAX_STEMS or len({s.name for s in self.stems}) != len(self.stems):
            raise PackError(f"A pack has 1-{MAX_STEMS} stems with distinct names.")
        if len(self.title) > 200 or len(self.artist) > 200:
            raise PackError("Pack title and artist are limited to 200 characters.")
        for s in self.stems:
            try:
                check_stem_name("Pack stem", s.name)
                check_hash_name(s.hash)
                check_ext(s.ext)
            except Exception as e:  # ProjectFileError: the engine's message
                raise PackError(str(e)) from e
            if not 0 < s.size <= MAX_STEM_BYTES:
                raise PackError(f"Stem {s.name!r} has an impossible size {s.size}.")

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "artist": self.artist, "licence": self.licence,
                "tempo": self.tempo, "key": self.key,
                "stems": [{"name": s.name, "hash": s.hash, "ext": s.ext, "size": s.size} for s in self.stems],
                "sources": [s.to_dict() for s in self.sources]}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> PackManifest:
        try:
            m = cls(id=str(d["id"]), title=str(d.get("title", "")), artist=str(d.get("artist", "")),
                    licence=str(d.get("licence", "")), tempo=float(d["tempo"]),
                    key=None if d.get("key") is None else str(d["key"]),
                    stems=tuple(PackStem(str(s["name"]), str(s["hash"]), str(s["ext"]), int(s["size"]))
                                for s in d["stems"]),
                    sources=tuple(SourceCredit.from_dict(s) for s in d.get("sources", [])))
        except (KeyError, TypeError, ValueError) as e:
            raise PackError(f"The pack manifest is malformed: {e}") from e
        except Exception as e:  # ProjectFileError from a source credit
            raise PackError(f"The pack manifest is malformed: {e}") from e
        m.check()
        return m


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def build_manifest(pack_id: str, stems: Mapping[str, Path], *, title: str, artist: str, licence: str, tempo: float,
                   key: str | None, sources: tuple[SourceCredit, ...] = ()) -> PackManifest:
    """The manifest of a pack made of the stem files ``stems`` (name -> file)."""
    items = tuple(PackStem(name, _sha256(p), check_ext(p.suffix.lower() or ".flac"), p.stat().st_size)
                  for name, p in sorted(stems.items()))
    m = PackManifest(pack_id, title, artist, licence, tempo, key, items, sources)
    m.check()
    return m


def publish_pack_files(manifest: PackManifest, stems: Mapping[str, Path], folder: Path) -> Path:
    """Lay the pack out as it is served: ``manifest.json`` and ``<hash><ext>`` per stem."""
    folder.mkdir(parents=True, exist_ok=True)
    for s in manifest.stems:
        shutil.copyfile(stems[s.name], folder / f"{s.hash}{s.ext}")
    out = folder / "manifest.json"
    out.write_text(json.dumps(manifest.to_json(), indent=2), encoding="utf-8")
    return out


def fetch_manifest(base_url: str, *, client: httpx.Client | None = None) -> PackManifest:
    c = client or httpx.Client(timeout=30)
    try:
        r = c.get(f"{base_url.rstrip('/')}/manifest.json")
        if r.status_code != 200:
            raise PackError(f"The pack could not be read (HTTP {r.status_code}).")
        return PackManifest.from_json(r.json())
    except httpx.HTTPError as e:
        raise PackError(f"The pack could not be read: {e}") from e
    finally:
        if client is None:
            c.close()


def _download_one(c: httpx.Client, url: str, part: Path, stem: PackStem, done_before: int, total: int,
                  progress: Progress | None) -> None:
    have = part.stat().st_size if part.is_file() else 0
    if have > stem.size:
        part.unlink()
        have = 0
    if have == stem.size:
        return
    headers = {"Range": f"bytes={have}-"} if have else {}
    with c.stream("GET", url, headers=headers) as r:
        if r.status_code == 200 and have:
            have = 0  # the server ignored the range: start over
        elif r.status_code not in (200, 206):
            raise PackError(f"Stem {stem.name!r} could not be downloaded (HTTP {r.status_code}).")
        with open(part, "r+b" if have else "wb") as f:
            f.seek(have)
            f.truncate()
            for block in r.iter_bytes():  # as it arrives: an interruption keeps every byte received
                f.write(block)
                have += len(block)
                if have > stem.size:
                    raise PackError(f"Stem {stem.name!r} is larger than the pack says.")
                if progress:
                    progress(done_before + have, total)


def download_pack(manifest: PackManifest, base_url: str, store: MediaStore, *, partial_dir: Path,
                  progress: Progress | None = None, client: httpx.Client | None = None) -> dict[str, tuple[str, str]]:
    """Download the pack's stems into ``store`` (content-addressed: stems
    already there are not fetched again). Partial files live in
    ``partial_dir`` and are resumed by the next call after an interruption.
    Returns ``{stem: (hash, ext)}``."""
    manifest.check()
    total = sum(s.size for s in manifest.stems)
    done = 0
    out: dict[str, tuple[str, str]] = {}
    partial_dir.mkdir(parents=True, exist_ok=True)
    c = client or httpx.Client(timeout=60)
    try:
        for s in manifest.stems:
            if store.verify(s.hash, s.ext):
                out[s.name] = (s.hash, s.ext)
                done += s.size
                if progress:
                    progress(done, total)
                continue
            part = partial_dir / f"{s.hash}{s.ext}.part"
            try:
                _download_one(c, f"{base_url.rstrip('/')}/{s.hash}{s.ext}", part, s, done, total, progress)
            except httpx.HTTPError as e:
                raise PackError(f"The download of stem {s.name!r} stopped ({e}); run it again to resume.") from e
            if _sha256(part) != s.hash:
                part.unlink()
                raise PackError(f"Stem {s.name!r} does not match its hash; the damaged copy was removed.")
            out[s.name] = _store(store, part, s)
            part.unlink(missing_ok=True)
            done += s.size
    finally:
        if client is None:
            c.close()
    return out


def _store(store: MediaStore, part: Path, s: PackStem) -> tuple[str, str]:
    named = part.with_name(f"{s.hash}{s.ext}")
    os.replace(part, named)
    try:
        return store.add_file(named, known_hash=s.hash)
    finally:
        named.unlink(missing_ok=True)


def pack_project(manifest: PackManifest, stems: Mapping[str, tuple[str, str]], *, duration: float) -> Project:
    """A new project with the pack's stems as stem lanes at its tempo and key,
    crediting the pack (and the song's sources) in the lineage."""
    from audio_engine.app.songs import SongToAdd, add_songs
    from audio_engine.project import CommandStack, Macro

    first = manifest.stems[0]
    song = SongToAdd(hash=stems[first.name][0], ext=stems[first.name][1], title=manifest.title, duration=duration,
                     artist=manifest.artist, bpm=manifest.tempo, key=manifest.key,
                     stems={s.name: stems[s.name] for s in manifest.stems})
    p = Project(title=f"{manifest.title} (remix)", tempo=manifest.tempo, key=manifest.key)
    CommandStack(p).push(Macro(commands=add_songs(p, [song]), name="Load pack"))
    p.tempo, p.key = manifest.tempo, manifest.key
    parent = Credits(title=manifest.title, artist=manifest.artist, sources=manifest.sources)
    p.lineage = remix_lineage(parent, kind="pack", work_id=manifest.id, licence=manifest.licence)
    p.validate()
    return p


# -- the catalogue (server: migration 20261129005200_remix_packs.sql) ----------------
PACKS_BUCKET = "published"


@dataclass(frozen=True)
class ListedPack:
    manifest: PackManifest
    owner: str
    storage_prefix: str


class PackCatalog:
    """Publish a pack (stems uploaded to the public bucket under the pack's
    path, then ``publish_pack``) and list the catalogue (``list_packs``)."""

    def __init__(self, transport: Any, user_id: Callable[[], str | None]) -> None:
        self.t = transport
        self._user_id = user_id

    def prefix(self, pack_id: str) -> str:
        uid = self._user_id()
        if not uid:
            from .errors import AuthRequiredError

            raise AuthRequiredError()
        return f"{uid}/packs/{pack_id}"

    def publish(self, manifest: PackManifest, stems: Mapping[str, Path], *,
                progress: Progress | None = None) -> str:
        from urllib.parse import quote

        manifest.check()
        prefix = self.prefix(manifest.id)
        total = sum(s.size for s in manifest.stems)
        done = 0
        for s in manifest.stems:
            path = stems[s.name]
            if _sha256(path) != s.hash:
                raise PackError(f"Stem {s.name!r} changed since the pack was made; make the pack again.")
            r = self.t.request("POST", f"/storage/v1/object/{PACKS_BUCKET}/{quote(f'{prefix}/{s.hash}{s.ext}')}",
                               content=path.read_bytes(), headers={"Content-Type": "application/octet-stream",
                                                                   "x-upsert": "false"}, accept=(400, 409))
            if r.status_code >= 400 and not (r.status_code == 409 or '"409"' in r.text):
                raise PackError(f"Stem {s.name!r} could not be uploaded (HTTP {r.status_code}).")
            done += s.size
            if progress:
                progress(done, total)
        body = json.dumps(manifest.to_json()).encode()
        self.t.request("POST", f"/storage/v1/object/{PACKS_BUCKET}/{quote(prefix + '/manifest.json')}", content=body,
                       headers={"Content-Type": "application/json", "x-upsert": "true"})
        return str(self.t.rpc("publish_pack", {"p_id": manifest.id, "p_manifest": manifest.to_json()}))

    def list(self, limit: int = 50) -> list[ListedPack]:
        out = []
        for row in self.t.rpc("list_packs", {"p_limit": limit}) or []:
            try:
                out.append(ListedPack(PackManifest.from_json(row["manifest"]), str(row["owner"]),
                                      str(row["storage_prefix"])))
            except (PackError, KeyError, TypeError):
                continue  # a pack this version cannot read is left out, not fatal
        return out

    def http_client(self) -> httpx.Client:
        """A client for the pack files through the object API with the project's
        anon key (the published bucket is readable by everyone)."""
        return httpx.Client(headers={"apikey": self.t.config.anon_key}, timeout=60)

    def base_url(self, listed: ListedPack, *, public: bool = True) -> str:
        """Where the pack's files are: Storage's public URL (``public``, no
        account needed, Range supported) or the authenticated object path."""
        kind = "object/public" if public else "object"
        return f"{self.t.config.base}/storage/v1/{kind}/{PACKS_BUCKET}/{listed.storage_prefix}"


def load_pack_into_folder(manifest: PackManifest, base_url: str, store: MediaStore, folder: Path, *,
                          partial_dir: Path, progress: Progress | None = None,
                          client: httpx.Client | None = None) -> Path:
    """"Load into editor": download (or resume) the stems into ``store`` and
    save the pack's stem-lane project as the ``.mashup`` folder ``folder``."""
    from audio_engine.io import info
    from audio_engine.project import save_project

    placed = download_pack(manifest, base_url, store, partial_dir=partial_dir, progress=progress, client=client)
    first = manifest.stems[0]
    duration = info(store.path(*placed[first.name])).duration
    return save_project(pack_project(manifest, placed, duration=duration), folder, media_sources=store)
