"""Tier limits as the client sees them. The server's ``get_entitlements`` is
authoritative; offline, the last answer is shown, and before any answer the
bundled tier table: ``resources/tiers.json``, a copy of ``backend/tiers.json``
(the file the server's migration is generated from) that a test keeps equal;
the desktop app ships no ``backend/``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .config import bundled_resource


@dataclass(frozen=True)
class Entitlements:
    tier: str
    limits: dict[str, int | None]
    usage: dict[str, int] = field(default_factory=dict)
    from_server: bool = False

    def remaining(self, metric: str) -> int | None:
        limit = self.limits.get(metric)
        if limit is None:
            return None
        return max(0, limit - self.usage.get(metric, 0))

    def allows(self, metric: str, amount: int = 1) -> bool:
        left = self.remaining(metric)
        return left is None or left >= amount

    @classmethod
    def from_json(cls, data: dict[str, Any], *, from_server: bool) -> Entitlements:
        return cls(str(data["tier"]), dict(data.get("limits") or {}),
                   {k: int(v) for k, v in (data.get("usage") or {}).items()}, from_server)


def bundled_tiers() -> dict[str, Any]:
    text = bundled_resource("tiers.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def default_entitlements() -> Entitlements:
    data = bundled_tiers()
    tier = str(data["default_tier"])
    return Entitlements(tier, dict(data["tiers"][tier]["limits"]))
