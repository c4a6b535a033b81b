"""The transport bar's Loop button and the editor's loop region (dragged in
the ruler) as one switch: the button is lit while a loop is set; a click
clears the loop, and a second click brings the last one back (of the same
project: another document opened meanwhile starts without a loop)."""

from __future__ import annotations

from typing import Any

LOOP_TIP = ("Loop: drag across the editor's ruler to set the region; this button turns it off and on again "
            "(right-click the ruler: Clear loop)")


def install(window: Any) -> None:
    button = window.transport_bar.loop_btn
    timeline = window.editor_page.timeline
    last: list[tuple[object, tuple[float, float]]] = []  # (the project it belongs to, its region)
    button.setToolTip(LOOP_TIP)
    button.setChecked(timeline.loop is not None)

    def region_changed(loop: object) -> None:
        if isinstance(loop, tuple):
            last[:] = [(timeline.project, loop)]
        button.setChecked(loop is not None)

    def clicked(checked: bool) -> None:
        if last and last[0][0] is not timeline.project:
            last.clear()  # that region was another project's
        if checked and not last:
            button.setChecked(False)
            window.statusBar().showMessage("No loop yet: drag across the ruler in the editor to set one.", 6000)
            return
        timeline.loop = last[0][1] if checked else None
        timeline.loop_changed.emit(timeline.loop)
        timeline.viewport().update()

    timeline.loop_changed.connect(region_changed)
    button.clicked.connect(clicked)
