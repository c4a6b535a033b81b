"""A project's live channel (Supabase Realtime, private topic
``project:<id>``) run by the ``realtime`` client of supabase-py on a dedicated
thread with its own asyncio loop, so that callers (the Qt editor) never block
on the network.

Everything the channel delivers arrives through the callbacks on the link's
thread; callers marshal it to their own thread (the studio uses a queued Qt
signal). Sending is fire-and-forget: a refusal by the server (viewer,
removed collaborator) comes back through ``on_refused``; a message lost on
the way is healed by the next per-entity pull (the durable path). A
``members`` broadcast (pushed by the database when the owner changes a role
or removes someone) only says "ask again": its payload is never trusted and
``on_members`` is called with nothing.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from realtime import AsyncRealtimeChannel, AsyncRealtimeClient, RealtimeSubscribeStates
from realtime.types import ChannelEvents, RealtimeAcknowledgementStatus

log = logging.getLogger(__name__)

EDIT_EVENT = "edit"
MEMBERS_EVENT = "members"
Callback = Callable[[dict[str, Any]], None]


def realtime_url(supabase_url: str, env: dict[str, str] | None = None) -> str:
    """Supabase serves Realtime at ``<url>/realtime/v1``; ``MASHUPS_REALTIME_URL``
    overrides it (the local development backend serves it on its own port)."""
    env = dict(os.environ) if env is None else env
    return env.get("MASHUPS_REALTIME_URL") or supabase_url.rstrip("/") + "/realtime/v1"


class LiveLink:
    def __init__(self, url: str, anon_key: str, access_token: Callable[[], str], project_id: str, *,
                 presence_key: str, on_edit: Callback, on_presence: Callable[[dict[str, list[dict[str, Any]]]], None],
                 on_status: Callable[[str, str], None], on_refused: Callable[[str], None],
                 on_members: Callable[[], None] | None = None) -> None:
        self.url = url
        self.anon_key = anon_key
        self.access_token = access_token
        self.project_id = project_id
        self.presence_key = presence_key
        self.on_edit = on_edit
        self.on_presence = on_presence
        self.on_status = on_status
        self.on_refused = on_refused
        self.on_members = on_members
        self.state = "idle"
        self.sent_messages = 0
        self.sent_bytes = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._client: AsyncRealtimeClient | None = None
        self._channel: AsyncRealtimeChannel | None = None
        self._joined = threading.Event()
        self._ended = threading.Event()

    # ------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Connect and join in the background (returns at once)."""
        if self._thread is not None:
            return
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            ready.set()
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=run, name=f"live-{self.project_id[:8]}", daemon=True)
        self._thread.start()
        ready.wait()
        self._submit(self._connect())

    def wait_joined(self, timeout: float) -> bool:
        return self._joined.wait(timeout)

    @property
    def joined(self) -> bool:
        return self._joined.is_set()

    def close(self) -> None:
        if self._loop is None:
            return
        try:
            self._submit(self._disconnect()).result(5)
        except Exception:  # noqa: BLE001 - closing is best effort
            log.debug("live: close failed", exc_info=True)
        try:
            self._submit(_cancel_pending()).result(5)
        except Exception:  # noqa: BLE001
            log.debug("live: cancelling pending tasks failed", exc_info=True)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(5)
        self._loop = None
        self._thread = None
        self._joined.clear()
        self.state = "closed"

    # ------------------------------------------------------------ sending (any thread)
    def send_edit(self, data: dict[str, Any], size: int) -> None:
        self.sent_messages += 1
        self.sent_bytes += size
        self._submit(self._push(data))

    def track(self, meta: dict[str, Any]) -> None:
        self._submit(self._track(meta))

    # ------------------------------------------------------------ loop side
    def _submit(self, coro: Any) -> Future[Any]:
        if self._loop is None:
            raise RuntimeError("the live link is not started")
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def _status(self, state: str, detail: str = "") -> None:
        self.state = state
        try:
            self.on_status(state, detail)
        except Exception:  # noqa: BLE001 - a listener bug must not stop the link
            log.exception("live: status listener failed")

    async def _connect(self) -> None:
        self._status("connecting")
        try:
            token = await asyncio.to_thread(self.access_token)
            client = AsyncRealtimeClient(self.url, self.anon_key, max_retries=3, initial_backoff=0.2)
            await client.connect()
            await client.set_auth(token)
        except Exception as exc:  # noqa: BLE001 - offline: the durable path still works
            self._status("offline", str(exc) or type(exc).__name__)
            return
        self._client = client
        channel = client.channel(f"project:{self.project_id}", {"config": {
            "broadcast": {"self": False, "ack": False}, "presence": {"key": self.presence_key, "enabled": True},
            "private": True}})
        channel.on_broadcast(EDIT_EVENT, self._received)
        channel.on_broadcast(MEMBERS_EVENT, self._members)
        channel.on_presence_sync(self._presence_sync)
        self._channel = channel

        def subscribed(state: RealtimeSubscribeStates, error: Exception | None) -> None:
            if state == RealtimeSubscribeStates.SUBSCRIBED:
                self._joined.set()
                self._status("live")
            else:
                self._joined.clear()
                self._status("refused" if error is not None else state.value.lower(), str(error or ""))

        await channel.subscribe(subscribed)

    async def _disconnect(self) -> None:
        if self._client is not None:
            try:
                await self._client.remove_all_channels()
            finally:
                self._client = None
                self._channel = None

    async def _push(self, data: dict[str, Any]) -> None:
        if self._channel is None or not self._joined.is_set():
            return  # offline: the outbox carries the edit
        push = await self._channel.push(ChannelEvents.broadcast,
                                        {"type": "broadcast", "event": EDIT_EVENT, "payload": data})

        def refused(response: dict[str, Any]) -> None:
            self.on_refused(str(response.get("reason") or "the server refused the edit"))

        push.receive(RealtimeAcknowledgementStatus.Error, refused)

    async def _track(self, meta: dict[str, Any]) -> None:
        if self._channel is not None and self._joined.is_set():
            await self._channel.track(meta)

    def _received(self, payload: Any) -> None:
        data = payload.get("payload") if isinstance(payload, dict) else None
        if not isinstance(data, dict):
            log.info("live: a broadcast without an object payload was dropped")
            return
        try:
            self.on_edit(data)
        except Exception:  # noqa: BLE001 - one bad message never stops the link
            log.exception("live: edit listener failed")

    def _members(self, _payload: Any) -> None:
        if self.on_members is None:
            return
        try:
            self.on_members()
        except Exception:  # noqa: BLE001
            log.exception("live: members listener failed")

    def _presence_sync(self) -> None:
        if self._channel is None:
            return
        state = {k: [dict(p) for p in v] for k, v in self._channel.presence_state().items()}
        try:
            self.on_presence(state)
        except Exception:  # noqa: BLE001
            log.exception("live: presence listener failed")


async def _cancel_pending() -> None:
    """Cancel the client's leftover timers (push timeouts) before the loop stops."""
    me = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks() if t is not me and not t.done()]
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
