"""Cloud configuration. Without a Supabase URL and anon key there is no cloud
at all: :func:`load_config` returns ``None`` and nothing touches the network."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit


def bundled_resource(name: str) -> Path:
    """A file of ``resources/`` beside the packages, or in a PyInstaller bundle."""
    frozen = getattr(sys, "_MEIPASS", None)
    root = Path(frozen) if frozen else Path(__file__).resolve().parents[1]
    return root / "resources" / name


@dataclass(frozen=True)
class CloudConfig:
    url: str
    anon_key: str
    timeout_s: float = 20.0

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise ValueError(f"Supabase URL must be http(s)://host, got {self.url!r}")
        if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("Supabase URL must use https (plain http only for localhost)")
        if not self.anon_key.strip():
            raise ValueError("Supabase anon key is empty")

    @property
    def base(self) -> str:
        return self.url.rstrip("/")


def load_config(
    settings: Mapping[str, str] | None = None, env: Mapping[str, str] | None = None
) -> CloudConfig | None:
    """Settings win over the environment; both keys must be present."""
    env = os.environ if env is None else env
    settings = settings or {}
    url = (settings.get("supabase_url") or env.get("SUPABASE_URL") or "").strip()
    key = (settings.get("supabase_anon_key") or env.get("SUPABASE_ANON_KEY") or "").strip()
    if not url or not key:
        return None
    return CloudConfig(url=url, anon_key=key)
