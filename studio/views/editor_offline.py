"""Offline media in the editor: clips whose song or stem file no media store
holds are marked on the timeline, left out of playback, and named in a
banner whose "Locate…" asks for the file; the file is relinked when its
bytes are the missing media's (audio_engine.app.offline.locate, by content
hash), which brings back every clip that uses it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QFileDialog, QFrame, QHBoxLayout, QLabel, QPushButton

from audio_engine.app.offline import MissingMedia, locate, missing_media, playable
from audio_engine.formats import AUDIO_GLOB
from audio_engine.project import MediaStore, Project
from studio.jobs import describe_error
from studio.widgets import show_message

if TYPE_CHECKING:
    from studio.views.editor_page import EditorPage


class OfflineMedia:
    def __init__(self, page: EditorPage) -> None:
        self.page = page
        self.missing: list[MissingMedia] = []
        self.locate_box: QFileDialog | None = None
        self.banner = QFrame()
        self.banner.setObjectName("Card")
        row = QHBoxLayout(self.banner)
        row.setContentsMargins(10, 6, 10, 6)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.locate_btn = QPushButton("Locate…")
        self.locate_btn.setToolTip("Point at the missing file; it is checked against the project's content hash")
        self.locate_btn.clicked.connect(self.locate_dialog)
        row.addWidget(self.text, 1)
        row.addWidget(self.locate_btn)
        self.banner.hide()

    def check(self) -> None:
        """Find the offline clips again (after an open or an edit): cheap, no hashing."""
        doc = self.page.doc
        self.missing = missing_media(doc.project, doc.resolver())
        ids = {cid for m in self.missing for cid in m.clip_ids}
        if ids != getattr(self.page.timeline, "offline_ids", set()):
            self.page.timeline.offline_ids = ids
            self.page.timeline.viewport().update()
        self.banner.setVisible(bool(self.missing))
        if self.missing:
            names = ", ".join(f"“{m.label()}”" for m in self.missing[:3]) + (" …" if len(self.missing) > 3 else "")
            n = len(ids)
            them = "They are" if n != 1 else "It is"
            self.text.setText(f"{n} clip{'s are' if n != 1 else ' is'} offline: the media of {names} is missing. "
                              f"{them} left out of playback until you locate the file.")
            self.text.setToolTip("\n".join(f"{m.label()}: {m.hash[:12]}{m.ext}, {len(m.clip_ids)} clips"
                                           for m in self.missing))

    def playable(self) -> Project:
        """The project as playback can render it (without the offline clips)."""
        return playable(self.page.doc.project, {cid for m in self.missing for cid in m.clip_ids})

    def target_store(self) -> MediaStore:
        """Where a located file goes: the saved project's own media folder, else the studio's store."""
        return self.page.doc.resolver().stores[0]

    def locate_dialog(self) -> None:
        if not self.missing:
            return
        m = self.missing[0]
        box = QFileDialog(self.page, f"Locate “{m.label()}”")
        box.setFileMode(QFileDialog.FileMode.ExistingFile)
        box.setNameFilters([f"Audio files ({AUDIO_GLOB})", "All files (*)"])
        folder = self.page.doc.path
        box.setDirectory(str(folder.parent if folder is not None else Path.home()))
        box.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        box.fileSelected.connect(self.locate_file)
        self.locate_box = box
        box.open()

    def locate_file(self, path: str) -> None:
        """Relink the missing media whose content ``path`` holds (hashed as a job)."""
        missing, store = list(self.missing), self.target_store()

        def fn(progress: Any, cancel: Any) -> MissingMedia:
            return locate(path, missing, store)

        def done(m: MissingMedia) -> None:
            self.check()
            self.page.relinked(m)

        def failed(e: BaseException) -> None:
            msg, hint = describe_error(e)
            show_message(self.page, "Locate media", f"{msg}\n\n{hint}".strip())

        self.page.s.jobs.submit("Locate missing media", "io", fn, on_result=done, on_error=failed)
