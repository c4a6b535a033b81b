"""Editor page: the project document (engine model + QUndoStack over the
engine's commands), track headers, timeline, tempo/key controls, markers,
save/open/recent, autosave + recovery and the export dialog."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from audio_engine import project as proj
from audio_engine.app.context import unpack_folder
from audio_engine.app.edit import copy_clips, duplicate, paste, split_at
from audio_engine.app.songs import SongToAdd, add_songs
from audio_engine.cache import FileCache
from audio_engine.errors import MashupsError
from audio_engine.project import Command, MediaResolver, MediaStore, Project
from studio.controllers import SongActions
from studio.jobs import describe_error
from studio.peaks import Peaks
from studio.services import Services
from studio.views import editor_actions, marker_menu
from studio.views.timeline import CAPTION_H, RULER_H, TimelineView
from studio.views.track_header import HEADER_W, TrackHeader
from studio.widgets import muted, show_message

KEYS = ["C major", "G major", "D major", "A major", "E major", "B major", "F# major", "Db major", "Ab major",
        "Eb major", "Bb major", "F major", "A minor", "E minor", "B minor", "F# minor", "C# minor", "G# minor",
        "Eb minor", "Bb minor", "F minor", "C minor", "G minor", "D minor"]


class EngineCommand(QUndoCommand):
    """A QUndoCommand that applies/reverts one engine command on the project.
    The command is applied (and validated) before it is pushed, so an invalid
    edit raises a typed error and never reaches the stack."""

    def __init__(self, doc: ProjectDocument, command: Command) -> None:
        super().__init__(command.text() if hasattr(command, "text") else type(command).__name__)
        self.doc = doc
        self.command = command
        self._first = True

    def redo(self) -> None:
        if self._first:
            self._first = False  # already applied by ProjectDocument.push
        else:
            self.command.apply(self.doc.project)
        self.doc.changed.emit(self.command)

    def undo(self) -> None:
        self.command.revert(self.doc.project)
        self.doc.changed.emit(self.command)


class ProjectDocument(QObject):
    """The open project: model, path, undo stack, media store."""

    changed = Signal(object)  # the command (or None for a whole new project)

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.s = services
        self.project = Project()
        self.path: Path | None = None
        self.undo_stack = QUndoStack(self)
        self.media_store = MediaStore(services.paths.media)
        self.autosave_path = services.autosave_dir / f"{self.project.id}.mashup"

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


class ExportDialog(QDialog):
    FORMATS = {"WAV (24-bit)": ".wav", "FLAC": ".flac", "MP3": ".mp3"}
    TARGETS = {"Streaming (−14 LUFS)": -14.0, "Apple Music / podcasts (−16 LUFS)": -16.0,
               "Loud / club (−9 LUFS)": -9.0, "Keep the level (limiter only)": None}

    def __init__(self, services: Services, suggested: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.s = services
        self.setWindowTitle("Export mix")
        self.setMinimumWidth(600)  # room for the file name in "Save to"
        form = QFormLayout(self)
        self.format = QComboBox()
        self.format.addItems(list(self.FORMATS))
        self.target = QComboBox()
        self.target.addItems(list(self.TARGETS))
        self.ceiling = QDoubleSpinBox()
        self.ceiling.setRange(-6.0, 0.0)
        self.ceiling.setSingleStep(0.1)
        self.ceiling.setValue(-1.0)
        self.ceiling.setSuffix(" dBTP")
        self.path = QLineEdit(str(suggested))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        prow = QHBoxLayout()
        prow.addWidget(self.path, 1)
        prow.addWidget(browse)
        form.addRow("Format", self.format)
        form.addRow("Loudness", self.target)
        form.addRow("True-peak ceiling", self.ceiling)
        form.addRow("Save to", prow)
        form.addRow(muted("The mix is rendered in the background (Jobs page) with Rubber Band stretching, "
                          "then mastered to the loudness target with a true-peak limiter."))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Export")
        ok.setObjectName("Primary")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.format.currentTextChanged.connect(self._ext)

    def _ext(self, text: str) -> None:
        p = Path(self.path.text())
        self.path.setText(str(p.with_suffix(self.FORMATS[text])))

    def _browse(self) -> None:
        f, _ = QFileDialog.getSaveFileName(self, "Export mix", self.path.text())
        if f:
            self.path.setText(f)

    def values(self) -> tuple[Path, float | None, float]:
        out = Path(self.path.text()).with_suffix(self.FORMATS[self.format.currentText()])
        return out, self.TARGETS[self.target.currentText()], self.ceiling.value()


class EditorPage(QWidget):
    title_changed = Signal(str)
    exported = Signal(str)
    saved = Signal(str)
    restored = Signal()  # a project of a crashed session was reopened

    def __init__(self, services: Services, actions: SongActions) -> None:
        super().__init__()
        self.s = services
        self.actions = actions
        self.doc = ProjectDocument(services)
        self.undo_stack = self.doc.undo_stack
        self._pending_peaks: set[str] = set()
        self._captions_cache: tuple[int, list[tuple[float, float, str]]] = (-1, [])
        self._waiting_batches: list[tuple[list[int], set[int]]] = []
        self._autoplay = False
        self.last_export: Path | None = None
        self.recovery_box: QMessageBox | None = None
        t = services.theme

        # toolbar
        self.title = QLineEdit(self.doc.project.title)
        self.title.setObjectName("ProjectTitle")
        self.title.setStyleSheet("font-size: 18px; font-weight: 700; border: none; background: transparent;")
        self.title.editingFinished.connect(self._title_edited)
        # Only a click puts the caret in the title: opening the page must not, or Space types there.
        self.title.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.title.setMinimumWidth(160)
        self.tempo = QDoubleSpinBox()
        self.tempo.setRange(20.0, 400.0)
        self.tempo.setDecimals(2)
        self.tempo.setSuffix(" BPM")
        self.tempo.setKeyboardTracking(False)
        self.tempo.valueChanged.connect(self._tempo_edited)
        self.key = QComboBox()
        self.key.addItem("Key: —")
        self.key.addItems(KEYS)
        self.key.currentIndexChanged.connect(self._key_edited)
        self.snap = QCheckBox("Snap to beats")
        self.snap.setChecked(True)

        def tb(icon: str, tip: str, slot: Any) -> QToolButton:
            b = QToolButton()
            b.setIcon(t.icon(icon))
            b.setToolTip(tip)
            b.clicked.connect(slot)
            return b

        self.zoom_in_btn = tb("zoom-in", "Zoom in (Ctrl+=)", self.zoom_in)
        self.zoom_out_btn = tb("zoom-out", "Zoom out (Ctrl+−)", self.zoom_out)
        self.marker_btn = tb("marker", "Add marker at the playhead (M)", self.add_marker)
        self.undo_btn = tb("undo", "Undo (Ctrl+Z)", self.undo_stack.undo)
        self.redo_btn = tb("redo", "Redo (Ctrl+Shift+Z)", self.undo_stack.redo)
        self.save_btn = tb("save", "Save (Ctrl+S)", self.save)
        self.export_btn = QPushButton(t.icon("export", "accent_text"), "Export")
        self.export_btn.setObjectName("Primary")
        self.export_btn.clicked.connect(self.export_dialog)
        self.add_btn = QPushButton(t.icon("library"), "Add songs from Library")
        self.add_btn.setToolTip("Select songs on the Library page, right-click → Open in editor")
        # the title has a row of its own (with Export), so a long title and the tools both fit at 1100 px
        head = QHBoxLayout()
        head.setSpacing(8)
        head.addWidget(self.title, 1)
        head.addWidget(self.export_btn)
        bar = QHBoxLayout()
        bar.setSpacing(8)
        for w in (self.tempo, self.key, self.snap, self.zoom_out_btn, self.zoom_in_btn, self.marker_btn,
                  self.undo_btn, self.redo_btn, self.save_btn):
            bar.addWidget(w)
        bar.addStretch(1)
        self.status = muted("")

        # timeline + headers
        self.timeline = TimelineView(self.doc.project, services.theme.colors)
        self.timeline.peaks_lookup = self._peaks_for
        self.timeline.name_lookup = self._media_name
        self.timeline.captions_lookup = self._caption_segments
        self.timeline.on_move = self._move_clip
        self.timeline.on_trim = self._trim_clip
        self.timeline.seek_requested.connect(services.transport.seek)
        self.timeline.loop_changed.connect(self._loop_changed)
        self.snap.toggled.connect(lambda v: setattr(self.timeline, "snap", v))
        self.nudge_actions = editor_actions.install(self)
        marker_menu.install(self)
        self.headers_host = QWidget()
        self.headers = QVBoxLayout(self.headers_host)
        self.headers.setContentsMargins(0, RULER_H, 0, 0)
        self.headers.setSpacing(0)
        self.headers_scroll = QScrollArea()
        self.headers_scroll.setWidget(self.headers_host)
        self.headers_scroll.setWidgetResizable(True)
        self.headers_scroll.setFixedWidth(HEADER_W)
        self.headers_scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.headers_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.timeline.verticalScrollBar().valueChanged.connect(self.headers_scroll.verticalScrollBar().setValue)
        body = QHBoxLayout()
        body.setSpacing(0)
        body.addWidget(self.headers_scroll)
        body.addWidget(self.timeline, 1)
        self.empty = muted("This project is empty. On the Library page, select songs and choose “Open in editor”, "
                           "or run a Magic mashup (Ctrl+M). Drag clips to move them (they snap to beats), drag their "
                           "edges to trim, Shift-drag in the ruler to set a loop.")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(24, 16, 24, 12)
        lay.setSpacing(10)
        lay.addLayout(head)
        lay.addLayout(bar)
        lay.addWidget(self.status)
        lay.addWidget(self.empty)
        lay.addLayout(body, 1)

        self.doc.changed.connect(self._on_changed)
        self.undo_stack.cleanChanged.connect(lambda _c: self._update_title())
        services.transport.position_changed.connect(lambda s: self.timeline.set_playhead(s, follow=services.transport.playing))
        services.transport.state_changed.connect(lambda playing: playing or self.timeline.settle_after_play())
        services.jobs.job_finished.connect(self._job_finished)
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
        self.doc.changed.connect(self._after_change)
        self.undo_stack.indexChanged.connect(self._schedule_autosave)
        self._rebuild_headers()
        self._sync_controls()

    # -- document changes -------------------------------------------------------
    def _on_changed(self, command: object) -> None:
        p = self.doc.project
        self.timeline.project = p
        mix_only = isinstance(command, proj.SetTrackProperty) and getattr(command, "name", "") in (
            "gain_db", "pan", "mute", "solo")
        if mix_only:
            self.s.transport.update_mix_from(p)
            self._sync_headers()
            self.timeline.refresh_mix()
        else:
            if command is None or isinstance(command, (proj.AddTrack, proj.RemoveTrack, proj.MoveTrack, proj.Macro)):
                self._rebuild_headers()
            else:
                self._sync_headers()  # a renamed track
            self.timeline.rebuild()
            self._sync_controls()
            self._reload_playback()
        self._update_title()

    def showEvent(self, e: Any) -> None:
        super().showEvent(e)
        self.take_transport()

    def take_transport(self) -> None:
        """The page shown: the transport plays this project's mix (an empty
        project: nothing), not the song last previewed elsewhere."""
        tr = self.s.transport
        src = f"project:{self.doc.project.id}"
        if self.doc.project.clips():
            if src not in (tr.source, tr.pending_source):
                self._reload_playback()
        elif tr.source or tr.pending_source:
            tr.unload()

    def _reload_playback(self) -> None:
        if self.doc.project.clips():
            self.s.transport.load_project(self.doc.project, self.doc.resolver(), keep_position=True,
                                          disk_cache=FileCache(self.s.paths.cache / "clip-renders"))
        elif self.s.transport.source.startswith("project:"):
            self.s.transport.unload()

    def _sync_controls(self) -> None:
        p = self.doc.project
        for w in (self.tempo, self.key, self.title):
            w.blockSignals(True)
        self.tempo.setValue(p.tempo)
        self.key.setCurrentIndex(KEYS.index(p.key) + 1 if p.key in KEYS else 0)
        if not self.title.hasFocus():
            self.title.setText(p.title)
            self.title.setCursorPosition(0)  # a long title shows its beginning, not its end
            self.title.setToolTip(p.title)
        for w in (self.tempo, self.key, self.title):
            w.blockSignals(False)
        self.empty.setVisible(not p.clips())
        self.status.setText(self._status_text())

    def _status_text(self) -> str:
        p = self.doc.project
        where = str(self.doc.path) if self.doc.path else "not saved yet"
        return (f"{len(p.tracks)} tracks · {len(p.clips())} clips · {p.end_seconds():.1f} s · "
                f"{p.time_signature[0]}/{p.time_signature[1]} · {where}")

    def _update_title(self) -> None:
        star = "•" if self.doc.dirty else ""
        self.title_changed.emit(f"{star}{self.doc.project.title}")

    def _rebuild_headers(self) -> None:
        while self.headers.count():
            item = self.headers.takeAt(0)
            w = item.widget()
            if w is not None:
                w.setParent(None)
                w.deleteLater()
        self.track_headers = [TrackHeader(self, i) for i in range(len(self.doc.project.tracks))]
        for h in self.track_headers:
            self.headers.addWidget(h)
        cap = muted("  Captions")
        cap.setFixedHeight(CAPTION_H)
        self.headers.addWidget(cap)
        self.headers.addStretch(1)

    def _sync_headers(self) -> None:
        for h, t in zip(self.track_headers, self.doc.project.tracks, strict=False):
            h.sync_from(t)

    def theme_changed(self) -> None:
        self.timeline.theme_colors = self.s.theme.colors
        self.timeline.viewport().update()

    # -- edits (all through engine commands) ------------------------------------------
    def push(self, command: Command) -> bool:
        try:
            self.doc.push(command)
        except MashupsError as e:
            msg, hint = describe_error(e)
            self.status.setText(f"Not done: {msg} {hint}")
            self.timeline.rebuild()
            return False
        return True

    def _move_clip(self, clip_id: str, beats: float, track_id: str | None) -> None:
        self.push(proj.MoveClip(clip_id=clip_id, position=round(beats, 6), track_id=track_id))

    def _trim_clip(self, clip_id: str, src_in: float, src_out: float, position: float | None) -> None:
        self.push(proj.TrimClip(clip_id=clip_id, source_in=src_in, source_out=src_out, position=position))

    def set_track(self, track_id: str, name: str, value: Any) -> None:
        if getattr(self.doc.project.track(track_id), name) == value:
            return
        self.push(proj.SetTrackProperty(track_id=track_id, name=name, value=value))

    def preview_track(self, track_id: str, name: str, value: float) -> None:
        """Heard at once while a slider moves; committed as one command on release."""
        from studio.playback import TrackMix

        mixes = []
        for t in self.doc.project.tracks:
            g, pan = t.gain_db, t.pan
            if t.id == track_id:
                g = value if name == "gain_db" else g
                pan = value if name == "pan" else pan
            mixes.append(TrackMix(g, pan, t.mute, t.solo))
        self.s.transport.set_mix(mixes)
        h = next((h for h in self.track_headers if h.track_id == track_id), None)
        if h is not None and not (h.gain.isSliderDown() or h.pan.isSliderDown()):
            self.set_track(track_id, name, value)

    def _tempo_edited(self, bpm: float) -> None:
        if abs(bpm - self.doc.project.tempo) > 1e-6:
            self.push(proj.SetTempo(bpm=float(bpm)))

    def _key_edited(self, index: int) -> None:
        value = None if index <= 0 else KEYS[index - 1]
        if value != self.doc.project.key:
            self.push(proj.SetProjectProperty(name="key", value=value))

    def _title_edited(self) -> None:
        text = self.title.text().strip()
        if text and text != self.doc.project.title:
            self.push(proj.SetProjectProperty(name="title", value=text))

    def delete_selected(self) -> None:
        ids = self.timeline.selected_clip_ids()
        if not ids:
            return
        cmds: list[Command] = [proj.RemoveClip(clip_id=i) for i in ids]
        self.push(cmds[0] if len(cmds) == 1 else proj.Macro(commands=cmds, name="Delete clips"))

    def split_at_playhead(self) -> None:
        """S: cut the selected clips (or every clip under the playhead) in two at the playhead."""
        cmd = split_at(self.doc.project, self.s.transport.seconds, self.timeline.selected_clip_ids())
        if cmd is None:
            self.status.setText("Nothing to split: put the playhead inside a clip.")
            return
        self.push(cmd)

    def duplicate_selected(self) -> None:
        """Ctrl+D: the selected clips again, each right after itself."""
        cmd = duplicate(self.doc.project, self.timeline.selected_clip_ids())
        if cmd is not None:
            self.push(cmd)

    def copy_selected(self) -> None:
        """Ctrl+C: keep the selected clips for a paste (inside the studio)."""
        self._copied = copy_clips(self.doc.project, self.timeline.selected_clip_ids())

    def paste_at_playhead(self) -> None:
        """Ctrl+V: the copied clips again, starting at the playhead."""
        cmd = paste(self.doc.project, getattr(self, "_copied", []), self.s.transport.seconds)
        if cmd is not None:
            self.push(cmd)

    def add_marker(self) -> None:
        p = self.doc.project
        beats = p.seconds_to_beats(self.s.transport.seconds)
        self.push(proj.AddMarker(marker_id=proj.new_id("marker"), position=round(beats, 4), name=f"M{len(p.markers) + 1}"))

    def zoom_in(self) -> None:
        """Zoom around the playhead when it is in view (else the view's centre)."""
        self.timeline.set_zoom(self.timeline.pps * 1.5)

    def zoom_out(self) -> None:
        self.timeline.set_zoom(self.timeline.pps / 1.5)

    def zoom_fit(self) -> None:
        self.timeline.zoom_fit()

    def _loop_changed(self, loop: object) -> None:
        if isinstance(loop, tuple):
            self.s.transport.set_loop(loop[0], loop[1])
        else:
            self.s.transport.set_loop(None, None)

    # -- songs into the project ----------------------------------------------------------
    def add_songs(self, song_ids: list[int], *, wait_for_analysis: bool = False, autoplay: bool = False) -> None:
        """Add each song as a track (its stems as stem lanes when separated),
        in the order given. When some are still being analysed, the whole
        batch waits for them, so the layout never depends on which analysis
        finishes first."""
        waiting = [sid for sid in song_ids
                   if not self.s.library.get(sid).analysed and (wait_for_analysis or sid in self.actions.analysing)]
        self._autoplay = autoplay
        if waiting:
            self._waiting_batches.append((list(song_ids), set(waiting)))
            self.status.setText("Waiting for analysis before adding songs (tempo and key)…")
            if len(self._waiting_batches) == 1:
                self.actions.song_updated.connect(self._song_updated)
            return
        self._add_now(list(song_ids))

    def _song_updated(self, sid: int) -> None:
        if sid in self.actions.analysing:
            return
        ready = []
        for batch in self._waiting_batches:
            batch[1].discard(sid)
            if not batch[1]:
                ready.append(batch)
        for batch in ready:
            self._waiting_batches.remove(batch)
            self._add_now(batch[0])
        if not self._waiting_batches:
            self.actions.song_updated.disconnect(self._song_updated)

    def _add_now(self, song_ids: list[int]) -> None:
        songs = [self.s.library.get(i) for i in song_ids]
        store = self.doc.media_store

        def fn(progress: Any, cancel: Any) -> list[SongToAdd]:
            out = []
            for song in songs:
                cancel.check()
                h, ext = store.add_file(song.path, known_hash=song.content_hash)
                stems: dict[str, tuple[str, str]] = {}
                for name, p in song.stems.items():
                    if Path(p).is_file():
                        stems[name] = store.add_file(p)
                captions = None
                if song.captions and Path(song.captions).is_file():
                    import json

                    captions = json.loads(Path(song.captions).read_text())
                from audio_engine.credits import read_source_tags

                tags = read_source_tags(song.path)  # album and ISRC for the credits
                fp = (song.analysis or {}).get("fingerprint")
                out.append(SongToAdd(hash=h, ext=ext, title=song.title, duration=song.duration, artist=song.artist,
                                     bpm=song.bpm, key=song.key_name, stems=stems, captions=captions,
                                     album=tags["album"], isrc=tags["isrc"], fingerprint=fp if isinstance(fp, str) else ""))
            return out

        self.s.jobs.submit("Add songs to the project", "io", fn, on_result=self._add_songs_done)

    def _add_songs_done(self, result: list[SongToAdd]) -> None:
        cmds = add_songs(self.doc.project, result)  # the engine's one songs-to-commands operation
        if cmds and self.push(proj.Macro(commands=cmds, name="Add songs")):
            self.timeline.zoom_fit()
            self.status.setText(self._status_text())
            if self._autoplay:
                self._autoplay = False
                self.s.transport.loaded.connect(self._autoplay_once)

    def _autoplay_once(self, _d: float) -> None:
        self.s.transport.loaded.disconnect(self._autoplay_once)
        self.s.transport.seek(0.0)
        self.s.transport.play()

    # -- waveforms ------------------------------------------------------------------------
    def _media_name(self, clip: Any) -> str:
        ref = self.doc.project.media.get(clip.media)
        return ref.name if ref is not None else clip.media[:8]

    def _peaks_for(self, clip: Any) -> Peaks | None:
        ref = self.doc.project.media.get(clip.media)
        if ref is None:
            return None
        try:
            h, ext = ref.file_hash(clip.stem), ref.file_ext(clip.stem)
        except MashupsError:
            return None
        got = self.s.peaks.cached(h)
        if got is not None or h in self._pending_peaks:
            return got
        self._pending_peaks.add(h)
        try:
            path = self.doc.resolver().find(h, ext)
        except MashupsError:
            return None
        store = self.s.peaks

        def fn(progress: Any, cancel: Any) -> Peaks:
            return store.build(h, path, progress=progress, cancel=cancel)

        def done(_p: Peaks) -> None:
            self._pending_peaks.discard(h)
            self.timeline.viewport().update()

        self.s.jobs.submit(f"Waveform of {ref.name}", "io", fn, on_result=done, meta={"peaks": h}, background=True)
        return None

    def _caption_segments(self) -> list[tuple[float, float, str]]:
        p = self.doc.project
        key = self.undo_stack.index() * 1000 + len(p.caption_lanes) + int(p.tempo * 100) * 7
        if self._captions_cache[0] == key:
            return self._captions_cache[1]
        segs: list[tuple[float, float, str]] = []
        for lane in p.caption_lanes:
            try:
                doc = p.timeline_captions(lane.id)
            except Exception:  # noqa: BLE001 - a lane whose clip was removed shows nothing
                continue
            segs.extend((s.start, s.end, s.text) for s in doc.segments)
        self._captions_cache = (key, segs)
        return segs

    # -- files ------------------------------------------------------------------------------
    def new_project(self, title: str = "Untitled mashup") -> None:
        if not self.maybe_save():
            return
        self.doc.replace(Project(title=title), None)

    def open_dialog(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Open a .mashup project", str(self.s.projects_dir))
        if d:
            self.open_project(Path(d))

    def open_project(self, path: Path) -> bool:
        if self.doc.path != Path(path) and not self.maybe_save():
            return False  # the person cancelled: keep the open project
        try:
            opened = proj.open_project(path, unpack_to=unpack_folder(path, self.s.paths.cache))
        except MashupsError as e:
            msg, hint = describe_error(e)
            show_message(self, "Open project", f"{msg}\n\n{hint}")
            return False
        project = opened.project
        if opened.recovery is not None:
            ans = QMessageBox.question(
                self, "Recover unsaved changes?",
                f"“{project.title}” has unsaved changes from {time.ctime(opened.recovery.saved_at)} "
                "(the studio closed before they were saved). Recover them?")
            if ans == QMessageBox.StandardButton.Yes:
                project = proj.recover(opened)
        self.doc.replace(project, opened.path)
        if opened.recovery is not None and project is not opened.project:
            self.undo_stack.resetClean()  # recovered changes are unsaved
        self.s.settings.add_recent(opened.path)
        self.timeline.zoom_fit()
        return True

    def save(self) -> bool:
        if self.doc.path is None:
            return self.save_as()
        return self.save_to(self.doc.path)

    def save_as(self) -> bool:
        self.s.projects_dir.mkdir(parents=True, exist_ok=True)
        f, _ = QFileDialog.getSaveFileName(self, "Save project", str(self.s.projects_dir / f"{self.doc.project.title}.mashup"),
                                           "Mashups project (*.mashup)")
        if not f:
            return False
        return self.save_to(Path(f))

    def save_to(self, path: Path) -> bool:
        try:
            folder = proj.save_project(self.doc.project, path, media_sources=self.doc.resolver())
        except MashupsError as e:
            msg, hint = describe_error(e)
            show_message(self, "Save project", f"{msg}\n\n{hint}")
            return False
        old_auto = self.doc.autosave_path
        if old_auto != folder and old_auto.parent == self.s.autosave_dir and old_auto.exists():
            import shutil

            shutil.rmtree(old_auto, ignore_errors=True)
        self.doc.path = folder
        self.doc.autosave_path = folder
        self.undo_stack.setClean()
        self.s.settings.add_recent(folder)
        self.status.setText(f"Saved to {folder}")
        self._journal()
        self.saved.emit(str(folder))
        return True

    def autosave_now(self) -> Path | None:
        if not self.doc.dirty:
            return None
        try:
            return proj.autosave(self.doc.project, self.doc.autosave_path)
        except (MashupsError, OSError) as e:
            self.status.setText(f"Autosave failed: {e}")
            return None

    def _schedule_autosave(self, *_args: object) -> None:
        self.autosave_soon.start()

    def _after_change(self, _command: object) -> None:
        self._schedule_autosave()
        self._journal()

    def _journal(self) -> None:
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
        box = QMessageBox(self)
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
            msg, hint = describe_error(e)
            show_message(self, "Restore project", f"{msg}\n\n{hint}")
            return False
        saved = entry.path if folder == entry.path else None
        self.doc.replace(project, saved)
        if opened.recovery is not None:
            self.undo_stack.resetClean()  # recovered changes are unsaved until the person saves
        self.timeline.zoom_fit()
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
        box = QMessageBox(self)
        box.setWindowTitle("Recover your work?")
        box.setText("Mashups Studio closed before a project was saved. Recover the autosaved version?")
        rec = box.addButton("Recover", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)

        def clicked(b: Any) -> None:
            if b is rec:
                opened = proj.open_project(folder)
                self.doc.replace(proj.recover(opened) if opened.recovery else opened.project, None)
                self.undo_stack.resetClean()
            import shutil

            shutil.rmtree(folder, ignore_errors=True) if b is not rec else None

        box.buttonClicked.connect(clicked)
        self.recovery_box = box
        box.open()

    def maybe_save(self) -> bool:
        """False when the person cancels closing a dirty project."""
        if not self.doc.dirty or not self.doc.project.clips() or not self.isVisible():
            return True
        from PySide6.QtWidgets import QApplication

        if QApplication.platformName().startswith("offscreen"):
            # Headless (CI, smoke tests): nobody can answer; keep the work as an autosave instead.
            self.autosave_now()
            return True
        ans = QMessageBox.question(
            self, "Unsaved changes", f"Save “{self.doc.project.title}” first?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel)
        if ans == QMessageBox.StandardButton.Cancel:
            return False
        if ans == QMessageBox.StandardButton.Save:
            return self.save()
        self._discarded = True
        return True

    # -- export ------------------------------------------------------------------------------
    def export_dialog(self) -> None:
        if not self.doc.project.clips():
            show_message(self, "Export", "Add some clips first: there is nothing to render.", error=False)
            return
        self.s.renders_dir.mkdir(parents=True, exist_ok=True)
        dlg = ExportDialog(self.s, self.s.renders_dir / f"{self.doc.project.title}.wav", self)
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
            self.status.setText(f"Exported {path}")
            self.exported.emit(path)

        self.s.jobs.submit(f"Export “{self.doc.project.title}”", "cpu", fn, on_result=done)

    def _job_finished(self, job: Any) -> None:
        pass

    def shutdown(self) -> None:
        self.autosave_timer.stop()
        if self.doc.dirty and self.doc.project.clips() and not getattr(self, "_discarded", False):
            self.autosave_now()
