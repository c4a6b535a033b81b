"""The Qt side of a live session: :class:`sync.live.LiveSession` runs its
channel on its own thread; whatever arrives is queued there and this bridge
pumps it on the GUI thread (a queued signal), so the editor never blocks on
the network and the project model is only touched on the GUI thread."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal

from audio_engine.project.commands import Command
from sync.collab import LiveProject, Peer
from sync.live import LiveSession


class LiveBridge(QObject):
    _arrived = Signal()
    project_changed = Signal(bool)  # True: the project's contents were rebuilt from the merged store
    notice = Signal(str)
    peers_changed = Signal()
    state_changed = Signal(str)
    talk_ready = Signal(str)  # "" = Talk works, else the reason it is off (from any thread)
    talk_url = Signal(str)  # the voice room to open (from any thread)
    access_changed = Signal(object)  # the new read-only reason (str), or None: the user may edit again

    def __init__(self, session: LiveSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._arrived.connect(self._pump, Qt.ConnectionType.QueuedConnection)
        session.notify = self._arrived.emit  # called on the link's thread
        session.on_notice = self.notice.emit
        session.live.on_changed = self.project_changed.emit
        session.on_access = self.access_changed.emit  # called while pumping, on the GUI thread
        self._peers: dict[str, Peer] = {}
        self._state = ""

    @property
    def live(self) -> LiveProject:
        return self.session.live

    def start(self) -> None:
        self.session.start()

    def close(self) -> None:
        self.session.close()

    def share(self, command: Command) -> None:
        self.session.live.share(command)

    def track(self, playhead: float, selection: tuple[str, ...] = ()) -> None:
        self.session.track(playhead, selection)

    def _pump(self) -> None:
        self.session.pump()
        if self.session.live.peers != self._peers:
            self._peers = dict(self.session.live.peers)
            self.peers_changed.emit()
        if self.session.link_state != self._state:
            self._state = self.session.link_state
            self.state_changed.emit(self._state)
