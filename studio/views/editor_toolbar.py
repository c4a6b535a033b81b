"""The editor's two toolbar rows: the project title with Export, and the
tempo/key/snap/zoom/marker/undo/redo/save tools. Widgets only: the page
connects them to its operations."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QToolButton,
    QWidget,
)
from shiboken6 import isValid

from audio_engine import project as proj
from audio_engine.project import Command, Project
from studio.theme import Theme

if TYPE_CHECKING:
    from studio.views.timeline import TimelineView

KEYS = ["C major", "G major", "D major", "A major", "E major", "B major", "F# major", "Db major", "Ab major",
        "Eb major", "Bb major", "F major", "A minor", "E minor", "B minor", "F# minor", "C# minor", "G# minor",
        "Eb minor", "Bb minor", "F minor", "C minor", "G minor", "D minor"]


class EditorToolbar:
    """The title row (``head``) and the tools row (``bar``) of the editor."""

    def __init__(self, theme: Theme) -> None:
        t = theme
        self.title = QLineEdit()
        self.title.setObjectName("ProjectTitle")
        self.title.setStyleSheet("font-size: 18px; font-weight: 700; border: none; background: transparent;")
        # Only a click puts the caret in the title: opening the page must not, or Space types there.
        self.title.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.title.setMinimumWidth(160)
        self.tempo = QDoubleSpinBox()
        self.tempo.setRange(20.0, 400.0)
        self.tempo.setDecimals(2)
        self.tempo.setSuffix(" BPM")
        self.tempo.setKeyboardTracking(False)
        self.tempo.setToolTip("Project tempo: every clip is stretched to it")
        self.key = QComboBox()
        self.key.addItem("Key: —")
        self.key.addItems(KEYS)
        self.key.setToolTip("Project key (shown to you; clips keep their own pitch unless shifted)")
        self.snap = QCheckBox("Snap to beats")
        self.snap.setChecked(True)
        self.snap.setToolTip("Moved and trimmed clips snap to the grid (View → Grid sets bar, beat, 1/2, 1/4)")

        def tb(icon: str, tip: str) -> QToolButton:
            b = QToolButton()
            b.setIcon(t.icon(icon))
            b.setToolTip(tip)
            return b

        self.zoom_in_btn = tb("zoom-in", "Zoom in (Ctrl+=)")
        self.zoom_out_btn = tb("zoom-out", "Zoom out (Ctrl+−)")
        self.marker_btn = tb("marker", "Add marker at the playhead (M)")
        self.undo_btn = tb("undo", "Undo (Ctrl+Z)")
        self.redo_btn = tb("redo", "Redo (Ctrl+Shift+Z)")
        self.save_btn = tb("save", "Save (Ctrl+S)")
        self.inspector_btn = QToolButton()
        self.inspector_btn.setText("Inspector")
        self.inspector_btn.setCheckable(True)
        self.inspector_btn.setChecked(False)  # closed until a clip is selected: the timeline gets the room
        self.inspector_btn.setToolTip("Show or hide the clip inspector (gain, fades, offset, stretch, pitch, colour); "
                                      "it opens by itself when you select a clip")
        self.inspector_chosen = False  # the person used the button: the inspector no longer opens by itself
        self.export_btn = QPushButton(t.icon("export", "accent_text"), "Export")
        self.export_btn.setObjectName("Primary")
        self.export_btn.setToolTip("Render and master the mix to a file (Ctrl+E)")
        self.add_btn = QPushButton(t.icon("library"), "Add songs from Library")
        self.add_btn.setToolTip("Select songs on the Library page, right-click → Open in editor")
        # the title has a row of its own (with Export), so a long title and the tools both fit at 1100 px
        self.head = QHBoxLayout()
        self.head.setSpacing(8)
        self.head.addWidget(self.title, 1)
        self.head.addWidget(self.export_btn)
        self.bar = QHBoxLayout()
        self.bar.setSpacing(8)
        for w in (self.tempo, self.key, self.snap, self.zoom_out_btn, self.zoom_in_btn, self.marker_btn,
                  self.undo_btn, self.redo_btn, self.save_btn, self.inspector_btn):
            self.bar.addWidget(w)
        self.bar.addStretch(1)

    def editing_controls(self) -> list[QWidget]:
        """The controls that change the project (disabled for a read-only project)."""
        return [self.title, self.tempo, self.key, self.marker_btn, self.undo_btn, self.redo_btn]

    def connect(self, project: Callable[[], Project], push: Callable[[Command], bool], *,
                zoom_in: Callable[[], None], zoom_out: Callable[[], None], marker: Callable[[], None],
                undo: Callable[[], None], redo: Callable[[], None], save: Callable[[], object],
                export: Callable[[], None]) -> None:
        """Title, tempo and key edits become project commands through ``push``; the buttons call their slots."""
        self.project = project
        self.push = push
        self.title.editingFinished.connect(self._title_edited)
        self.tempo.valueChanged.connect(self._tempo_edited)
        self.key.currentIndexChanged.connect(self._key_edited)
        for b, slot in ((self.zoom_in_btn, zoom_in), (self.zoom_out_btn, zoom_out), (self.marker_btn, marker),
                        (self.undo_btn, undo), (self.redo_btn, redo), (self.save_btn, save),
                        (self.export_btn, export)):
            b.clicked.connect(lambda _c=False, s=slot: s())

    def attach_inspector(self, inspector: QWidget, timeline: TimelineView) -> None:
        """The Inspector button shows and hides ``inspector``. It starts closed
        (each project: the timeline gets the room) and opens at the first
        selection of one clip, unless the person has used the button (then
        open or closed is theirs)."""
        btn = self.inspector_btn
        btn.toggled.connect(inspector.setVisible)
        btn.clicked.connect(lambda _c=False: setattr(self, "inspector_chosen", True))  # a person's click only
        inspector.setVisible(btn.isChecked())

        def selection_changed() -> None:
            if not isValid(btn):  # the page is closing (the scene clears its selection)
                return
            if self.inspector_chosen or btn.isChecked():
                return
            try:
                one = len(timeline.selected_clip_ids()) == 1
            except RuntimeError:  # the timeline is rebuilding: its old items are being deleted
                return
            if one:
                btn.setChecked(True)

        def project_switched() -> None:
            if not self.inspector_chosen:
                btn.setChecked(False)

        timeline.scene().selectionChanged.connect(selection_changed)
        timeline.project_switched.connect(project_switched)

    def _tempo_edited(self, bpm: float) -> None:
        if abs(bpm - self.project().tempo) > 1e-6:
            self.push(proj.SetTempo(bpm=float(bpm)))

    def _key_edited(self, index: int) -> None:
        value = None if index <= 0 else KEYS[index - 1]
        if value != self.project().key:
            self.push(proj.SetProjectProperty(name="key", value=value))

    def _title_edited(self) -> None:
        text = self.title.text().strip()
        if text and text != self.project().title:
            self.push(proj.SetProjectProperty(name="title", value=text))

    def sync_from(self, p: Project) -> None:
        """Show the project's title, tempo and key without emitting edits."""
        for w in (self.tempo, self.key, self.title):
            w.blockSignals(True)
        self.tempo.setValue(p.tempo)
        self.key.setCurrentIndex(KEYS.index(p.key) + 1 if p.key in KEYS else 0)
        if not self.title.hasFocus():
            self.title.setText(p.title)
            self.title.setCursorPosition(0)  # a long title shows its beginning, not its end
            self.title.setToolTip(f"Project title (click to rename): {p.title}")
        for w in (self.tempo, self.key, self.title):
            w.blockSignals(False)
