"""The cloud session service: configuration sources, "stay signed in"
through the OS keychain (the real keyring API with an in-memory backend, and
keyring's own fail backend for a machine without a keychain), start-up
signed in and offline, and the local store's upgrade to per-entity sync."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends.fail import Keyring as NoKeyring

from backend.devserver.gateway import ANON_KEY, Gateway
from sync.config import CloudConfig
from sync.errors import OfflineError
from sync.session import CloudSession, resolve_config
from sync.store import SCHEMA_VERSION, LocalStore
from sync.transport import RetryPolicy

from .test_e2e_http import MemoryKeyring


@pytest.fixture
def ring() -> Iterator[MemoryKeyring]:
    old = keyring.get_keyring()
    r = MemoryKeyring()
    keyring.set_keyring(r)
    yield r
    keyring.set_keyring(old)


def session(gw: Gateway, home: Path) -> CloudSession:
    return CloudSession(CloudConfig(gw.url, ANON_KEY, timeout_s=5), data_dir=home,
                        retry=RetryPolicy(attempts=1, initial_s=0.01))


def test_config_sources_in_order(tmp_path: Path) -> None:
    bundled = tmp_path / "cloud.json"
    bundled.write_text(json.dumps({"supabase_url": "https://build.supabase.co", "supabase_anon_key": "b"}))
    env = {"SUPABASE_URL": "https://env.supabase.co", "SUPABASE_ANON_KEY": "e"}
    settings = {"supabase_url": "https://settings.supabase.co", "supabase_anon_key": "s"}
    assert resolve_config(settings, env, bundled).url == "https://settings.supabase.co"  # type: ignore[union-attr]
    assert resolve_config({}, env, bundled).url == "https://env.supabase.co"  # type: ignore[union-attr]
    assert resolve_config({}, {}, bundled).url == "https://build.supabase.co"  # type: ignore[union-attr]
    assert resolve_config({}, {}, tmp_path / "absent.json") is None
    s = CloudSession(None, data_dir=tmp_path / "off")
    assert s.status.state == "not_configured" and s.status.label == "Cloud off"


def test_stay_signed_in_through_the_keychain_or_not(tmp_path: Path, gw: Gateway, ring: MemoryKeyring) -> None:
    email = f"stay-{time.monotonic_ns()}@example.test"
    s = session(gw, tmp_path / "h")
    assert s.keychain_available
    s.remember(True)
    s.sign_up(email, "secret-pw")
    assert ring.data and s.status.persistent_login
    s.close()
    again = session(gw, tmp_path / "h")  # the studio restarts
    assert again.status.state == "offline" and again.status.email == email  # signed in, not yet online
    again.sync()
    assert again.status.state == "online"
    again.remember(False)  # "stay signed in" unticked: the keychain entry goes
    assert not ring.data and not again.status.persistent_login
    again.close()
    third = session(gw, tmp_path / "h")
    assert third.status.state == "signed_out"
    third.close()


def test_without_a_keychain_the_session_lasts_until_quit(tmp_path: Path, gw: Gateway) -> None:
    old = keyring.get_keyring()
    keyring.set_keyring(NoKeyring())
    try:
        s = session(gw, tmp_path / "h")
        assert not s.keychain_available
        s.sign_up(f"nokc-{time.monotonic_ns()}@example.test", "secret-pw")
        assert s.status.state == "online" and not s.status.persistent_login
        s.sync()
        s.close()
        assert session(gw, tmp_path / "h").status.state == "signed_out"
    finally:
        keyring.set_keyring(old)


def test_starts_signed_in_and_offline_without_network(tmp_path: Path, gw: Gateway, ring: MemoryKeyring) -> None:
    s = session(gw, tmp_path / "h")
    s.sign_up(f"off-{time.monotonic_ns()}@example.test", "secret-pw")
    s.close()
    gw.stop()
    try:
        again = session(gw, tmp_path / "h")
        assert again.status.state == "offline" and again.status.email
        with pytest.raises(OfflineError):
            again.sync()
        assert again.status.state == "offline" and "Can't reach the cloud" in again.status.message
        again.close()
    finally:
        gw.start()


def test_version_1_store_upgrades_keeping_pending_changes(tmp_path: Path) -> None:
    db = tmp_path / "sync.sqlite3"
    con = sqlite3.connect(db)
    con.executescript("""
        create table meta (key text primary key, value text not null);
        create table outbox (seq integer primary key autoincrement, key text not null unique, kind text not null,
          entity_id text not null, op text not null, fields text not null, clock text not null,
          state text not null default 'pending', reason text, detail text, created_at real not null);
        insert into meta values ('schema_version', '1');
        insert into outbox (key, kind, entity_id, op, fields, clock, created_at)
          values ('k-00000001', 'project', '7b0c7c1e-0000-4000-8000-000000000001', 'upsert', '{"title": "t"}',
                  '0000000000001-00000-dev', 0);
    """)
    con.close()
    s = LocalStore(db)
    try:
        [e] = s.pending()
        assert e.key == "k-00000001" and e.project_id is None and "project" not in e.as_change()
        assert s.get_meta("schema_version") == str(SCHEMA_VERSION) == "3"  # upgraded through 2 to the current
        s.edit_entities("7b0c7c1e-0000-4000-8000-000000000001", [], full_fields={})
    finally:
        s.close()
