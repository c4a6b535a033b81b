"""Packs page (issue 16): the remix packs creators published (title, artist,
licence, tempo, key, stems), a preview of a stem, and "Load into editor",
which downloads the stems (progress, resumable, into the studio's
content-addressed media store) and opens them as stem lanes at the pack's
tempo and key, with the pack credited. The work is :mod:`sync.remix_packs`."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QWidget,
)

from audio_engine.project import MediaStore
from studio.views.community_common import CommunityPage, heading, label
from studio.widgets import Card, muted
from sync.community import CommunityClient, Fetched
from sync.remix_packs import LICENCES, ListedPack, PackCatalog, load_pack_into_folder

if TYPE_CHECKING:
    from sync.cloud import Cloud


class PacksPage(CommunityPage):
    TITLE = "Packs"
    SUBTITLE = "Stems creators share for remixing, with their licence. Load one and it opens as stem lanes."

    def __init__(self, cloud: Any, client: CommunityClient | None, session: Callable[[], Cloud] | None,
                 studio: Any = None, open_project: Callable[[Path], Any] | None = None) -> None:
        super().__init__(cloud, client)
        self.session = session
        self.studio = studio  # the Services: media store, paths, transport
        self.open_project = open_project
        self.packs: list[ListedPack] = []

    def catalog(self) -> PackCatalog:
        assert self.session is not None
        c = self.session()
        return PackCatalog(c.transport, lambda: c.auth.user_id)

    def fetch(self, client: CommunityClient) -> Fetched:
        return Fetched(self.catalog().list(), datetime.now(UTC))

    def render(self, data: list[ListedPack]) -> None:
        self.packs = data
        if not data:
            card = Card()
            card.body.addWidget(muted("No packs yet. Share the stems of a song you own from the editor."))
            self.body_lay.addWidget(card)
        for p in data:
            m = p.manifest
            card = Card()
            card.body.addWidget(heading(f"{m.title}" + (f" — {m.artist}" if m.artist else "")))
            card.body.addWidget(label(f"{m.tempo:g} BPM · {m.key or 'key unknown'} · "
                                      f"{', '.join(s.name for s in m.stems)} · {LICENCES[m.licence]}"))
            row = QHBoxLayout()
            row.addWidget(self.action_button("Preview", lambda *_a, p=p: self.preview(p), name=f"pack_preview_{m.id}",
                                             tip="Download the first stem and play it"))
            row.addWidget(self.action_button("Load into editor", lambda *_a, p=p: self.load(p),
                                             name=f"pack_load_{m.id}"))
            row.addStretch(1)
            card.body.addLayout(row)
            self.body_lay.addWidget(card)

    def _folder(self, p: ListedPack) -> Path:
        safe = re.sub(r"[^A-Za-z0-9 _-]", "", p.manifest.title).strip() or "Pack"
        return Path(self.studio.projects_dir) / f"{safe} ({p.manifest.id[:8]}).mashup"

    def load(self, p: ListedPack) -> None:
        cat, s = self.catalog(), self.studio
        folder = self._folder(p)

        def run() -> Path:
            with cat.http_client() as http:
                return load_pack_into_folder(p.manifest, cat.base_url(p, public=False), MediaStore(s.paths.media),
                                             folder, partial_dir=Path(s.paths.cache) / "pack-downloads", client=http)

        def done(path: Path) -> None:
            self.say(f"Loaded {p.manifest.title}: {len(p.manifest.stems)} stem lanes at {p.manifest.tempo:g} BPM.")
            if self.open_project is not None:
                self.open_project(path)

        self._submit(f"Load pack {p.manifest.title}", run, done, self.show_error)

    def preview(self, p: ListedPack) -> None:
        from dataclasses import replace

        cat, s = self.catalog(), self.studio
        first = replace(p.manifest, stems=p.manifest.stems[:1])

        def run() -> Path:
            from sync.remix_packs import download_pack

            store = MediaStore(s.paths.media)
            with cat.http_client() as http:
                placed = download_pack(first, cat.base_url(p, public=False), store,
                                       partial_dir=Path(s.paths.cache) / "pack-downloads", client=http)
            return Path(store.path(*placed[first.stems[0].name]))

        self._submit(f"Preview {p.manifest.title}", run,
                     lambda path: s.transport.load_file(path, play=True), self.show_error)


def install_packs(window: Any, cloud: Any) -> PacksPage:
    """The Packs page with its sidebar entry after Splits; Load opens the editor."""
    from studio.views.splits_page import add_nav_button

    def open_in_editor(path: Path) -> None:
        if window.editor_page.open_project(path):
            window.go("Editor")

    page = PacksPage(cloud, CommunityClient(cloud.session.require), cloud.session.require, window.s, open_in_editor)
    add_nav_button(window, "Packs", page, after="nav_Splits", tip="Remix packs: stems shared for remixing")
    return page


class SharePackDialog(QDialog):
    """Title, artist and licence of a pack made from a song's stems."""

    def __init__(self, title: str, artist: str, stems: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Share stems as a remix pack")
        form = QFormLayout(self)
        form.addRow(muted(f"Stems: {', '.join(stems)}. Share only songs you own the rights to."))
        self.title_edit = QLineEdit(title)
        self.artist_edit = QLineEdit(artist)
        self.licence = QComboBox()
        for key, text in LICENCES.items():
            self.licence.addItem(text, key)
        form.addRow("Title", self.title_edit)
        form.addRow("Artist", self.artist_edit)
        form.addRow("Licence", self.licence)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Publish pack")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


def share_song_as_pack(page: Any, song_id: int) -> None:
    """Library → Share stems as remix pack…: publish the song's stems (its
    separation or own stem files) with the tempo and key of its analysis."""
    import uuid

    from sync.remix_packs import build_manifest

    s = page.s
    cloud = s.cloud
    song = s.library.get(song_id)
    stems = {n: Path(p) for n, p in song.stems.items() if Path(p).is_file()}
    if cloud is None or not cloud.signed_in:
        page.window().statusBar().showMessage("Sign in to share stems as a remix pack.", 8000)
        return
    dlg = SharePackDialog(song.title, song.artist, sorted(stems), page)
    if dlg.exec() != QDialog.DialogCode.Accepted:
        return
    title, artist, licence = dlg.title_edit.text().strip() or song.title, dlg.artist_edit.text().strip(), \
        str(dlg.licence.currentData())

    def run(_p: Any, _c: Any) -> str:
        c = cloud.session.require()
        m = build_manifest(str(uuid.uuid4()), stems, title=title, artist=artist, licence=licence,
                           tempo=song.bpm or 120.0, key=song.key_name)
        return PackCatalog(c.transport, lambda: c.auth.user_id).publish(m, stems)

    cloud.jobs.submit(f"Publish pack {title}", "sync", run, meta={"cloud": True},
                      on_result=lambda _r: page.window().statusBar().showMessage(f"Published the pack {title}.", 8000),
                      on_error=lambda e: cloud.handle_error(e))
