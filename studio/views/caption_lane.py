"""Editing captions on the timeline's caption lane: drag a line's left or right
edge to retime it (its words move with it), double-click a line to edit its
text in place (Enter keeps, Esc cancels). Each edit is one
:class:`~audio_engine.project.commands.EditCaptionLine` on the editor's undo
stack, so it syncs as that one line.

The lane is drawn by the timeline (``TimelineScene.drawForeground``); this
module only reads the mouse over it, through an event filter on the
timeline's viewport, and maps timeline seconds to the seconds of the lane's
document (the source of the clip it follows) and back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QHelpEvent, QPen
from PySide6.QtWidgets import QGraphicsRectItem, QLineEdit, QToolTip

from audio_engine.project import EditCaptionLine, Project
from studio.views.timeline_clip import CAPTION_H, LANE_H, RULER_H

if TYPE_CHECKING:
    from studio.views.editor_page import EditorPage

EDGE_PX = 6.0
MIN_LINE_S = 0.05  # a dragged edge stops this short of the line's other edge
TIP = "Caption line: drag an edge to retime it, double-click to edit its text"


@dataclass(frozen=True)
class LineBox:
    """One caption line where the timeline shows it."""

    lane_id: str
    line_id: str
    text: str
    start: float  # timeline seconds
    end: float
    offset: float  # timeline seconds = offset + source seconds / ratio
    ratio: float

    def to_source(self, t: float) -> float:
        return (t - self.offset) * self.ratio


def line_boxes(project: Project) -> list[LineBox]:
    """Every caption line on the timeline, in timeline seconds (a lane that
    follows a clip shows the lines inside the clip's source range, moved and
    stretched with it; a lane whose clip is gone shows nothing)."""
    out: list[LineBox] = []
    for lane in project.caption_lanes:
        lo, hi, offset, ratio = 0.0, float("inf"), 0.0, 1.0
        if lane.clip_id is not None:
            try:
                clip = project.clip(lane.clip_id)
            except KeyError:
                continue
            if clip.reversed:  # its words are not sung forwards on the timeline (Project.timeline_captions)
                continue
            ratio = clip.ratio(project.tempo)
            offset = project.clip_start_seconds(clip) - clip.source_in / ratio
            lo, hi = clip.source_in, clip.source_out
        for s in lane.lines():
            try:
                a, b = max(float(s["start"]), lo), min(float(s["end"]), hi)
            except (KeyError, TypeError, ValueError):
                continue
            if b > a:
                out.append(LineBox(lane.id, str(s.get("id")), str(s.get("text", "")), offset + a / ratio,
                                   offset + b / ratio, offset, ratio))
    return out


class CaptionLaneEditor(QObject):
    def __init__(self, page: EditorPage) -> None:
        super().__init__(page)
        self.page = page
        self.tl = page.timeline
        self.drag: tuple[LineBox, str] | None = None  # the line and which edge ("start" / "end")
        self.preview: QGraphicsRectItem | None = None
        self.editor: QLineEdit | None = None
        self._cursor = False
        self.tl.viewport().installEventFilter(self)

    # -- geometry ---------------------------------------------------------------
    def lane_top(self) -> float:
        return RULER_H + len(self.page.doc.project.tracks) * LANE_H

    def hit(self, scene: QPointF) -> tuple[LineBox, str | None] | None:
        """The line under a scene point and the edge it is on (None: inside)."""
        top = self.lane_top()
        if not top + 6 <= scene.y() <= top + CAPTION_H - 6:
            return None
        pps = self.tl.pps
        best: tuple[LineBox, str | None] | None = None
        for box in line_boxes(self.page.doc.project):
            x0, x1 = box.start * pps, box.end * pps
            if abs(scene.x() - x0) <= EDGE_PX:
                return box, "start"
            if abs(scene.x() - x1) <= EDGE_PX:
                return box, "end"
            if x0 <= scene.x() <= x1:
                best = (box, None)
        return best

    def clamp(self, box: LineBox, edge: str, seconds: float) -> float:
        """Where a dragged edge may go: not past the line's other edge, nor into
        the lines before and after it in its lane."""
        lane = sorted((b for b in line_boxes(self.page.doc.project) if b.lane_id == box.lane_id),
                      key=lambda b: (b.start, b.line_id))
        i = next((k for k, b in enumerate(lane) if b.line_id == box.line_id), 0)
        if edge == "start":
            lo = lane[i - 1].end if i > 0 else 0.0
            return min(max(seconds, lo, 0.0), box.end - MIN_LINE_S)
        hi = lane[i + 1].start if i + 1 < len(lane) else float("inf")
        return max(min(seconds, hi), box.start + MIN_LINE_S)

    def box_rect(self, box: LineBox) -> QRectF:
        top = self.lane_top()
        return QRectF(box.start * self.tl.pps, top + 6, max(6.0, (box.end - box.start) * self.tl.pps - 2), CAPTION_H - 12)

    # -- events -----------------------------------------------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        kind = event.type()
        if kind == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):  # over a line: its tip, else the timeline's
            if self.hit(self.tl.mapToScene(event.pos())) is None:
                return False
            QToolTip.showText(event.globalPos(), TIP, self.tl.viewport())
            return True
        if kind not in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove, QEvent.Type.MouseButtonRelease,
                        QEvent.Type.MouseButtonDblClick):
            return False
        ev: Any = event
        scene = self.tl.mapToScene(ev.position().toPoint())
        if kind == QEvent.Type.MouseButtonDblClick and ev.button() == Qt.MouseButton.LeftButton:
            hit = self.hit(scene)
            if hit is None:
                return False
            self.edit_text(hit[0])
            return True
        if kind == QEvent.Type.MouseButtonPress and ev.button() == Qt.MouseButton.LeftButton:
            hit = self.hit(scene)
            if hit is None or hit[1] is None:
                return False
            self.drag = (hit[0], hit[1])
            self._show_preview(hit[0], hit[1], scene.x())
            return True
        if kind == QEvent.Type.MouseMove:
            if self.drag is not None:
                self._show_preview(*self.drag, scene.x())
                return True
            self._hover(scene)
            return False
        if kind == QEvent.Type.MouseButtonRelease and self.drag is not None:
            box, edge = self.drag
            self.drag = None
            self._drop_preview()
            self.retime(box, edge, self.clamp(box, edge, scene.x() / self.tl.pps))
            return True
        return False

    def _hover(self, scene: QPointF) -> None:
        hit = self.hit(scene)
        vp = self.tl.viewport()
        if hit is not None and hit[1] is not None:
            vp.setCursor(Qt.CursorShape.SizeHorCursor)
            self._cursor = True
        elif self._cursor:
            vp.unsetCursor()
            self._cursor = False

    def _show_preview(self, box: LineBox, edge: str, x: float) -> None:
        x = self.clamp(box, edge, x / self.tl.pps) * self.tl.pps
        r = self.box_rect(box)
        if edge == "start":
            r.setLeft(min(x, r.right()))
        else:
            r.setRight(max(x, r.left()))
        if self.preview is None or self.preview.scene() is None:
            self.preview = QGraphicsRectItem()
            self.preview.setPen(QPen(QColor(self.tl.theme_colors["accent2"]), 2))
            self.preview.setZValue(50)
            self.tl.scene().addItem(self.preview)
        self.preview.setRect(r)

    def _drop_preview(self) -> None:
        if self.preview is not None and self.preview.scene() is not None:
            self.preview.scene().removeItem(self.preview)
        self.preview = None

    # -- edits ------------------------------------------------------------------
    def retime(self, box: LineBox, edge: str, seconds: float) -> bool:
        """Move one edge of a line to ``seconds`` on the timeline (one undo step)."""
        t = box.to_source(seconds)
        cmd = EditCaptionLine(lane_id=box.lane_id, line_id=box.line_id, **{edge: t})
        ok = self.page.push(cmd)
        self.tl.viewport().update()
        return ok

    def edit_text(self, box: LineBox) -> QLineEdit:
        """An in-place editor over the line: Enter keeps the text, Esc cancels."""
        if self.editor is not None:
            self.editor.deleteLater()
        rect = self.tl.mapFromScene(self.box_rect(box)).boundingRect()
        ed = QLineEdit(box.text, self.tl.viewport())
        ed.setObjectName("caption_line_editor")
        ed.setGeometry(rect.x(), rect.y(), max(rect.width(), 220), rect.height())
        ed.selectAll()
        done = {"closed": False}

        def close(keep: bool) -> None:
            if done["closed"]:
                return
            done["closed"] = True
            text = ed.text()
            ed.hide()
            ed.deleteLater()
            self.editor = None
            if keep and text != box.text:
                self.page.push(EditCaptionLine(lane_id=box.lane_id, line_id=box.line_id, line_text=text))
            self.tl.viewport().update()

        ed.returnPressed.connect(lambda: close(True))
        ed.installEventFilter(_EscapeCancels(ed, lambda: close(False)))
        ed.show()
        ed.setFocus()
        self.editor = ed
        return ed


class _EscapeCancels(QObject):
    def __init__(self, parent: QObject, cancel: Any) -> None:
        super().__init__(parent)
        self.cancel = cancel

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.KeyPress and getattr(event, "key", lambda: None)() == Qt.Key.Key_Escape:
            self.cancel()
            return True
        return False


def install(page: EditorPage) -> CaptionLaneEditor:
    return CaptionLaneEditor(page)
