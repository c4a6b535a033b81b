"""The billing service's configuration and command, and the boundary between
server and desktop code: nothing the desktop app ships imports the server or
its SDKs."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from backend.billing.config import BillingConfig, ConfigError

ROOT = Path(__file__).resolve().parents[2]
SERVER_ONLY = ("stripe", "waitress", "backend")

BASE_ENV = {"STRIPE_SECRET_KEY": "sk_test_x", "STRIPE_WEBHOOK_SECRET": "whsec_x",
            "SUPABASE_JWT_SECRET": "j" * 32, "DATABASE_URL": "postgresql://billing@db/postgres"}


def test_desktop_packages_never_import_server_code() -> None:
    offenders = []
    for package in ("studio", "audio_engine", "sync"):
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                names: list[str] = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] in SERVER_ONLY]
    assert offenders == []


def test_stripe_is_a_server_extra_not_an_app_dependency() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = [d.split(">")[0].split("=")[0].split("[")[0].strip().lower() for d in project["dependencies"]]
    assert "stripe" not in names and "waitress" not in names
    server = " ".join(project["optional-dependencies"]["server"])
    assert "stripe" in server and "waitress" in server


def test_config_from_env() -> None:
    cfg = BillingConfig.from_env({**BASE_ENV, "STRIPE_PRICES": '{"pro": "price_p"}', "STRIPE_PRICE_STUDIO": "price_s",
                                  "PORT": "9000"})
    assert dict(cfg.prices) == {"pro": "price_p", "studio": "price_s"} and cfg.port == 9000
    assert cfg.stripe_api_base is None and cfg.stripe_secret_key == "sk_test_x"


@pytest.mark.parametrize(("env", "message"), [
    ({"STRIPE_SECRET_KEY": ""}, "STRIPE_SECRET_KEY"),
    ({"DATABASE_URL": " "}, "DATABASE_URL"),
    ({}, "no Stripe price"),
    ({"STRIPE_PRICES": "{pro: 1"}, "must be JSON"),
    ({"STRIPE_PRICES": '{"free": "price_f"}'}, "does not sell"),
    ({"STRIPE_PRICES": '{"pro": "p"}', "STRIPE_SECRET_KEY": "sk_live_x", "STRIPE_API_BASE": "http://127.0.0.1:1"},
     "live key"),
    ({"STRIPE_PRICES": '{"pro": "p"}', "PORT": "eighty"}, "integers"),
])
def test_config_errors_name_what_is_wrong(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        BillingConfig.from_env({**BASE_ENV, **env})


def test_command_refuses_an_incomplete_environment() -> None:
    env = {k: v for k, v in os.environ.items() if k not in BASE_ENV and not k.startswith("STRIPE_")}
    proc = subprocess.run([sys.executable, "-m", "backend.billing"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2
    assert "STRIPE_SECRET_KEY" in proc.stderr and "DATABASE_URL" in proc.stderr and "Traceback" not in proc.stderr


def test_the_app_gets_the_tiers_as_data_equal_to_the_servers() -> None:
    """resources/tiers.json (shipped with the app) is a copy of backend/tiers.json (the server's source)."""
    import json

    from backend.tiers import load_tiers
    from sync.tiers import bundled_tiers

    assert bundled_tiers() == load_tiers() == json.loads((ROOT / "resources" / "tiers.json").read_text())
    text = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "sync").rglob("*.py"))
    assert 'files("backend")' not in text  # no reading of the server package's data either


def test_config_takes_published_signing_keys_instead_of_the_secret() -> None:
    env = {**BASE_ENV, "STRIPE_PRICES": '{"pro": "p"}', "SUPABASE_JWT_SECRET": "",
           "SUPABASE_JWKS_URL": "https://x.supabase.co/auth/v1/.well-known/jwks.json"}
    cfg = BillingConfig.from_env(env)
    assert cfg.jwt_secret == "" and cfg.jwks_url and cfg.jwks_url.endswith("jwks.json")
    with pytest.raises(ConfigError, match="SUPABASE_JWT_SECRET or SUPABASE_JWKS_URL"):
        BillingConfig.from_env({**env, "SUPABASE_JWKS_URL": ""})
