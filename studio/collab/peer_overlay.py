"""Collaborators on the timeline: each one's playhead as a line and their
selected clips outlined, in their colour, with "X is editing clip Y" on
hover. Drawn as items of the timeline's scene (redrawn after the timeline
rebuilds its scene and whenever presence changes)."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsLineItem, QGraphicsRectItem

from studio.views.timeline import TimelineView
from sync.collab import Peer


class PeerOverlay(QObject):
    Z = 50.0

    def __init__(self, timeline: TimelineView) -> None:
        super().__init__(timeline)
        self.timeline = timeline
        self.items: list[QGraphicsItem] = []
        self.peers: dict[str, Peer] = {}

    def set_peers(self, peers: dict[str, Peer]) -> None:
        self.peers = dict(peers)
        self.redraw()

    def redraw(self) -> None:
        scene = self.timeline.scene()
        for it in self.items:
            try:
                if it.scene() is scene:
                    scene.removeItem(it)
            except RuntimeError:  # the timeline cleared its scene: the item is gone already
                pass
        self.items = []
        tl = self.timeline
        height = max(tl.sceneRect().height(), 1.0)
        for peer in self.peers.values():
            colour = QColor(peer.colour)
            x = tl.project.beats_to_seconds(peer.playhead) * tl.pps
            line = QGraphicsLineItem(x, 0, x, height)
            line.setPen(QPen(colour, 2))
            line.setZValue(self.Z)
            line.setToolTip(f"{peer.name}'s playhead")
            self._add(line)
            for cid in peer.selection:
                clip = tl.items_by_id.get(cid)
                if clip is None:
                    continue
                box = QGraphicsRectItem(clip.sceneBoundingRect().adjusted(-2, -2, 2, 2))
                box.setPen(QPen(colour, 2))
                box.setZValue(self.Z)
                box.setToolTip(f"{peer.name} is editing clip {cid}")
                self._add(box)

    def _add(self, item: QGraphicsItem) -> None:
        self.timeline.scene().addItem(item)
        self.items.append(item)
