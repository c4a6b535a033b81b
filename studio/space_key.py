"""Space plays and pauses everywhere in a window, except in a text field the
person clicked, tabbed or typed into.

The window's Space shortcut already fires over buttons, lists, sliders and
the timeline. Text fields take Space for themselves (Qt lets a focused line
edit override shortcuts), which is right once someone is typing there, and
wrong when the field merely received the focus because a page opened or the
widget that had it was hidden. This filter watches how each text field got
its focus and, while it was not by the person's hand, turns Space into the
window's play/pause instead of a typed space.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

TEXT_INPUTS = (QLineEdit, QAbstractSpinBox, QTextEdit, QPlainTextEdit)
_ENGAGED = "mashups_user_focus"
_NAV_KEYS = {Qt.Key.Key_Tab, Qt.Key.Key_Backtab}


def _text_input(obj: QObject) -> QWidget | None:
    """The text field ``obj`` is or belongs to (a spin box or editable combo
    box for their line edit, a text edit for its viewport)."""
    if not isinstance(obj, QWidget):
        return None
    parent = obj.parentWidget()
    if isinstance(obj, QLineEdit) and isinstance(parent, (QAbstractSpinBox, QComboBox)):
        return parent
    if isinstance(obj, QComboBox):
        return obj if obj.isEditable() else None
    if isinstance(obj, TEXT_INPUTS):
        return obj
    if isinstance(parent, (QTextEdit, QPlainTextEdit)):
        return parent
    return None


def _inside_item_view(w: QWidget) -> bool:
    p = w.parentWidget()
    while p is not None:
        if isinstance(p, QAbstractItemView):
            return True
        p = p.parentWidget()
    return False


class SpacePlays(QObject):
    """Install on the QApplication; ``toggle`` runs for Space in ``window``."""

    def __init__(self, window: QWidget, toggle: Callable[[], None]) -> None:
        super().__init__(window)
        self.window = window
        self.toggle = toggle
        self._tabbing = False

    @staticmethod
    def engaged(w: QWidget) -> bool:
        """True when the person put the caret in ``w`` (or is editing a cell)."""
        return bool(w.property(_ENGAGED)) or _inside_item_view(w)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        t = event.type()
        if t == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            self._tabbing = key in _NAV_KEYS
            w = _text_input(obj)
            if w is None or w.window() is not self.window:
                return False
            if key == Qt.Key.Key_Space and event.modifiers() == Qt.KeyboardModifier.NoModifier and not self.engaged(w):
                self.toggle()
                return True
            if key not in _NAV_KEYS and (event.text().strip() or key in (Qt.Key.Key_Backspace, Qt.Key.Key_Delete)):
                w.setProperty(_ENGAGED, True)  # typing: the field is theirs now
        elif t == QEvent.Type.KeyRelease:
            self._tabbing = False
        elif t == QEvent.Type.MouseButtonPress:
            w = _text_input(obj)
            if w is not None:
                w.setProperty(_ENGAGED, True)
        elif t == QEvent.Type.FocusIn and isinstance(event, QFocusEvent):
            w = _text_input(obj)
            if w is not None and not w.property(_ENGAGED):
                by_hand = event.reason() in (Qt.FocusReason.MouseFocusReason, Qt.FocusReason.ShortcutFocusReason) or (
                    self._tabbing and event.reason() in (Qt.FocusReason.TabFocusReason, Qt.FocusReason.BacktabFocusReason))
                w.setProperty(_ENGAGED, by_hand)
        elif t == QEvent.Type.FocusOut:
            w = _text_input(obj)
            keep = (Qt.FocusReason.PopupFocusReason, Qt.FocusReason.ActiveWindowFocusReason)
            if w is not None and isinstance(event, QFocusEvent) and event.reason() not in keep:
                w.setProperty(_ENGAGED, False)
        return False
