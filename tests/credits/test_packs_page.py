"""The Packs page in a signed-in studio window against the local backend: a
pack another account published is listed; "Load into editor" downloads its
stems into the studio's media store and opens the stem lanes in the editor;
"Preview" plays the first stem (screenshot kept in MASHUPS_SHOTS)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QPushButton, QToolButton

from backend.devserver.gateway import ANON_KEY, Gateway
from sync.auth import MemoryTokenStore
from sync.config import CloudConfig
from sync.remix_packs import PackCatalog, build_manifest
from sync.session import CloudSession
from sync.transport import RetryPolicy
from tests.cloud.conftest import Db
from tests.corpus import Song
from tests.credits.test_splits_page import SHOTS, gw  # noqa: F401 - fixture
from tests.studio.conftest import wait_jobs
from tests.studio.test_cloud_studio import sign_in_from_header, studios  # noqa: F401 - fixture

pytestmark = pytest.mark.slow


def test_packs_page_lists_and_loads_into_the_editor(studios: Any, qtbot: Any, gw: Gateway, fresh_db: Db,  # noqa: F811
                                                    songs: list[Song], tmp_path: Path) -> None:
    creator = CloudSession(CloudConfig(gw.url, ANON_KEY, timeout_s=10), data_dir=tmp_path / "creator",
                           token_store=MemoryTokenStore(), retry=RetryPolicy(attempts=1, initial_s=0.01, max_s=0.02))
    creator.sign_up(f"creator-{uuid.uuid4().hex[:6]}@example.test", "correct horse battery")
    c = creator.require()
    stems = {n: songs[1].stem(n) for n in ("vocals", "bass")}
    m = build_manifest(str(uuid.uuid4()), stems, title="Glass stems", artist="Singer B", licence="remix-with-credit",
                       tempo=96.0, key="E minor")
    PackCatalog(c.transport, lambda: c.auth.user_id).publish(m, stems)

    w = studios("packs")
    sign_in_from_header(qtbot, w, f"loader-{uuid.uuid4().hex[:6]}@example.test", "correct horse battery", sign_up=True)
    nav = w.findChild(QToolButton, "nav_Packs")
    assert nav is not None
    nav.click()
    page = w.packs_page
    qtbot.waitUntil(lambda: len(page.packs) == 1, timeout=30000)
    qtbot.wait(100)
    SHOTS.mkdir(parents=True, exist_ok=True)
    w.grab().save(str(SHOTS / "packs-window.png"))
    page.findChild(QPushButton, f"pack_load_{m.id}").click()
    qtbot.waitUntil(lambda: w.stack.currentWidget() is w.editor_page, timeout=60000)
    wait_jobs(qtbot, w.s.jobs, 60)
    project = w.editor_page.doc.project
    assert sorted(cl.stem for cl in project.clips()) == ["bass", "vocals"]
    assert (project.tempo, project.key) == (96.0, "E minor") and project.lineage[0]["id"] == m.id
    page.findChild(QPushButton, f"pack_preview_{m.id}").click()
    tr = w.s.transport
    qtbot.waitUntil(lambda: tr.playing and str(tr.source).endswith(".flac") and "media" in str(tr.source),
                    timeout=30000)
    tr.stop()
    wait_jobs(qtbot, w.s.jobs, 30)
    qtbot.waitUntil(lambda: not tr.playing, timeout=10000)


def test_library_shares_a_songs_stems_as_a_pack(studios: Any, qtbot: Any, gw: Gateway, fresh_db: Db,  # noqa: F811
                                                 songs: list[Song], tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from studio.views import packs_page

    w = studios("sharer")
    sign_in_from_header(qtbot, w, f"sharer-{uuid.uuid4().hex[:6]}@example.test", "correct horse battery",
                        sign_up=True)
    f = tmp_path / "mine.flac"
    shutil.copyfile(songs[3].mix, f)
    song = w.s.library.add(f)
    w.s.library.set_stems(song.id, {n: songs[3].stem(n) for n in ("vocals", "drums")})
    w.s.library.set_analysis(song.id, {"bpm": 101.5})

    def accept(dlg: packs_page.SharePackDialog) -> int:
        dlg.licence.setCurrentIndex(dlg.licence.findData("non-commercial"))
        return packs_page.QDialog.DialogCode.Accepted.value

    monkeypatch.setattr(packs_page.SharePackDialog, "exec", accept)
    lib = w.library_page
    action = next(a for a in lib.build_menu([song.id]).actions() if a.text() == "Share stems as remix pack…")
    action.trigger()
    wait_jobs(qtbot, w.s.jobs, 60)
    c = w.s.cloud.session.require()
    (listed,) = PackCatalog(c.transport, lambda: c.auth.user_id).list()
    m = listed.manifest
    assert (m.title, m.licence, m.tempo) == ("mine", "non-commercial", 101.5)
    assert sorted(st.name for st in m.stems) == ["drums", "vocals"]
