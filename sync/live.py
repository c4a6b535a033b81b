"""One live session on a cloud project: the :class:`LiveProject` logic joined
to the project's :class:`LiveLink` channel.

Whatever the channel delivers (edits, presence, refusals, link state) is put
on an inbox and applied by :meth:`LiveSession.pump` on the caller's thread;
``notify`` (called on the link's thread) tells the caller that the inbox has
something (the studio emits a queued Qt signal whose slot pumps). So the
project model is only ever touched on the thread that owns it.

When the owner changes someone's role or removes them, the database pushes
a ``members`` message on the channel. Its payload is not trusted: the session
asks the server for the members again (on a worker thread, one question at a
time, so the last answer applied is the newest), takes the roles it gets, and
when the user's own access changed, says so and calls ``on_access`` with the
new read-only reason (None: may edit). A user who lost access leaves the
channel."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from audio_engine.project.commands import Command
from audio_engine.project.model import Project

from .cloud import Cloud
from .collab import LiveProject
from .errors import AuthRequiredError, RpcError, SyncError
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
        self.on_access: Callable[[str | None], None] | None = None  # read-only reason changed (owner thread)
        self._asking = threading.Lock()
        self.members_read = 0  # member lists applied after a push (tests, diagnostics)
        self._presence_state: dict[str, list[dict[str, Any]]] = {}
        self._inbox: queue.SimpleQueue[Callable[[], object]] = queue.SimpleQueue()
        self.live = LiveProject(projects, project_id, project, uid, roles, names,
                                refresh_members=lambda: self.sharing.roles(project_id))
        self.link = LiveLink(url, cloud.config.anon_key, cloud.auth.access_token, project_id, presence_key=uid,
                             on_edit=lambda m: self._post(lambda: self.live.receive(m)),
                             on_presence=lambda s: self._post(lambda: self._presence(s)),
                             on_status=lambda st, d: self._post(lambda: self._status(st, d)),
                             on_refused=lambda r: self._post(lambda: self._notice(f"Your edit was not shared: {r}")),
                             on_members=self._members_pushed)
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
        self._presence_state = state
        joined, left = self.live.set_presence(state)
        for name in joined:
            self._notice(f"{name} joined")
        for name in left:
            self._notice(f"{name} left")

    # ------------------------------------------------------------ pushed member changes
    def _members_pushed(self) -> None:
        """The database announced a role change or removal (link thread): ask again, off the link's loop."""
        threading.Thread(target=self.ask_members, name="live-members", daemon=True).start()

    def ask_members(self) -> None:
        """Ask the server for the members and post them to the inbox (any thread but the owner's)."""
        with self._asking:
            try:
                roles, names = self.sharing.roles(self.live.project_id)
            except (RpcError, AuthRequiredError) as exc:
                if isinstance(exc, RpcError) and exc.code != "42501" and exc.status != 403:
                    log.info("live: members not re-read: %s", exc)
                    return
                self._post(lambda: self._members({}, self.live.names))  # no access any more
                self.link.close()
                self._post(lambda: self._status("closed", "removed"))
                return
            except SyncError as exc:  # offline: keep what we know, the next push or join asks again
                log.info("live: members not re-read: %s", exc)
                return
            self._post(lambda: self._members(roles, names))

    def _members(self, roles: dict[str, str], names: dict[str, str]) -> None:
        before = self.live.read_only_reason
        self.live.members_changed(roles, names)
        self.members_read += 1
        after = self.live.read_only_reason
        if after != before:
            role = self.live.role
            if role in ("owner", "editor"):
                self._notice("The owner made you an editor: you can edit this project again.")
            elif role == "viewer":
                self._notice(f"The owner made you a viewer. {after}")
            else:
                self._notice("You were removed from this project: your edits are no longer shared.")
            if self.on_access is not None:
                self.on_access(after)
        if self.live.role:
            self._presence(self._presence_state)  # people who lost access leave the avatars
        else:
            self.live.peers = {}
