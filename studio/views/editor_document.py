"""The open project as a document: the engine model, its path, the media
store and a QUndoStack over the engine's commands. Qt only for the undo stack
and the ``changed`` signal; the file lifecycle (open/save/autosave/recovery/
export) is :mod:`studio.views.editor_files`.

Edits from elsewhere (another computer's, merged by a sync; a collaborator's,
live) change ``project`` in place (:mod:`sync.own_edits`) and are announced
by :meth:`ProjectDocument.remote_changed`: they never enter the undo stack,
which keeps holding the person's own edits. ``undo_guard`` may refuse an
undo that would overwrite someone's later edit: the project stays as it is,
``undo_refused`` says why, and the stack is put back where it was."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from audio_engine.project import Command, MediaResolver, MediaStore, Project
from studio.services import Services


class EngineCommand(QUndoCommand):
    """A QUndoCommand that applies/reverts one engine command on the project.
    The command is applied (and validated) before it is pushed, so an invalid
    edit raises a typed error and never reaches the stack."""

    def __init__(self, doc: ProjectDocument, command: Command) -> None:
        super().__init__(command.text() if hasattr(command, "text") else type(command).__name__)
        self.doc = doc
        self.command = command
        self._first = True
        self._refused = False

    def redo(self) -> None:
        if self._refused:  # putting the stack back after a refused undo: nothing was reverted
            self._refused = False
            return
        if self._first:
            self._first = False  # already applied by ProjectDocument.push
        else:
            self.command.apply(self.doc.project)
        self.doc.changed.emit(self.command)

    def undo(self) -> None:
        refusal = self.doc.undo_refusal(self.command)
        if refusal is not None:
            self._refused = True
            self.doc.undo_refused.emit(refusal)
            QTimer.singleShot(0, self.doc.undo_stack.redo)
            return
        self.command.revert(self.doc.project)
        self.doc.changed.emit(self.command)


class ProjectDocument(QObject):
    """The open project: model, path, undo stack, media store."""

    changed = Signal(object)  # the command (or None: a new project, or edits merged from elsewhere)
    undo_refused = Signal(str)  # why an undo was refused (it would overwrite someone's later edit)

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.s = services
        self.project = Project()
        self.path: Path | None = None
        self.undo_stack = QUndoStack(self)
        self.media_store = MediaStore(services.paths.media)
        self.autosave_path = services.autosave_dir / f"{self.project.id}.mashup"
        #: command -> why undoing it now would overwrite someone's later edit (None: allowed)
        self.undo_guard: Callable[[Command], str | None] | None = None
        #: counts every change, own or merged in place (views cache by it: the undo index misses merges)
        self.revision = 0
        self.changed.connect(self._count)

    def _count(self, _command: object) -> None:
        self.revision += 1

    def undo_refusal(self, command: Command) -> str | None:
        return None if self.undo_guard is None else self.undo_guard(command)

    def remote_changed(self) -> None:
        """Edits from elsewhere were merged into ``project`` in place: a change
        nobody undoes here; the undo stack (own edits) stays as it is."""
        self.changed.emit(None)

    def resolver(self) -> MediaResolver:
        stores = [self.media_store]
        if self.path is not None:
            stores.insert(0, MediaStore(self.path / "media"))
        return MediaResolver(stores)

    def push(self, command: Command) -> None:
        command.apply(self.project)  # raises ProjectEditError for an invalid edit
        self.undo_stack.push(EngineCommand(self, command))

    def replace(self, project: Project, path: Path | None) -> None:
        self.project = project
        self.path = path
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self.autosave_path = (path if path is not None else self.s.autosave_dir / f"{project.id}.mashup")
        self.changed.emit(None)

    @property
    def dirty(self) -> bool:
        return not self.undo_stack.isClean()
