"""Every control of the editor says what it does in a tooltip (issue 18)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QScrollBar,
    QWidget,
)

from tests.studio.helpers import demo_project

CONTROLS = (QAbstractButton, QAbstractSlider, QAbstractSpinBox, QComboBox, QLineEdit)


def _untipped(root: QWidget) -> list[str]:
    out = []
    for kind in CONTROLS:
        for w in root.findChildren(kind):
            if isinstance(w, QScrollBar) or isinstance(w.parent(), QAbstractSpinBox):
                continue  # scroll bars, and the line edit inside a spin box (the box has the tip)
            if w.isVisibleTo(root) and not w.toolTip().strip():
                out.append(f"{type(w).__name__} {w.objectName() or getattr(w, 'text', lambda: '')()!r}")
    return out


def test_every_editor_control_has_a_tooltip(window: Any, qtbot: Any) -> None:
    ed = demo_project(window, qtbot)
    clip = ed.doc.project.clips()[0]
    ed.timeline.items_by_id[clip.id].setSelected(True)
    qtbot.waitUntil(lambda: ed.inspector.fields.isVisible(), timeout=2000)
    assert _untipped(ed) == []
    ed.export_dialog()
    assert _untipped(ed.export_box) == []
    ed.export_box.reject()
