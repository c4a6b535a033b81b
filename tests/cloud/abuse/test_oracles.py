"""Class 6: existence oracles and quiet bugs. Ids of other people's rows are
answered exactly like ids that do not exist; recipients read the split that
pays them; storage keys cannot climb out of their folder."""

from __future__ import annotations

import uuid

import psycopg
from psycopg.types.json import Jsonb

from .conftest import Cast, attempt, rpc, scalar, sql_as


def same_refusal(a: object, b: object) -> bool:
    return (isinstance(a, psycopg.Error) and isinstance(b, psycopg.Error) and a.sqlstate == b.sqlstate
            and str(a).splitlines()[0] == str(b).splitlines()[0])


def test_linking_a_mashup_to_a_project_not_owned_answers_like_a_missing_one(cast: Cast) -> None:
    db = cast.db
    q = "insert into public.mashups (title, project_id) values ('link', %s)"
    for who in ("stranger", "editor", "viewer"):
        uid = getattr(cast, who)
        theirs = attempt(lambda uid=uid: sql_as(db, "authenticated", uid, q, cast.project))
        missing = attempt(lambda uid=uid: sql_as(db, "authenticated", uid, q, str(uuid.uuid4())))
        assert same_refusal(theirs, missing), (who, theirs, missing)
        assert scalar(db, "select count(*) from public.mashups where owner_id = %s", uid) == 0


def test_captions_cannot_point_at_other_peoples_mashups_or_projects(cast: Cast) -> None:
    db = cast.db
    q_m = "insert into public.captions (mashup_id) values (%s)"
    q_p = "insert into public.captions (project_id) values (%s)"
    assert same_refusal(attempt(lambda: sql_as(db, "authenticated", cast.stranger, q_m, cast.public_mashup)),
                        attempt(lambda: sql_as(db, "authenticated", cast.stranger, q_m, str(uuid.uuid4()))))
    assert same_refusal(attempt(lambda: sql_as(db, "authenticated", cast.editor, q_p, cast.project)),
                        attempt(lambda: sql_as(db, "authenticated", cast.editor, q_p, str(uuid.uuid4()))))
    assert scalar(db, "select count(*) from public.captions") == 0


def test_recipient_reads_the_split_that_pays_them(cast: Cast) -> None:
    db = cast.db
    split = str(sql_as(db, "authenticated", cast.owner, "insert into public.revenue_splits (mashup_id) values (%s) "
                       "returning id", cast.public_mashup)[0]["id"])
    sql_as(db, "authenticated", cast.owner, "insert into public.revenue_split_recipients (split_id, recipient_id, "
           "share_bps) values (%s, %s, 2500)", split, cast.stranger)
    seen = sql_as(db, "authenticated", cast.stranger, "select id from public.revenue_splits")
    assert [str(r["id"]) for r in seen] == [split]
    assert len(sql_as(db, "authenticated", cast.stranger, "select * from public.revenue_split_recipients")) == 1
    for outsider in (cast.viewer, cast.editor):
        assert sql_as(db, "authenticated", outsider, "select id from public.revenue_splits") == []


BAD_KEYS = ["{u}/../{v}/stolen.flac", "{u}/./x.flac", "{u}//x.flac", "{u}/a/..", "{u}/a\\..\\b.flac",
            "{u}/x\n.flac", "/{u}/x.flac"]


def test_storage_keys_with_dot_segments_are_refused(cast: Cast) -> None:
    db = cast.db
    for key in BAD_KEYS:
        name = key.format(u=cast.stranger, v=cast.owner)
        err = attempt(lambda name=name: sql_as(db, "authenticated", cast.stranger, "insert into storage.objects "
                                               "(bucket_id, name, owner, metadata) values ('media', %s, %s, "
                                               "'{\"size\": 1}')", name, cast.stranger))
        assert isinstance(err, psycopg.Error), key
    assert scalar(db, "select count(*) from storage.objects") == 0


def test_dot_segment_paths_refused_in_media_rows_and_mashups(cast: Cast) -> None:
    db = cast.db
    bad = f"{cast.owner}/../{cast.stranger}/x.flac"
    ch = {"key": str(uuid.uuid4()), "kind": "project_media", "id": str(uuid.uuid4()), "op": "upsert",
          "fields": {"project_id": cast.project, "storage_path": bad}, "clock": "1700000000000-00000-d"}
    res = rpc(db, cast.owner, "sync_push", Jsonb([ch]))
    assert res[0]["status"] == "rejected" and res[0]["reason"] == "invalid"
    err = attempt(lambda: sql_as(db, "authenticated", cast.owner, "update public.mashups set audio_path = %s "
                                 "where id = %s", bad, cast.public_mashup))
    assert isinstance(err, psycopg.Error)
    assert scalar(db, "select count(*) from public.project_media") == 0
    assert scalar(db, "select audio_path from public.mashups where id = %s", cast.public_mashup) is None
    # ordinary keys still work
    sql_as(db, "authenticated", cast.owner, "insert into storage.objects (bucket_id, name, owner, metadata) values "
           "('media', %s, %s, '{\"size\": 1}')", f"{cast.owner}/blobs/ab.flac", cast.owner)
    assert scalar(db, "select count(*) from storage.objects") == 1
