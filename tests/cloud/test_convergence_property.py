"""Property: whatever two devices of one user do, in whatever order they go
offline, edit and sync, once both have synced they hold the same data as the
server (per-field last-writer-wins, tombstones, idempotent pushes)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.devserver.gateway import ANON_KEY, Gateway
from sync.auth import MemoryTokenStore
from sync.cloud import Cloud, open_cloud
from sync.config import CloudConfig
from sync.transport import RetryPolicy

from .conftest import Db

FIELDS = {
    "title": st.text(alphabet="abcxyz ", min_size=0, max_size=8),
    "bpm": st.integers(min_value=60, max_value=180),
    "musical_key": st.sampled_from(["Am", "C", "F#m", None]),
    "duration_s": st.integers(min_value=0, max_value=600),
}

op = st.one_of(
    st.tuples(st.just("edit"), st.integers(0, 1), st.integers(0, 2),
              st.sampled_from(sorted(FIELDS)).flatmap(lambda f: st.tuples(st.just(f), FIELDS[f]))),
    st.tuples(st.just("delete"), st.integers(0, 1), st.integers(0, 2)),
    st.tuples(st.just("sync"), st.integers(0, 1)),
    st.tuples(st.just("toggle"), st.integers(0, 1)),
)


@pytest.fixture(scope="module")
def gateways(db: Db) -> Any:
    gs = [Gateway(db.dsn), Gateway(db.dsn)]
    for g in gs:
        g.start()
    yield gs
    for g in gs:
        g.stop()


def view(c: Cloud) -> list[Any]:
    return [(p["id"], p["title"], p["bpm"], p["musical_key"], p["duration_s"], p["deleted"])
            for p in c.store.projects(include_deleted=True)]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(program=st.lists(op, min_size=1, max_size=14))
def test_two_devices_always_converge(db: Db, gateways: list[Gateway], program: list[Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        devices: list[Cloud] = []
        for i, g in enumerate(gateways):
            cfg = CloudConfig(g.url, ANON_KEY, timeout_s=5)
            c = open_cloud(cfg, data_dir=Path(tmp) / f"d{i}", token_store=MemoryTokenStore(),
                           retry=RetryPolicy(attempts=2, initial_s=0.001, max_s=0.002), sleep=lambda s: None)
            assert c is not None
            devices.append(c)
        try:
            addr = f"prop-{time.monotonic_ns()}@example.test"
            uid = devices[0].auth.sign_up(addr, "secret-pw")
            db.set_tier(uid, "pro")
            devices[1].auth.sign_in(addr, "secret-pw")
            pids = [devices[0].store.create_project(f"p{i}") for i in range(3)]
            devices[0].engine.sync()
            devices[1].engine.sync()
            online = [True, True]
            for step in program:
                kind, dev = step[0], step[1]
                c = devices[dev]
                if kind == "edit":
                    field, value = step[3]
                    c.store.update_project(pids[step[2]], **{field: value})
                elif kind == "delete":
                    c.store.delete_project(pids[step[2]])
                elif kind == "toggle":
                    (gateways[dev].start if not online[dev] else gateways[dev].stop)()
                    online[dev] = not online[dev]
                elif online[dev]:
                    c.engine.sync()
            for i, g in enumerate(gateways):
                if not online[i]:
                    g.start()
            for c in (devices[0], devices[1], devices[0]):
                c.engine.sync()
            assert view(devices[0]) == view(devices[1])
            with db.connect() as conn:
                server = conn.execute("select id::text, title, bpm::float8 as bpm, musical_key, duration_s::float8 as duration_s, deleted "
                                      "from public.projects where owner_id = %s order by id", (uid,)).fetchall()
            assert [tuple(r.values()) for r in server] == view(devices[0])
            assert devices[0].store.pending_count() == devices[1].store.pending_count() == 0
        finally:
            for c in devices:
                c.close()
