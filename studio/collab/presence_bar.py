"""Who is in the live session: the link state and a coloured avatar
(initials) per collaborator, with their role and what they have selected on
hover. Notices (joined, left, refused) go to the editor's message line."""

from __future__ import annotations

from PySide6.QtCore import QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from sync.collab import Peer

STATES = {"live": "Live", "connecting": "Connecting…", "offline": "Offline: edits are kept and shared later",
          "refused": "Not allowed to join", "closed": "Not live"}


def initials(name: str) -> str:
    parts = [p for p in name.replace(".", " ").split() if p]
    return ("".join(p[0] for p in parts[:2]) or "?").upper()


class PresenceBar(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("PresenceBar")
        self.lay = QHBoxLayout(self)
        self.lay.setContentsMargins(0, 0, 0, 0)
        self.lay.setSpacing(6)
        self.state = QLabel("Not live")
        self.avatars: dict[str, QLabel] = {}
        self.opened_url = ""
        self.lay.addWidget(self.state)
        self.lay.addStretch(1)
        self.talk = QPushButton("Talk")
        self.talk.setEnabled(False)
        self.talk.setToolTip("Checking whether voice rooms are available…")
        self.lay.addWidget(self.talk)

    def set_state(self, state: str) -> None:
        self.state.setText(STATES.get(state, state))

    def set_talk(self, enabled: bool, tooltip: str) -> None:
        self.talk.setEnabled(enabled)
        self.talk.setToolTip(tooltip)

    @Slot(str)
    def talk_reason(self, reason: str) -> None:
        """'' = voice works; else why Talk is off."""
        self.set_talk(not reason, reason or "Talk with the others (opens the voice room in your browser)")

    @Slot(str)
    def open_room(self, url: str) -> None:
        self.opened_url = url
        QDesktopServices.openUrl(QUrl(url))

    def set_peers(self, peers: dict[str, Peer], roles: dict[str, str]) -> None:
        for uid in list(self.avatars):
            if uid not in peers:
                self.avatars.pop(uid).deleteLater()
        for i, (uid, peer) in enumerate(sorted(peers.items(), key=lambda kv: kv[1].name)):
            label = self.avatars.get(uid)
            if label is None:
                label = QLabel(self)
                label.setFixedSize(28, 28)
                self.avatars[uid] = label
            self.lay.insertWidget(1 + i, label)
            label.setText(initials(peer.name))
            label.setStyleSheet(f"background: {peer.colour}; color: white; border-radius: 14px; "
                                "font-weight: 700; qproperty-alignment: AlignCenter;")
            doing = f" is editing clip {', '.join(peer.selection)}" if peer.selection else ""
            label.setToolTip(f"{peer.name} ({roles.get(uid, '')}){doing}")
