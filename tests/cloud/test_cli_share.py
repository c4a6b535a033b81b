"""``mashups share`` as a user scripts it (real subprocesses, the entry-point
command) against the HTTP gateway: invite by e-mail, the invitee lists and
accepts, members, role change, remove; errors are one line."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from backend.devserver.gateway import Gateway

from .conftest import Db
from .test_cli_cloud import mashups, ok
from .test_project_sync import two_song_project

pytestmark = pytest.mark.slow


def test_cli_share_invite_accept_members_role_remove(tmp_path: Path, gw: Gateway, db: Db) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    ma, mb = f"sa-{time.monotonic_ns()}@example.test", f"sb-{time.monotonic_ns()}@example.test"
    ok(mashups(a, gw, "account", "signup", ma, "--password-stdin", stdin="secret-pw\n"))
    ok(mashups(b, gw, "account", "signup", mb, "--password-stdin", stdin="secret-pw\n"))
    pid = json.loads(ok(mashups(a, gw, "projects", "upload", str(two_song_project(tmp_path / "make")), "--json")))[
        "id"]
    uid_b = json.loads(ok(mashups(a, gw, "share", "invite", pid, mb, "--role", "viewer", "--json")))["user_id"]
    invites = json.loads(ok(mashups(b, gw, "share", "invites", "--json")))
    assert [(i["project_id"], i["role"]) for i in invites] == [(pid, "viewer")]
    assert "Accepted" in ok(mashups(b, gw, "share", "accept", pid))
    listed = json.loads(ok(mashups(b, gw, "projects", "list", "--json")))
    assert [x["id"] for x in listed] == [pid]
    ok(mashups(a, gw, "share", "role", pid, uid_b, "editor"))
    members = json.loads(ok(mashups(a, gw, "share", "members", pid, "--json")))
    assert {m["user_id"]: (m["role"], m["status"]) for m in members["members"]}[uid_b] == ("editor", "active")
    bad = mashups(b, gw, "share", "remove", pid, uid_b)
    assert bad.returncode == 1 and "only the owner" in bad.stderr and "Traceback" not in bad.stderr
    ok(mashups(a, gw, "share", "remove", pid, uid_b))
    assert json.loads(ok(mashups(b, gw, "projects", "list", "--json"))) == []
