"""Issue 16: a remix pack published by one studio (stems uploaded to the
public bucket through the gateway, then publish_pack) is listed and loaded by
another: downloaded through Storage into its media store and laid out as stem
lanes whose samples equal the published stems."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import numpy as np

from audio_engine import io
from audio_engine.credits import project_credits
from audio_engine.project import MediaStore
from backend.devserver.gateway import ANON_KEY, Gateway
from sync.remix_packs import PackCatalog, build_manifest, download_pack, pack_project
from tests.conftest import songs  # noqa: F401 - fixture
from tests.corpus import Song

from .conftest import Db
from .test_e2e_http import Factory, client, email  # noqa: F401 - fixtures

__all__ = ["client", "songs"]


def test_pack_published_listed_and_loaded_by_another_studio(gw: Gateway, client: Factory, db: Db,
                                                             songs: list[Song], tmp_path: Path) -> None:
    a, b = client(gw, "a"), client(gw, "b")
    a.auth.sign_up(email("packer"), "secret-pw")
    b.auth.sign_up(email("loader"), "secret-pw")
    stems = {n: songs[2].stem(n) for n in ("vocals", "drums")}
    pack_id = str(uuid.uuid4())
    m = build_manifest(pack_id, stems, title="Glass stems", artist="Singer B", licence="non-commercial",
                       tempo=100.0, key="C major")
    seen: list[int] = []
    cat_a = PackCatalog(a.transport, lambda: a.auth.user_id)
    assert cat_a.publish(m, stems, progress=lambda d, t: seen.append(d)) == pack_id
    assert seen[-1] == sum(s.size for s in m.stems)
    cat_b = PackCatalog(b.transport, lambda: b.auth.user_id)
    (listed,) = cat_b.list()
    assert listed.manifest == m
    store = MediaStore(tmp_path / "media")
    with httpx.Client(headers={"apikey": ANON_KEY}, timeout=30) as http:
        placed = download_pack(listed.manifest, cat_b.base_url(listed, public=False), store,
                               partial_dir=tmp_path / "partial", client=http)
    p = pack_project(listed.manifest, placed, duration=io.info(stems["vocals"]).duration)
    assert sorted(c.stem for c in p.clips()) == ["drums", "vocals"] and (p.tempo, p.key) == (100.0, "C major")
    for c in p.clips():
        ref = p.media[c.media]
        got = io.load(store.path(ref.file_hash(c.stem), ref.file_ext(c.stem))).samples
        assert np.array_equal(got, io.load(stems[c.stem or ""]).samples)
    assert project_credits(p).lineage[0].id == pack_id
