"""``python -m backend.voice``: the voice service as its own process, configured
from the environment, against real PostgreSQL with the migrations and the
local stand-in for api.daily.co of test_voice (which checks the documented
request shapes)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from backend.devserver.gateway import JWT_SECRET
from backend.voice.__main__ import ConfigError, VoiceConfig, main
from sync.errors import SyncError
from sync.voice import VoiceClient

from .conftest import Db
from .test_voice import KEY, FakeDaily, shared_project, token

ROOT = Path(__file__).resolve().parents[2]
VOICE_ENV = ("DATABASE_URL", "SUPABASE_JWT_SECRET", "DAILY_API_KEY", "DAILY_API_URL", "HOST", "PORT", "THREADS")


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in VOICE_ENV}
    return {**env, **extra}


def test_the_launched_service_gives_collaborators_a_room_and_refuses_strangers(db: Db) -> None:
    daily = FakeDaily()
    env = clean_env(DATABASE_URL=db.dsn, SUPABASE_JWT_SECRET=JWT_SECRET, DAILY_API_KEY=KEY, DAILY_API_URL=daily.url)
    proc = subprocess.Popen([sys.executable, "-m", "backend.voice", "--host", "127.0.0.1", "--port", "0"], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("VOICE_URL=http://127.0.0.1:"), (line, proc.poll())
        url = line.split("=", 1)[1]
        project, owner, editor, stranger = shared_project(db)
        assert VoiceClient(url, lambda: token(editor)).unavailable_reason() is None
        room = VoiceClient(url, lambda: token(owner)).join(project)
        assert room.startswith("https://mashups.daily.co/ms-") and room.endswith(f".{owner[:8]}.1")
        with pytest.raises(SyncError, match="only the project's owner and collaborators"):
            VoiceClient(url, lambda: token(stranger)).join(project)
        assert [p for p, _ in daily.requests] == ["/v1/rooms", "/v1/meeting-tokens"]
    finally:
        proc.terminate()
        proc.wait(10)
        daily.server.shutdown()


def test_without_a_daily_key_it_runs_and_says_why_talk_is_off(db: Db) -> None:
    env = clean_env(DATABASE_URL=db.dsn, SUPABASE_JWT_SECRET=JWT_SECRET)
    proc = subprocess.Popen([sys.executable, "-m", "backend.voice", "--host", "127.0.0.1", "--port", "0"], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip().split("=", 1)[1]
        assert "DAILY_API_KEY is not configured" in (VoiceClient(url, lambda: "").unavailable_reason() or "")
    finally:
        proc.terminate()
        proc.wait(10)


def test_an_incomplete_environment_or_a_dead_database_is_a_clear_error(monkeypatch: pytest.MonkeyPatch,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    proc = subprocess.run([sys.executable, "-m", "backend.voice"], cwd=ROOT, env=clean_env(), capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2
    assert "DATABASE_URL" in proc.stderr and "SUPABASE_JWT_SECRET" in proc.stderr and "Traceback" not in proc.stderr
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    monkeypatch.setenv("SUPABASE_JWT_SECRET", "s")
    assert main([]) == 1
    assert "cannot start the voice service" in capsys.readouterr().err
    base = {"DATABASE_URL": "postgresql:///x", "SUPABASE_JWT_SECRET": "s"}
    with pytest.raises(ConfigError, match="integers"):
        VoiceConfig.from_env({**base, "PORT": "eighty"})
    with pytest.raises(ConfigError, match="https"):
        VoiceConfig.from_env({**base, "DAILY_API_URL": "http://api.example.com/v1"})
