"""The open document's file lifecycle: new, open, save / save as, autosave
(every edit, 1.5 s after it, and every 30 s), the session journal and crash
recovery, the "save first?" question, and export. The editor's view only
calls these; dialogs are parented to the view."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QWidget

from audio_engine import project as proj
from audio_engine.app.context import unpack_folder
from audio_engine.app.offline import list_backups, open_backup
from audio_engine.errors import MashupsError
from audio_engine.project import Project
from studio.jobs import describe_error
from studio.services import Services
from studio.views.backups_dialog import BackupsDialog
from studio.views.editor_document import ProjectDocument
from studio.views.export_dialog import ExportDialog
from studio.widgets import show_message


class DocumentController(QObject):
    """Open/save/autosave/recovery/export of one :class:`ProjectDocument`.

    ``view`` parents the dialogs; ``say`` shows a line in the editor's status;
    ``opened`` runs after a project was opened or restored (the view fits it)."""

    saved = Signal(str)
    exported = Signal(str)
    restored = Signal()  # a project of a crashed session, or a backup of a damaged one, was reopened

    def __init__(self, services: Services, doc: ProjectDocument, view: QWidget,
                 say: Callable[[str], None], opened: Callable[[], None]) -> None:
        super().__init__(view)
        self.s = services
        self.doc = doc
        self.view = view
        self.say = say
        self.opened = opened
        self.last_export: Path | None = None
        self.recovery_box: QMessageBox | None = None
        self.export_box: ExportDialog | None = None
        self.backups_box: BackupsDialog | None = None
        self.discarded = False
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(30_000)
        self.autosave_timer.timeout.connect(self.autosave_now)
        self.autosave_timer.start()
        # Every edit is autosaved shortly after it (saved and untitled projects alike), so a crash
        # loses at most a couple of seconds; the session journal knows what to reopen.
        self.autosave_soon = QTimer(self)
        self.autosave_soon.setSingleShot(True)
        self.autosave_soon.setInterval(1500)
        self.autosave_soon.timeout.connect(self.autosave_now)
        doc.changed.connect(self._after_change)
        doc.undo_stack.indexChanged.connect(self._schedule_autosave)

    def _error(self, title: str, e: MashupsError) -> None:
        msg, hint = describe_error(e)
        show_message(self.view, title, f"{msg}\n\n{hint}")

    # -- open -----------------------------------------------------------------------------
    def new_project(self, title: str = "Untitled mashup") -> None:
        if not self.maybe_save():
            return
        self.doc.replace(Project(title=title), None)

    def open_dialog(self) -> None:
        d = QFileDialog.getExistingDirectory(self.view, "Open a .mashup project", str(self.s.projects_dir))
        if d:
            self.open_project(Path(d))

    def open_project(self, path: Path) -> bool:
        if self.doc.path != Path(path) and not self.maybe_save():
            return False  # the person cancelled: keep the open project
        try:
            opened = proj.open_project(path, unpack_to=unpack_folder(path, self.s.paths.cache))
        except MashupsError as e:
            if not self._offer_backups(Path(path), e):
                self._error("Open project", e)
            return False
        project = opened.project
        if opened.recovery is not None:
            ans = QMessageBox.question(
                self.view, "Recover unsaved changes?",
                f"“{project.title}” has unsaved changes from {time.ctime(opened.recovery.saved_at)} "
                "(the studio closed before they were saved). Recover them?")
            if ans == QMessageBox.StandardButton.Yes:
                project = proj.recover(opened)
        self.doc.replace(project, opened.path)
        if opened.recovery is not None and project is not opened.project:
            self.doc.undo_stack.resetClean()  # recovered changes are unsaved
        self.s.settings.add_recent(opened.path)
        self.opened()
        return True

    def _offer_backups(self, folder: Path, error: MashupsError) -> bool:
        """A damaged project with readable backups: offer them (True when offered)."""
        found = list_backups(folder) if folder.is_dir() else []
        if not found:
            return False
        msg, _hint = describe_error(error)
        box = BackupsDialog(folder.stem, msg, found, self.view)

        def accepted() -> None:
            b = box.chosen()
            if b is None:
                return
            try:
                project = open_backup(b)
            except MashupsError as e:
                self._error("Open backup", e)
                return
            self.doc.replace(project, folder)
            self.doc.undo_stack.resetClean()  # unsaved until the person saves over the damaged file
            self.s.settings.add_recent(folder)
            self.opened()
            self.say(f"Opened the backup of {time.ctime(b.saved_at)}: save to make it the project again.")
            self.restored.emit()  # the window shows the editor (Open may have come from another page)

        box.accepted.connect(accepted)
        self.backups_box = box
        box.open()
        return True

    # -- save -----------------------------------------------------------------------------
    def save(self) -> bool:
        if self.doc.path is None:
            return self.save_as()
        return self.save_to(self.doc.path)

    def save_as(self) -> bool:
        self.s.projects_dir.mkdir(parents=True, exist_ok=True)
        f, _ = QFileDialog.getSaveFileName(self.view, "Save project",
                                           str(self.s.projects_dir / f"{self.doc.project.title}.mashup"),
                                           "Mashups project (*.mashup)")
        if not f:
            return False
        return self.save_to(Path(f))

    def save_to(self, path: Path) -> bool:
        try:
            # offline clips (media missing, see editor_offline) do not stop a save: they stay offline
            folder = proj.save_project(self.doc.project, path, media_sources=self.doc.resolver(), offline_ok=True)
        except MashupsError as e:
            self._error("Save project", e)
            return False
        old_auto = self.doc.autosave_path
        if old_auto != folder and old_auto.parent == self.s.autosave_dir and old_auto.exists():
            shutil.rmtree(old_auto, ignore_errors=True)
        self.doc.path = folder
        self.doc.autosave_path = folder
        self.doc.undo_stack.setClean()
        self.s.settings.add_recent(folder)
        self.say(f"Saved to {folder}")
        self.journal()
        self.saved.emit(str(folder))
        return True

    def maybe_save(self) -> bool:
        """False when the person cancels closing a dirty project."""
        # Asked whichever page is in front (a finished Magic, a variation's Open, Quit from the
        # Library replaced unsaved work without a word when the editor was not the page shown).
        if not self.doc.dirty or not self.doc.project.clips() or not self.view.window().isVisible():
            return True
        if QApplication.platformName().startswith("offscreen"):
            # Headless (CI, smoke tests): nobody can answer; keep the work as an autosave instead.
            self.autosave_now()
            return True
        ans = QMessageBox.question(
            self.view, "Unsaved changes", f"Save “{self.doc.project.title}” first?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel)
        if ans == QMessageBox.StandardButton.Cancel:
            return False
        if ans == QMessageBox.StandardButton.Save:
            return self.save()
        self.discarded = True
        return True

    # -- autosave, journal, recovery --------------------------------------------------------
    def autosave_now(self) -> Path | None:
        if not self.doc.dirty:
            return None
        try:
            return proj.autosave(self.doc.project, self.doc.autosave_path)
        except (MashupsError, OSError) as e:
            self.say(f"Autosave failed: {e}")
            return None

    def _schedule_autosave(self, *_args: object) -> None:
        self.autosave_soon.start()

    def _after_change(self, _command: object) -> None:
        self._schedule_autosave()
        self.journal()

    def journal(self) -> None:
        """Tell the session journal which project is open (for restore after a crash)."""
        from studio.session import OpenEntry

        p = self.doc.project
        if self.doc.path is None and not p.clips():
            self.s.session.set_open([])  # an empty untitled project is nothing to restore
            return
        self.s.session.set_open([OpenEntry(p.title, self.doc.path, self.doc.autosave_path)])

    def restore_session(self) -> bool:
        """At start, after a crash: offer to reopen what was open, with its unsaved changes.

        Returns True when a restore was offered (the older autosave prompt is then skipped)."""
        entries = self.s.session.crashed
        if not entries:
            return False
        self.s.session.forget_crash()
        entry = entries[-1]
        box = QMessageBox(self.view)
        box.setWindowTitle("Restore your last session?")
        box.setText(f"Mashups Studio closed unexpectedly while “{entry.title}” was open.\n"
                    "Reopen it with every change up to the last seconds?")
        box.setIcon(QMessageBox.Icon.Question)
        restore = box.addButton("Reopen", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Not now", QMessageBox.ButtonRole.RejectRole)

        def clicked(b: Any) -> None:
            if b is restore:
                self.reopen_entry(entry)

        box.buttonClicked.connect(clicked)
        self.recovery_box = box
        box.open()
        return True

    def reopen_entry(self, entry: Any) -> bool:
        """Open a journal entry, taking its autosave when it is newer than the save."""
        folder = entry.path if entry.path is not None and (entry.path / "project.json").is_file() else entry.autosave
        try:
            opened = proj.open_project(folder)
            project = proj.recover(opened) if opened.recovery is not None else opened.project
        except MashupsError as e:
            self._error("Restore project", e)
            return False
        saved = entry.path if folder == entry.path else None
        self.doc.replace(project, saved)
        if opened.recovery is not None:
            self.doc.undo_stack.resetClean()  # recovered changes are unsaved until the person saves
        self.opened()
        self.restored.emit()
        return True

    def offer_recovery(self) -> None:
        """After a crash: offer autosaves of never-saved projects."""
        if self.restore_session():
            return
        d = self.s.autosave_dir
        found = sorted(d.glob("*.mashup/autosave.json")) if d.is_dir() else []
        if not found:
            return
        folder = found[-1].parent
        try:
            opened = proj.open_project(folder)
            project = proj.recover(opened) if opened.recovery else opened.project
        except MashupsError as e:
            self._error("Recover your work", e)
            return
        box = QMessageBox(self.view)
        box.setWindowTitle("Recover your work?")
        when = time.ctime(opened.recovery.saved_at) if opened.recovery is not None else "the last session"
        tracks, clips = len(project.tracks), len(project.clips())
        box.setText(f"Mashups Studio closed before “{project.title}” was saved "
                    f"({tracks} track{'s' if tracks != 1 else ''}, {clips} clip{'s' if clips != 1 else ''}; "
                    f"autosaved {when}). Recover it?")
        rec = box.addButton("Recover", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)

        def clicked(b: Any) -> None:
            if b is rec:
                self.doc.replace(project, None)
                self.doc.undo_stack.resetClean()
                self.opened()
                self.restored.emit()  # the window shows the editor (the Library was in front)
            else:
                shutil.rmtree(folder, ignore_errors=True)

        box.buttonClicked.connect(clicked)
        self.recovery_box = box
        box.open()

    def shutdown(self) -> None:
        self.autosave_timer.stop()
        if self.doc.dirty and self.doc.project.clips() and not self.discarded:
            self.autosave_now()

    # -- export ---------------------------------------------------------------------------------
    def export_dialog(self) -> None:
        if not self.doc.project.clips():
            show_message(self.view, "Export", "Add some clips first: there is nothing to render.", error=False)
            return
        self.s.renders_dir.mkdir(parents=True, exist_ok=True)
        dlg = ExportDialog(self.s, self.s.renders_dir / f"{self.doc.project.title}.wav", self.view)
        self.export_box = dlg
        dlg.accepted.connect(lambda: self.export(*dlg.values()))
        dlg.open()

    def export(self, out: Path, target_lufs: float | None, ceiling_db: float) -> None:
        data = self.doc.project.to_dict()
        roots = [str(s.root) for s in self.doc.resolver().stores]
        cache_dir = str(self.s.paths.cache / "clip-renders")

        def fn(progress: Any, cancel: Any) -> str:
            from audio_engine.worker import run_in_worker
            from studio.tasks import render_target

            return run_in_worker(render_target, kwargs={"project": data, "media_roots": roots, "out": str(out),
                                                        "target_lufs": target_lufs, "ceiling_db": ceiling_db,
                                                        "cache_dir": cache_dir}, progress=progress, cancel=cancel)

        def done(path: str) -> None:
            self.last_export = Path(path)
            self.say(f"Exported {path}")
            self.exported.emit(path)

        self.s.jobs.submit(f"Export “{self.doc.project.title}”", "cpu", fn, on_result=done)


class DocumentFileApi:
    """The editor page's file operations, each forwarded to its
    :class:`DocumentController` (``self.files``), so the menus, the main window
    and the tests keep calling them on the page."""

    files: DocumentController

    def new_project(self, title: str = "Untitled mashup") -> None:
        self.files.new_project(title)

    def open_dialog(self) -> None:
        self.files.open_dialog()

    def open_project(self, path: Path) -> bool:
        return self.files.open_project(path)

    def save(self) -> bool:
        return self.files.save()

    def save_as(self) -> bool:
        return self.files.save_as()

    def save_to(self, path: Path) -> bool:
        return self.files.save_to(path)

    def autosave_now(self) -> Path | None:
        return self.files.autosave_now()

    def maybe_save(self) -> bool:
        return self.files.maybe_save()

    def restore_session(self) -> bool:
        return self.files.restore_session()

    def reopen_entry(self, entry: Any) -> bool:
        return self.files.reopen_entry(entry)

    def offer_recovery(self) -> None:
        self.files.offer_recovery()

    def export_dialog(self) -> None:
        self.files.export_dialog()

    def export(self, out: Path, target_lufs: float | None, ceiling_db: float) -> None:
        self.files.export(out, target_lufs, ceiling_db)

    def shutdown(self) -> None:
        self.files.shutdown()

    @property
    def recovery_box(self) -> QMessageBox | None:
        return self.files.recovery_box

    @property
    def export_box(self) -> ExportDialog | None:
        return self.files.export_box

    @property
    def last_export(self) -> Path | None:
        return self.files.last_export
