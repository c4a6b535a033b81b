"""Help → Keyboard shortcuts lists the window's actions' own shortcuts."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QAction, QKeySequence

from studio.help_menu import HelpMenu


def test_the_shortcut_sheet_is_read_from_the_actions(window: Any, qtbot: Any) -> None:
    help_menu = HelpMenu(window, window.s)
    extra = QAction("Brand-new command", window)
    extra.setShortcut(QKeySequence("Ctrl+Alt+J"))
    window.addAction(extra)
    dialog = help_menu.show_shortcuts()
    qtbot.addWidget(dialog)
    rows = dict(dialog.rows())
    assert rows["Split at playhead"] == "S"
    assert rows["Duplicate"] == QKeySequence("Ctrl+D").toString(QKeySequence.SequenceFormat.NativeText)
    assert rows["Nudge clips right"] == "Right"  # the timeline's own keys are listed too
    assert rows["Keyboard shortcuts"] == QKeySequence("Ctrl+/").toString(QKeySequence.SequenceFormat.NativeText)
    assert rows["Brand-new command"] == QKeySequence("Ctrl+Alt+J").toString(QKeySequence.SequenceFormat.NativeText)
    assert "Redo" in rows and "," in rows["Redo"]  # every key of an action with several
    assert all(keys for keys in rows.values())
    extra.setShortcut(QKeySequence())
    assert "Brand-new command" not in dict(help_menu.show_shortcuts().rows())
