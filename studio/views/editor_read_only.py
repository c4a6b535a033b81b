"""Read-only mode of the editor (a viewer in a live session): the editing
controls and actions are disabled and show the reason as their tooltip; their
own tooltips come back when editing is allowed again."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

_KEPT = "tip_before_read_only"


def apply_read_only(reason: str | None, widgets: Iterable[QWidget], actions: Iterable[QAction] = ()) -> None:
    """Disable ``widgets`` and ``actions`` with ``reason`` as their tooltip, or
    (``reason`` None) enable them with their own tooltips back. Call again for
    widgets created later (rebuilt track headers)."""
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
        a.setToolTip(reason or a.text())
