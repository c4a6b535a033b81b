"""The ruler above the lanes: bar numbers, the loop region and the markers,
and what the mouse does there.

- click: move the playhead there (on a marker: to the marker);
- drag on empty ruler (or Shift-drag anywhere in it): draw a loop region;
- drag a loop edge: move that edge; drag a marker: move the marker (one
  undoable MoveMarker on release).
Loop regions are transport state (what plays), not an edit of the project.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen

from audio_engine.project.commands import MoveMarker
from studio.views.timeline_clip import CAPTION_H, LANE_H, RULER_H

if TYPE_CHECKING:
    from studio.views.timeline import TimelineView

#: Grab distance (pixels) for markers and loop edges; a press that moves
#: less than DRAG_PX is a click.
HIT_PX = 6
DRAG_PX = 4
MIN_LOOP_S = 0.05
LABEL_DX = 7  # a marker's name starts this far right of its line

RULER_TIP = ("Click to move the playhead · drag to set a loop (drag its edges to change it) · "
             "drag a marker to move it · right-click a marker to rename, colour or delete it")


def marker_x(tl: TimelineView, m: Any) -> float:
    return float(tl.project.beats_to_seconds(m.position) * tl.pps)


def label_font(tl: TimelineView) -> QFont:
    """The font of the ruler's bar numbers and marker names."""
    f = QFont(tl.viewport().font())
    f.setPointSizeF(8)
    return f


def marker_near(tl: TimelineView, scene_x: float) -> Any:
    """The marker whose triangle (within HIT_PX) or name (drawn right of it)
    is at scene x, or None; a triangle wins over a neighbour's name."""
    fm = QFontMetricsF(label_font(tl))
    best: tuple[float, Any] | None = None
    for m in tl.project.markers:
        x = marker_x(tl, m)
        d = abs(x - scene_x)
        if d > HIT_PX:
            if not x + LABEL_DX <= scene_x <= x + LABEL_DX + fm.horizontalAdvance(m.name) + 2:
                continue
            d = HIT_PX + (scene_x - x)  # on its name: after any triangle, the nearest name first
        if best is None or d < best[0]:
            best = (d, m)
    return best[1] if best is not None else None


@dataclass
class _Drag:
    kind: str  # "pending" | "loop" | "loop-start" | "loop-end" | "marker"
    press_x: float  # scene x of the press
    anchor: float = 0.0  # seconds: the loop's fixed end
    marker: Any = None
    moved: bool = False


class RulerGestures:
    """Press/move/release in the ruler, for one TimelineView."""

    def __init__(self, tl: TimelineView) -> None:
        self.tl = tl
        self.drag: _Drag | None = None
        self.marker_preview: tuple[str, float] | None = None  # marker id, seconds while dragged

    def tooltip_at(self, scene_x: float) -> str:
        m = marker_near(self.tl, scene_x)
        if m is not None:
            return (f"Marker “{m.name}”: drag to move it · click to go there · double-click to rename · "
                    "right-click to colour or delete")
        loop = self.tl.loop
        if loop is not None and min(abs(loop[0] * self.tl.pps - scene_x), abs(loop[1] * self.tl.pps - scene_x)) <= HIT_PX:
            return f"Loop {loop[0]:.2f}–{loop[1]:.2f} s: drag this edge to change it · right-click to clear the loop"
        return RULER_TIP

    def press(self, scene_x: float, shift: bool) -> None:
        tl = self.tl
        m = marker_near(tl, scene_x)
        loop = tl.loop
        if m is not None and not shift:
            self.drag = _Drag("marker", scene_x, marker=m)
        elif loop is not None and abs(loop[0] * tl.pps - scene_x) <= HIT_PX:
            self.drag = _Drag("loop-start", scene_x, anchor=loop[1])
        elif loop is not None and abs(loop[1] * tl.pps - scene_x) <= HIT_PX:
            self.drag = _Drag("loop-end", scene_x, anchor=loop[0])
        else:
            self.drag = _Drag("loop" if shift else "pending", scene_x, anchor=tl.snap_x(scene_x) / tl.pps)

    def move(self, scene_x: float, modifiers: Any) -> None:
        d, tl = self.drag, self.tl
        if d is None:
            return
        if not d.moved and abs(scene_x - d.press_x) < DRAG_PX:
            return
        d.moved = True
        if d.kind == "pending":
            d.kind = "loop"
        t = max(0.0, tl.snap_x(scene_x, modifiers) / tl.pps)
        if d.kind == "marker":
            self.marker_preview = (d.marker.id, t)
        else:
            a, b = sorted((d.anchor, t))
            tl.loop = (a, b) if b - a > MIN_LOOP_S else None
        tl.viewport().update()

    def release(self, scene_x: float) -> None:
        d, tl = self.drag, self.tl
        self.drag = None
        if d is None:
            return
        if not d.moved:
            if d.kind in ("pending", "loop-start", "loop-end"):
                tl.seek_requested.emit(max(0.0, scene_x / tl.pps))
            elif d.kind == "marker":
                tl.seek_requested.emit(tl.project.beats_to_seconds(d.marker.position))
            return
        if d.kind == "marker":
            preview, self.marker_preview = self.marker_preview, None
            if preview is not None:
                beats = round(tl.project.seconds_to_beats(preview[1]), 6)
                if abs(beats - d.marker.position) > 1e-6:
                    tl.push_command(MoveMarker(marker_id=d.marker.id, position=beats))
            tl.viewport().update()
            return
        tl.loop_changed.emit(tl.loop)


def paint_ruler(tl: TimelineView, painter: QPainter, rect: QRectF, top: float) -> None:
    """Bar numbers, the loop region and the markers (with their lines down the lanes)."""
    c = tl.theme_colors
    p = tl.project
    ruler = QRectF(rect.left(), top, rect.width(), RULER_H)
    painter.fillRect(ruler, QColor(c["panel"]))
    painter.setPen(QPen(QColor(c["border"]), 1))
    painter.drawLine(QLineF(rect.left(), top + RULER_H, rect.right(), top + RULER_H))
    beat_px = 60.0 / p.tempo * tl.pps
    bar_px = beat_px * max(1, p.beats_per_bar)
    every = 1
    while bar_px * every < 60:
        every *= 2
    painter.setFont(label_font(tl))
    first_bar = max(0, int(rect.left() / bar_px) - 1)
    for bar in range(first_bar - first_bar % every, int(rect.right() / bar_px) + 2, every):
        x = bar * bar_px
        painter.setPen(QColor(c["muted"]))
        painter.drawText(QPointF(x + 4, top + 19), str(bar + 1))
        painter.setPen(QPen(QColor(c["grid_bar"]), 1))
        painter.drawLine(QLineF(x, top + 22, x, top + RULER_H))
    lanes_bottom = RULER_H + len(p.tracks) * LANE_H + CAPTION_H
    if tl.loop is not None:
        a, b = tl.loop
        col = QColor(c["accent"])
        col.setAlpha(70)
        painter.fillRect(QRectF(a * tl.pps, top, (b - a) * tl.pps, RULER_H), col)
        col.setAlpha(18)
        painter.fillRect(QRectF(a * tl.pps, top + RULER_H, (b - a) * tl.pps, lanes_bottom - RULER_H), col)
        painter.setPen(QPen(QColor(c["accent"]), 2))
        for x in (a * tl.pps, b * tl.pps):
            painter.drawLine(QLineF(x, top, x, top + RULER_H))
    preview = tl.ruler.marker_preview
    for m in p.markers:
        x = preview[1] * tl.pps if preview is not None and preview[0] == m.id else marker_x(tl, m)
        own = getattr(m, "color", None)
        col = QColor(own) if isinstance(own, str) and QColor.isValidColor(own) else QColor(c["marker"])
        painter.setPen(QPen(col, 1, Qt.PenStyle.DashLine))
        painter.drawLine(QLineF(x, top + RULER_H, x, lanes_bottom))
        path = QPainterPath()
        path.moveTo(x - 5, top + 2)
        path.lineTo(x + 5, top + 2)
        path.lineTo(x, top + 10)
        path.closeSubpath()
        painter.fillPath(path, QBrush(col))
        painter.setPen(col)
        painter.drawText(QPointF(x + LABEL_DX, top + 10), m.name)
