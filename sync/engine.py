"""Push and pull. Push sends pending outbox entries in order, in batches, with
their idempotency keys; the per-change answers are recorded (accepted entries
leave the outbox, rejected ones stay with their reason). Pull fetches changes
since the server-issued cursor and merges them into the local store."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import SyncError
from .store import LocalStore
from .tiers import Entitlements, default_entitlements
from .transport import Transport

MAX_BATCH = 500
# The server refuses a push over 32 MiB of JSON (private.sync_push_max_bytes(),
# migration 20261129000950); batches are cut at half of it, so a real client
# never reaches that bound. One change is at most ~2 MB by the per-field bounds.
MAX_BATCH_BYTES = 16 * 1024 * 1024


def _cut(changes: list[dict[str, Any]], limit: int) -> int:
    """How many leading changes fit in ``limit`` bytes of JSON (at least one)."""
    total = 2  # the brackets
    for i, ch in enumerate(changes):
        total += len(json.dumps(ch, separators=(",", ":")).encode()) + 1
        if total > limit and i > 0:
            return i
    return len(changes)


@dataclass(frozen=True)
class SyncReport:
    pushed: int
    rejected: int
    replayed: int
    pulled: int
    changed_projects: frozenset[str] = frozenset()


class SyncEngine:
    def __init__(self, store: LocalStore, transport: Transport, *, batch: int = MAX_BATCH, page: int = 500,
                 user_id: Callable[[], str | None] | None = None, batch_bytes: int = MAX_BATCH_BYTES) -> None:
        if not 1 <= batch <= MAX_BATCH:
            raise ValueError(f"batch must be 1..{MAX_BATCH}")
        if not 1 <= batch_bytes <= MAX_BATCH_BYTES:
            raise ValueError(f"batch_bytes must be 1..{MAX_BATCH_BYTES}")
        self.store = store
        self.transport = transport
        self.batch = batch
        self.batch_bytes = batch_bytes
        self.page = page
        self.user_id = user_id

    def push(self) -> tuple[int, int, int]:
        accepted = rejected = replayed = 0
        while True:
            entries = self.store.pending(self.batch)
            if not entries:
                break
            changes = [e.as_change() for e in entries]
            n = _cut(changes, self.batch_bytes)
            entries, changes = entries[:n], changes[:n]
            results: list[dict[str, Any]] = self.transport.rpc("sync_push", {"p_changes": changes})
            if not isinstance(results, list) or len(results) != len(entries):
                raise SyncError("the server answered sync_push with an unexpected shape")
            a, r = self.store.ack(results)
            accepted += a
            rejected += r
            replayed += sum(1 for x in results if x.get("replayed"))
            if a + r == 0:
                break  # nothing recorded: avoid looping on the same entries
        return accepted, rejected, replayed

    def pull(self) -> int:
        total = 0
        while True:
            page: dict[str, Any] = self.transport.rpc("sync_pull", {"p_cursor": self.store.cursor,
                                                                    "p_limit": self.page})
            changes = page.get("changes") or []
            total += self.store.apply_remote(changes, str(page.get("cursor") or ""))
            if not page.get("has_more") or not changes:
                return total

    def pull_entities(self) -> tuple[int, set[str]]:
        """Pull project contents (entities); returns (rows, projects that changed)."""
        total = 0
        touched: set[str] = set()
        while True:
            page: dict[str, Any] = self.transport.rpc("sync_pull_entities", {"p_cursor": self.store.entity_cursor,
                                                                             "p_limit": self.page})
            changes = page.get("changes") or []
            if not isinstance(changes, list):
                raise SyncError("the server answered sync_pull_entities with an unexpected shape")
            touched |= self.store.apply_remote_entities(changes, str(page.get("cursor") or ""))
            total += len(changes)
            if not page.get("has_more") or not changes:
                return total, touched

    def prune(self) -> int:
        """Forget shared projects whose access was revoked."""
        me = self.user_id() if self.user_id else None
        if not me:
            return 0
        visible = self.transport.rpc("sync_visible_projects")
        if not isinstance(visible, list):
            raise SyncError("the server answered sync_visible_projects with an unexpected shape")
        return self.store.prune_unshared({str(v) for v in visible}, me)

    def sync(self) -> SyncReport:
        accepted, rejected, replayed = self.push()
        pulled = self.pull()
        n, touched = self.pull_entities()
        self.prune()
        return SyncReport(accepted, rejected, replayed, pulled + n, frozenset(touched))

    def entitlements(self) -> Entitlements:
        """Server answer when reachable (and cached), else the cached or bundled one."""
        try:
            data = self.transport.rpc("get_entitlements")
        except SyncError:
            cached = self.store.cached_json("entitlements")
            if cached:
                return Entitlements.from_json(cached, from_server=False)
            return default_entitlements()
        self.store.cache_json("entitlements", data)
        return Entitlements.from_json(data, from_server=True)

    def progress(self) -> dict[str, Any]:
        """XP, badges and streak: server-authoritative, cached for offline display."""
        try:
            data: dict[str, Any] = self.transport.rpc("my_progress")
        except SyncError:
            cached = self.store.cached_json("progress")
            return dict(cached) if cached else {"xp": 0, "badges": [], "streak": 0, "offline": True}
        self.store.cache_json("progress", data)
        return data
