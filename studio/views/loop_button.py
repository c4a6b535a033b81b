"""The transport bar's Loop button and the editor's loop region (dragged in
the ruler) as one switch: the button is lit while a loop is set; a click
clears the loop, and a second click brings the last one back."""

from __future__ import annotations

from typing import Any

LOOP_TIP = ("Loop: drag across the editor's ruler to set the region; this button turns it off and on again "
            "(right-click the ruler: Clear loop)")


def install(window: Any) -> None:
    button = window.transport_bar.loop_btn
    timeline = window.editor_page.timeline
    last: list[tuple[float, float]] = []
    button.setToolTip(LOOP_TIP)
    button.setChecked(timeline.loop is not None)

    def region_changed(loop: object) -> None:
        if isinstance(loop, tuple):
            last[:] = [loop]
        button.setChecked(loop is not None)

    def clicked(checked: bool) -> None:
        if checked and not last:
            button.setChecked(False)
            window.statusBar().showMessage("No loop yet: drag across the ruler in the editor to set one.", 6000)
            return
        timeline.loop = last[0] if checked else None
        timeline.loop_changed.emit(timeline.loop)
        timeline.viewport().update()

    timeline.loop_changed.connect(region_changed)
    button.clicked.connect(clicked)
