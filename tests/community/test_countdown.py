"""Live countdowns on the Battles and Challenges pages: a QTimer ticks each
second against the page's (injectable) clock; at the deadline the label says
the results are pending and the page reloads once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from PySide6.QtWidgets import QLabel

from studio.views.battles_page import BattlesPage
from studio.views.challenges_page import ChallengesPage
from studio.views.community_common import countdown
from sync.community import Fetched

T0 = datetime(2026, 11, 29, 12, 0, 0, tzinfo=UTC)
END = T0 + timedelta(hours=2, minutes=3, seconds=30)


def test_countdown_words() -> None:
    assert countdown(END.isoformat(), now=T0) == "closes in 2 h 03 min"
    assert countdown(END.isoformat(), now=END - timedelta(days=3, hours=4)) == "closes in 3 d 4 h"
    assert countdown(END.isoformat(), now=END - timedelta(minutes=4, seconds=5)) == "closes in 4 min 05 s"
    assert countdown(END.isoformat(), now=END - timedelta(seconds=9)) == "closes in 9 s"
    assert countdown(END.isoformat(), now=END) == "closed — results pending"


class Clock:
    def __init__(self, t: datetime) -> None:
        self.t = t

    def __call__(self) -> datetime:
        return self.t


@pytest.mark.parametrize("kind", ["battle", "challenge"])
def test_live_countdown_ticks_flips_at_zero_and_reloads_once(qtbot: Any, kind: str) -> None:
    page: BattlesPage | ChallengesPage
    if kind == "battle":
        page = BattlesPage(None, None)
        data: Any = [{"id": "b1", "title": "Face-off", "status": "open", "starts_at": T0.isoformat(),
                      "ends_at": END.isoformat(), "a": None, "b": None, "closed": False, "my_vote": None}]
    else:
        page = ChallengesPage(None, None)
        page.my_mashups = []
        data = [{"id": "b1", "title": "Flip", "status": "open", "starts_at": T0.isoformat(), "ends_at": END.isoformat(),
                 "prize_xp": 200, "theme": "Tones", "rules": "", "entries": [], "closed": False, "my_entry": None}]
    qtbot.addWidget(page)
    clock = Clock(T0)
    page.clock = clock
    reloads: list[int] = []
    page.refresh = lambda: reloads.append(1)  # type: ignore[method-assign]
    page.show_fetched(Fetched(data, T0))
    lab = page.findChild(QLabel, f"countdown_{kind}:b1")
    assert lab is not None and "OPEN · closes in 2 h 03 min" in lab.text()
    assert page.countdowns.timer.isActive() and page.countdowns.timer.interval() == 1000
    clock.t = END - timedelta(seconds=65)
    page.countdowns.tick()
    assert "closes in 1 min 05 s" in lab.text() and not reloads
    # the real timer drives it: one second of it ticks the label on its own
    clock.t = END - timedelta(seconds=3)
    qtbot.waitUntil(lambda: "closes in 3 s" in lab.text(), timeout=2500)
    clock.t = END + timedelta(seconds=1)
    page.countdowns.tick()
    assert lab.text().startswith("Closed — results pending") and reloads == [1]
    page.countdowns.tick()  # the server may take a moment: one reload per deadline, not one a second
    assert reloads == [1]
    # after the reload the page still shows the open battle (the server closes it a moment later): no reload loop
    page.show_fetched(Fetched(data, END))
    page.countdowns.tick()
    assert reloads == [1]
    assert page.findChild(QLabel, f"countdown_{kind}:b1").text().startswith("Closed — results pending")  # type: ignore[union-attr]
