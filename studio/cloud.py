"""The studio side of the cloud: a Qt bridge over the Qt-free
:class:`sync.session.CloudSession`.

Every network call runs as a job of the one job runner (kind ``sync``), so
the window never waits on the network. Status changes (which may happen on a
job's thread) reach the UI through a queued signal. Edits of a project that
lives in the cloud are recorded as entity changes from the editor's commands
and pushed shortly after; a periodic sync pulls other computers' edits.
Each recorded edit's clocks are kept (:class:`sync.own_edits.OwnEdits`, the
mechanism live collaboration uses), so pulled edits merge into the open
project without touching its undo history, and an undo that would overwrite
another computer's later edit is refused (:meth:`CloudController.undo_refusal`).

Hooks for other pages: ``billing_requested`` (the over-limit dialog's
"See plans" and the account panel's "Upgrade") and ``over_limit(limit,
message)``; ``MainWindow`` sends the first to ``go("Billing")``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from audio_engine.errors import ProjectFileError
from audio_engine.progress import CancelToken, Progress
from studio.jobs import Job, JobRunner
from studio.settings import Settings
from sync.errors import AuthRequiredError, OfflineError, ServerError, SyncError, TierLimitError
from sync.own_edits import OwnEdits
from sync.projects import ProjectSync, describe_limit
from sync.session import CloudSession, Status, resolve_config

SYNC_INTERVAL_MS = 30_000
PUSH_DELAY_MS = 1_500
SESSION_ENDED = ("Your session ended (signed out elsewhere, or it expired). Sign in again; nothing on this "
                 "computer was lost and your pending changes will sync.")
SETTING_URL = "cloud/supabase_url"
SETTING_KEY = "cloud/supabase_anon_key"


def cloud_settings(settings: Settings) -> dict[str, str]:
    return {"supabase_url": settings.str(SETTING_URL), "supabase_anon_key": settings.str(SETTING_KEY)}


class CloudController(QObject):
    status_changed = Signal(object)  # sync.session.Status
    projects_changed = Signal()
    remote_project_changed = Signal(str)  # cloud project id whose contents changed
    local_project_updated = Signal(str, object)  # cloud id, the merged Project written to its folder
    over_limit = Signal(str, str)  # limit name, message
    billing_requested = Signal()
    sign_in_needed = Signal(str)
    message = Signal(str)
    _status_sig = Signal(object)

    def __init__(self, session: CloudSession, jobs: JobRunner, settings: Settings, *, auto_sync: bool = True) -> None:
        super().__init__()
        self.session = session
        self.jobs = jobs
        self.settings = settings
        self._status_sig.connect(self.status_changed.emit)
        session.subscribe(self._status_sig.emit)
        self._sync_job: Job | None = None
        #: where the open project's media is (set by the window: the editor's resolver)
        self.media_resolver: Callable[[], Any] | None = None
        self._again = False
        self._lock = threading.Lock()
        self._own: dict[str, OwnEdits] = {}  # cloud project id -> my edits' clocks
        self.push_timer = QTimer(self)
        self.push_timer.setSingleShot(True)
        self.push_timer.setInterval(PUSH_DELAY_MS)
        self.push_timer.timeout.connect(self.sync_now)
        self.timer = QTimer(self)
        self.timer.setInterval(SYNC_INTERVAL_MS)
        self.timer.timeout.connect(self.sync_now)
        if auto_sync:
            self.timer.start()
            QTimer.singleShot(500, self.sync_now)

    # ------------------------------------------------------------ state
    @property
    def status(self) -> Status:
        return self.session.status

    @property
    def projects(self) -> ProjectSync | None:
        return self.session.projects

    @property
    def signed_in(self) -> bool:
        c = self.session.cloud
        return bool(c and c.auth.signed_in)

    def reconfigure(self, url: str, key: str) -> None:
        """Settings (advanced): a different cloud address ('' for the build's / environment's)."""
        cfg = resolve_config({"supabase_url": url, "supabase_anon_key": key}, None)  # raises ValueError on bad URL
        self.settings.set(SETTING_URL, url)
        self.settings.set(SETTING_KEY, key)
        self.session.configure(cfg)
        self.projects_changed.emit()

    # ------------------------------------------------------------ jobs
    def run(self, title: str, fn: Callable[[Callable[[int, int], None], CancelToken], Any], *,
            on_result: Callable[[Any], None] | None = None, quiet: bool = False, background: bool = False) -> Job:
        """Run a blocking cloud call as a ``sync`` job; ``fn(progress, cancel)``
        gets a byte-progress callback. ``background``: routine reads the Jobs page hides by default."""

        def body(progress: Callable[[Progress], None], cancel: CancelToken) -> Any:
            def bytes_progress(done: int, total: int) -> None:
                cancel.check()
                progress(Progress(min(1.0, done / max(total, 1)), stage=f"{done / 1e6:.1f} of {total / 1e6:.1f} MB"))

            return fn(bytes_progress, cancel)

        return self.jobs.submit(title, "sync", body, on_result=on_result,
                                on_error=lambda e: self.handle_error(e, quiet=quiet), meta={"cloud": True},
                                background=background)

    def handle_error(self, e: BaseException, *, quiet: bool = False) -> None:
        if isinstance(e, TierLimitError):
            limit = e.hint or "plan limit"
            self.over_limit.emit(limit, f"Your plan's limit on {describe_limit(limit)} is reached ({e.message}). "
                                        "Your work is safe on this computer.")
        elif isinstance(e, AuthRequiredError):
            self.session.refresh_status(SESSION_ENDED)
            self.sign_in_needed.emit(SESSION_ENDED)
            return
        elif isinstance(e, (OfflineError, ServerError)):
            if not quiet:
                self.message.emit(str(e))
        elif isinstance(e, SyncError):
            self.message.emit(str(e))
        self.session.refresh_status(str(e) if isinstance(e, SyncError) else "")

    # ------------------------------------------------------------ sync
    def sync_now(self) -> Job | None:
        """Push and pull in the background (one sync at a time; a request
        during a sync runs another right after)."""
        if not self.signed_in:
            return None
        if self._sync_job is not None and not self._sync_job.state.finished:
            self._again = True
            return self._sync_job
        ps = self.projects
        assert ps is not None

        def body(_p: Callable[[int, int], None], _c: CancelToken) -> Any:
            report = self.session.sync()
            merged = {}
            for pid in report.changed_projects:
                path = ps.linked_path(pid)
                if path is not None and path.exists():
                    try:
                        merged[pid] = ps.refresh_local(pid)
                    except ProjectFileError:
                        pass  # its new media has not reached the cloud yet: merged at a later sync
            return report, merged

        self._sync_job = self.run("Sync with the cloud", body, on_result=self._synced, quiet=True)
        self._sync_job.meta["background"] = True
        return self._sync_job

    def _synced(self, result: Any) -> None:
        report, merged = result
        for pid, project in merged.items():
            self.local_project_updated.emit(pid, project)
        for pid in report.changed_projects:
            self.remote_project_changed.emit(pid)
        self.projects_changed.emit()
        if self._again:  # asked for during that sync: run it now (the runner never looks idle in between)
            self._again = False
            self.sync_now()

    def record(self, model_id: str, command: Any, project: Any) -> bool:
        """An edit of the open project: queue its entity changes when the
        project is in the cloud (a local SQLite write), push soon."""
        ps = self.projects
        if ps is None or command is None:
            return False
        pid = ps.project_for(model_id)
        if pid is None:
            return False
        try:
            ps.record(pid, command, project)
            self.own_edits(pid).note(command, project)
        except (ProjectFileError, SyncError, OSError) as e:  # never lose the edit itself: it is in the editor
            self.message.emit(f"This edit is saved here but could not be queued for the cloud: {e}")
            return False
        self.session.refresh_status()
        if self.signed_in and self._adds_media(command) and self.media_resolver is not None:
            snapshot = project.copy()
            resolver = self.media_resolver()
            self.run("Upload new media", lambda p, _c: ps.upload_media(pid, snapshot, resolver, progress=p))
        elif self.signed_in:
            self.push_timer.start()
        return True

    def own_edits(self, project_id: str) -> OwnEdits:
        """My recorded edits of a cloud project (their clocks) and the in-place merge."""
        ps = self.projects
        if ps is None:
            raise AuthRequiredError()
        own = self._own.get(project_id)
        if own is None or own.store is not ps.store:  # a new sign-in has a new store
            own = self._own[project_id] = OwnEdits(ps.store, project_id)
        return own

    def undo_refusal(self, model_id: str, command: Any) -> str | None:
        """Why undoing the open project's ``command`` would overwrite another
        computer's later edit (merged by a sync), or None."""
        ps = self.projects
        pid = ps.project_for(model_id) if ps is not None else None
        return None if pid is None else self.own_edits(pid).conflict(command)

    @staticmethod
    def _adds_media(command: Any) -> bool:
        from audio_engine.project.commands import AddMedia, Macro

        if isinstance(command, Macro):
            return any(CloudController._adds_media(c) for c in command.commands)
        return isinstance(command, AddMedia)

    # ------------------------------------------------------------ project actions
    def save_to_cloud(self, path: Path, on_done: Callable[[str], None] | None = None) -> Job:
        ps = self.session.require_projects()
        return self.run(f"Save “{path.stem}” to the cloud", lambda p, _c: ps.upload(path, progress=p),
                        on_result=lambda pid: (self.projects_changed.emit(), on_done(pid) if on_done else None))

    def open_from_cloud(self, project_id: str, dest: Path, on_done: Callable[[Path], None] | None = None) -> Job:
        ps = self.session.require_projects()
        return self.run("Open cloud project", lambda p, _c: ps.download(project_id, dest, progress=p),
                        on_result=lambda folder: (self.projects_changed.emit(), on_done(folder) if on_done else None))

    def rename(self, project_id: str, title: str) -> None:
        self.session.require_projects().rename(project_id, title)
        self.projects_changed.emit()
        self.sync_now()

    def remove_from_cloud(self, project_id: str) -> None:
        self.session.require_projects().remove(project_id)
        self.projects_changed.emit()
        self.sync_now()

    # ------------------------------------------------------------ account
    def sign_in(self, email: str, password: str, *, sign_up: bool = False,
                on_done: Callable[[Any], None] | None = None) -> Job:
        fn = self.session.sign_up if sign_up else self.session.sign_in
        return self.run("Create account" if sign_up else "Sign in", lambda _p, _c: fn(email, password),
                        on_result=lambda uid: self._signed_in(uid, on_done))

    def sign_in_oauth(self, provider: str, on_done: Callable[[Any], None] | None = None) -> Job:
        return self.run(f"Sign in with {provider.title()}", lambda _p, _c: self.session.sign_in_with_oauth(provider),
                        on_result=lambda uid: self._signed_in(uid, on_done))

    def _signed_in(self, uid: Any, on_done: Callable[[Any], None] | None) -> None:
        self.projects_changed.emit()
        self.sync_now()
        if on_done:
            on_done(uid)

    def sign_out(self) -> Job:
        return self.run("Sign out", lambda _p, _c: self.session.sign_out(),
                        on_result=lambda _r: self.projects_changed.emit())

    def load_entitlements(self, on_done: Callable[[Any], None]) -> Job:
        return self.run("Plan and usage", lambda _p, _c: self.session.entitlements(), on_result=on_done, quiet=True)

    def close(self) -> None:
        self.timer.stop()
        self.push_timer.stop()
        self.session.close()
