"""Themes (QSS built from a palette) and tinted SVG icons."""

from __future__ import annotations

import json
import re
from functools import lru_cache

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtGui import QAction, QColor, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QAbstractButton, QApplication, QWidget

from studio.resources import resources_dir

THEMES = ("dark", "light")
#: Where each themed icon came from (QIcon.cacheKey -> name, colour key, size), so
#: that a theme switch can re-draw the icons already on screen (see Theme.retint).
_ORIGIN: dict[int, tuple[str, str, int]] = {}


class Theme:
    """A palette (name -> colour) and the style sheet made from it."""

    def __init__(self, name: str) -> None:
        if name not in THEMES:
            name = "dark"
        self.name = name
        folder = resources_dir() / "themes"
        self.colors: dict[str, str] = json.loads((folder / f"{name}.json").read_text())
        template = (folder / "base.qss").read_text()
        keys = sorted(self.colors, key=len, reverse=True)
        pattern = re.compile("@(" + "|".join(re.escape(k) for k in keys) + r")\b")
        self.qss = pattern.sub(lambda m: self.colors[m.group(1)], template)
        self.qss = self.qss.replace("@icondir", (resources_dir() / "icons").as_posix())

    def color(self, key: str) -> QColor:
        return QColor(self.colors[key])

    def icon(self, name: str, color_key: str = "text", size: int = 24) -> QIcon:
        icon = _icon(name, self.colors[color_key], self.colors["muted"], size)
        _ORIGIN[icon.cacheKey()] = (name, color_key, size)
        return icon

    def retint(self, root: QWidget) -> int:
        """Re-draw every themed icon under ``root`` (buttons and actions, the
        window's own too) in this theme's colours; returns how many changed.
        Icons are recognised by where :meth:`icon` made them, so a widget
        needs nothing special to follow a theme switch."""
        changed = 0
        holders: list[QAbstractButton | QAction] = [*root.findChildren(QAbstractButton), *root.findChildren(QAction)]
        if isinstance(root, QAbstractButton):
            holders.append(root)
        holders.extend(a for a in root.actions() if a not in holders)
        for h in holders:
            origin = _ORIGIN.get(h.icon().cacheKey())
            if origin is None:
                continue
            name, key, size = origin
            new = self.icon(name, key, size)
            if new.cacheKey() != h.icon().cacheKey():
                h.setIcon(new)
                changed += 1
        return changed

    def apply(self, app: QApplication) -> None:
        pal = QPalette()
        c = self.color
        pal.setColor(QPalette.ColorRole.Window, c("window"))
        pal.setColor(QPalette.ColorRole.WindowText, c("text"))
        pal.setColor(QPalette.ColorRole.Base, c("panel"))
        pal.setColor(QPalette.ColorRole.AlternateBase, c("lane_alt"))
        pal.setColor(QPalette.ColorRole.Text, c("text"))
        pal.setColor(QPalette.ColorRole.Button, c("panel2"))
        pal.setColor(QPalette.ColorRole.ButtonText, c("text"))
        pal.setColor(QPalette.ColorRole.Highlight, c("accent"))
        pal.setColor(QPalette.ColorRole.HighlightedText, c("accent_text"))
        pal.setColor(QPalette.ColorRole.PlaceholderText, c("muted"))
        # setColor(role, …) sets every colour group, so without this a disabled menu item, label or
        # check box read exactly like an enabled one (seen on Xvfb: "Move up" on the first track)
        for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
            pal.setColor(QPalette.ColorGroup.Disabled, role, c("muted"))
        app.setPalette(pal)
        app.setStyleSheet(self.qss)


@lru_cache(maxsize=256)
def _svg(name: str) -> str:
    return (resources_dir() / "icons" / f"{name}.svg").read_text()


@lru_cache(maxsize=512)
def _icon(name: str, color: str, disabled: str, size: int) -> QIcon:
    """One 2x pixmap per icon (Qt scales it down and derives the disabled look)."""
    data = _svg(name).replace("currentColor", color)
    renderer = QSvgRenderer(QByteArray(data.encode()))
    pm = QPixmap(QSize(size * 2, size * 2))
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    renderer.render(p)
    p.end()
    pm.setDevicePixelRatio(2)
    return QIcon(pm)
