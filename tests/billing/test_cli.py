"""``mashups plan``, ``mashups upgrade``, ``mashups billing-portal`` against the local cloud."""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path

import pytest

from audio_engine.cli.main import main
from backend.devserver.gateway import ANON_KEY

from .conftest import LocalCloud


@pytest.fixture
def cli_env(local_cloud: LocalCloud, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LocalCloud:
    monkeypatch.setenv("MASHUPS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SUPABASE_URL", local_cloud.gateway.url)
    monkeypatch.setenv("SUPABASE_ANON_KEY", ANON_KEY)
    monkeypatch.setenv("MASHUPS_BILLING_URL", local_cloud.billing.url)
    monkeypatch.setattr("webbrowser.open", lambda url: False)  # no browser in CI
    return local_cloud


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_plan_upgrade_portal(cli_env: LocalCloud, capsys: pytest.CaptureFixture[str],
                             monkeypatch: pytest.MonkeyPatch) -> None:
    rc, _, err = run(capsys, "plan")
    assert rc == 1 and "sign in" in err.lower()
    email = f"cli-{uuid.uuid4().hex[:8]}@example.test"
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert run(capsys, "account", "signup", email, "--password-stdin")[0] == 0
    rc, out, _ = run(capsys, "plan", "--json")
    data = json.loads(out)
    assert rc == 0 and data["tier"] == "free" and data["limits"]["max_projects"] == 5
    assert data["usage"]["max_projects"] == 0 and data["subscription"] is None
    assert [t["price"] for t in data["tiers"]] == ["No charge", "$9 / month", "$29 / month"]
    rc, out, _ = run(capsys, "plan")
    assert "Plan: Free" in out and "Cloud projects" in out and "never limited" in out

    rc, _, err = run(capsys, "billing-portal")
    assert rc == 1 and "subscribe first" in err  # no Stripe customer before the first Checkout
    rc, _, err = run(capsys, "upgrade", "gold")
    assert rc == 1 and "choose one of: pro, studio" in err
    rc, out, _ = run(capsys, "upgrade", "pro", "--json")
    checkout = json.loads(out)["url"]
    assert rc == 0 and checkout.rsplit("/", 1)[1] in cli_env.billing.stripe_state.sessions
    cli_env.pay(checkout)
    rc, out, _ = run(capsys, "plan", "--json")
    assert json.loads(out)["tier"] == "pro" and json.loads(out)["subscription"]["status"] == "active"
    rc, out, _ = run(capsys, "billing-portal", "--no-browser")
    assert rc == 0 and f"{cli_env.billing.stripe.url}/p/session/" in out
    portal = out.split("Billing portal: ", 1)[1].split()[0]
    cli_env.portal(portal, "cancel_at_period_end")
    rc, out, _ = run(capsys, "plan")
    assert "Plan: Pro" in out and "Cancels on " in out
