"""Editor page: the view of the open project — toolbar, track headers,
timeline — wired to the document (:mod:`studio.views.editor_document`) and
its file lifecycle (:mod:`studio.views.editor_files`). Every edit is an
engine command pushed through :meth:`EditorPage.push` (one undo step each)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from audio_engine import project as proj
from audio_engine.cache import FileCache
from audio_engine.errors import MashupsError
from audio_engine.project import Command
from studio.controllers import SongActions
from studio.jobs import describe_error
from studio.services import Services
from studio.views import caption_lane, editor_actions, marker_menu, meters
from studio.views.clip_inspector import ClipInspector
from studio.views.editor_document import EngineCommand, ProjectDocument
from studio.views.editor_files import DocumentController, DocumentFileApi
from studio.views.editor_headers import HeaderColumn
from studio.views.editor_lookups import TimelineLookups
from studio.views.editor_offline import OfflineMedia
from studio.views.editor_read_only import UndoRedoActions, apply_read_only
from studio.views.editor_songs import SongAdder
from studio.views.editor_toolbar import KEYS, EditorToolbar
from studio.views.export_dialog import ExportDialog
from studio.views.timeline import TimelineView
from studio.views.track_header import TrackHeader
from studio.widgets import muted

__all__ = ["KEYS", "EditorPage", "EngineCommand", "ExportDialog", "ProjectDocument"]

MIX_PROPERTIES = ("gain_db", "pan", "mute", "solo")


class EditorPage(DocumentFileApi, QWidget):
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
        self.undo_actions = UndoRedoActions(self.undo_stack, self)  # Edit → Undo/Redo (off for a viewer)
        self.copied: list[tuple[str, dict[str, object]]] = []
        self.read_only_reason: str | None = None
        self.track_headers: list[TrackHeader] = []

        self.toolbar = tb = EditorToolbar(services.theme)
        self.title, self.tempo, self.key, self.snap = tb.title, tb.tempo, tb.key, tb.snap
        self.zoom_in_btn, self.zoom_out_btn, self.marker_btn = tb.zoom_in_btn, tb.zoom_out_btn, tb.marker_btn
        self.undo_btn, self.redo_btn, self.save_btn = tb.undo_btn, tb.redo_btn, tb.save_btn
        self.export_btn, self.add_btn, self.inspector_btn = tb.export_btn, tb.add_btn, tb.inspector_btn
        self.status = muted("")
        self.files = DocumentController(services, self.doc, self, self.say, self.zoom_fit)
        self.files.saved.connect(self.saved)
        self.files.exported.connect(self.exported)
        self.files.restored.connect(self.restored)
        self.songs = SongAdder(services, actions, self.doc, self.push, self.say, self._songs_added)
        tb.connect(lambda: self.doc.project, self.push, zoom_in=self.zoom_in, zoom_out=self.zoom_out,
                   marker=self.add_marker, undo=self.undo_stack.undo, redo=self.undo_stack.redo, save=self.save,
                   export=self.export_dialog)

        # timeline + headers
        self.timeline = TimelineView(self.doc.project, services.theme.colors)
        self.lookups = TimelineLookups(services, self.doc, self.timeline.viewport().update)
        self.timeline.peaks_lookup = self.lookups.peaks_for
        self.timeline.name_lookup = self.lookups.media_name
        self.timeline.captions_lookup = self.lookups.caption_segments
        self.timeline.seek_requested.connect(services.transport.seek)
        self.timeline.loop_changed.connect(self._loop_changed)
        self.snap.toggled.connect(lambda v: setattr(self.timeline, "snap", v))
        self.nudge_actions = editor_actions.install(self)
        marker_menu.install(self)
        self.caption_lane = caption_lane.install(self)  # retime/edit caption lines on the lane
        self.header_column = HeaderColumn(self)
        self.headers_scroll = self.header_column
        self.body = QHBoxLayout()
        self.body.setSpacing(0)
        self.body.addWidget(self.header_column)
        self.body.addWidget(self.timeline, 1)
        self.meters = meters.install(self)  # levels in the track headers and the master strip
        self.body.addWidget(self.meters.master)
        self.inspector = ClipInspector(self)
        self.offline = OfflineMedia(self)
        self.body.addSpacing(8)
        self.body.addWidget(self.inspector)
        tb.attach_inspector(self.inspector, self.timeline)  # closed until a clip is selected
        self.empty = muted("This project is empty. On the Library page, select songs and choose “Open in editor”, "
                           "or run a Magic mashup (Ctrl+M). Drag clips to move them (they snap to beats), drag their "
                           "edges to trim, their top corners to fade, drag in the ruler to set a loop.")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(24, 16, 24, 12)
        lay.setSpacing(10)
        lay.addLayout(tb.head)
        lay.addLayout(tb.bar)
        lay.addWidget(self.status)  # the live-session bar is inserted above it (index 2)
        lay.addWidget(self.empty)
        lay.addWidget(self.offline.banner)
        lay.addLayout(self.body, 1)

        self.doc.changed.connect(self._on_changed)
        self.undo_stack.cleanChanged.connect(lambda _c: self._update_title())
        services.transport.position_changed.connect(lambda s: self.timeline.set_playhead(s, follow=services.transport.playing))
        services.transport.state_changed.connect(lambda playing: playing or self.timeline.settle_after_play())
        self._rebuild_headers()
        self._sync_controls()

    # -- document changes -------------------------------------------------------
    def _on_changed(self, command: object) -> None:
        p = self.doc.project
        self.timeline.use_project(p)  # another document: the last one's loop goes
        mix_only = isinstance(command, proj.SetTrackProperty) and getattr(command, "name", "") in MIX_PROPERTIES
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
            self.offline.check()
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
            self.s.transport.load_project(self.offline.playable(), self.doc.resolver(), keep_position=True,
                                          disk_cache=FileCache(self.s.paths.cache / "clip-renders"))
        elif self.s.transport.source.startswith("project:"):
            self.s.transport.unload()

    def _sync_controls(self) -> None:
        p = self.doc.project
        self.toolbar.sync_from(p)
        self.empty.setVisible(not p.clips())
        self.status.setText(self._status_text())

    def _status_text(self) -> str:
        p = self.doc.project
        where = str(self.doc.path) if self.doc.path else "not saved yet"
        n, m = len(p.tracks), len(p.clips())  # "1 track", not "1 tracks"
        return (f"{n} track{'s' * (n != 1)} · {m} clip{'s' * (m != 1)} · {p.end_seconds():.1f} s · "
                f"{p.time_signature[0]}/{p.time_signature[1]} · {where}")

    def relinked(self, media: Any) -> None:
        """Located media is back: its clips draw their waveforms and play again."""
        n = len(media.clip_ids)
        self.say(f"Relinked “{media.label()}”: {n} clip{'s' if n != 1 else ''} back online.")
        self.timeline.viewport().update()
        self.inspector.refresh()
        self._reload_playback()

    def say(self, text: str) -> None:
        """One line in the editor's status (what happened, or why not)."""
        self.status.setText(text)

    def _update_title(self) -> None:
        star = "•" if self.doc.dirty else ""
        self.title_changed.emit(f"{star}{self.doc.project.title}")

    def _rebuild_headers(self) -> None:
        self.track_headers = self.header_column.rebuild()
        self._apply_read_only()

    def _sync_headers(self) -> None:
        self.header_column.sync()
        if self.read_only_reason:
            self._apply_read_only()  # the faders' value tips were rewritten

    def theme_changed(self) -> None:
        self.timeline.theme_colors = self.s.theme.colors
        self.timeline.viewport().update()

    # -- read-only (a viewer in a live session) ------------------------------------------
    def set_read_only(self, reason: str | None) -> None:
        """With a reason, every editing control and action is disabled and shows
        the reason as its tooltip, and :meth:`push` refuses with it; None edits again."""
        self.read_only_reason = reason or None
        self._apply_read_only()

    def editing_controls(self) -> list[QWidget]:
        """Every control of the editor that changes the project."""
        return [*self.toolbar.editing_controls(), *self.header_column.editing_controls(),
                *self.inspector.editing_controls()]

    def _apply_read_only(self) -> None:
        apply_read_only(self.read_only_reason, self.editing_controls(), self.nudge_actions, self.undo_actions)
        self.timeline.read_only_reason = self.read_only_reason  # clips can be selected, not dragged
        self.inspector.refresh()  # the speed field is enabled only for a fixed-speed clip

    # -- edits (all through engine commands) ------------------------------------------
    def push(self, command: Command) -> bool:
        if self.read_only_reason:
            self.say(f"Not done: {self.read_only_reason}")
            self.timeline.rebuild()  # a dragged clip goes back where it was
            return False
        try:
            self.doc.push(command)
        except MashupsError as e:
            msg, hint = describe_error(e)
            self.say(f"Not done: {msg} {hint}")
            self.timeline.rebuild()
            return False
        return True

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

    def delete_selected(self) -> None:
        editor_actions.delete_selected(self)

    def split_at_playhead(self) -> None:
        """S: cut the selected clips (or every clip under the playhead) in two at the playhead."""
        editor_actions.split_at_playhead(self)

    def duplicate_selected(self) -> None:
        """Ctrl+D: the selected clips again, each right after itself."""
        editor_actions.duplicate_selected(self)

    def copy_selected(self) -> None:
        """Ctrl+C: keep the selected clips for a paste (inside the studio)."""
        editor_actions.copy_selected(self)

    def paste_at_playhead(self) -> None:
        """Ctrl+V: the copied clips again, starting at the playhead."""
        editor_actions.paste_at_playhead(self)

    def add_marker(self) -> None:
        editor_actions.add_marker(self)

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
        """Add each song as a track, in the order given (see :class:`SongAdder`)."""
        self.songs.add_songs(song_ids, wait_for_analysis=wait_for_analysis, autoplay=autoplay)

    def _songs_added(self) -> None:
        self.timeline.zoom_fit()
        self.say(self._status_text())

