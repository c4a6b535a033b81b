"""The AI-job queue against replay, reorder, forgery and floods."""

from __future__ import annotations

import psycopg
from psycopg.types.json import Jsonb

from backend.tiers import load_tiers

from .conftest import N_CONCURRENT, Cast, Db, attempt, race, rpc, scalar, sql_as, unexpected

FREE_JOBS = load_tiers()["tiers"]["free"]["limits"]["ai_jobs_per_month"]


def used(db: Db, uid: str) -> int:
    return int(scalar(db, "select coalesce(sum(used), 0) from public.usage_counters where user_id = %s "
                          "and metric = 'ai_jobs_per_month'", uid))


def test_replayed_key_makes_one_job_even_concurrently(cast: Cast) -> None:
    db, u = cast.db, cast.stranger
    results = race(db, [("authenticated", u, "select public.request_ai_job('separate', %s, 'replay-key-001') r",
                         (Jsonb({"song": "a"}),)) for _ in range(N_CONCURRENT)])
    assert unexpected(results) == []
    ids = {r[0]["r"]["job_id"] for r in results}
    assert len(ids) == 1
    assert sorted(r[0]["r"]["status"] for r in results).count("queued") == 1
    assert scalar(db, "select count(*) from public.ai_jobs where user_id = %s", u) == 1 and used(db, u) == 1


def test_flood_of_distinct_keys_stops_at_the_quota(cast: Cast) -> None:
    db, u = cast.db, cast.stranger
    results = race(db, [("authenticated", u, "select public.request_ai_job('captions', '{}', %s) r",
                         (f"flood-key-{i:04d}",)) for i in range(N_CONCURRENT)])
    assert unexpected(results, "MS001") == []
    assert scalar(db, "select count(*) from public.ai_jobs where user_id = %s", u) == FREE_JOBS
    assert used(db, u) == FREE_JOBS


BAD_REQUESTS = [("mine_bitcoin", "bad-kind-0001"), ("separate", "has space 0001"), ("separate", "new\nline-0001"),
                ("separate", "short")]


def test_bad_requests_are_refused_before_anything_is_counted(cast: Cast) -> None:
    db, u = cast.db, cast.stranger
    for kind, key in BAD_REQUESTS:
        r = attempt(lambda kind=kind, key=key: rpc(db, u, "request_ai_job", kind, Jsonb({}), key))
        assert isinstance(r, psycopg.Error) and r.sqlstate == "MS003", (kind, key, r)
    assert scalar(db, "select count(*) from public.ai_jobs") == 0 and used(db, u) == 0


def test_clients_cannot_forge_or_advance_jobs(cast: Cast) -> None:
    db = cast.db
    job = rpc(db, cast.owner, "request_ai_job", "master", Jsonb({}), "owner-job-0001")["job_id"]
    forgeries = [
        ("insert into public.ai_jobs (user_id, kind, idempotency_key) values (%s, 'separate', 'x-00000001')", "uid"),
        ("update public.ai_jobs set status = 'done', output = '{\"url\": \"x\"}' where id = %s", "job"),
        ("delete from public.ai_jobs where id = %s", "job"),
    ]
    for who in (cast.owner, cast.stranger, cast.editor, cast.viewer):
        for q, arg in forgeries:
            value = who if arg == "uid" else job
            r = attempt(lambda who=who, q=q, value=value: sql_as(db, "authenticated", who, q, value))
            assert isinstance(r, psycopg.errors.InsufficientPrivilege), (q, r)
    assert scalar(db, "select status from public.ai_jobs where id = %s", job) == "queued"
    assert scalar(db, "select count(*) from public.ai_jobs") == 1


def test_worker_updates_cannot_be_reordered(cast: Cast) -> None:
    db = cast.db
    job = rpc(db, cast.owner, "request_ai_job", "separate", Jsonb({}), "worker-job-001")["job_id"]
    step = "update public.ai_jobs set status = %s, output = %s where id = %s"
    sql_as(db, "service_role", None, step, "running", None, job)
    sql_as(db, "service_role", None, step, "done", Jsonb({"stems": 4}), job)
    # a late "running" (or "failed") from a slower worker arrives after "done"
    for late in ("running", "failed", "queued"):
        r = attempt(lambda late=late: sql_as(db, "service_role", None, step, late, None, job))
        assert isinstance(r, psycopg.Error) and r.sqlstate == "MS003"
    r = attempt(lambda: sql_as(db, "service_role", None, "update public.ai_jobs set output = '{}' where id = %s", job))
    assert isinstance(r, psycopg.Error)
    r = attempt(lambda: sql_as(db, "service_role", None, "update public.ai_jobs set user_id = %s where id = %s",
                               cast.stranger, job))
    assert isinstance(r, psycopg.Error)
    row = sql_as(db, "service_role", None, "select status, output, user_id from public.ai_jobs where id = %s", job)[0]
    assert (row["status"], row["output"], str(row["user_id"])) == ("done", {"stems": 4}, cast.owner)


def test_anon_cannot_queue_jobs(cast: Cast) -> None:
    r = attempt(lambda: rpc(cast.db, None, "request_ai_job", "separate", Jsonb({}), "anon-key-0001", role="anon"))
    assert isinstance(r, psycopg.Error)
    assert scalar(cast.db, "select count(*) from public.ai_jobs") == 0
