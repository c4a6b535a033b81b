"""Issue 16: "Remix this" on a real PostgreSQL 15. Only a public mashup whose
owner allowed remixes (and published it with its cloud project) is copied;
every other case answers the same error (no existence oracle) and writes
nothing; concurrent remixes stop at the caller's project limit; the copy
grants read of exactly the published project's media blobs, to the remixer
only, while the remix project lives."""

from __future__ import annotations

import json
import uuid

import psycopg
from psycopg.types.json import Jsonb

from backend.tiers import load_tiers

from .conftest import N_CONCURRENT, Cast, Db, attempt, race, rpc, scalar, sql_as, unexpected

HASH_A, HASH_B, HASH_OTHER = "a1" * 32, "b2" * 32, "c3" * 32
NOT_OPEN = "not open to remixes"


def published_project(cast: Cast, *, visibility: str = "public", licence: str | None = "remix-with-credit") -> str:
    """The owner's project with two entities (one deleted) and two media rows, published as a mashup."""
    db, owner, pid = cast.db, cast.owner, str(uuid.uuid4())
    with db.connect(autocommit=True) as conn:
        conn.execute("insert into public.projects (id, owner_id, title, bpm) values (%s, %s, 'Night Drive mix', 120)",
                     (pid, owner))
        for kind, eid, fields, deleted in (("props", "project", {"title": "Night Drive mix", "tempo": 120.0}, False),
                                           ("track", "t1", {"name": "Vocals"}, False),
                                           ("track", "t-gone", {"name": "Deleted"}, True)):
            conn.execute("insert into public.project_entities (project_id, kind, entity_id, owner_id, fields, deleted, "
                         "field_clock) values (%s, %s, %s, %s, %s, %s, %s)",
                         (pid, kind, eid, owner, Jsonb(fields), deleted,
                          Jsonb({k: "1700000000000-00000-dev" for k in fields})))
        for h in (HASH_A, HASH_B):
            conn.execute("insert into public.project_media (id, owner_id, project_id, role, sha256, size_bytes, "
                         "storage_path) values (%s, %s, %s, 'source', %s, 1000, %s)",
                         (str(uuid.uuid4()), owner, pid, h, f"{owner}/blobs/{h}"))
        for h in (HASH_A, HASH_B, HASH_OTHER):  # the blobs in Storage (HASH_OTHER: in no published project)
            conn.execute("insert into storage.objects (bucket_id, name, owner, metadata) values ('media', %s, %s, %s) "
                         "on conflict do nothing", (f"{owner}/blobs/{h}/manifest.json", owner, Jsonb({"size": 100})))
        row = conn.execute("insert into public.mashups (owner_id, title, visibility, project_id) values "
                           "(%s, 'Night Drive', %s, %s) returning id", (owner, visibility, pid)).fetchone()
    assert row is not None
    mid = str(row["id"])
    if licence is not None:
        rpc(db, owner, "set_remix_licence", mid, licence)
    return mid


def readable_blobs(db: Db, who: str, owner: str) -> set[str]:
    rows = sql_as(db, "authenticated", who, "select name from storage.objects where bucket_id = 'media' "
                  "and name like %s", f"{owner}/blobs/%")
    return {r["name"].split("/")[2] for r in rows}


def test_remix_copies_the_live_project_lineage_and_grants_only_its_media(cast: Cast) -> None:
    db, b = cast.db, cast.stranger
    mid = published_project(cast)
    assert readable_blobs(db, b, cast.owner) == set()
    pid = str(uuid.uuid4())
    r = rpc(db, b, "remix_mashup", mid, pid)
    assert r["project_id"] == pid and r["source_owner"] == cast.owner and r["licence"] == "remix-with-credit"
    assert [m["sha256"] for m in r["media"]] == sorted([HASH_A, HASH_B])
    row = sql_as(db, "authenticated", b, "select owner_id, title from public.projects where id = %s", pid)
    assert [(str(x["owner_id"]), x["title"]) for x in row] == [(b, "Night Drive (remix)")]
    ents = sql_as(db, "authenticated", b, "select kind, entity_id, owner_id, fields from public.project_entities "
                  "where project_id = %s order by kind, entity_id", pid)
    assert [(e["kind"], e["entity_id"], str(e["owner_id"])) for e in ents] == [("props", "project", b), ("track", "t1", b)]
    lineage = sql_as(db, "authenticated", b, "select mashup_id, parent_owner, remixer from public.project_remixes")
    assert [(str(x["mashup_id"]), str(x["parent_owner"]), str(x["remixer"])) for x in lineage] == [(mid, cast.owner, b)]
    assert readable_blobs(db, b, cast.owner) == {HASH_A, HASH_B}  # never HASH_OTHER
    assert readable_blobs(db, cast.editor, cast.owner) == set()  # nobody else gains anything
    # a retry with the same project id copies nothing twice
    assert rpc(db, b, "remix_mashup", mid, pid)["project_id"] == pid
    assert scalar(db, "select count(*) from public.project_entities where project_id = %s", pid) == 2
    # the remix project removed (a tombstone): the grant ends with it
    with db.connect(autocommit=True) as conn:
        conn.execute("update public.projects set deleted = true where id = %s", (pid,))
    assert readable_blobs(db, b, cast.owner) == set()
    # nobody can use another remixer's project id to get a copy (the answer: test_taken_project_ids_...)
    e = attempt(lambda: rpc(db, cast.editor, "remix_mashup", mid, pid))
    assert isinstance(e, psycopg.Error) and e.sqlstate == "MS004"


def test_taken_project_ids_of_others_answer_like_a_closed_mashup_and_write_nothing(cast: Cast) -> None:
    """A caller-chosen project id someone else holds (their project, their remix,
    or one a concurrent call of theirs takes) is no existence oracle: the answer
    is the one a mashup not open to remixes gets, and nothing is written."""
    db, b = cast.db, cast.stranger
    mid = published_project(cast)
    theirs = str(uuid.uuid4())
    rpc(db, cast.editor, "remix_mashup", mid, theirs)  # the editor's remix

    def answer(who: str, m: str, pid: str) -> tuple[str | None, str]:
        e = attempt(lambda: rpc(db, who, "remix_mashup", m, pid))
        assert isinstance(e, psycopg.Error), e
        return e.sqlstate, str(e).splitlines()[0]

    def rows() -> tuple[int, ...]:
        return tuple(scalar(db, q) for q in ("select count(*) from public.projects",
                                             "select count(*) from public.project_entities",
                                             "select count(*) from public.project_remixes",
                                             "select count(*) from private.remix_media_grants"))

    before = rows()
    closed = answer(b, str(uuid.uuid4()), str(uuid.uuid4()))
    assert closed == ("MS004", "mashup not found or not open to remixes")
    assert answer(b, mid, cast.project) == closed  # the owner's own project
    assert answer(b, mid, theirs) == closed  # another remixer's remix
    assert rows() == before and readable_blobs(db, b, cast.owner) == set()
    # the caller's own ids keep the precise answer (nothing to learn about one's own projects)
    mine = str(uuid.uuid4())
    with db.connect(autocommit=True) as conn:
        conn.execute("insert into public.projects (id, owner_id, title) values (%s, %s, 'mine')", (mine, b))
    assert answer(b, mid, mine)[0] == "MS003"

    # one fresh id raced by three users (each twice): one user's calls get the copy, every other call the closed answer
    raced = str(uuid.uuid4())
    who = [b, cast.editor, cast.viewer] * 2
    results = race(db, [("authenticated", u, "select public.remix_mashup(%s, %s) r", (mid, raced)) for u in who])
    assert unexpected(results, "MS004") == []
    winners = {u for u, r in zip(who, results, strict=True) if not isinstance(r, Exception)}
    assert len(winners) == 1 and all(r[0]["r"]["project_id"] == raced for r in results if not isinstance(r, Exception))
    assert {str(r).splitlines()[0] for r in results if isinstance(r, Exception)} == {closed[1]}
    assert scalar(db, "select count(*) from public.project_remixes where project_id = %s", raced) == 1
    assert scalar(db, "select owner_id::text from public.projects where id = %s", raced) in winners


def test_private_unlisted_unlicensed_missing_mashups_answer_the_same_and_write_nothing(cast: Cast) -> None:
    db, b = cast.db, cast.stranger
    cases = {"private": published_project(cast, visibility="private"),
             "unlisted": published_project(cast, visibility="unlisted"),
             "no licence": published_project(cast, licence=None),
             "no project": cast.public_mashup, "missing": str(uuid.uuid4())}
    revoked = published_project(cast)
    rpc(db, cast.owner, "set_remix_licence", revoked, None)  # the owner changed their mind
    cases["licence withdrawn"] = revoked
    gone = published_project(cast)
    with db.connect(autocommit=True) as conn:
        conn.execute("update public.projects set deleted = true where id = (select project_id from public.mashups "
                     "where id = %s)", (gone,))
    cases["project deleted"] = gone
    before = scalar(db, "select count(*) from public.projects")
    messages = set()
    for name, mid in cases.items():
        e = attempt(lambda mid=mid: rpc(db, b, "remix_mashup", mid, str(uuid.uuid4())))
        assert isinstance(e, psycopg.Error) and e.sqlstate == "MS004", name
        messages.add(str(e).splitlines()[0])
    assert messages == {"mashup not found or not open to remixes"}
    assert scalar(db, "select count(*) from public.projects") == before
    assert scalar(db, "select count(*) from public.project_remixes") == 0
    assert scalar(db, "select count(*) from private.remix_media_grants") == 0
    assert readable_blobs(db, b, cast.owner) == set()
    e = attempt(lambda: rpc(db, None, "remix_mashup", cases["private"], None, role="anon"))
    assert isinstance(e, psycopg.Error) and e.sqlstate == "42501"


def test_only_the_owner_sets_a_known_licence_and_clients_cannot_write_lineage(cast: Cast) -> None:
    db = cast.db
    mid = published_project(cast, licence=None)
    e = attempt(lambda: rpc(db, cast.stranger, "set_remix_licence", mid, "remix-with-credit"))
    assert isinstance(e, psycopg.Error) and e.sqlstate == "MS004"
    e = attempt(lambda: rpc(db, cast.owner, "set_remix_licence", mid, "all-rights-reserved"))
    assert isinstance(e, psycopg.Error) and e.sqlstate == "MS003"
    e = attempt(lambda: rpc(db, cast.owner, "set_remix_licence", cast.public_mashup, "non-commercial"))
    assert isinstance(e, psycopg.Error) and "with its project" in str(e)  # nothing to copy without a cloud project
    e = attempt(lambda: sql_as(db, "authenticated", cast.owner,
                               "update public.mashups set remix_licence = 'non-commercial' where id = %s", mid))
    assert isinstance(e, psycopg.Error) and e.sqlstate == "42501"
    assert scalar(db, "select remix_licence from public.mashups where id = %s", mid) is None
    e = attempt(lambda: sql_as(db, "authenticated", cast.stranger,
                               "insert into public.project_remixes (project_id, remixer, licence) values (%s, %s, "
                               "'non-commercial')", cast.project, cast.stranger))
    assert isinstance(e, psycopg.Error) and e.sqlstate == "42501"
    assert rpc(db, cast.owner, "set_remix_licence", mid, "non-commercial")["remix_licence"] == "non-commercial"
    row = sql_as(db, "postgres", None, "select private.mashup_json(%s) j", mid)[0]["j"]
    assert row["remix_licence"] == "non-commercial" and row["title"] == "Night Drive"


def test_concurrent_remixes_stop_at_the_callers_project_limit(cast: Cast) -> None:
    db, b = cast.db, cast.stranger
    mid = published_project(cast)
    limit = int(load_tiers()["tiers"]["free"]["limits"]["max_projects"])
    with db.connect(autocommit=True) as conn:  # the remixer already has one project of their own
        conn.execute("insert into public.projects (id, owner_id, title) values (%s, %s, 'mine')", (str(uuid.uuid4()), b))
    calls = [("authenticated", b, "select public.remix_mashup(%s, %s) r", (mid, str(uuid.uuid4())))
             for _ in range(N_CONCURRENT)]
    results = race(db, calls)
    assert unexpected(results, "MS001") == []
    ok = [r for r in results if not isinstance(r, Exception)]
    assert len(ok) == limit - 1
    assert all(isinstance(r, psycopg.Error) and "max_projects" in str(r) for r in results if isinstance(r, Exception))
    assert scalar(db, "select count(*) from public.projects where owner_id = %s and not deleted", b) == limit
    assert scalar(db, "select count(*) from public.project_remixes where remixer = %s", b) == limit - 1
    assert scalar(db, "select count(*) from private.remix_media_grants where grantee = %s", b) == 2 * (limit - 1)
    assert scalar(db, "select count(*) from public.project_entities where owner_id = %s", b) == 2 * (limit - 1)
    assert json.loads(json.dumps([str(r[0]["r"]["mashup_id"]) for r in ok])) == [mid] * (limit - 1)
