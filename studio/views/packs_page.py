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

from PySide6.QtWidgets import QHBoxLayout

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
