"""What a newcomer does: start ``scripts/local-backend.sh``, sign up, look at
the plan, upgrade (a local Checkout page in test mode), pay, and see the new
plan, all through the command line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def test_local_backend_script_serves_billing_in_test_mode(tmp_path: Path) -> None:
    proc = subprocess.Popen(["bash", str(ROOT / "scripts" / "local-backend.sh"), "--port", "0", "--billing-port", "0"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        assert proc.stdout is not None
        env = {**os.environ, "MASHUPS_HOME": str(tmp_path / "home")}
        for line in proc.stdout:
            if line.startswith(("SUPABASE_URL=", "SUPABASE_ANON_KEY=", "MASHUPS_BILLING_URL=")):
                key, value = line.strip().split("=", 1)
                env[key] = value
            if "MASHUPS_BILLING_URL" in env:
                break
        assert {"SUPABASE_URL", "SUPABASE_ANON_KEY", "MASHUPS_BILLING_URL"} <= set(env)

        def mashups(*args: str, stdin: str | None = None) -> str:
            done = subprocess.run([sys.executable, "-m", "audio_engine.cli.main", *args], cwd=ROOT, env=env,
                                  input=stdin, capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stderr
            return done.stdout

        mashups("account", "signup", f"new-{uuid.uuid4().hex[:6]}@example.test", "--password-stdin",
                stdin="a newcomer's password\n")
        assert json.loads(mashups("plan", "--json"))["tier"] == "free"
        url = json.loads(mashups("upgrade", "pro", "--no-browser", "--json"))["url"]
        page = httpx.get(url, timeout=10)
        assert "Test mode" in page.text and "Subscribe to Pro" in page.text
        paid = httpx.post(f"{url}/complete", follow_redirects=True, timeout=10)  # "Pay"
        assert paid.status_code == 200
        plan = json.loads(mashups("plan", "--json"))
        assert plan["tier"] == "pro" and plan["subscription"]["status"] == "active"
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=30)
