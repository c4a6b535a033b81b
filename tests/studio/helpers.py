"""Shared steps for the studio's widget tests (demo songs, a demo project,
captions files)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from audio_engine.captions import CaptionDoc, Segment, Word
from studio.resources import demo_songs
from tests.studio.conftest import wait_jobs


def import_demo(window: Any, qtbot: Any) -> list[int]:
    window.actions_ctl.import_paths(demo_songs(), analyse=False)
    wait_jobs(qtbot, window.s.jobs, 60)
    return [x.id for x in sorted(window.s.library.all(), key=lambda s: s.path.name)]


def demo_project(window: Any, qtbot: Any) -> Any:
    """The two demo songs opened in the editor (through the Library's signal)."""
    ids = import_demo(window, qtbot)
    window.library_page.select_song(ids[0])
    window.library_page.open_in_editor.emit(ids)
    wait_jobs(qtbot, window.s.jobs, 120)
    ed = window.editor_page
    assert window.current_page() == "Editor" and len(ed.doc.project.clips()) == 2
    return ed


def write_captions(window: Any, song_id: int, lines: list[str], start: float = 1.0) -> CaptionDoc:
    """A captions file for a song, three words a second, each line 0.5 s after the last."""
    segs, t = [], start
    for text in lines:
        words = []
        for token in text.split():
            words.append(Word(round(t, 3), round(t + 0.3, 3), token))
            t += 0.33
        segs.append(Segment(words[0].start, words[-1].end, text, words))
        t += 0.5
    doc = CaptionDoc(segs, language="en")
    song = window.s.library.get(song_id)
    path = Path(window.s.captions_dir) / f"{song.content_hash}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc.to_dict()))
    window.s.library.set_captions(song_id, path)
    return doc


def menu_action(menu: Any, text: str) -> Any:
    """The action called ``text`` in ``menu`` or any of its submenus, or None."""
    for a in menu.actions():
        if a.text() == text:
            return a
        if a.menu() is not None:
            found = menu_action(a.menu(), text)
            if found is not None:
                return found
    return None
