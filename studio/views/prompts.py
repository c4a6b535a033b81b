"""Small questions the main window asks: a model is missing (download it, or
use the classical separator now), and where songs opened in the editor go
(a new project or the current one)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from PySide6.QtWidgets import QAbstractButton, QMessageBox, QWidget

OpenTarget = Literal["new", "add"]


def model_missing_box(parent: QWidget, kind: str, model: str, *, on_models: Callable[[], None],
                      on_classical: Callable[[], None] | None = None,
                      on_cancel: Callable[[], None] | None = None) -> QMessageBox:
    """A non-blocking question (call ``open()``): "Open Models", "Use the
    classical separator now" (when ``on_classical`` is given) or Cancel."""
    box = QMessageBox(parent)
    box.setWindowTitle("Model needed")
    box.setText(f"The {kind} model “{model}” is not installed yet.")
    info = ("Nothing is downloaded without asking. Open the Models page to download it or import it from disk.")
    if on_classical is not None:
        info += ("\n\nOr start now with the classical separator: it needs no download and runs on this computer, "
                 "with lower quality stems (you can separate again once the model is installed).")
    box.setInformativeText(info)
    classical = (box.addButton("Use the classical separator now", QMessageBox.ButtonRole.AcceptRole)
                 if on_classical is not None else None)
    models = box.addButton("Open Models", QMessageBox.ButtonRole.ActionRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(classical or models)

    def clicked(b: QAbstractButton) -> None:
        if classical is not None and b is classical and on_classical is not None:
            on_classical()
        elif b is models:
            on_models()
        elif b is cancel and on_cancel is not None:
            on_cancel()

    box.buttonClicked.connect(clicked)
    box.rejected.connect(lambda: on_cancel() if on_cancel is not None and box.clickedButton() is None else None)
    return box


def open_target_box(parent: QWidget, project_title: str, *, on_choice: Callable[[OpenTarget], None],
                    default: OpenTarget = "new") -> QMessageBox:
    """Ask whether songs go into a new project or are added to the current
    one (``default``: the button Enter presses); call ``open()``. Cancel calls nothing."""
    box = QMessageBox(parent)
    box.setWindowTitle("Open in editor")
    box.setText("Make a new project with these songs, or add them to the current project?")
    box.setInformativeText(f"The current project is “{project_title}”.")
    new = box.addButton("New project", QMessageBox.ButtonRole.AcceptRole)
    short = project_title if len(project_title) <= 40 else project_title[:39] + "…"
    add = box.addButton(f"Add to “{short}”", QMessageBox.ButtonRole.ActionRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(new if default == "new" else add)

    def clicked(b: QAbstractButton) -> None:
        if b is new:
            on_choice("new")
        elif b is add:
            on_choice("add")

    box.buttonClicked.connect(clicked)
    return box
