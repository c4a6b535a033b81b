"""The Captions page through its widgets: "Write captions" on the page (a
job with progress; a missing model opens the Models prompt), whole words in
the word column, and a song switch that leaves nothing of the last song."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from tests.studio.conftest import wait_jobs
from tests.studio.helpers import import_demo, write_captions


def test_write_captions_button_runs_a_job_and_asks_for_a_missing_model(window: Any, qtbot: Any) -> None:
    ids = import_demo(window, qtbot)
    window.s.settings.set("models/captions", "tiny.en")  # not installed in the test home
    window.go("Captions")
    page = window.captions_page
    index = page.song.findData(ids[0])
    assert index >= 0 and "no captions yet" in page.song.itemText(index)  # songs without captions are listed
    page.song.setCurrentIndex(index)
    assert page.song_id == ids[0] and page.write_btn.isEnabled() and page.write_btn.isVisible()
    # nothing to export yet: the button says so instead of opening a dead-end message box
    assert not page.export_btn.isEnabled() and "no captions yet" in page.export_btn.toolTip()
    qtbot.mouseClick(page.write_btn, Qt.MouseButton.LeftButton)
    job = page.jobs.job
    assert job is not None and job.meta.get("action") == "caption" and job.meta.get("song") == ids[0]
    assert page.progress.isVisible() and not page.write_btn.isEnabled()
    qtbot.waitUntil(lambda: job.state.finished, timeout=60000)
    # the same prompt as the Library's: nothing downloads by itself, the Models page is one click away
    qtbot.waitUntil(lambda: getattr(window, "model_prompt", None) is not None and window.model_prompt.isVisible(),
                    timeout=10000)
    assert "tiny.en" in window.model_prompt.text()
    assert not page.progress.isVisible() and page.write_btn.isEnabled()
    assert "not written" in page.info.text()
    window.model_prompt.reject()
    wait_jobs(qtbot, window.s.jobs, 60)


def test_words_are_whole_and_switching_songs_clears_them(window: Any, qtbot: Any) -> None:
    ids = import_demo(window, qtbot)
    write_captions(window, ids[0], ["extraordinarily unforgettable celebrations tonight", "second line",
                                    "a very long caption line that cannot fit the text column of the table at this "
                                    "window size so it has to wrap onto more lines instead of ending in dots"])
    write_captions(window, ids[1], ["another song entirely"])
    window.resize(1100, 700)
    window.go("Captions")
    page = window.captions_page
    page.show_song(ids[0])
    qtbot.wait(50)
    assert page.export_btn.isEnabled()
    rect = page.table.visualItemRect(page.table.item(0, 2))
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert page.words.rowCount() == 4
    t = page.table
    long_text = t.item(2, 2).text()
    assert t.fontMetrics().horizontalAdvance(long_text) > t.columnWidth(2)  # wider than its column...
    assert t.rowHeight(2) >= t.rowHeight(1) + t.fontMetrics().height()  # ...so its row holds the wrapped lines
    fm = page.words.fontMetrics()
    for r in range(4):
        word = page.words.item(r, 0).text()
        assert page.words.columnWidth(0) >= fm.horizontalAdvance(word) + 8, word  # no "extraordin…"
    window.s.transport.pause()
    # another song: its lines, none of the first song's words
    page.song.setCurrentIndex(page.song.findData(ids[1]))
    assert page.song_id == ids[1]
    assert page.words.rowCount() == 0
    assert page.table.rowCount() == 1 and page.table.item(0, 2).text() == "another song entirely"
    # a song without captions: empty tables and the button to write them
    window.s.library.set_captions(ids[1], None)
    page.show_song(ids[1])
    assert page.table.rowCount() == 0 and page.words.rowCount() == 0 and page.write_btn.text() == "Write captions"
    wait_jobs(qtbot, window.s.jobs, 60)
