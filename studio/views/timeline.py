"""The multitrack timeline: a QGraphicsView over the project.

x is time (``pps`` pixels per second), y the track lanes under a ruler.
Clips draw their waveform from precomputed min/max peaks (the level chosen
for the zoom, so drawing costs about two numbers per pixel at any zoom), and
drag (across lanes too), trim at either edge and snap to beats. Edits are
emitted as engine commands; the editor pushes them on the undo stack.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen, QWheelEvent
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsObject,
    QGraphicsScene,
    QGraphicsSceneMouseEvent,
    QGraphicsView,
    QStyleOptionGraphicsItem,
    QWidget,
)

from studio.peaks import Peaks

RULER_H = 30
LANE_H = 92
CAPTION_H = 44
EDGE = 7


class ClipItem(QGraphicsObject):
    def __init__(self, timeline: TimelineView, clip: Any, track_index: int) -> None:
        super().__init__()
        self.tl = timeline
        self.clip = clip
        self.track_index = track_index
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, True)
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        self._mode = ""  # "move" | "trim-left" | "trim-right"
        self._press = QPointF()
        self._orig = (0.0, 0.0, 0.0)  # x, width, y
        self.preview_x = 0.0
        self.preview_w = 0.0
        self.sync()

    # geometry in scene coordinates comes from the clip + the view's zoom
    def sync(self) -> None:
        p = self.tl.project
        self.prepareGeometryChange()
        self.preview_x = p.clip_start_seconds(self.clip) * self.tl.pps
        self.preview_w = max(4.0, self.clip.length_seconds(p.tempo) * self.tl.pps)
        self.setPos(self.preview_x, RULER_H + self.track_index * LANE_H + 4)
        self.sync_mix()
        self.update()

    def sync_mix(self) -> None:
        """Dim the clip while its track is not heard (muted, or another track soloed)."""
        self.setOpacity(0.32 if self.tl.track_silent(self.track_index) else 1.0)

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, self.preview_w, LANE_H - 8)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        theme = self.tl.theme_colors
        r = self.boundingRect()
        sel = self.isSelected()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        fill = QColor(theme["clip"])
        fill.setAlpha(235)
        painter.setBrush(fill)
        painter.setPen(QPen(QColor(theme["accent2"] if sel else theme["clip_border"]), 2 if sel else 1))
        painter.drawRoundedRect(r.adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)
        # label
        painter.setPen(QColor(theme["text"]))
        f = QFont(painter.font())
        f.setPointSizeF(8.5)
        f.setBold(True)
        painter.setFont(f)
        label = self.clip.name or self.tl.media_name(self.clip)
        if self.clip.stem and self.clip.stem.lower() not in label.lower():
            label += f" · {self.clip.stem}"
        painter.drawText(r.adjusted(8, 3, -6, 0), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, label)
        # waveform from peaks
        peaks = self.tl.peaks_for(self.clip)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        if peaks is None:
            painter.setPen(QColor(theme["muted"]))
            painter.drawText(r, Qt.AlignmentFlag.AlignCenter, "drawing waveform…")
            return
        exposed = option.exposedRect.intersected(r)  # type: ignore[attr-defined]
        x0, x1 = max(0, int(exposed.left())), min(int(r.width()), int(math.ceil(exposed.right())))
        if x1 <= x0:
            return
        ratio = self.clip.ratio(self.tl.project.tempo)
        spp = ratio / self.tl.pps  # source seconds per pixel
        s0 = self.clip.source_in + x0 * spp
        s1 = self.clip.source_in + x1 * spp
        mins, maxs = peaks.slice(s0, s1, x1 - x0)
        top, h = 18.0, r.height() - 22.0
        mid = top + h / 2
        half = h / 2 * 0.95
        lines = [QLineF(x0 + i + 0.5, mid - float(maxs[i]) * half, x0 + i + 0.5, mid - float(mins[i]) * half)
                 for i in range(x1 - x0)]
        painter.setPen(QPen(QColor(theme["wave"]), 1))
        painter.drawLines(lines)

    # -- interaction ---------------------------------------------------------
    def _edge(self, x: float) -> str:
        if x <= EDGE:
            return "trim-left"
        if x >= self.preview_w - EDGE:
            return "trim-right"
        return "move"

    def hoverMoveEvent(self, event: Any) -> None:
        mode = self._edge(event.pos().x())
        self.setCursor(Qt.CursorShape.SizeHorCursor if mode != "move" else Qt.CursorShape.OpenHandCursor)

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        self._mode = self._edge(event.pos().x())
        self._press = event.scenePos()
        self._orig = (self.pos().x(), self.preview_w, self.pos().y())
        if not (event.modifiers() & Qt.KeyboardModifier.ControlModifier):
            for it in self.scene().selectedItems():
                if it is not self:
                    it.setSelected(False)
        self.setSelected(True)
        self.tl.clip_selected.emit(self.clip.id)
        event.accept()

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if not self._mode:
            return
        dx = event.scenePos().x() - self._press.x()
        x, w, y = self._orig
        self.prepareGeometryChange()
        if self._mode == "move":
            nx = max(0.0, self.tl.snap_x(x + dx, event.modifiers()))
            lane = self.tl.lane_at(event.scenePos().y())
            ny = RULER_H + (lane if lane is not None else self.track_index) * LANE_H + 4
            self.setPos(nx, ny)
        elif self._mode == "trim-right":
            right = self.tl.snap_x(x + w + dx, event.modifiers())
            self.preview_w = max(8.0, right - x)
        else:
            left = min(self.tl.snap_x(x + dx, event.modifiers()), x + w - 8.0)
            left = max(left, x - self.clip.source_in / self.clip.ratio(self.tl.project.tempo) * self.tl.pps)
            self.preview_w = x + w - left
            self.setPos(max(0.0, left), y)
        self.update()

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        mode, self._mode = self._mode, ""
        if not mode:
            return
        x, w, _y = self._orig
        p = self.tl.project
        moved = abs(self.pos().x() - x) > 0.5 or abs(self.preview_w - w) > 0.5 or abs(self.pos().y() - self._orig[2]) > 0.5
        if not moved:
            return
        if mode == "move":
            beats = p.seconds_to_beats(self.pos().x() / self.tl.pps)
            lane = int(round((self.pos().y() - 4 - RULER_H) / LANE_H))
            track_id = p.tracks[lane].id if 0 <= lane < len(p.tracks) and lane != self.track_index else None
            self.tl.request_move(self.clip.id, max(0.0, beats), track_id)
        else:
            ratio = self.clip.ratio(p.tempo)
            new_len_src = self.preview_w / self.tl.pps * ratio
            if mode == "trim-right":
                self.tl.request_trim(self.clip.id, self.clip.source_in, self.clip.source_in + new_len_src, None)
            else:
                new_in = self.clip.source_out - new_len_src
                beats = p.seconds_to_beats(self.pos().x() / self.tl.pps)
                self.tl.request_trim(self.clip.id, max(0.0, new_in), self.clip.source_out, max(0.0, beats))


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
        # ruler (sticks to the top of the view)
        top = tl.mapToScene(0, 0).y()
        ruler = QRectF(rect.left(), top, rect.width(), RULER_H)
        painter.fillRect(ruler, QColor(c["panel"]))
        painter.setPen(QPen(QColor(c["border"]), 1))
        painter.drawLine(QLineF(rect.left(), top + RULER_H, rect.right(), top + RULER_H))
        beat_px = 60.0 / p.tempo * tl.pps
        bpb = max(1, p.beats_per_bar)
        bar_px = beat_px * bpb
        every = 1
        while bar_px * every < 60:
            every *= 2
        f = QFont(painter.font())
        f.setPointSizeF(8)
        painter.setFont(f)
        first_bar = max(0, int(rect.left() / bar_px) - 1)
        for bar in range(first_bar - first_bar % every, int(rect.right() / bar_px) + 2, every):
            x = bar * bar_px
            painter.setPen(QColor(c["muted"]))
            painter.drawText(QPointF(x + 4, top + 19), str(bar + 1))
            painter.setPen(QPen(QColor(c["grid_bar"]), 1))
            painter.drawLine(QLineF(x, top + 22, x, top + RULER_H))
        # loop region
        if tl.loop is not None:
            a, b = tl.loop
            lr = QRectF(a * tl.pps, top, (b - a) * tl.pps, RULER_H)
            col = QColor(c["accent"])
            col.setAlpha(70)
            painter.fillRect(lr, col)
        # markers
        for m in p.markers:
            x = p.beats_to_seconds(m.position) * tl.pps
            col = QColor(c["marker"])
            painter.setPen(QPen(col, 1, Qt.PenStyle.DashLine))
            painter.drawLine(QLineF(x, top + RULER_H, x, RULER_H + len(p.tracks) * LANE_H + CAPTION_H))
            path = QPainterPath()
            path.moveTo(x - 5, top + 2)
            path.lineTo(x + 5, top + 2)
            path.lineTo(x, top + 10)
            path.closeSubpath()
            painter.fillPath(path, QBrush(col))
            painter.setPen(col)
            painter.drawText(QPointF(x + 7, top + 10), m.name)
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

    def __init__(self, project: Any, theme_colors: dict[str, str]) -> None:
        super().__init__()
        self.project = project
        self.theme_colors = theme_colors
        self.pps = 40.0
        self.snap = True
        self.grid_beats = 1.0  # snap grid: 0 = a bar, else beats (1, 0.5, 0.25)
        self.playhead = 0.0
        self.loop: tuple[float, float] | None = None
        self._loop_anchor: float | None = None
        self.peaks_lookup: Callable[[Any], Peaks | None] = lambda clip: None
        self.name_lookup: Callable[[Any], str] = lambda clip: clip.media[:8]
        self.captions_lookup: Callable[[], list[tuple[float, float, str]]] = lambda: []
        self.on_move: Callable[[str, float, str | None], None] = lambda *a: None
        self.on_trim: Callable[[str, float, float, float | None], None] = lambda *a: None
        self.items_by_id: dict[str, ClipItem] = {}
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

    def request_move(self, clip_id: str, beats: float, track_id: str | None) -> None:
        self.on_move(clip_id, beats, track_id)

    def request_trim(self, clip_id: str, src_in: float, src_out: float, position: float | None) -> None:
        self.on_trim(clip_id, src_in, src_out, position)

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
        self.project = project
        self.rebuild()

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
        self._update_rect()
        self.viewport().update()

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

    # -- mouse on empty space / ruler ----------------------------------------------
    def mousePressEvent(self, event: Any) -> None:
        pos = self.mapToScene(event.position().toPoint())
        in_ruler = event.position().y() < RULER_H
        if in_ruler and event.button() == Qt.MouseButton.LeftButton:
            t = max(0.0, pos.x() / self.pps)
            if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                self._loop_anchor = self.snap_x(pos.x()) / self.pps
            else:
                self.seek_requested.emit(t)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: Any) -> None:
        if self._loop_anchor is not None:
            t = self.snap_x(self.mapToScene(event.position().toPoint()).x()) / self.pps
            a, b = sorted((self._loop_anchor, max(0.0, t)))
            self.loop = (a, b) if b - a > 0.05 else None
            self.viewport().update()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: Any) -> None:
        if self._loop_anchor is not None:
            self._loop_anchor = None
            self.loop_changed.emit(self.loop)
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
