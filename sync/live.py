"""One live session on a cloud project: the :class:`LiveProject` logic joined
to the project's :class:`LiveLink` channel.

Whatever the channel delivers (edits, presence, refusals, link state) is put
on an inbox and applied by :meth:`LiveSession.pump` on the caller's thread;
``notify`` (called on the link's thread) tells the caller that the inbox has
something (the studio emits a queued Qt signal whose slot pumps). So the
project model is only ever touched on the thread that owns it."""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable
from typing import Any

from audio_engine.project.commands import Command
from audio_engine.project.model import Project

from .cloud import Cloud
from .collab import LiveProject
from .projects import ProjectSync
from .realtime_link import LiveLink
from .sharing import Sharing

log = logging.getLogger(__name__)


class LiveSession:
    def __init__(self, cloud: Cloud, projects: ProjectSync, project_id: str, project: Project, url: str, *,
                 notify: Callable[[], None] | None = None) -> None:
        uid = cloud.auth.user_id
        if uid is None:
            raise ValueError("sign in to work on a shared project live")
        self.sharing = Sharing(cloud.transport)
        roles, names = self.sharing.roles(project_id)
        self.notify = notify
        self.notices: list[str] = []
        self.on_notice: Callable[[str], None] | None = None
        self.link_state = "idle"
        self._inbox: queue.SimpleQueue[Callable[[], object]] = queue.SimpleQueue()
        self.live = LiveProject(projects, project_id, project, uid, roles, names,
                                refresh_members=lambda: self.sharing.roles(project_id))
        self.link = LiveLink(url, cloud.config.anon_key, cloud.auth.access_token, project_id, presence_key=uid,
                             on_edit=lambda m: self._post(lambda: self.live.receive(m)),
                             on_presence=lambda s: self._post(lambda: self._presence(s)),
                             on_status=lambda st, d: self._post(lambda: self._status(st, d)),
                             on_refused=lambda r: self._post(lambda: self._notice(f"Your edit was not shared: {r}")))
        self.live.send = self.link.send_edit
        self.live.on_notice = self._notice

    # ------------------------------------------------------------ lifecycle
    def start(self) -> None:
        self.link.start()

    def close(self) -> None:
        self.link.close()

    # ------------------------------------------------------------ the owner thread
    def edit(self, command: Command) -> None:
        self.live.edit(command)

    def undo(self) -> Command:
        return self.live.undo()

    def track(self, playhead: float = 0.0, selection: tuple[str, ...] = ()) -> None:
        self.link.track(self.live.presence_meta(playhead, selection))

    def pump(self) -> int:
        n = 0
        while True:
            try:
                job = self._inbox.get_nowait()
            except queue.Empty:
                return n
            try:
                job()
            except Exception:  # noqa: BLE001 - one bad delivery must not stop the others
                log.exception("live: delivery failed")
            n += 1

    def wait_for(self, done: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Pump until ``done()`` (tests, benchmarks, the command line)."""
        end = time.monotonic() + timeout
        while True:
            self.pump()
            if done():
                return True
            if time.monotonic() > end:
                return False
            time.sleep(0.002)

    # ------------------------------------------------------------ deliveries
    def _post(self, job: Callable[[], object]) -> None:
        self._inbox.put(job)
        if self.notify is not None:
            self.notify()

    def _notice(self, text: str) -> None:
        self.notices.append(text)
        if self.on_notice is not None:
            self.on_notice(text)

    def _status(self, state: str, detail: str) -> None:
        self.link_state = state
        if state == "refused":
            self._notice(f"Cannot join the live session: {detail or 'no access'}")
        elif state == "offline":
            self._notice("Working offline: your edits are kept and shared when the connection is back.")

    def _presence(self, state: dict[str, list[dict[str, Any]]]) -> None:
        joined, left = self.live.set_presence(state)
        for name in joined:
            self._notice(f"{name} joined")
        for name in left:
            self._notice(f"{name} left")
