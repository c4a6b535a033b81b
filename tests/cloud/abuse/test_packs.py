"""Issue 16: the remix pack catalogue on a real PostgreSQL 15: a pack is
published only over stems its publisher uploaded at the pack's own path;
everyone reads the catalogue; nobody writes it directly; bad manifests and
taken ids are refused whole."""

from __future__ import annotations

import json
import uuid
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from .conftest import Cast, attempt, rpc, scalar, sql_as

HASH = "ab" * 32


def manifest(pack: str, **kw: Any) -> dict[str, Any]:
    m: dict[str, Any] = {"id": pack, "title": "Night Drive stems", "artist": "Band A", "licence": "remix-with-credit",
                         "tempo": 120.0, "key": "A minor",
                         "stems": [{"name": "vocals", "hash": HASH, "ext": ".flac", "size": 1000}], "sources": []}
    m.update(kw)
    return m


def upload(cast: Cast, who: str, name: str) -> None:
    sql_as(cast.db, "authenticated", who, "insert into storage.objects (bucket_id, name, owner, metadata) "
           "values ('published', %s, %s, %s)", name, who, Jsonb({"size": 1000}))


def test_publish_over_uploaded_stems_and_everyone_reads(cast: Cast) -> None:
    db, pack = cast.db, str(uuid.uuid4())
    e = attempt(lambda: rpc(db, cast.owner, "publish_pack", pack, json.dumps(manifest(pack))))
    assert isinstance(e, psycopg.Error) and e.sqlstate == "MS004" and "not uploaded" in str(e)
    upload(cast, cast.owner, f"{cast.owner}/packs/{pack}/{HASH}.flac")
    assert str(rpc(db, cast.owner, "publish_pack", pack, json.dumps(manifest(pack)))) == pack
    for role, who in (("anon", None), ("authenticated", cast.stranger)):
        rows = sql_as(db, role, who, "select title, licence, storage_prefix from public.remix_packs")
        assert [(r["title"], r["licence"], r["storage_prefix"]) for r in rows] == [
            ("Night Drive stems", "remix-with-credit", f"{cast.owner}/packs/{pack}")]
    e = attempt(lambda: rpc(db, cast.owner, "publish_pack", pack, json.dumps(manifest(pack))))
    assert isinstance(e, psycopg.Error) and "taken" in str(e)
    e = attempt(lambda: rpc(db, cast.stranger, "delete_pack", pack))
    assert isinstance(e, psycopg.Error) and e.sqlstate == "MS004"
    rpc(db, cast.owner, "delete_pack", pack)
    assert scalar(db, "select count(*) from public.remix_packs") == 0


def test_others_stems_bad_manifests_and_direct_writes_are_refused(cast: Cast) -> None:
    db, pack = cast.db, str(uuid.uuid4())
    upload(cast, cast.stranger, f"{cast.stranger}/packs/{pack}/{HASH}.flac")  # someone else's upload
    e = attempt(lambda: rpc(db, cast.owner, "publish_pack", pack, json.dumps(manifest(pack))))
    assert isinstance(e, psycopg.Error) and e.sqlstate == "MS004"
    upload(cast, cast.owner, f"{cast.owner}/packs/{pack}/{HASH}.flac")
    stem = {"name": "vocals", "hash": HASH, "ext": ".flac", "size": 1000}
    for bad in (manifest(pack, licence="all-rights-reserved"), manifest(pack, tempo=1000),
                manifest(pack, id=str(uuid.uuid4())), manifest(pack, stems=[]),
                manifest(pack, stems=[{**stem, "name": "../x"}]), manifest(pack, stems=[{**stem, "hash": "../../etc"}]),
                manifest(pack, stems=[stem, stem]), manifest(pack, title=""), manifest(pack, title="t" * 201),
                manifest(pack, stems=[stem] * 17)):
        e = attempt(lambda bad=bad: rpc(db, cast.owner, "publish_pack", pack, json.dumps(bad)))  # type: ignore[misc]
        assert isinstance(e, psycopg.Error) and e.sqlstate == "MS003", bad
    e = attempt(lambda: sql_as(db, "authenticated", cast.owner, "insert into public.remix_packs (id, owner_id, "
                               "title, licence, tempo, manifest, storage_prefix) values (%s, %s, 't', "
                               "'non-commercial', 100, '{}', 'x')", pack, cast.owner))
    assert isinstance(e, psycopg.Error) and e.sqlstate == "42501"
    e = attempt(lambda: rpc(db, None, "publish_pack", pack, json.dumps(manifest(pack)), role="anon"))
    assert isinstance(e, psycopg.Error) and e.sqlstate == "42501"
    assert scalar(db, "select count(*) from public.remix_packs") == 0
