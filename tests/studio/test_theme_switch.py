"""Theme and drawing details a newcomer saw: a theme switch re-tints the
icons at once, the welcome dialog is content-sized (no resize strip), no
playhead is left below the lanes, and the demo lays its songs out the same
way every time."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtGui import QColor, QImage

from tests.studio.conftest import wait_jobs
from tests.studio.helpers import demo_project, import_demo


def _ink(icon: Any) -> QColor:
    """The mean colour of an icon's opaque pixels."""
    img = icon.pixmap(24, 24).toImage().convertToFormat(QImage.Format.Format_ARGB32)
    arr = np.frombuffer(img.constBits(), dtype=np.uint8, count=img.sizeInBytes()).reshape(img.height(), -1, 4)
    opaque = arr[arr[..., 3] > 200]
    assert len(opaque) > 10
    b, g, r = (float(opaque[:, i].mean()) for i in range(3))
    return QColor(int(r), int(g), int(b))


def _close(a: QColor, b: QColor, tol: int = 40) -> bool:
    return abs(a.red() - b.red()) + abs(a.green() - b.green()) + abs(a.blue() - b.blue()) < tol


def test_theme_switch_retints_sidebar_toolbar_and_transport_icons(window: Any, qtbot: Any) -> None:
    page = window.settings_page
    window.go("Settings")
    dark = window.s.theme
    holders = {"sidebar": window.nav_buttons["Library"], "toolbar": window.editor_page.zoom_in_btn,
               "transport": window.transport_bar.stop_btn, "loop": window.transport_bar.loop_btn}
    for h in holders.values():
        assert _close(_ink(h.icon()), dark.color("text"))
    page.theme.setCurrentIndex(page.theme.findData("light"))
    light = window.s.theme
    assert light.name == "light"
    for name, h in holders.items():
        assert _close(_ink(h.icon()), light.color("text")), name  # dark ink on the light theme, at once
    assert _close(_ink(window.transport_bar.play_btn.icon()), light.color("accent_text"))
    menu_icon = next(a for a in window.actions() if a.text() == "Zoom in").icon()
    assert _close(_ink(menu_icon), light.color("text"))
    page.theme.setCurrentIndex(page.theme.findData("dark"))
    assert _close(_ink(holders["sidebar"].icon()), dark.color("text"))
    wait_jobs(qtbot, window.s.jobs, 60)


def test_welcome_dialog_is_sized_by_its_content(window: Any, qtbot: Any) -> None:
    window.show_welcome()
    dlg = window.welcome
    qtbot.waitExposed(dlg)
    # fixed size: window managers draw no resize handle (Openbox's is a white strip)
    assert dlg.minimumSize() == dlg.maximumSize() == dlg.size()
    img = dlg.grab().toImage()
    bg = window.s.theme.color("window")
    for y in (img.height() - 1, img.height() - 3):
        assert _close(img.pixelColor(img.width() // 2, y), bg, 30)
    dlg.reject()


def test_no_playhead_is_drawn_below_the_lanes(window: Any, qtbot: Any) -> None:
    ed = demo_project(window, qtbot)
    window.resize(1600, 1000)
    tl = ed.timeline
    qtbot.wait(50)
    colors = window.s.theme.colors
    playhead = QColor(colors["playhead"])
    from studio.views.timeline import CAPTION_H, LANE_H, RULER_H

    bottom = RULER_H + len(ed.doc.project.tracks) * LANE_H + CAPTION_H
    assert tl.viewport().height() > bottom + 40  # there is room below the lanes
    for t in (3.0, 6.0, 9.0):
        tl.set_playhead(t)
        qtbot.wait(30)
        img = tl.viewport().grab().toImage()
        x = int(t * tl.pps - tl.horizontalScrollBar().value())
        assert _close(img.pixelColor(x, RULER_H + 10), playhead, 60)  # drawn over the lanes
        for y in range(bottom + 6, img.height() - 2, 25):
            for xx in (x, int(3.0 * tl.pps - tl.horizontalScrollBar().value())):
                assert not _close(img.pixelColor(xx, y), playhead, 60), (t, xx, y)
    wait_jobs(qtbot, window.s.jobs, 60)


def test_demo_layout_does_not_depend_on_which_analysis_finishes_first(window: Any, qtbot: Any) -> None:
    """Songs added while their analysis runs land in the order asked for."""
    ids = import_demo(window, qtbot)
    ed = window.editor_page
    actions = window.actions_ctl
    titles = [window.s.library.get(i).title for i in ids]
    actions.analysing.update(ids)  # as the demo does: analysis started, not finished
    ed.new_project(title="Demo mashup")
    ed.add_songs(ids, wait_for_analysis=True)
    assert not ed.doc.project.clips()
    for sid in reversed(ids):  # the second song's analysis lands first
        actions.analysing.discard(sid)
        actions.song_updated.emit(sid)
    wait_jobs(qtbot, window.s.jobs, 120)
    p = ed.doc.project
    assert [t.name for t in p.tracks] == titles
    # one batch: layered from the start (a mashup), in the first song's tempo
    assert [p.clip_start_seconds(t.clips[0]) for t in p.tracks] == [0.0, 0.0]
    first = window.s.library.get(ids[0])
    assert first.bpm is None or abs(p.tempo - round(first.bpm, 2)) < 1e-6
    wait_jobs(qtbot, window.s.jobs, 60)
