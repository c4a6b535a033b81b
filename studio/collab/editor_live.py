"""Hook a live session into an open editor without changing how the editor
edits: the document's commands become :class:`LiveEngineCommand`, whose
redo shares the (already applied and recorded) command on the channel and
whose undo first asks the session whether it would overwrite someone's later
edit; a refused undo leaves the project as it is, says why, and puts the
undo stack back where it was. Remote edits rebuild the timeline through the
document's usual ``changed`` signal. Undo only ever sees the user's own
edits, because remote edits never enter the stack.

A viewer's editor is read-only: every editing control and action is disabled
with the reason as its tooltip (``EditorPage.set_read_only`` plus the
window's Edit-menu actions handed in), and a command that still gets through
(a shortcut, a script) is refused with the reason. When the owner changes the
role mid-session the session says so and read-only follows it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction

from audio_engine.errors import ProjectEditError
from audio_engine.project.commands import Command
from studio.collab.bridge import LiveBridge
from studio.collab.peer_overlay import PeerOverlay
from studio.collab.presence_bar import PresenceBar
from studio.views.editor_document import EngineCommand, ProjectDocument
from studio.views.editor_read_only import apply_read_only
from sync.errors import SyncError
from sync.voice import VoiceClient

if TYPE_CHECKING:
    from studio.views.editor_page import EditorPage


class LiveReadOnlyError(ProjectEditError):
    """The user watches this project; only its owner and editors change it."""


class LiveEngineCommand(EngineCommand):
    """An own edit shared on the channel. A conflicting undo is refused by
    :class:`EngineCommand` itself (the document's ``undo_guard``, which
    :func:`attach_live` points at the session): the same refusal sync's merges use."""

    def __init__(self, doc: ProjectDocument, command: Command, bridge: LiveBridge) -> None:
        super().__init__(doc, command)
        self.bridge = bridge

    def redo(self) -> None:
        putting_back = self._refused  # after a refused undo: nothing was reverted, nothing to share
        super().redo()  # applies (except the first time) and emits changed: the cloud records it
        if not putting_back:
            self.bridge.share(self.command)

    def undo(self) -> None:
        super().undo()  # reverts and emits changed (the cloud records the revert), unless refused
        if not self._refused:
            self.bridge.live.reverted(self.command)


class LiveAttachment:
    """What :func:`attach_live` changed in an editor, to undo it when the live session ends."""

    def __init__(self, editor: EditorPage, bridge: LiveBridge, bar: PresenceBar, timer: QTimer,
                 edit_actions: Sequence[QAction] = ()) -> None:
        self.editor = editor
        self.bridge = bridge
        self.bar = bar
        self.timer = timer
        self.edit_actions = tuple(edit_actions)
        self.overlay: PeerOverlay | None = None
        self.undo_guard: Callable[[Command], str | None] | None = None  # the document's guard before the session

    def set_read_only(self, reason: str | None) -> None:
        """Read-only (with the reason) or editable: the editor's controls and the window's edit actions."""
        self.editor.set_read_only(reason)
        apply_read_only(reason, (), self.edit_actions)

    def detach(self) -> None:
        if self.overlay is not None:
            self.editor.doc.changed.disconnect(self.overlay.redraw)
            self.overlay.set_peers({})
            self.overlay.deleteLater()
        self.timer.stop()
        self.timer.deleteLater()
        self.set_read_only(None)  # not live any more: the local copy is the user's to edit
        doc = self.editor.doc
        if "push" in vars(doc):
            del doc.push  # the document's own push again
        doc.undo_guard = self.undo_guard  # and the guard it had (sync's merges)
        self.bar.hide()
        self.bar.deleteLater()
        self.bridge.close()
        self.bridge.deleteLater()


def attach_live(editor: EditorPage, bridge: LiveBridge, voice: VoiceClient | None = None,
                edit_actions: Sequence[QAction] = ()) -> LiveAttachment:
    """Route the editor's edits through the live session and show who is there.
    With ``voice``, the bar's Talk button opens the session's voice room in the browser.
    ``edit_actions`` (the window's Edit-menu actions that change the project) are
    disabled with the editor's controls while the user may only view."""
    doc = editor.doc
    bridge.live.project = doc.project  # remote edits change the open project itself

    def push(command: Command) -> None:
        reason = bridge.live.read_only_reason
        if reason:
            raise LiveReadOnlyError(reason, hint="Ask the owner to make you an editor.")
        command.apply(doc.project)
        doc.undo_stack.push(LiveEngineCommand(doc, command, bridge))

    doc.push = push  # type: ignore[method-assign]
    guard_before = doc.undo_guard
    doc.undo_guard = lambda _command: bridge.live.read_only_reason or bridge.live.undo_conflict()
    doc.undo_refused.connect(bridge.notice)  # said in the editor's message line (the bridge goes with the session)
    bar = PresenceBar(editor)
    layout = editor.layout()
    layout.insertWidget(2, bar)  # type: ignore[attr-defined]

    def note(text: str) -> None:
        editor.status.setText(text)  # the editor's message line; the bar keeps to who is here

    bridge.notice.connect(note)
    bridge.state_changed.connect(bar.set_state)
    overlay = PeerOverlay(editor.timeline)
    bridge.peers_changed.connect(lambda: bar.set_peers(bridge.live.peers, bridge.live.roles))
    bridge.peers_changed.connect(lambda: overlay.set_peers(bridge.live.peers))
    bridge.project_changed.connect(lambda _rebuilt: doc.changed.emit(None))
    doc.changed.connect(overlay.redraw)  # after the timeline rebuilt its scene (connected earlier)
    timer = _share_presence(editor, bridge)
    _talk(bar, bridge, voice)
    attachment = LiveAttachment(editor, bridge, bar, timer, edit_actions)
    attachment.undo_guard = guard_before
    attachment.overlay = overlay
    reason = bridge.live.read_only_reason
    attachment.set_read_only(reason)
    if reason:
        note(reason)
    bridge.access_changed.connect(attachment.set_read_only)
    return attachment


def _share_presence(editor: EditorPage, bridge: LiveBridge) -> QTimer:
    """Send my playhead and selection a few times a second while they change."""
    timer = QTimer(editor)
    timer.setInterval(300)
    sent: dict[str, object] = {}
    seconds = {"now": 0.0}
    editor.s.transport.position_changed.connect(lambda s: seconds.__setitem__("now", float(s)))

    def tick() -> None:
        beats = seconds["now"] * editor.doc.project.tempo / 60.0
        state = (round(beats, 2), tuple(editor.timeline.selected_clip_ids()))
        if sent.get("last") != state and bridge.session.link.joined:
            sent["last"] = state
            bridge.track(*state)

    timer.timeout.connect(tick)
    timer.start()
    return timer


def _talk(bar: PresenceBar, bridge: LiveBridge, voice: VoiceClient | None) -> None:
    if voice is None:
        bar.set_talk(False, "Talk needs the voice service address (MASHUPS_VOICE_URL).")
        return

    # asking the service takes a network round trip: off the GUI thread, answered through queued signals
    def check() -> None:
        bridge.talk_ready.emit(voice.unavailable_reason() or "")

    def open_room() -> None:
        try:
            url = voice.join(bridge.live.project_id)
        except SyncError as e:
            bridge.notice.emit(f"Talk: {e}")
            return
        bridge.talk_url.emit(url)

    # bound methods of GUI-thread objects: Qt queues these signals from the worker threads
    bridge.talk_ready.connect(bar.talk_reason)
    bridge.talk_url.connect(bar.open_room)
    bar.talk.clicked.connect(lambda: threading.Thread(target=open_room, daemon=True).start())
    threading.Thread(target=check, daemon=True).start()
