"""Class 5 for sync_push's whole argument (migration 20261129000950): each
change was bounded (500 changes, per-field bounds), their sum was not. A push
over private.sync_push_max_bytes() (32 MiB of JSON) is refused whole with
MS003 and writes nothing (no entity, no receipt); a normal push of 500 changes,
the client's batch, still works."""

from __future__ import annotations

import os
import uuid
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from sync.engine import MAX_BATCH, MAX_BATCH_BYTES

from .conftest import Cast, attempt, old_schema_mode, rpc, scalar
from .test_write_paths import change, now_clock

SERVER_LIMIT = 32 * 1024 * 1024


def entity(project: str, kind: str, eid: str, fields: dict[str, Any], clock: str) -> dict[str, Any]:
    return {"key": str(uuid.uuid4()), "kind": kind, "project": project, "id": eid, "op": "upsert",
            "fields": fields, "clock": clock}


def written(cast: Cast) -> tuple[int, int]:
    return (int(scalar(cast.db, "select count(*) from public.project_entities where project_id = %s", cast.project)),
            int(scalar(cast.db, "select count(*) from public.sync_receipts")))


def test_client_batch_stays_well_under_the_server_bound() -> None:
    assert MAX_BATCH == 500 and MAX_BATCH_BYTES * 2 <= SERVER_LIMIT


def test_oversized_push_is_refused_whole_and_writes_nothing(cast: Cast) -> None:
    before = written(cast)
    # 36 lineages of 950 kB each: every change is within its per-field bound
    # (props.lineage <= 1 MB), the push is ~34 MB > 32 MiB.
    lineage = [os.urandom(475_000).hex()]  # incompressible, 950 kB of JSON
    changes = [entity(cast.project, "props", "project", {"lineage": lineage}, now_clock(i)) for i in range(36)]
    r = attempt(lambda: rpc(cast.db, cast.owner, "sync_push", Jsonb(changes)))
    assert isinstance(r, psycopg.Error) and r.sqlstate == "MS003", r
    assert "at most" in str(r) and "bytes" in str(r)
    assert written(cast) == before
    # the same content in pushes under the bound is accepted (nothing lost, only cut)
    res = rpc(cast.db, cast.owner, "sync_push", Jsonb(changes[:4]))
    assert [x["status"] for x in res] == ["accepted"] * 4


def test_a_normal_500_change_push_still_works(cast: Cast) -> None:
    if not old_schema_mode():
        assert scalar(cast.db, "select private.sync_push_max_bytes()") == SERVER_LIMIT
    changes = [change("project", cast.project, {"title": "big batch"}, now_clock(0))]
    changes += [entity(cast.project, "clip", f"c{i}", {"name": f"clip {i}", "position": float(i)}, now_clock(i + 1))
                for i in range(MAX_BATCH - 1)]
    res = rpc(cast.db, cast.owner, "sync_push", Jsonb(changes))
    assert [x["status"] for x in res] == ["accepted"] * MAX_BATCH
    assert written(cast)[0] == MAX_BATCH - 1
    # and 501 changes are refused whole, as before
    more = changes + [entity(cast.project, "clip", "one-too-many", {"name": "x"}, now_clock(600))]
    r = attempt(lambda: rpc(cast.db, cast.owner, "sync_push", Jsonb(more)))
    assert isinstance(r, psycopg.Error) and r.sqlstate == "MS003"
    assert int(scalar(cast.db, "select count(*) from public.project_entities where entity_id = 'one-too-many'")) == 0
