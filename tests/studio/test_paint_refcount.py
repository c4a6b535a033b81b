"""Regression test for the playback crash of issue 19.

PySide6 6.12.0 on CPython 3.11 (where ``None`` is not immortal) dropped one
reference to ``None`` on QPainter calls made inside a Python ``paint`` /
``drawForeground`` override. A timeline repainting during playback drove the
count to zero within seconds and the process aborted with ``Fatal Python
error: none_dealloc``. The Qt binding is pinned (constraints.txt,
pyproject.toml) to a release without the leak; these tests fail on 6.12.0.
"""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene, QGraphicsView, QStyleOptionGraphicsItem, QWidget


class _Item(QGraphicsItem):
    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, 40, 20)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(QPen(QColor("#ff0000"), 1))
        painter.setBrush(QBrush(QColor("#00ff00")))
        painter.drawRoundedRect(self.boundingRect(), 3, 3)
        painter.setFont(QFont(painter.font()))
        painter.drawText(self.boundingRect(), Qt.AlignmentFlag.AlignLeft, "clip")
        painter.drawLine(0, 0, 10, 10)


class _View(QGraphicsView):
    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        painter.setPen(QPen(QColor("#ffffff"), 2))
        painter.drawLine(10, 0, 10, 100)


def _render(scene: QGraphicsScene, view: _View, times: int) -> None:
    img = QImage(400, 200, QImage.Format.Format_ARGB32)
    for _ in range(times):
        img.fill(0)
        p = QPainter(img)
        scene.render(p)
        p.end()
        view.viewport().repaint()


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from CPython 3.12 on")
def test_painting_does_not_leak_references_to_none(qapp: object) -> None:
    scene = QGraphicsScene(0, 0, 400, 200)
    for i in range(20):
        it = _Item()
        it.setPos(10 + (i % 8) * 45, 10 + (i // 8) * 25)
        scene.addItem(it)
    view = _View(scene)
    view.resize(420, 220)
    view.show()
    _render(scene, view, 5)  # warm caches (fonts, glyphs, pixmaps)
    before = sys.getrefcount(None)
    _render(scene, view, 200)  # 200 repaints x 20 items x 7 painter calls
    after = sys.getrefcount(None)
    # 6.12.0 loses ~13 references per repaint here (thousands over this loop).
    # Allow a little noise from unrelated allocations, never a trend.
    assert after >= before - 50, f"references to None fell from {before} to {after}: the Qt binding leaks"
    view.close()


def test_qt_binding_is_the_pinned_one() -> None:
    """Keep the pin honest: the environment runs the version the constraints name."""
    from pathlib import Path

    import PySide6

    constraints = (Path(__file__).resolve().parents[2] / "constraints.txt").read_text()
    pinned = [ln.split("==")[1].strip() for ln in constraints.splitlines() if ln.startswith("PySide6_Essentials==")]
    assert pinned, "constraints.txt must pin PySide6_Essentials"
    assert PySide6.__version__ == pinned[0]
    assert not PySide6.__version__.startswith("6.12.0"), "6.12.0 leaks references to None (issue 19)"
