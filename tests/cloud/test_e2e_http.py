"""End to end through HTTP: the real sync client (supabase_auth for auth,
httpx for RPC and Storage) against the test gateway over the real database."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import keyring.backend
import pytest

from backend.devserver.gateway import ANON_KEY, Gateway
from sync import (
    AuthFailedError,
    AuthRequiredError,
    IntegrityError,
    OfflineError,
    RpcError,
    ServerError,
    StorageError,
    SyncError,
    TierLimitError,
)
from sync.auth import AuthSession, KeyringTokenStore, StoredSession
from sync.cloud import Cloud, open_cloud
from sync.config import CloudConfig, load_config
from sync.transport import RetryPolicy

from .conftest import Db


class MemoryKeyring(keyring.backend.KeyringBackend):
    """An in-memory keyring backend (the real keyring API, no OS keychain)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.data.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.data[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.data:
            raise keyring.errors.PasswordDeleteError("absent")
        del self.data[(service, username)]


Factory = Callable[..., Cloud]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Factory]:
    made: list[Cloud] = []

    def make(g: Gateway, name: str = "a", *, ring: MemoryKeyring | None = None, attempts: int = 4,
             sleeps: list[float] | None = None, chunk_size: int | None = None) -> Cloud:
        config = CloudConfig(g.url, ANON_KEY, timeout_s=5)
        ring = ring or MemoryKeyring()
        cloud = open_cloud(
            config, data_dir=tmp_path / name, token_store=KeyringTokenStore(config, ring),
            retry=RetryPolicy(attempts=attempts, initial_s=0.01, max_s=0.05),
            sleep=(sleeps.append if sleeps is not None else (lambda s: None)),
            open_url=lambda url: httpx.get(url, follow_redirects=True, timeout=10), chunk_size=chunk_size)
        assert cloud is not None
        made.append(cloud)
        return cloud

    yield make
    for c in made:
        c.close()


def email(tag: str) -> str:
    return f"{tag}-{time.monotonic_ns()}@example.test"


# ------------------------------------------------------------------ configuration


def test_without_configuration_there_is_no_cloud(tmp_path: Path) -> None:
    assert load_config({}, env={}) is None
    assert load_config({"supabase_url": "https://x.supabase.co"}, env={}) is None
    assert open_cloud(None, data_dir=tmp_path / "none") is None
    assert not (tmp_path / "none").exists()
    cfg = load_config({}, env={"SUPABASE_URL": "https://x.supabase.co", "SUPABASE_ANON_KEY": "k"})
    assert cfg is not None and cfg.base == "https://x.supabase.co"
    with pytest.raises(ValueError):
        CloudConfig("http://example.com", "k")  # plain http only for localhost


def test_sync_imports_no_qt() -> None:
    code = ("import sys, sync, sync.cloud, sync.engine, sync.media, sync.auth, sync.store, sync.transport; "
            "assert not any(m.startswith(('PySide6', 'shiboken6')) for m in sys.modules), 'Qt imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])


# ------------------------------------------------------------------ auth


def test_sign_up_keychain_offline_start_refresh_and_sign_out(gw: Gateway, client: Factory) -> None:
    ring = MemoryKeyring()
    c = client(gw, ring=ring)
    addr = email("alice")
    uid = c.auth.sign_up(addr, "correct horse")
    (secret,) = ring.data.values()
    assert len(secret) < 1000 and StoredSession.loads(secret).user_id == uid
    assert c.engine.entitlements().tier == "free"
    with pytest.raises(AuthFailedError):
        client(gw, "x").auth.sign_in(addr, "wrong password")
    # start again with only the keychain entry, while offline
    gw.stop()
    c2 = client(gw, "b", ring=ring)
    assert c2.auth.signed_in and c2.auth.user_id == uid and c2.auth.email == addr
    with pytest.raises(OfflineError):
        c2.auth.access_token()
    assert c2.auth.signed_in  # an unreachable server never signs anyone out
    gw.start()
    token = c2.auth.access_token()  # refresh with the stored token
    assert token and StoredSession.loads(next(iter(ring.data.values()))).refresh_token != \
        StoredSession.loads(secret).refresh_token  # rotated and saved
    c2.auth.sign_out()
    assert ring.data == {} and not c2.auth.signed_in
    with pytest.raises(AuthRequiredError):
        c.auth.refresh()  # sign-out revoked the other device's refresh token too
    assert not c.auth.signed_in


def test_oauth_pkce_through_system_browser_and_loopback(gw: Gateway, client: Factory) -> None:
    c = client(gw)
    uid = c.auth.sign_in_with_oauth("github", timeout_s=20)
    assert c.auth.email == "github-user@example.test" and c.auth.user_id == uid
    assert c.transport.rpc("get_entitlements")["tier"] == "free"


def test_expired_session_is_refreshed_then_the_call_retried(gw: Gateway, client: Factory) -> None:
    c = client(gw)
    c.auth.sign_up(email("exp"), "secret-pw")
    old = c.auth.access_token()
    gw.expired.add(old)  # the server now says "JWT expired" for it
    c.store.create_project("x")
    c.engine.sync()
    assert c.auth.access_token() != old
    assert [s for m, p, s in gw.calls if p.startswith("/rest/")][:2] == [401, 200]
    # a token about to expire is refreshed before use, without a 401 round trip
    gw.access_ttl = 5
    c.auth.refresh()
    before = len(gw.calls)
    assert c.transport.rpc("get_entitlements")["tier"] == "free"
    assert [p.split("?")[0] for _, p, _ in gw.calls[before:]] == ["/auth/v1/token", "/rest/v1/rpc/get_entitlements"]


# ------------------------------------------------------------------ failures


def test_network_loss_gives_typed_error_and_keeps_local_data(gw: Gateway, client: Factory) -> None:
    c = client(gw)
    c.auth.sign_up(email("net"), "secret-pw")
    pid = c.store.create_project("kept", bpm=120)
    gw.stop()
    with pytest.raises(OfflineError, match="kept on this computer"):
        c.engine.sync()
    assert c.store.project(pid)["title"] == "kept" and c.store.pending_count() == 1
    gw.start()
    report = c.engine.sync()
    assert report.pushed == 1 and c.store.pending_count() == 0


def test_5xx_is_retried_with_backoff(gw: Gateway, client: Factory) -> None:
    sleeps: list[float] = []
    c = client(gw, sleeps=sleeps, attempts=4)
    c.auth.sign_up(email("5xx"), "secret-pw")
    c.store.create_project("p")
    gw.fail_next(2, 503)
    assert c.engine.sync().pushed == 1
    assert len(sleeps) == 2 and sleeps[1] > sleeps[0]
    c.store.create_project("q")
    gw.fail_next(10, 502)
    with pytest.raises(ServerError):
        c.engine.push()
    assert c.store.pending_count() == 1  # kept for later
    gw.faults.clear()
    gw.fail_next(1, 200)  # a 200 whose body is not what sync_push answers
    with pytest.raises(SyncError, match="unexpected shape"):
        c.engine.push()
    assert c.store.pending_count() == 1
    assert c.engine.push()[0] == 1


def test_reply_lost_after_commit_is_not_duplicated(gw: Gateway, client: Factory, db: Db) -> None:
    c = client(gw)
    uid = c.auth.sign_up(email("lost"), "secret-pw")
    pids = [c.store.create_project(f"p{i}") for i in range(3)]
    gw.drop_after_commit("sync_push")
    accepted, rejected, replayed = c.engine.push()
    assert (accepted, rejected, replayed) == (3, 0, 3)  # the retry was answered from the receipts
    assert [s for _, p, s in gw.calls if p == "/rest/v1/rpc/sync_push"] == [0, 200]  # dropped, then replayed
    with db.connect() as conn:
        n = conn.execute("select count(*) n from public.projects where owner_id = %s", (uid,)).fetchone()
    assert n is not None and n["n"] == 3
    assert {p["id"] for p in c.store.projects()} == set(pids)


def test_rejected_changes_stay_visible_and_can_be_retried(gw: Gateway, client: Factory, db: Db) -> None:
    c = client(gw)
    uid = c.auth.sign_up(email("tier"), "secret-pw")
    limit = c.engine.entitlements().limits["max_projects"]
    assert limit is not None
    for i in range(limit + 1):
        c.store.create_project(f"p{i}")
    accepted, rejected, _ = c.engine.push()
    assert (accepted, rejected) == (limit, 1)
    (rej,) = c.store.rejected()
    assert rej.reason == "tier_limit" and "max_projects" in (rej.detail or "")
    assert c.store.pending_count() == 0
    ent = c.engine.entitlements()
    assert ent.from_server and not ent.allows("max_projects")
    with pytest.raises(TierLimitError):
        for i in range(10):
            c.transport.rpc("request_ai_job", {"p_kind": "separate", "p_input": {}, "p_idempotency_key": f"k-{i:06d}"})
    db.set_tier(uid, "pro")
    c.store.retry_rejected(rej.key)
    assert c.engine.push()[0] == 1 and c.store.rejected() == []


def test_votes_over_http_count_once(gw: Gateway, client: Factory, db: Db) -> None:
    a, b = db.create_user(), db.create_user()
    with db.connect(autocommit=True) as conn:
        ma = conn.execute("insert into public.mashups (owner_id, title) values (%s, 'a') returning id", (a,)).fetchone()
        mb = conn.execute("insert into public.mashups (owner_id, title) values (%s, 'b') returning id", (b,)).fetchone()
        assert ma and mb
        battle = conn.execute("insert into public.battles (mashup_a, mashup_b, starts_at, ends_at) values (%s, %s, "
                              "now() - interval '1 hour', now() + interval '1 hour') returning id",
                              (ma["id"], mb["id"])).fetchone()
        assert battle
    c = client(gw)
    c.auth.sign_up(email("voter"), "secret-pw")
    gw.drop_after_commit("cast_vote")
    first = c.transport.rpc("cast_vote", {"p_battle": str(battle["id"]), "p_choice": str(ma["id"])})
    assert first["status"] == "already_voted"  # the reply of the real vote was lost; the retry says so
    res = c.transport.rpc("battle_results", {"p_battle": str(battle["id"])}, auth=False)
    assert (res["votes_a"], res["votes_b"]) == (1, 0)
    assert c.engine.progress()["xp"] == 5


# ------------------------------------------------------------------ two clients converge


def test_two_clients_converge_with_one_offline_for_a_while(db: Db, client: Factory) -> None:
    g1, g2 = Gateway(db.dsn), Gateway(db.dsn)
    g1.start()
    g2.start()
    try:
        a = client(g1, "laptop")
        b = client(g2, "desktop")
        addr = email("both")
        uid = a.auth.sign_up(addr, "secret-pw")
        db.set_tier(uid, "pro")
        assert b.auth.sign_in(addr, "secret-pw") == uid
        p = a.store.create_project("Demo", bpm=120, duration_s=30)
        q = a.store.create_project("Scratch")
        a.engine.sync()
        b.engine.sync()
        assert b.store.project(p)["title"] == "Demo"

        g2.stop()  # the desktop goes offline
        b.store.update_project(p, title="Desktop title")
        m = b.store.add_media(p, name="vocals.flac", role="stem", sha256="a" * 64, size_bytes=1234)
        with pytest.raises(OfflineError):
            b.engine.sync()
        a.store.update_project(p, title="Laptop title", bpm=128)  # later than the desktop's title
        r = a.store.create_project("Made on laptop")
        a.store.delete_project(q)
        a.engine.sync()
        b.store.update_project(p, musical_key="Am")  # later than everything on the laptop
        assert b.store.pending_count() == 3

        g2.start()  # back online
        b.engine.sync()
        a.engine.sync()

        def view(c: Cloud) -> Any:
            projects = [(x["id"], x["title"], x["bpm"], x["musical_key"], x["duration_s"], x["deleted"])
                        for x in c.store.projects(include_deleted=True)]
            media = [(x["id"], x["name"], x["sha256"]) for x in c.store.media(p)]
            return projects, media

        assert view(a) == view(b)
        proj = a.store.project(p)
        assert proj is not None and (proj["title"], proj["bpm"], proj["musical_key"]) == (
            "Laptop title", 128, "Am")
        assert a.store.project(q)["deleted"] and b.store.project(r)["title"] == "Made on laptop"
        assert [x["id"] for x in a.store.media(p)] == [m]
        with db.connect() as conn:
            server = conn.execute("select title, bpm, musical_key from public.projects where id = %s",
                                  (p,)).fetchone()
        assert server is not None and (server["title"], float(server["bpm"]), server["musical_key"]) == (
            "Laptop title", 128.0, "Am")
        assert a.store.pending_count() == b.store.pending_count() == 0
    finally:
        g1.stop()
        g2.stop()


# ------------------------------------------------------------------ storage


def test_storage_chunked_resumable_checked(gw: Gateway, client: Factory, tmp_path: Path) -> None:
    c = client(gw, chunk_size=16 * 1024)
    c.auth.sign_up(email("media"), "secret-pw")
    src = tmp_path / "render.wav"
    src.write_bytes(bytes(range(256)) * 200 + b"tail")  # 51204 bytes -> 4 chunks
    seen: list[tuple[int, int]] = []

    def stop_after_two(done: int, total: int) -> None:
        seen.append((done, total))
        if len(seen) == 2:
            gw.stop()

    with pytest.raises(OfflineError):
        c.media.upload(src, progress=stop_after_two)
    gw.start()
    res = c.media.upload(src, progress=lambda d, t: seen.append((d, t)))
    assert res.chunks == 4 and res.uploaded_chunks == 2  # resumed: the first two were there
    assert seen[-1] == (src.stat().st_size, src.stat().st_size)
    again = c.media.upload(src)
    assert again.uploaded_chunks == 0 and again.sha256 == res.sha256  # content-addressed: nothing to do
    out = c.media.download(res.sha256, tmp_path / "copy" / "render.wav")
    assert out.read_bytes() == src.read_bytes()
    # another user cannot read it (storage policies on storage.objects)
    other = client(gw, "other")
    other.auth.sign_up(email("other"), "secret-pw")
    with pytest.raises(RpcError) as denied_read:
        other.transport.request("GET", f"/storage/v1/object/media/{res.storage_path}/manifest.json")
    assert denied_read.value.status == 404  # invisible under RLS
    with pytest.raises(RpcError) as denied_write:
        other.transport.request("POST", f"/storage/v1/object/media/{c.auth.user_id}/evil.bin", content=b"x")
    assert denied_write.value.status == 403
    assert ("media", f"{c.auth.user_id}/evil.bin") not in gw.objects
    with pytest.raises(StorageError):
        other.media._put(f"{c.auth.user_id}/evil.bin", b"x", "application/octet-stream")
    # corruption is detected, and the target is not replaced
    key = ("media", f"{res.storage_path}/00001.part")
    gw.objects[key] = b"X" + gw.objects[key][1:]
    target = tmp_path / "copy2.wav"
    with pytest.raises(IntegrityError):
        c.media.download(res.sha256, target)
    assert not target.exists()


def test_auth_session_survives_keychain_round_trip_sizes(gw: Gateway, client: Factory) -> None:
    ring = MemoryKeyring()
    c = client(gw, ring=ring)
    c.auth.sign_up(email("x" * 100), "secret-pw")
    (secret,) = ring.data.values()
    assert len(secret.encode("utf-16-le")) <= 2560  # Windows credential blob limit
    session = AuthSession(c.config, KeyringTokenStore(c.config, ring), c.http)
    assert session.user_id == c.auth.user_id


def test_oauth_refusal_and_no_keychain(gw: Gateway, client: Factory) -> None:
    c = client(gw)
    with pytest.raises(AuthFailedError, match="unknown sign-in provider"):
        c.auth.sign_in_with_oauth("myspace", timeout_s=20)
    gw.deny_oauth = True
    with pytest.raises(AuthFailedError, match="denied"):
        c.auth.sign_in_with_oauth("google", timeout_s=20)
    assert not c.auth.signed_in
    # a machine without a working keychain: sign-in works, kept in memory only
    from keyring.backends.fail import Keyring as FailKeyring

    store = KeyringTokenStore(c.config, FailKeyring())
    session = AuthSession(c.config, store, c.http)
    uid = session.sign_up(email("nokeychain"), "secret-pw")
    assert session.user_id == uid and not store.persistent and store.load() is not None
    assert AuthSession(c.config, KeyringTokenStore(c.config, FailKeyring()), c.http).user_id is None


def test_collaborator_downloads_shared_project_media(gw: Gateway, client: Factory, db: Db, tmp_path: Path) -> None:
    owner, guest, stranger = client(gw, "owner"), client(gw, "guest"), client(gw, "stranger")
    oid = owner.auth.sign_up(email("owner"), "secret-pw")
    gid = guest.auth.sign_up(email("guest"), "secret-pw")
    stranger.auth.sign_up(email("stranger"), "secret-pw")
    src = tmp_path / "stem.flac"
    src.write_bytes(b"stem-bytes" * 1000)
    up = owner.media.upload(src)
    pid = owner.store.create_project("shared")
    owner.store.add_media(pid, name="stem.flac", role="stem", sha256=up.sha256, size_bytes=up.size,
                          storage_path=up.storage_path)
    owner.engine.sync()
    with pytest.raises(StorageError):
        guest.media.download(up.sha256, tmp_path / "g.flac", owner_id=oid)  # not shared yet
    with db.connect(autocommit=True) as conn:
        s = conn.execute("insert into public.collaboration_sessions (project_id, host_id) values (%s, %s) "
                         "returning id", (pid, oid)).fetchone()
        assert s is not None
        conn.execute("insert into public.collaboration_participants (session_id, user_id, role) values "
                     "(%s, %s, 'viewer')", (s["id"], gid))
    guest.engine.sync()
    (m,) = guest.store.media(pid)
    out = guest.media.download(m["sha256"], tmp_path / "g.flac", owner_id=str(m["owner_id"]))
    assert out.read_bytes() == src.read_bytes()
    with pytest.raises(StorageError):
        stranger.media.download(up.sha256, tmp_path / "s.flac", owner_id=oid)
    # access revoked: the guest's copy goes at the next sync, the owner's stays
    with db.connect(autocommit=True) as conn:
        conn.execute("delete from public.collaboration_participants where user_id = %s", (gid,))
    guest.engine.sync()
    assert guest.store.project(pid) is None and guest.store.media(pid) == []
    owner.engine.sync()
    assert owner.store.project(pid) is not None


def test_discarding_a_rejected_change_reverts_it_locally(gw: Gateway, client: Factory) -> None:
    c = client(gw)
    c.auth.sign_up(email("discard"), "secret-pw")
    limit = c.engine.entitlements().limits["max_projects"]
    assert limit is not None
    pids = [c.store.create_project(f"p{i}", bpm=120) for i in range(limit)]
    c.engine.sync()
    extra = c.store.create_project("over the limit")
    c.store.update_project(pids[0], bpm=5000, title="renamed")  # bpm out of range: the whole change is refused
    assert c.engine.push()[1] == 2
    for r in c.store.rejected():
        c.store.discard_rejected(r.key)
    assert c.store.project(extra) is None  # never existed on the server: gone
    c.engine.sync()
    p0 = c.store.project(pids[0])
    assert p0 is not None and (p0["title"], p0["bpm"]) == ("p0", 120)  # the server's values are back
    assert c.store.project(extra) is None and len(c.store.projects()) == limit


def test_clock_far_ahead_is_refused_then_repaired(gw: Gateway, client: Factory, tmp_path: Path) -> None:
    from sync.clock import HybridClock

    c = client(gw, "fast")
    c.auth.sign_up(email("clock"), "secret-pw")
    pid = c.store.create_project("t0")
    c.engine.sync()
    real = c.store.clock._now
    c.store.clock = HybridClock(c.store.device_id, None, now_ms=lambda: real() + 3 * 86400 * 1000)
    c.store.update_project(pid, title="from the future")
    c.engine.push()
    (r,) = c.store.rejected()
    assert r.reason == "clock_ahead" and "clock" in (r.detail or "")
    # the user fixes the system clock and restarts: the store's clock starts from real time again
    from sync.store import LocalStore

    c.store.close()
    c.store = c.engine.store = LocalStore(tmp_path / "fast" / "sync.sqlite3")
    assert c.store.clock.tick() < r.clock
    c.store.retry_rejected(r.key)
    c.engine.sync()
    assert c.store.rejected() == [] and c.store.project(pid)["title"] == "from the future"


def test_storage_quota_of_the_tier_is_enforced_by_storage(gw: Gateway, client: Factory, db: Db,
                                                         tmp_path: Path) -> None:
    c = client(gw, chunk_size=16 * 1024)
    uid = c.auth.sign_up(email("quota"), "secret-pw")
    with db.connect(autocommit=True) as conn:  # a plan with a 40 kB quota, to test without huge files
        conn.execute("insert into public.tiers values ('tiny', 0, 'Tiny', %s) on conflict do nothing",
                     ('{"storage_bytes": 40000, "max_projects": 1, "ai_jobs_per_month": 0, '
                      '"published_mashups_per_month": 0, "max_collaborators": 0}',))
    db.set_tier(uid, "tiny")
    small = tmp_path / "small.bin"
    small.write_bytes(b"s" * 20_000)
    c.media.upload(small)
    big = tmp_path / "big.bin"
    big.write_bytes(b"b" * 30_000)  # 2 chunks; the first fits (36 kB stored), the second does not
    with pytest.raises(StorageError) as err:
        c.media.upload(big)
    assert err.value.status == 403
    with db.connect() as conn:
        used = conn.execute("select sum((metadata->>'size')::bigint) s from storage.objects where owner = %s",
                            (uid,)).fetchone()
    assert used is not None and used["s"] <= 40_000
    db.set_tier(uid, "pro")
    assert c.media.upload(big).uploaded_chunks == 1  # resumes: the first chunk was kept


def test_push_batches_are_cut_by_bytes_as_well_as_by_count(gw: Gateway, client: Factory, db: Db) -> None:
    """The server refuses a push over 32 MiB of JSON; the client cuts batches at
    MAX_BATCH_BYTES (16 MiB), here scaled down to a few changes per batch."""
    c = client(gw)
    uid = c.auth.sign_up(email("bytes"), "secret-pw")
    pids = [c.store.create_project(f"p{i}-" + "x" * 150) for i in range(5)]
    c.engine.batch_bytes = 700  # ~2 changes of ~300 bytes each per push
    assert c.engine.push()[:2] == (5, 0)
    pushes = [s for _, p, s in gw.calls if p == "/rest/v1/rpc/sync_push"]
    assert pushes == [200, 200, 200]  # 2 + 2 + 1, each under the byte budget
    with db.connect() as conn:
        n = conn.execute("select count(*) n from public.projects where owner_id = %s", (uid,)).fetchone()
    assert n is not None and n["n"] == 5 and {p["id"] for p in c.store.projects()} == set(pids)
