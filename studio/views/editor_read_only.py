"""Read-only mode of the editor (a viewer in a live session): the editing
controls and actions are disabled and show the reason as their tooltip (and
status tip, for menu items); their own tooltips come back when editing is
allowed again. Undo and Redo follow the undo stack as well: enabled only when
there is something to undo or redo and editing is allowed."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QUndoStack
from PySide6.QtWidgets import QWidget
from shiboken6 import isValid

_KEPT = "tip_before_read_only"


class UndoRedoActions(QObject):
    """Edit → Undo / Redo over ``stack`` (QUndoStack's own actions enable
    themselves whenever the stack can undo, read-only or not)."""

    def __init__(self, stack: QUndoStack, parent: QObject) -> None:
        super().__init__(parent)
        self.stack = stack
        self.reason: str | None = None
        self.undo = QAction("Undo", parent)
        self.redo = QAction("Redo", parent)
        self.undo.triggered.connect(stack.undo)
        self.redo.triggered.connect(stack.redo)
        for signal in (stack.canUndoChanged, stack.canRedoChanged, stack.undoTextChanged, stack.redoTextChanged):
            signal.connect(self.sync)
        self.sync()

    def set_read_only(self, reason: str | None) -> None:
        self.reason = reason or None
        self.sync()

    def sync(self, *_changed: object) -> None:
        if not isValid(self.stack):  # the stack is being destroyed (it clears itself, emitting)
            return
        for action, word, can, what in ((self.undo, "Undo", self.stack.canUndo(), self.stack.undoText()),
                                        (self.redo, "Redo", self.stack.canRedo(), self.stack.redoText())):
            action.setText(f"{word} {what}".strip())
            action.setEnabled(can and not self.reason)
            action.setToolTip(self.reason or "")  # "": Qt's default, the action's text
            action.setStatusTip(self.reason or "")


def apply_read_only(reason: str | None, widgets: Iterable[QWidget], actions: Iterable[QAction] = (),
                    undo: UndoRedoActions | None = None) -> None:
    """Disable ``widgets`` and ``actions`` (and ``undo``'s) with ``reason`` as
    their tooltip, or (``reason`` None) enable them with their own tooltips
    back. Call again for widgets created later (rebuilt track headers)."""
    for w in widgets:
        kept = w.property(_KEPT)
        if reason:
            if kept is None:
                w.setProperty(_KEPT, w.toolTip())
            w.setToolTip(reason)
        elif kept is not None:
            w.setToolTip(str(kept))
            w.setProperty(_KEPT, None)
        w.setEnabled(not reason)
    for a in actions:
        a.setEnabled(not reason)
        a.setToolTip(reason or "")  # "": Qt's default, the action's text (no tooltip in a menu)
        a.setStatusTip(reason or "")
    if undo is not None:
        undo.set_read_only(reason)
