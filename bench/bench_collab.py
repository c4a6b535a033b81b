"""Live collaboration over loopback (issue 15): the local backend (throwaway
PostgreSQL + migrations + the Supabase-compatible gateway) and the
development Realtime websocket server, every participant running the real
``realtime`` client on its own thread.

* edit-to-visible latency, p50 and p95 over (edit x receiver), for 2 and 8
  participants: the owner's engine command until each other participant's
  open project shows it; against the durable path alone in the same run
  (the owner's sync push, then the receiver's sync pull and rebuild: what a
  collaborator would see without the live channel);
* messages and bytes per edit: what the sender puts on the channel and the
  frames the server relays;
* a late joiner on a 1,000-edit project: sign-in done, time to pull the
  project, build it and join the live channel.

    .venv/bin/python bench/bench_collab.py [--edits 30]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

import psycopg
from bench_sync import make_project, session
from common import table

from audio_engine.project import MoveClip, open_project
from backend.devserver.gateway import Gateway
from backend.devserver.pg import create_database, throwaway_cluster
from backend.devserver.realtime import RealtimeServer
from sync.live import LiveSession
from sync.session import CloudSession
from sync.sharing import Sharing


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def join(s: CloudSession, pid: str, folder: Path, rt: RealtimeServer) -> LiveSession:
    assert s.projects is not None
    ls = LiveSession(s.require(), s.projects, pid, open_project(folder).project, rt.url)
    ls.start()
    if not ls.link.wait_joined(20):
        raise SystemExit(f"could not join: {ls.notices}")
    return ls


def run_group(n: int, edits: int, tmp: Path, gw: Gateway, rt: RealtimeServer, dsn: str) -> list[object]:
    folder, _ = make_project(tmp / f"g{n}", 14.0)
    homes = [session(gw.url, tmp / f"g{n}-home{i}") for i in range(n)]
    mails = [f"p{i}-{n}-{time.monotonic_ns()}@bench.test" for i in range(n)]
    ids = [h.sign_up(m, "secret-pw") for h, m in zip(homes, mails, strict=True)]
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("insert into public.entitlements (user_id, tier, source) values (%s, 'studio', 'grant') "
                     "on conflict (user_id) do update set tier = excluded.tier", (ids[0],))
    owner = homes[0]
    assert owner.projects is not None
    pid = owner.projects.upload(folder)
    folders = [folder]
    for i, h in enumerate(homes[1:], 1):
        Sharing(owner.require().transport).invite(pid, mails[i], "editor")
        Sharing(h.require().transport).respond(pid, True)
        assert h.projects is not None
        folders.append(h.projects.download(pid, tmp / f"g{n}-copy{i}" / "Bench.mashup"))
    lives = [join(h, pid, f, rt) for h, f in zip(homes, folders, strict=True)]
    rng = random.Random(n)
    live_ms: list[float] = []
    relayed0 = rt.relayed
    try:
        for k in range(edits):
            cid = f"c{rng.randrange(3)}-{rng.randrange(10)}"
            pos = 100.0 + k + rng.random()
            t0 = time.perf_counter()
            lives[0].edit(MoveClip(clip_id=cid, position=pos))
            waiting = set(range(1, n))
            while waiting:
                for i in list(waiting):
                    lives[i].pump()
                    if lives[i].live.project.clip(cid).position == pos:
                        live_ms.append((time.perf_counter() - t0) * 1000)
                        waiting.discard(i)
                if time.perf_counter() - t0 > 10:
                    raise SystemExit("an edit did not arrive within 10 s")
                time.sleep(0.0005)
        msgs = lives[0].link.sent_messages / edits
        size = lives[0].link.sent_bytes / edits
        relayed = (rt.relayed - relayed0) / edits
        # the reference: the durable path alone (push, pull, rebuild), a few edits
        durable_ms: list[float] = []
        other = homes[1]
        for k in range(min(edits, 10)):
            cid = f"c0-{k}"
            pos = 500.0 + k
            t0 = time.perf_counter()
            lives[0].live.send = None
            lives[0].edit(MoveClip(clip_id=cid, position=pos))
            owner.sync()
            other.sync()
            lives[1].live.rebuild()
            assert lives[1].live.project.clip(cid).position == pos
            durable_ms.append((time.perf_counter() - t0) * 1000)
    finally:
        for ls in lives:
            ls.close()
    return [n, edits, round(statistics.median(live_ms), 1), round(pct(live_ms, 0.95), 1),
            round(statistics.median(durable_ms), 1), round(pct(durable_ms, 0.95), 1), msgs, int(size), relayed]


def late_joiner(tmp: Path, gw: Gateway, rt: RealtimeServer, dsn: str, edits: int) -> list[object]:
    folder, _ = make_project(tmp / "late", 14.0)
    owner, late = session(gw.url, tmp / "late-owner"), session(gw.url, tmp / "late-joiner")
    m_owner, m_late = f"lo-{time.monotonic_ns()}@bench.test", f"ll-{time.monotonic_ns()}@bench.test"
    owner.sign_up(m_owner, "secret-pw")
    late.sign_up(m_late, "secret-pw")
    assert owner.projects is not None and late.projects is not None
    pid = owner.projects.upload(folder)
    Sharing(owner.require().transport).invite(pid, m_late, "editor")
    Sharing(late.require().transport).respond(pid, True)
    lo = join(owner, pid, folder, rt)
    rng = random.Random(3)
    for k in range(edits):
        lo.edit(MoveClip(clip_id=f"c{rng.randrange(3)}-{rng.randrange(10)}", position=float(k)))
    owner.sync()
    t0 = time.perf_counter()
    late.sync()
    project = late.projects.materialize(pid)
    t_pull = time.perf_counter() - t0
    ls = LiveSession(late.require(), late.projects, pid, project, rt.url)
    ls.start()
    assert ls.link.wait_joined(20)
    total = time.perf_counter() - t0
    ok = project.to_dict() == lo.live.project.to_dict()
    ls.close()
    lo.close()
    return [edits, round(t_pull * 1000), round(total * 1000), "yes" if ok else "NO"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--edits", type=int, default=30, help="edits timed per group")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-collab-") as td, throwaway_cluster(max_connections=100) as server:
        tmp = Path(td)
        dsn = server.dsn(create_database(server, "bench"))
        gw = Gateway(dsn)
        gw.start()
        rt = RealtimeServer(dsn)
        rt.start()
        try:
            rows = [run_group(n, args.edits, tmp, gw, rt, dsn) for n in (2, 8)]
            late = late_joiner(tmp, gw, rt, dsn, 1000)
        finally:
            rt.stop()
            gw.stop()
    print(table(["participants", "edits", "live p50 ms", "live p95 ms", "durable-only p50 ms (ref)",
                 "durable-only p95 ms (ref)", "msgs sent/edit", "bytes/edit", "frames relayed/edit"], rows))
    print()
    print(table(["late joiner: edits in project", "pull + build ms", "pull + build + join ms", "same as owner"],
                [late]))


if __name__ == "__main__":
    main()
