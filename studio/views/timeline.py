"""The multitrack timeline: a QGraphicsView over the project.

x is time (``pps`` pixels per second), y the track lanes under a ruler.
The clips (:mod:`studio.views.timeline_clip`) move, trim and fade; where two
clips of a track overlap a crossfade is drawn; the ruler
(:mod:`studio.views.timeline_ruler`) seeks, draws loops and moves markers.
Every gesture ends in one engine command (the application layer's
operations in :mod:`audio_engine.app.fades`), pushed through ``on_command``
(the editor's undo stack).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QLineF, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QHelpEvent, QPainter, QPen, QWheelEvent
from PySide6.QtWidgets import QGraphicsScene, QGraphicsView, QToolTip

from audio_engine.app import fades
from audio_engine.errors import MashupsError
from audio_engine.project.commands import Command
from studio.peaks import Peaks
from studio.views.timeline_clip import CAPTION_H, EDGE, LANE_H, RULER_H, ClipItem, CrossfadeItem
from studio.views.timeline_ruler import RulerGestures, marker_near, marker_x, paint_ruler

LANES_TIP = ("Drag across empty space to select clips · arrows nudge them · Ctrl+wheel zooms · "
             "S splits at the playhead")

__all__ = ["CAPTION_H", "EDGE", "LANE_H", "RULER_H", "ClipItem", "TimelineView"]


class TimelineScene(QGraphicsScene):
    def __init__(self, view: TimelineView) -> None:
        super().__init__()
        self.view_ref = view

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        tl = self.view_ref
        c = tl.theme_colors
        painter.fillRect(rect, QColor(c["timeline_bg"]))
        p = tl.project
        n = len(p.tracks)
        for i in range(n):
            if i % 2:
                painter.fillRect(QRectF(rect.left(), RULER_H + i * LANE_H, rect.width(), LANE_H), QColor(c["lane_alt"]))
        # caption lane
        cap_y = RULER_H + n * LANE_H
        painter.fillRect(QRectF(rect.left(), cap_y, rect.width(), CAPTION_H), QColor(c["panel2"]))
        # beat/bar grid from the project tempo
        beat_px = 60.0 / p.tempo * tl.pps
        bpb = max(1, p.beats_per_bar)
        step = 1
        while beat_px * step < 8:
            step *= 2
        first = max(0, int(rect.left() / beat_px) - 1)
        last = int(rect.right() / beat_px) + 2
        bar_pen = QPen(QColor(c["grid_bar"]), 1)
        beat_pen = QPen(QColor(c["grid_beat"]), 1)
        for b in range(first - first % step, last, step):
            x = b * beat_px
            painter.setPen(bar_pen if b % bpb == 0 else beat_pen)
            painter.drawLine(QLineF(x, RULER_H, x, cap_y + CAPTION_H))

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        tl = self.view_ref
        c = tl.theme_colors
        p = tl.project
        # ruler (sticks to the top of the view), loop region, markers
        top = tl.mapToScene(0, 0).y()
        paint_ruler(tl, painter, rect, top)
        f = QFont(painter.font())
        f.setPointSizeF(8)
        # caption lane text
        cap_y = RULER_H + len(p.tracks) * LANE_H
        segs = tl.caption_segments()
        painter.setFont(f)
        for s in segs:
            x0, x1 = s[0] * tl.pps, s[1] * tl.pps
            if x1 < rect.left() or x0 > rect.right():
                continue
            box = QRectF(x0, cap_y + 6, max(6.0, x1 - x0 - 2), CAPTION_H - 12)
            col = QColor(c["accent2"])
            col.setAlpha(60)
            painter.fillRect(box, col)
            painter.setPen(QColor(c["text"]))
            inner = box.adjusted(4, 0, -2, 0)
            text = painter.fontMetrics().elidedText(s[2], Qt.TextElideMode.ElideRight, int(inner.width()))
            painter.drawText(inner, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text)
        if not segs:
            painter.setPen(QColor(c["muted"]))
            painter.drawText(QPointF(tl.mapToScene(8, 0).x(), cap_y + 27), "Caption lane — write captions for a song to see its lyrics here")
        # playhead
        # the playhead spans the ruler, the lanes and the caption lane, nothing below them
        x = tl.playhead * tl.pps
        painter.setPen(QPen(QColor(c["playhead"]), 2))
        painter.drawLine(QLineF(x, top, x, cap_y + CAPTION_H))


class TimelineView(QGraphicsView):
    clip_selected = Signal(str)
    seek_requested = Signal(float)
    loop_changed = Signal(object)
    project_switched = Signal()  # another document is shown (not an edit of the same one)

    def __init__(self, project: Any, theme_colors: dict[str, str]) -> None:
        super().__init__()
        self.project = project
        self.theme_colors = theme_colors
        self.pps = 40.0
        self.snap = True
        self.grid_beats = 1.0  # snap grid: 0 = a bar, else beats (1, 0.5, 0.25)
        self.playhead = 0.0
        self.loop: tuple[float, float] | None = None
        self.peaks_lookup: Callable[[Any], Peaks | None] = lambda clip: None
        self.name_lookup: Callable[[Any], str] = lambda clip: clip.media[:8]
        self.captions_lookup: Callable[[], list[tuple[float, float, str]]] = lambda: []
        #: Pushes an engine command on the editor's undo stack; False when refused.
        self.on_command: Callable[[Command], bool] = lambda cmd: False
        #: Says why a gesture was refused (the editor's status line).
        self.on_refused: Callable[[MashupsError], None] = lambda e: None
        #: A marker double-clicked in the ruler (the editor renames it in place).
        self.on_marker_double_click: Callable[[Any, QPoint], None] = lambda marker, pos: None
        self.marker_editor: Any = None  # the in-place name editor while one is open
        #: Why clips cannot be dragged (a viewer in a live session), or None.
        self.read_only_reason: str | None = None
        self.ruler = RulerGestures(self)
        self.items_by_id: dict[str, ClipItem] = {}
        self.crossfade_items: list[CrossfadeItem] = []
        self._scene = TimelineScene(self)
        self.setScene(self._scene)
        self.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setMouseTracking(True)
        self.rebuild()

    # lookups used by items
    def peaks_for(self, clip: Any) -> Peaks | None:
        return self.peaks_lookup(clip)

    def media_name(self, clip: Any) -> str:
        return self.name_lookup(clip)

    def caption_segments(self) -> list[tuple[float, float, str]]:
        return self.captions_lookup()

    def push_command(self, command: Command) -> bool:
        ok = self.on_command(command)
        if not ok:
            self.rebuild()  # drop the previews of a refused gesture
        return ok

    def _edit(self, build: Callable[[], Command | None]) -> bool:
        """Build a command with an engine operation and push it; a refusal
        (bad values, a clip gone meanwhile) puts the clips back and says why."""
        try:
            cmd = build()
        except (MashupsError, KeyError) as e:
            err = e if isinstance(e, MashupsError) else MashupsError(f"That clip is no longer in the project ({e}).")
            self.on_refused(err)
            self.rebuild()
            return False
        if cmd is None:
            self.rebuild()
            return False
        return self.push_command(cmd)

    def request_move(self, clip_id: str, beats: float, track_id: str | None) -> None:
        """Move (with the crossfades of its new overlaps): one undo step."""
        self._edit(lambda: fades.move_clip(self.project, clip_id, round(beats, 6), track_id))

    def request_trim(self, clip_id: str, src_in: float, src_out: float, position: float | None) -> None:
        self._edit(lambda: fades.trim_clip(self.project, clip_id, src_in, src_out, position))

    def request_fade(self, clip_id: str, which: int, seconds: float) -> None:
        """Fade in (``which`` 0) or out (1) over ``seconds``: one undo step."""
        if which == 0:
            self._edit(lambda: fades.set_fades(self.project, clip_id, fade_in=seconds))
        else:
            self._edit(lambda: fades.set_fades(self.project, clip_id, fade_out=seconds))

    def snap_x(self, x: float, modifiers: Any = None) -> float:
        """Snap a scene x to the nearest grid line (``grid_beats``: a bar, a
        beat, 1/2 or 1/4 beat; hold Alt to move freely)."""
        if not self.snap or (modifiers is not None and modifiers & Qt.KeyboardModifier.AltModifier):
            return x
        step = self.project.beats_per_bar if self.grid_beats <= 0 else self.grid_beats
        grid_px = step * 60.0 / self.project.tempo * self.pps
        return round(x / grid_px) * grid_px

    def track_silent(self, index: int) -> bool:
        tracks = self.project.tracks
        if not 0 <= index < len(tracks):
            return False
        any_solo = any(t.solo for t in tracks)
        return bool(tracks[index].mute or (any_solo and not tracks[index].solo))

    def refresh_mix(self) -> None:
        for it in self.items_by_id.values():
            it.sync_mix()

    def lane_at(self, y: float) -> int | None:
        lane = int((y - RULER_H) // LANE_H)
        return lane if 0 <= lane < len(self.project.tracks) else None

    # -- building ------------------------------------------------------------
    def set_project(self, project: Any) -> None:
        self.use_project(project)
        self.rebuild()

    def use_project(self, project: Any) -> None:
        """Show ``project``: the same one after an edit, or another document,
        which starts without a loop (the last one's region is not its own)."""
        switched = project is not self.project
        self.project = project
        if not switched:
            return
        if self.loop is not None:
            self.loop = None
            self.loop_changed.emit(None)
            self.viewport().update()
        self.project_switched.emit()

    def rebuild(self) -> None:
        selected = {cid for cid, it in self.items_by_id.items() if it.isSelected()}
        self._scene.clear()
        self.items_by_id = {}
        for ti, track in enumerate(self.project.tracks):
            for clip in track.clips:
                item = ClipItem(self, clip, ti)
                self._scene.addItem(item)
                self.items_by_id[clip.id] = item
                if clip.id in selected:
                    item.setSelected(True)
        self.crossfade_items = []
        self._sync_crossfades()
        self._update_rect()
        self.viewport().update()

    def _sync_crossfades(self) -> None:
        """One CrossfadeItem per overlap, placed at the current zoom."""
        for xi in self.crossfade_items:
            self._scene.removeItem(xi)
        index = {t.id: i for i, t in enumerate(self.project.tracks)}
        self.crossfade_items = [CrossfadeItem(self, xf, index[xf.track_id]) for xf in fades.crossfades(self.project)]
        for xi in self.crossfade_items:
            self._scene.addItem(xi)

    def _update_rect(self) -> None:
        end = max(self.project.end_seconds() + 30.0, 60.0)
        height = RULER_H + len(self.project.tracks) * LANE_H + CAPTION_H + 4
        self._scene.setSceneRect(0, 0, end * self.pps, height)

    def selected_clip_ids(self) -> list[str]:
        return [cid for cid, it in self.items_by_id.items() if it.isSelected()]

    def set_zoom(self, pps: float, *, anchor_s: float | None = None, anchor_vx: float | None = None) -> None:
        """Zoom to ``pps`` keeping time ``anchor_s`` at viewport x ``anchor_vx``
        (the mouse for the wheel). Without an anchor: the playhead when it is in
        view (it stays where it is on screen), else the centre of the view."""
        left = float(self.horizontalScrollBar().value())
        width = float(self.viewport().width())
        if anchor_s is None or anchor_vx is None:
            ph = self.playhead * self.pps - left
            if 0.0 <= ph <= width:
                anchor_s, anchor_vx = self.playhead, ph
            else:
                anchor_vx = width / 2.0
                anchor_s = (left + anchor_vx) / self.pps
        self.pps = min(2000.0, max(2.0, pps))
        for it in self.items_by_id.values():
            it.sync()
        self._sync_crossfades()
        self._update_rect()
        self.horizontalScrollBar().setValue(int(round(anchor_s * self.pps - anchor_vx)))
        self.viewport().update()

    def zoom_fit(self) -> None:
        end = max(self.project.end_seconds(), 5.0)
        self.set_zoom(max(2.0, (self.viewport().width() - 20) / end))
        self.horizontalScrollBar().setValue(0)

    def set_playhead(self, seconds: float, follow: bool = False) -> None:
        old = self.playhead
        self.playhead = seconds
        h = self.sceneRect().height()
        for x in (old * self.pps, seconds * self.pps):
            self._scene.invalidate(QRectF(x - 3, 0, 6, h), QGraphicsScene.SceneLayer.ForegroundLayer)
        if follow:
            vis = self.mapToScene(self.viewport().rect()).boundingRect()
            x = seconds * self.pps
            if x > vis.right() - 40 or x < vis.left():
                self.horizontalScrollBar().setValue(int(x - 40))

    def settle_after_play(self) -> None:
        """After playback stops, keep the clips in view: following the playhead to
        the end left the view scrolled onto the empty space past the last clip."""
        end_x = self.project.end_seconds() * self.pps
        vis = self.mapToScene(self.viewport().rect()).boundingRect()
        if vis.left() > 0 and vis.right() > end_x + 40:
            bar = self.horizontalScrollBar()
            bar.setValue(max(0, int(end_x + 40 - vis.width())))

    # -- mouse in the ruler (the rest goes to the clips / rubber band) --------------
    def mousePressEvent(self, event: Any) -> None:
        if event.position().y() < RULER_H and event.button() == Qt.MouseButton.LeftButton:
            shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            self.ruler.press(self.mapToScene(event.position().toPoint()).x(), shift)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseDoubleClickEvent(self, event: Any) -> None:
        pos = event.position().toPoint()
        if pos.y() < RULER_H and event.button() == Qt.MouseButton.LeftButton:
            m = marker_near(self, self.mapToScene(pos).x())
            if m is not None:  # the name editor opens over the name, wherever it was clicked
                self.on_marker_double_click(m, QPoint(self.mapFromScene(QPointF(marker_x(self, m), 0)).x(), pos.y()))
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def mouseMoveEvent(self, event: Any) -> None:
        if self.ruler.drag is not None:
            self.ruler.move(self.mapToScene(event.position().toPoint()).x(), event.modifiers())
            return
        super().mouseMoveEvent(event)

    def tooltip_at(self, pos: QPoint) -> str | None:
        """The tip for viewport ``pos`` where no clip or crossfade has its own:
        the ruler's (a marker's, a loop edge's) or the empty lanes'."""
        if pos.y() < RULER_H:
            return self.ruler.tooltip_at(self.mapToScene(pos).x())
        if self.itemAt(pos) is None:
            return LANES_TIP
        return None

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            tip = self.tooltip_at(event.pos())
            if tip is not None:
                QToolTip.showText(event.globalPos(), tip, self.viewport())
                return True
        return super().viewportEvent(event)

    def mouseReleaseEvent(self, event: Any) -> None:
        if self.ruler.drag is not None:
            self.ruler.release(self.mapToScene(event.position().toPoint()).x())
            return
        super().mouseReleaseEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            factor = 1.25 if event.angleDelta().y() > 0 else 0.8
            vx = event.position().x()
            self.set_zoom(self.pps * factor, anchor_s=(self.horizontalScrollBar().value() + vx) / self.pps, anchor_vx=vx)
            event.accept()
            return
        super().wheelEvent(event)

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:  # the scene draws it
        super().drawForeground(painter, rect)
