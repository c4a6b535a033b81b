"""The cloud CLI as a user scripts it: ``mashups account``, ``mashups
projects`` and ``mashups sync`` in real subprocesses (the entry-point
commands), two homes, against the HTTP gateway over the migrated database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from audio_engine.project import open_project
from audio_engine.project.entities import canonical
from backend.devserver.gateway import ANON_KEY, Gateway

from .conftest import Db
from .test_project_sync import two_song_project

pytestmark = pytest.mark.slow


def mashups(home: Path, gw: Gateway, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MASHUPS_HOME": str(home), "SUPABASE_URL": gw.url, "SUPABASE_ANON_KEY": ANON_KEY,
           "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}  # no keychain: the CLI's file fallback
    return subprocess.run([sys.executable, "-m", "audio_engine.cli.main", *args], input=stdin, env=env,
                          capture_output=True, text=True, timeout=180)


def ok(p: subprocess.CompletedProcess[str]) -> str:
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_cli_signup_upload_download_and_privacy(tmp_path: Path, gw: Gateway, db: Db) -> None:
    a, b, eve = tmp_path / "a", tmp_path / "b", tmp_path / "eve"
    email = f"cli-{time.monotonic_ns()}@example.test"
    helptext = ok(mashups(a, gw, "--help"))
    assert "account" in helptext and "projects" in helptext and "sync" in helptext

    status = json.loads(ok(mashups(a, gw, "account", "status", "--json")))
    assert status["configured"] and not status["signed_in"]
    ok(mashups(a, gw, "account", "signup", email, "--password-stdin", stdin="secret-pw\n"))
    status = json.loads(ok(mashups(a, gw, "account", "status", "--json")))
    assert status["signed_in"] and status["email"] == email and status["plan"]["tier"] == "free"
    session_files = list((a / "data" / "cloud").glob("cli-session-*.json"))
    assert len(session_files) == 1 and (session_files[0].stat().st_mode & 0o777) == 0o600
    db.set_tier(status["user_id"], "pro")

    folder = two_song_project(tmp_path / "make")
    pid = json.loads(ok(mashups(a, gw, "projects", "upload", str(folder), "--json")))["id"]
    listed = json.loads(ok(mashups(a, gw, "projects", "list", "--json")))
    assert [(x["id"], x["title"], x["state"]) for x in listed] == [(pid, "Two songs", "synced")]

    bad = mashups(b, gw, "account", "login", email, "--password-stdin", stdin="wrong-pw\n")
    assert bad.returncode == 1 and "error:" in bad.stderr and "Traceback" not in bad.stderr
    ok(mashups(b, gw, "account", "login", email, "--password-stdin", stdin="secret-pw\n"))
    out = json.loads(ok(mashups(b, gw, "projects", "download", pid, "-o", str(tmp_path / "B"), "--json")))
    got = open_project(out["path"])
    assert canonical(got.project).to_dict() == canonical(open_project(folder).project).to_dict()
    for h, ref in got.project.media.items():
        assert got.media.verify(h, ref.ext)
    report = json.loads(ok(mashups(b, gw, "sync", "--json")))
    assert report["pending"] == 0 and report["rejected_total"] == 0

    ok(mashups(eve, gw, "account", "signup", f"eve-{time.monotonic_ns()}@example.test", "--password-stdin",
               stdin="secret-pw\n"))
    assert json.loads(ok(mashups(eve, gw, "projects", "list", "--json"))) == []
    denied = mashups(eve, gw, "projects", "download", pid, "-o", str(tmp_path / "E"))
    assert denied.returncode == 1 and "no cloud project" in denied.stderr
    assert not (tmp_path / "E").exists() or not any((tmp_path / "E").iterdir())

    ok(mashups(a, gw, "account", "logout"))
    assert not list((a / "data" / "cloud").glob("cli-session-*.json"))
    again = mashups(a, gw, "projects", "list")
    assert again.returncode == 1 and "sign in" in again.stderr.lower()


def test_cli_without_configuration_says_cloud_is_off(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPABASE_")}
    env["MASHUPS_HOME"] = str(tmp_path)
    p = subprocess.run([sys.executable, "-m", "audio_engine.cli.main", "account", "status", "--json"], env=env,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and json.loads(p.stdout) == {"configured": False, "signed_in": False}
    p = subprocess.run([sys.executable, "-m", "audio_engine.cli.main", "sync"], env=env, capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 1 and "Cloud sync is off" in p.stderr
