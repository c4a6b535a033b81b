"""Starts a live session when the editor opens a cloud project that is shared
(the owner plus at least one active collaborator) and ends it when another
project opens. Asking the server who is on the project and building the
session happen on a worker thread; attaching to the editor on the GUI
thread. Installed by ``studio.cloud_ui.install_cloud``."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QAction

from studio.collab.bridge import LiveBridge
from studio.collab.editor_live import LiveAttachment, attach_live
from sync.errors import SyncError
from sync.live import LiveSession
from sync.realtime_link import realtime_url
from sync.voice import VoiceClient

if TYPE_CHECKING:
    from studio.cloud import CloudController
    from studio.views.editor_page import EditorPage

log = logging.getLogger(__name__)


class LiveController(QObject):
    _ready = Signal(object, str)  # a started LiveSession (or None), the cloud project id

    def __init__(self, editor: EditorPage, cloud: CloudController, edit_actions: Sequence[QAction] = ()) -> None:
        super().__init__(editor)
        self.editor = editor
        self.cloud = cloud
        self.edit_actions = tuple(edit_actions)  # the window's Edit-menu edits (read-only for viewers)
        self.project_id: str | None = None
        self.attachment: LiveAttachment | None = None
        self._ready.connect(self._attach)
        editor.doc.changed.connect(self._doc_changed)

    @Slot(object)
    def _doc_changed(self, command: object) -> None:
        if command is not None:
            return
        doc = self.editor.doc
        ps = self.cloud.projects
        pid = ps.project_for(doc.project.id) if ps is not None and self.cloud.signed_in else None
        if pid is not None and pid == self.project_id and self.attachment is not None:
            self.attachment.bridge.live.project = doc.project  # the same cloud project reloaded (a merge)
            return
        self.stop()
        if pid is None or ps is None:
            return
        self.project_id = pid
        cloud = self.cloud.session.require()
        project = doc.project

        def start() -> None:
            try:
                session = LiveSession(cloud, ps, pid, project, realtime_url(cloud.config.url))
                if len(session.live.roles) < 2:
                    session = None  # not shared: nothing to be live with
            except (SyncError, ValueError) as e:
                log.info("live: not starting for %s: %s", pid, e)
                session = None
            self._ready.emit(session, pid)

        threading.Thread(target=start, name="live-start", daemon=True).start()

    @Slot(object, str)
    def _attach(self, session: Any, pid: str) -> None:
        if session is None or pid != self.project_id or self.attachment is not None:
            return
        session.live.project = self.editor.doc.project
        voice_url = os.environ.get("MASHUPS_VOICE_URL")
        voice = VoiceClient(voice_url, self.cloud.session.require().auth.access_token) if voice_url else None
        bridge = LiveBridge(session, self)
        self.attachment = attach_live(self.editor, bridge, voice, self.edit_actions)
        bridge.start()

    def stop(self) -> None:
        if self.attachment is not None:
            self.attachment.detach()
            self.attachment = None
        self.project_id = None
