"""Class 5: every user-supplied value is bounded by the database; an oversized
payload is refused whole and stores nothing."""

from __future__ import annotations

import os
import uuid
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from .conftest import Cast, attempt, rpc, scalar, sql_as


def noise(n: int) -> str:
    return os.urandom(n // 2).hex()  # incompressible


def refused(result: Any) -> bool:
    return isinstance(result, psycopg.Error) and result.sqlstate in ("MS003", "23514")


def test_caption_word_list_is_bounded(cast: Cast) -> None:
    words = [{"w": "la", "s": i * 0.1, "e": i * 0.1 + 0.05} for i in range(60_000)]
    r = attempt(lambda: sql_as(cast.db, "authenticated", cast.owner, "insert into public.captions "
                               "(project_id, words) values (%s, %s)", cast.project, Jsonb(words)))
    assert refused(r)
    assert scalar(cast.db, "select count(*) from public.captions") == 0
    # a long real song is fine
    sql_as(cast.db, "authenticated", cast.owner, "insert into public.captions (project_id, words) values (%s, %s)",
           cast.project, Jsonb(words[:3000]))
    assert scalar(cast.db, "select count(*) from public.captions") == 1


def test_recommendation_context_is_bounded(cast: Cast) -> None:
    r = attempt(lambda: sql_as(cast.db, "authenticated", cast.stranger, "insert into public.recommendation_events "
                               "(mashup_id, event_type, context) values (%s, 'click', %s)",
                               cast.public_mashup, Jsonb({"blob": noise(100_000)})))
    assert refused(r)
    assert scalar(cast.db, "select count(*) from public.recommendation_events") == 0


def test_log_events_payload_is_bounded(cast: Cast) -> None:
    events = [{"id": str(uuid.uuid4()), "type": "follow", "props": {"x": noise(3_000)}} for _ in range(450)]
    r = attempt(lambda: rpc(cast.db, cast.stranger, "log_events", Jsonb(events)))
    assert refused(r)
    assert scalar(cast.db, "select count(*) from public.analytics_events") == 0


def test_ai_job_input_is_bounded_and_counts_nothing(cast: Cast) -> None:
    r = attempt(lambda: rpc(cast.db, cast.stranger, "request_ai_job", "separate", Jsonb({"x": noise(1_000_000)}),
                            "big-input-0001"))
    assert refused(r)
    assert scalar(cast.db, "select count(*) from public.ai_jobs") == 0
    assert scalar(cast.db, "select coalesce(sum(used), 0) from public.usage_counters "
                         "where metric = 'ai_jobs_per_month'") == 0


def test_check_entitlement_does_not_echo_a_huge_metric(cast: Cast) -> None:
    r = attempt(lambda: rpc(cast.db, cast.stranger, "check_entitlement", "m" * 1_000_000, 1))
    assert refused(r) and len(str(r)) < 1000


def test_timeseries_does_not_echo_a_huge_event_type(cast: Cast) -> None:
    # 900 days x 100 kB would be a 90 MB answer
    r = attempt(lambda: sql_as(cast.db, "authenticated", cast.owner, "select count(*) n from public.creator_timeseries("
                               "'day', now() - interval '900 days', now(), %s)", "x" * 100_000))
    assert refused(r) and "event type" in str(r), r


def test_split_recipient_email_is_bounded(cast: Cast) -> None:
    split = str(sql_as(cast.db, "authenticated", cast.owner, "insert into public.revenue_splits (mashup_id) "
                       "values (%s) returning id", cast.public_mashup)[0]["id"])
    r = attempt(lambda: sql_as(cast.db, "authenticated", cast.owner, "insert into public.revenue_split_recipients "
                               "(split_id, recipient_email, share_bps) values (%s, %s, 100)",
                               split, "a" * 5000 + "@example.test"))
    assert refused(r)
    assert scalar(cast.db, "select count(*) from public.revenue_split_recipients") == 0


BOUNDING = ("length(", "octet_length(", "pg_column_size(", "jsonb_array_length(", "safe_storage_key(",
            "= ANY (ARRAY[")


def test_every_client_writable_text_json_or_array_column_has_a_bound(cast: Cast) -> None:
    """Catalog rule for present and future tables: a column the API roles (or
    the sync functions' role ms_sync, which writes what clients push) may
    write, of a type without a natural size, needs a CHECK that bounds it."""
    with cast.db.connect() as conn:
        cols = conn.execute(
            "select distinct cp.table_name t, cp.column_name c from information_schema.column_privileges cp "
            "join information_schema.columns col on (col.table_schema, col.table_name, col.column_name) = "
            "  (cp.table_schema, cp.table_name, cp.column_name) "
            "where cp.table_schema = 'public' and cp.grantee in ('anon', 'authenticated', 'PUBLIC', 'ms_sync') "
            "and cp.privilege_type in ('INSERT', 'UPDATE') "
            "and (col.data_type in ('text', 'jsonb', 'json', 'ARRAY', 'character varying', 'bytea'))").fetchall()
        checks = conn.execute(
            "select c.conrelid::regclass::text t, a.attname c, pg_get_constraintdef(c.oid) d "
            "from pg_constraint c join pg_attribute a on a.attrelid = c.conrelid and a.attnum = any (c.conkey) "
            "where c.contype = 'c' and c.connamespace = 'public'::regnamespace").fetchall()
    bounded = {(r["t"].removeprefix("public."), r["c"]) for r in checks
               if any(b in r["d"] for b in BOUNDING) or ("~ '^" in r["d"] and "{" in r["d"] and "$'" in r["d"])}
    assert cols, "no client-writable columns found: the query is wrong"
    assert sorted((r["t"], r["c"]) for r in cols if (r["t"], r["c"]) not in bounded) == []
