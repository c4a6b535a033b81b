"""A clip on the timeline and the crossfade drawn where two clips overlap.

A clip draws its waveform from precomputed min/max peaks (the level chosen
for the zoom, so drawing costs about two numbers per pixel at any zoom), its
fades as curves over the waveform, and handles at its top corners. Drag the
body to move (across lanes too), an edge to trim, a top corner handle to set
the fade. Each drag ends in one engine command (through the view).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsObject,
    QGraphicsSceneMouseEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from audio_engine.app.fades import FADE_SHAPE
from audio_engine.transform import fade_curve
from studio.views.clip_colors import clip_fill, display_color

if TYPE_CHECKING:
    from audio_engine.app.fades import Crossfade
    from studio.peaks import Peaks
    from studio.views.timeline import TimelineView

RULER_H = 30
LANE_H = 92
CAPTION_H = 44
EDGE = 7
#: Fade handles: a square this big at each top corner (or where the fade ends),
#: grabbed within HANDLE_HIT px of its centre in the top HANDLE_ZONE px.
HANDLE = 8
HANDLE_HIT = 7
HANDLE_ZONE = 14
#: Points drawn per fade curve.
CURVE_STEPS = 24

CLIP_TIP = ("Drag to move (onto another clip of a track: crossfade) · drag an edge to trim · "
            "drag a top corner to fade · Alt: no snapping")


def fade_path(x0: float, x1: float, top: float, bottom: float, *, rising: bool) -> QPainterPath:
    """The fade curve from x0 to x1, in the renderer's own shape
    (:func:`audio_engine.transform.fade_curve`, from 0 to 1 at the ends)."""
    gains = [0.0, *(float(g) for g in fade_curve(CURVE_STEPS - 1, shape=FADE_SHAPE)), 1.0]
    if not rising:
        gains.reverse()
    path = QPainterPath()
    for i, g in enumerate(gains):
        t = i / CURVE_STEPS
        pt = QPointF(x0 + (x1 - x0) * t, bottom - (bottom - top) * g)
        if i == 0:
            path.moveTo(pt)
        else:
            path.lineTo(pt)
    return path


class ClipItem(QGraphicsObject):
    def __init__(self, timeline: TimelineView, clip: Any, track_index: int) -> None:
        super().__init__()
        self.tl = timeline
        self.clip = clip
        self.track_index = track_index
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, True)
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        self.setToolTip(CLIP_TIP)
        self._mode = ""  # "move" | "trim-left" | "trim-right" | "fade-in" | "fade-out"
        self._press = QPointF()
        self._orig = (0.0, 0.0, 0.0)  # x, width, y
        self.preview_x = 0.0
        self.preview_w = 0.0
        self.fade_px = [0.0, 0.0]  # fade in, fade out (pixels), previewed while dragging a handle
        self.sync()

    # geometry in scene coordinates comes from the clip + the view's zoom
    def sync(self) -> None:
        p = self.tl.project
        self.prepareGeometryChange()
        self.preview_x = p.clip_start_seconds(self.clip) * self.tl.pps
        self.preview_w = max(4.0, self.clip.length_seconds(p.tempo) * self.tl.pps)
        self.fade_px = [self.clip.fade_in * self.tl.pps, self.clip.fade_out * self.tl.pps]
        self.setPos(self.preview_x, RULER_H + self.track_index * LANE_H + 4)
        self.sync_mix()
        self.update()

    def sync_mix(self) -> None:
        """Dim the clip while its track is not heard (muted, or another track soloed)."""
        self.setOpacity(0.32 if self.tl.track_silent(self.track_index) else 1.0)

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, self.preview_w, LANE_H - 8)

    def handle_x(self, which: int) -> float:
        """Centre x of the fade-in (0) or fade-out (1) handle, in item pixels."""
        w = self.preview_w
        x = self.fade_px[0] if which == 0 else w - self.fade_px[1]
        return min(max(x, HANDLE / 2 + 1), w - HANDLE / 2 - 1)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        theme = self.tl.theme_colors
        r = self.boundingRect()
        sel = self.isSelected()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        fill = clip_fill(theme["clip"], display_color(self.tl.project, self.clip))
        offline = self.clip.id in getattr(self.tl, "offline_ids", ())  # its media is missing (editor: Locate…)
        fill.setAlpha(110 if offline else 235)
        painter.setBrush(fill)
        painter.setPen(QPen(QColor(theme["accent2"] if sel else theme["clip_border"]), 2 if sel else 1,
                            Qt.PenStyle.DashLine if offline else Qt.PenStyle.SolidLine))
        painter.drawRoundedRect(r.adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)
        if offline:
            painter.setBrush(QBrush(QColor(theme["muted"]), Qt.BrushStyle.BDiagPattern))
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
        if self.clip.reversed:
            label += " · reversed"
        if offline:
            label = f"Offline · {label} (media missing)"
        painter.drawText(r.adjusted(HANDLE + 6, 3, -HANDLE - 6, 0), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, label)
        if not offline:  # no sound to draw (a waveform cached from before would mislead)
            self._paint_wave(painter, option, r)
        self._paint_fades(painter, r)

    def _paint_wave(self, painter: QPainter, option: QStyleOptionGraphicsItem, r: QRectF) -> None:
        theme = self.tl.theme_colors
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
        mins, maxs = self.wave_columns(peaks, x0, x1)
        g = self.fade_gains(x0, x1, r.width())
        if g is not None:  # the waveform as the fades shape it
            mins, maxs = mins * g, maxs * g
        top, h = 18.0, r.height() - 22.0
        mid = top + h / 2
        half = h / 2 * 0.95
        lines = [QLineF(x0 + i + 0.5, mid - float(maxs[i]) * half, x0 + i + 0.5, mid - float(mins[i]) * half)
                 for i in range(x1 - x0)]
        painter.setPen(QPen(QColor(theme["wave"]), 1))
        painter.drawLines(lines)

    def wave_columns(self, peaks: Peaks, x0: int, x1: int) -> tuple[np.ndarray, np.ndarray]:
        """(mins, maxs) of pixels x0..x1 of the clip in timeline order: drawn as
        heard, so a reversed clip shows its source from the end back to the start."""
        spp = self.clip.ratio(self.tl.project.tempo) / self.tl.pps  # source seconds per pixel
        if self.clip.reversed:
            mins, maxs = peaks.slice(self.clip.source_out - x1 * spp, self.clip.source_out - x0 * spp, x1 - x0)
            return mins[::-1], maxs[::-1]
        return peaks.slice(self.clip.source_in + x0 * spp, self.clip.source_in + x1 * spp, x1 - x0)

    def fade_gains(self, x0: int, x1: int, width: float) -> np.ndarray | None:
        """The fades' gain at each pixel x0..x1 (None without fades there)."""
        fi, fo = self.fade_px
        if not ((fi > 0 and x0 < fi) or (fo > 0 and x1 > width - fo)):
            return None
        xs = np.arange(x0, x1, dtype=np.float64) + 0.5
        curve = np.concatenate([[0.0], fade_curve(CURVE_STEPS - 1, shape=FADE_SHAPE), [1.0]])
        steps = np.linspace(0.0, 1.0, curve.size)
        g = np.ones_like(xs)
        if fi > 0:
            g *= np.interp(xs / fi, steps, curve)
        if fo > 0:
            g *= np.interp((width - xs) / fo, steps, curve)
        return g.astype(np.float32)

    def _paint_fades(self, painter: QPainter, r: QRectF) -> None:
        """The faded part shaded above each fade curve, and the two handles."""
        theme = self.tl.theme_colors
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        top, bottom = r.top() + 2, r.bottom() - 2
        shade = QColor(theme["timeline_bg"])
        shade.setAlpha(150)
        line = QPen(QColor(theme["text"]), 1.3)
        for which, (x0, x1) in enumerate(((0.0, self.fade_px[0]), (r.width() - self.fade_px[1], r.width()))):
            if x1 - x0 < 1.0:
                continue
            curve = fade_path(x0, x1, top, bottom, rising=which == 0)
            area = QPainterPath(curve)
            area.lineTo(QPointF(x1, top))  # the shaded part lies above the curve
            area.lineTo(QPointF(x0, top))
            area.closeSubpath()
            painter.fillPath(area, shade)
            painter.setPen(line)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(curve)
        hover = self.tl.theme_colors["accent2"]
        for which in (0, 1):
            cx = self.handle_x(which)
            active = self._mode == ("fade-in", "fade-out")[which]
            painter.setPen(QPen(QColor(theme["text"]), 1))
            painter.setBrush(QColor(hover if active or self.fade_px[which] > 0 else theme["clip_border"]))
            painter.drawRect(QRectF(cx - HANDLE / 2, 1.5, HANDLE, HANDLE))

    # -- interaction ---------------------------------------------------------
    def _edge(self, x: float, y: float = HANDLE_ZONE + 1) -> str:
        if y <= HANDLE_ZONE:
            if abs(x - self.handle_x(0)) <= HANDLE_HIT:
                return "fade-in"
            if abs(x - self.handle_x(1)) <= HANDLE_HIT:
                return "fade-out"
        if x <= EDGE:
            return "trim-left"
        if x >= self.preview_w - EDGE:
            return "trim-right"
        return "move"

    def hoverMoveEvent(self, event: Any) -> None:
        if self.tl.read_only_reason:  # a viewer: nothing to grab, the tip says why
            self.setCursor(Qt.CursorShape.ArrowCursor)
            self.setToolTip(self.tl.read_only_reason)
            return
        mode = self._edge(event.pos().x(), event.pos().y())
        self.setCursor(Qt.CursorShape.OpenHandCursor if mode == "move" else Qt.CursorShape.SizeHorCursor)
        tips = {"fade-in": "Drag to fade in", "fade-out": "Drag to fade out", "trim-left": "Drag to trim the start",
                "trim-right": "Drag to trim the end"}
        self.setToolTip(tips.get(mode, CLIP_TIP))

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        # A viewer may select a clip (to look at it in the inspector) but not drag it.
        self._mode = "" if self.tl.read_only_reason else self._edge(event.pos().x(), event.pos().y())
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
        if self._mode == "fade-in":
            self.fade_px[0] = min(max(0.0, event.pos().x()), w - self.fade_px[1])
        elif self._mode == "fade-out":
            self.fade_px[1] = min(max(0.0, w - event.pos().x()), w - self.fade_px[0])
        elif self._mode == "move":
            nx = max(0.0, self.tl.snap_x(x + dx, event.modifiers()))
            lane = self.tl.lane_at(event.scenePos().y())
            ny = RULER_H + (lane if lane is not None else self.track_index) * LANE_H + 4
            self.setPos(nx, ny)
        elif self._mode == "trim-right":
            right = self.tl.snap_x(x + w + dx, event.modifiers())
            self.preview_w = max(8.0, right - x)
        else:
            left = min(self.tl.snap_x(x + dx, event.modifiers()), x + w - 8.0)
            left = max(left, x - self._source_before_start() / self.clip.ratio(self.tl.project.tempo) * self.tl.pps)
            self.preview_w = x + w - left
            self.setPos(max(0.0, left), y)
        self.update()

    def _source_before_start(self) -> float:
        """Source seconds the left edge can still reveal (a reversed clip: up to the media's end)."""
        if not self.clip.reversed:
            return self.clip.source_in
        ref = self.tl.project.media.get(self.clip.media)
        return max(0.0, ref.duration - self.clip.source_out) if ref is not None and ref.duration > 0 else 1e9

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        mode, self._mode = self._mode, ""
        if not mode:
            return
        if mode.startswith("fade"):
            which = 0 if mode == "fade-in" else 1
            seconds = self.fade_px[which] / self.tl.pps
            if abs(seconds - (self.clip.fade_in, self.clip.fade_out)[which]) * self.tl.pps > 0.5:
                self.tl.request_fade(self.clip.id, which, seconds)
            else:
                self.sync()
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
            a, b = self.clip.trimmed_range("end" if mode == "trim-right" else "start", new_len_src)
            beats = None if mode == "trim-right" else max(0.0, p.seconds_to_beats(self.pos().x() / self.tl.pps))
            self.tl.request_trim(self.clip.id, a, b, beats)


class CrossfadeItem(QGraphicsItem):
    """Where two clips of a track overlap: the region outlined and the two
    fade curves crossing (the earlier clip fading out, the later fading in).
    It takes no clicks: they reach the clips under it."""

    def __init__(self, timeline: TimelineView, xf: Crossfade, track_index: int) -> None:
        super().__init__()
        self.tl = timeline
        self.xf = xf
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setZValue(10)
        self.setPos(xf.start * timeline.pps, RULER_H + track_index * LANE_H + 4)
        self.w = max(2.0, xf.length * timeline.pps)
        complete = xf.complete(timeline.project)
        self.setToolTip(f"Crossfade {xf.length:.2f} s" + ("" if complete else
                        " (the fades do not cover the overlap: move a clip to set them)"))

    def boundingRect(self) -> QRectF:
        return QRectF(-1, 0, self.w + 2, LANE_H - 8)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        theme = self.tl.theme_colors
        r = QRectF(0, 0, self.w, LANE_H - 8)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        fill = QColor(theme["accent2"])
        fill.setAlpha(45)
        painter.fillRect(r, fill)
        top, bottom = r.top() + 2, r.bottom() - 2
        p = self.tl.project
        a, b = p.clip(self.xf.left), p.clip(self.xf.right)
        pen = QPen(QColor(theme["accent2"]), 1.6)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        out_px = min(a.fade_out * self.tl.pps, self.w)
        in_px = min(b.fade_in * self.tl.pps, self.w)
        if out_px > 1:
            painter.drawPath(fade_path(self.w - out_px, self.w, top, bottom, rising=False))
        if in_px > 1:
            painter.drawPath(fade_path(0.0, in_px, top, bottom, rising=True))
        edge = QPen(QColor(theme["accent2"]), 1, Qt.PenStyle.DashLine)
        painter.setPen(edge)
        painter.drawLine(QLineF(0, 0, 0, r.height()))
        painter.drawLine(QLineF(self.w, 0, self.w, r.height()))
