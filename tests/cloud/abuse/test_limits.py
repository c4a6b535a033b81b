"""Class 4: limits counted where the tier defines them and atomic under
concurrency ("check the total, then insert" serialised on what the total
belongs to)."""

from __future__ import annotations

import uuid

import psycopg
from psycopg.types.json import Jsonb

from backend.tiers import load_tiers

from .conftest import N_CONCURRENT, Cast, Db, attempt, race, scalar, sql_as, unexpected

LIMITS = load_tiers()["tiers"]


def new_session(db: Db, owner: str, project: str) -> str:
    return str(sql_as(db, "authenticated", owner, "insert into public.collaboration_sessions (project_id) "
                      "values (%s) returning id", project)[0]["id"])


def people_on(db: Db, project: str) -> int:
    return int(scalar(db, "select count(distinct cp.user_id) from public.collaboration_participants cp join "
                          "public.collaboration_sessions cs on cs.id = cp.session_id where cs.project_id = %s", project))


def test_collaborator_limit_counts_people_per_project_not_per_session(cast: Cast) -> None:
    db = cast.db
    db.set_tier(cast.owner, "free")  # one collaborator; the cast already shares with two
    invite = "insert into public.collaboration_participants (session_id, user_id, role) values (%s, %s, 'viewer')"
    for _ in range(3):  # a new session per guest used to reset the count
        s = new_session(db, cast.owner, cast.project)
        err = attempt(lambda s=s: sql_as(db, "authenticated", cast.owner, invite, s, db.create_user()))
        assert isinstance(err, psycopg.Error) and err.sqlstate == "MS001"
    assert people_on(db, cast.project) == 2
    # someone already on the project may join another of its sessions: still one person
    s = new_session(db, cast.owner, cast.project)
    sql_as(db, "authenticated", cast.owner, invite, s, cast.viewer)
    assert people_on(db, cast.project) == 2


def test_concurrent_invites_across_sessions_stop_at_the_limit(adb: Db) -> None:
    owner = adb.create_user()
    adb.set_tier(owner, "pro")
    limit = LIMITS["pro"]["limits"]["max_collaborators"]
    project = str(uuid.uuid4())
    with adb.connect(autocommit=True) as conn:
        conn.execute("insert into public.projects (id, owner_id) values (%s, %s)", (project, owner))
    sessions = [new_session(adb, owner, project) for _ in range(4)]
    guests = [adb.create_user() for _ in range(N_CONCURRENT)]
    results = race(adb, [("authenticated", owner, "insert into public.collaboration_participants "
                          "(session_id, user_id, role) values (%s, %s, 'editor')", (sessions[i % 4], g))
                         for i, g in enumerate(guests)])
    assert unexpected(results, "MS001") == []
    assert people_on(adb, project) == limit
    assert sum(1 for r in results if not isinstance(r, Exception)) == limit


def test_storage_quota_holds_under_concurrent_uploads(adb: Db) -> None:
    u = adb.create_user()  # free: storage_bytes
    quota = LIMITS["free"]["limits"]["storage_bytes"]
    size = quota // 5
    results = race(adb, [("authenticated", u, "insert into storage.objects (bucket_id, name, owner, metadata) "
                          "values ('media', %s, %s, %s)", (f"{u}/blobs/{i:02d}.flac", u, Jsonb({"size": size})))
                         for i in range(N_CONCURRENT)])
    assert unexpected(results, "42501") == []  # denied by the policy, nothing else
    stored = scalar(adb, "select coalesce(sum((metadata ->> 'size')::bigint), 0) from storage.objects "
                         "where owner = %s", u)
    assert stored <= quota
    assert scalar(adb, "select count(*) from storage.objects where owner = %s", u) == 5


def test_revenue_shares_never_exceed_100_percent_under_concurrency(cast: Cast) -> None:
    db = cast.db
    split = str(sql_as(db, "authenticated", cast.owner, "insert into public.revenue_splits (mashup_id) values (%s) "
                       "returning id", cast.public_mashup)[0]["id"])
    results = race(db, [("authenticated", cast.owner, "insert into public.revenue_split_recipients "
                         "(split_id, recipient_email, share_bps) values (%s, %s, 1000)", (split, f"r{i}@example.test"))
                        for i in range(N_CONCURRENT)])
    assert unexpected(results, "MS003") == []
    assert scalar(db, "select sum(share_bps) from public.revenue_split_recipients where split_id = %s", split) == 10000
    # raising shares concurrently cannot pass 100 % either
    results = race(db, [("authenticated", cast.owner, "update public.revenue_split_recipients set share_bps = 1500 "
                         "where split_id = %s and recipient_email = %s", (split, f"r{i}@example.test"))
                        for i in range(N_CONCURRENT)])
    assert scalar(db, "select sum(share_bps) from public.revenue_split_recipients where split_id = %s", split) <= 10000


def test_project_limit_holds_under_concurrent_creates(adb: Db) -> None:
    u = adb.create_user()
    limit = LIMITS["free"]["limits"]["max_projects"]
    calls = []
    for i in range(N_CONCURRENT):
        ch = {"key": str(uuid.uuid4()), "kind": "project", "id": str(uuid.uuid4()), "op": "upsert",
              "fields": {"title": f"p{i}"}, "clock": f"{1_700_000_000_000 + i:013d}-00000-d"}
        calls.append(("authenticated", u, "select public.sync_push(%s) r", (Jsonb([ch]),)))
    results = race(adb, calls)
    assert unexpected(results) == []
    statuses = [r[0]["r"][0].get("reason", "accepted") for r in results]
    assert statuses.count("accepted") == limit and statuses.count("tier_limit") == N_CONCURRENT - limit
    assert scalar(adb, "select count(*) from public.projects where owner_id = %s and not deleted", u) == limit


def test_monthly_publish_quota_holds_under_concurrent_publishes(adb: Db) -> None:
    u = adb.create_user()
    limit = LIMITS["free"]["limits"]["published_mashups_per_month"]
    results = race(adb, [("authenticated", u, "insert into public.mashups (title) values (%s)", (f"m{i}",))
                         for i in range(N_CONCURRENT)])
    assert unexpected(results, "MS001") == []
    assert scalar(adb, "select count(*) from public.mashups where owner_id = %s", u) == limit


def test_media_storage_limit_holds_under_concurrent_pushes(adb: Db) -> None:
    u = adb.create_user()
    quota = LIMITS["free"]["limits"]["storage_bytes"]
    project = str(uuid.uuid4())
    first = {"key": str(uuid.uuid4()), "kind": "project", "id": project, "op": "upsert", "fields": {"title": "p"},
             "clock": "1700000000000-00000-d"}
    assert sql_as(adb, "authenticated", u, "select public.sync_push(%s) r", Jsonb([first]))[0]["r"][0]["status"] \
        == "accepted"
    calls = []
    for i in range(N_CONCURRENT):
        ch = {"key": str(uuid.uuid4()), "kind": "project_media", "id": str(uuid.uuid4()), "op": "upsert",
              "fields": {"project_id": project, "size_bytes": quota // 5}, "clock": f"1700000000001-{i:05d}-d"}
        calls.append(("authenticated", u, "select public.sync_push(%s) r", (Jsonb([ch]),)))
    results = race(adb, calls)
    assert unexpected(results) == []
    assert [r[0]["r"][0]["status"] for r in results].count("accepted") == 5
    assert scalar(adb, "select sum(size_bytes) from public.project_media where owner_id = %s", u) <= quota
