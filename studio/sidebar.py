"""The main window's sidebar: the app's name, one button per page (CREATE,
SYSTEM) and the community entries, greyed until the cloud makes them pages."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QButtonGroup, QFrame, QHBoxLayout, QLabel, QToolButton, QVBoxLayout

from studio.theme import Theme

PAGES = ("Library", "Editor", "Captions", "Jobs", "Models", "Settings")
# Community pages (need an account: enabled by studio.views.community_common.install_community and
# studio.views.billing_page.install_billing when the cloud is configured).
LATER = ("Battles", "Challenges", "Profile", "Analytics", "Trending", "Billing")
ICONS = {"Library": "library", "Editor": "editor", "Captions": "captions", "Jobs": "jobs",
         "Models": "models", "Settings": "settings", "Battles": "battles", "Challenges": "challenges",
         "Profile": "profile", "Analytics": "analytics", "Trending": "trending", "Billing": "billing"}


class Sidebar(QFrame):
    """``nav_buttons`` by page name, all in the exclusive ``nav`` group; a click
    calls ``go(name)``. The cloud's installers add their pages' buttons to both
    (and to this frame's layout)."""

    def __init__(self, theme: Theme, go: Callable[[str], None]) -> None:
        super().__init__()
        self.setObjectName("Sidebar")
        self.setFixedWidth(224)
        self._theme = theme  # the icons' colours at start (a theme switch re-tints them)
        self._lay = lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 14, 10, 12)
        lay.setSpacing(2)
        head = QHBoxLayout()
        logo = QToolButton()
        logo.setIcon(theme.icon("logo", "accent"))
        logo.setIconSize(QSize(26, 26))
        logo.setEnabled(True)
        title = QLabel("Mashups Studio")
        title.setObjectName("AppTitle")
        head.addWidget(logo)
        head.addWidget(title, 1)
        lay.addLayout(head)
        lay.addSpacing(10)
        self.nav = QButtonGroup(self)
        self.nav.setExclusive(True)
        self.nav_buttons: dict[str, QToolButton] = {}

        self._section("CREATE")
        for name in PAGES:
            if name == "Models":
                self._section("SYSTEM")
            b = self._button(name, True)
            self.nav.addButton(b)
            self.nav_buttons[name] = b
            b.clicked.connect(lambda _c=False, n=name: go(n))
        self._section("COMMUNITY")
        for name in LATER:
            b = self._button(name, False)
            b.setToolTip(f"{name} needs the cloud: set a server address in Settings → Account.")
        lay.addStretch(1)

    def _section(self, text: str) -> None:
        label = QLabel(text)
        label.setObjectName("SidebarSection")
        self._lay.addWidget(label)

    def _button(self, name: str, enabled: bool) -> QToolButton:
        b = QToolButton()
        b.setText(f"  {name}")
        b.setIcon(self._theme.icon(ICONS[name], "text" if enabled else "muted"))
        b.setIconSize(QSize(18, 18))
        b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        b.setCheckable(enabled)
        b.setEnabled(enabled)
        b.setSizePolicy(b.sizePolicy().horizontalPolicy().Expanding, b.sizePolicy().verticalPolicy())
        b.setMinimumHeight(32)  # all of the sidebar fits a 700 px high window
        b.setObjectName(f"nav_{name}")
        self._lay.addWidget(b)
        return b
