"""The main window's menu bar (File, Edit, View, Transport, Create) with its
keyboard shortcuts. Every action belongs to the window (so its shortcut works
on every page and a theme switch re-tints its icon); the editor's undo stack
owns Undo/Redo, which only get their shortcuts and icons here."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QMenu

from studio.sidebar import PAGES
from studio.space_key import SpacePlays

if TYPE_CHECKING:
    from studio.main_window import MainWindow

Shortcut = str | QKeySequence | QKeySequence.StandardKey | Qt.Key | None


def _unique(keys: list[QKeySequence]) -> list[QKeySequence]:
    """Shortcuts without repeats (one sequence bound twice is ambiguous and fires nothing)."""
    out: list[QKeySequence] = []
    for k in keys:
        if not k.isEmpty() and k not in out:
            out.append(k)
    return out


class WindowMenus:
    """Builds the window's menus; keeps the actions others reach (tests, the
    cloud's installers, the live session's read-only switch)."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        mb = window.menuBar()
        self._file(mb.addMenu("&File"))
        self._edit(mb.addMenu("&Edit"))
        self._view(mb.addMenu("&View"))
        self._transport(mb.addMenu("&Transport"))
        m = mb.addMenu("&Create")
        self._act(m, "Magic mashup…", lambda: window.open_magic(-1, None), "Ctrl+M", "magic")

    def _act(self, menu: QMenu, text: str, slot: Callable[..., object], shortcut: Shortcut = None,
             icon: str | None = None) -> QAction:
        a = QAction(text, self.window)
        if icon:
            a.setIcon(self.window.s.theme.icon(icon))
        if shortcut is not None:
            a.setShortcut(QKeySequence(shortcut))
        a.triggered.connect(slot)
        menu.addAction(a)
        self.window.addAction(a)
        return a

    def _file(self, f: QMenu) -> None:
        w, act = self.window, self._act
        ed = w.editor_page
        self.file_menu = f
        act(f, "Import songs…", w.library_page.choose_files, "Ctrl+I", "import")
        act(f, "Import folder…", w.library_page.choose_folder, None, "folder-plus")
        f.addSeparator()
        act(f, "New project", lambda: self._in_editor(ed.new_project), QKeySequence.StandardKey.New)
        act(f, "Open project…", lambda: self._in_editor(ed.open_dialog), QKeySequence.StandardKey.Open, "open")
        self.recent_menu = f.addMenu("Open recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self.save_action = act(f, "Save", ed.save, QKeySequence.StandardKey.Save, "save")
        act(f, "Save as…", ed.save_as, QKeySequence.StandardKey.SaveAs)
        act(f, "Export mix…", ed.export_dialog, "Ctrl+E", "export")
        f.addSeparator()
        act(f, "Welcome / demo project", w.show_welcome, None, "logo")
        self.quit_action = act(f, "Quit", w.close, QKeySequence.StandardKey.Quit)

    def quit_last(self) -> None:
        """Quit back at the end of the File menu, below entries added after it."""
        self.file_menu.removeAction(self.quit_action)
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.quit_action)

    def _edit(self, e: QMenu) -> None:
        w, act = self.window, self._act
        ed = w.editor_page
        e.setToolTipsVisible(True)  # a disabled edit says why (a viewer in a live session) when hovered
        self.undo_action = ed.undo_actions.undo  # off while there is nothing to undo, or editing is not allowed
        self.undo_action.setShortcut(QKeySequence("Ctrl+Z"))
        self.undo_action.setIcon(self.window.s.theme.icon("undo"))
        self.redo_action = ed.undo_actions.redo
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.redo_action.setIcon(self.window.s.theme.icon("redo"))
        e.addAction(self.undo_action)
        e.addAction(self.redo_action)
        w.addAction(self.undo_action)
        w.addAction(self.redo_action)
        e.addSeparator()
        self.delete_action = act(e, "Delete", ed.delete_selected, QKeySequence.StandardKey.Delete, "trash")
        marker = act(e, "Add marker at playhead", ed.add_marker, "M", "marker")
        split = act(e, "Split at playhead", ed.split_at_playhead, "S")
        dup = act(e, "Duplicate", ed.duplicate_selected, "Ctrl+D")
        act(e, "Copy clips", ed.copy_selected, QKeySequence.StandardKey.Copy)
        paste = act(e, "Paste clips at playhead", ed.paste_at_playhead, QKeySequence.StandardKey.Paste)
        # the Edit-menu actions that change the project (off, with the reason, while a live session is view-only)
        self.edit_actions = [self.delete_action, marker, split, dup, paste]

    def _view(self, v: QMenu) -> None:
        w, act = self.window, self._act
        ed = w.editor_page
        zin = act(v, "Zoom in", ed.zoom_in, "Ctrl+=", "zoom-in")
        zin.setShortcuts(_unique([QKeySequence("Ctrl+="), QKeySequence("Ctrl++"),
                                  *QKeySequence.keyBindings(QKeySequence.StandardKey.ZoomIn)]))
        zout = act(v, "Zoom out", ed.zoom_out, "Ctrl+-", "zoom-out")
        zout.setShortcuts(_unique([QKeySequence("Ctrl+-"), *QKeySequence.keyBindings(QKeySequence.StandardKey.ZoomOut)]))
        act(v, "Zoom to fit", ed.zoom_fit, "Ctrl+0")
        v.addSeparator()
        # one switch, two faces: the menu item drives the toolbar's checkbox (which sets the timeline), the checkbox the item
        self.snap_action = act(v, "Snap to grid", lambda on: ed.snap.setChecked(bool(on)), "Ctrl+G")
        self.snap_action.setCheckable(True)
        self.snap_action.setChecked(ed.snap.isChecked())
        ed.snap.toggled.connect(self.snap_action.setChecked)
        grid = v.addMenu("Grid")
        self.grid_actions: list[tuple[QAction, float]] = []
        for label, beats in (("Bar", 0.0), ("Beat", 1.0), ("1/2 beat", 0.5), ("1/4 beat", 0.25)):
            g = grid.addAction(label)
            g.setCheckable(True)
            g.setChecked(beats == ed.timeline.grid_beats)
            g.triggered.connect(lambda _c=False, b=beats: self._set_grid(b))
            self.grid_actions.append((g, beats))
        v.addSeparator()
        for i, name in enumerate(PAGES, start=1):
            act(v, name, lambda _c=False, n=name: w.go(n), f"Ctrl+{i}")

    def _transport(self, tr: QMenu) -> None:
        w, act = self.window, self._act
        transport = w.s.transport
        self.play_action = act(tr, "Play / pause", transport.toggle, Qt.Key.Key_Space, "play")
        act(tr, "Stop", transport.stop, "Ctrl+.", "stop")
        act(tr, "Go to start", lambda: transport.seek(0.0), Qt.Key.Key_Home)
        self.space_plays = SpacePlays(w, transport.toggle)  # Space in a field nobody typed in
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self.space_plays)

    def _in_editor(self, step: Callable[[], object]) -> None:
        step()
        self.window.go("Editor")

    def _set_grid(self, beats: float) -> None:
        self.window.editor_page.timeline.grid_beats = beats
        for action, b in self.grid_actions:
            action.setChecked(b == beats)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for p in self.window.s.settings.get("recent_projects"):
            a = self.recent_menu.addAction(Path(p).name)
            a.setToolTip(p)
            a.triggered.connect(lambda _c=False, path=p: self.window.open_project(Path(path)))
        if not self.recent_menu.actions():
            self.recent_menu.addAction("(none yet)").setEnabled(False)
