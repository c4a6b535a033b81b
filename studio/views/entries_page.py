"""What the Battles and Challenges pages share: both list competitions whose
entries are published mashups. One base loads the list together with your
published mashups (the Enter choice), shows a competition's state with its
live countdown, the Enter row, and under each entry its actions ("Remix this",
comments kept open across reloads), naming the entry's creator the way every
community page does (:func:`~studio.views.community_common.public_name`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from studio.views.comments_panel import comments_toggle
from studio.views.community_common import CLOSED_PENDING, CommunityPage, public_name
from studio.views.remix_action import remix_button
from studio.widgets import muted
from sync.community import CommunityClient, Fetched

EnterCall = Callable[[CommunityClient, str], Any]  # (client, mashup id) -> the server's answer


class EntriesPage(CommunityPage):
    """A community page of competitions (``KIND``: "battle", "challenge") with published mashups as entries."""

    KIND = ""

    my_mashups: list[dict[str, Any]]
    open_comments: set[str]  # entries whose comments are open (kept across reloads)

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.my_mashups = []
        self.open_comments = set()

    def with_my_mashups(self, client: CommunityClient, listed: Fetched) -> Fetched:
        """``listed`` (the competitions), after loading your mashups for the Enter choice."""
        try:
            self.my_mashups = client.my_mashups().data
        except Exception:  # noqa: BLE001 - the list still shows; entering needs it
            self.my_mashups = []
        return listed

    def state_label(self, item: dict[str, Any], suffix: str = "") -> QLabel:
        """FINISHED / UPCOMING · starts … / OPEN · closes in … (ticking each second; at 0 it says the
        results are pending and the page reloads), then `` · suffix``."""
        tail = f" · {suffix}" if suffix else ""
        if item.get("closed"):
            return muted(f"FINISHED · closed{tail}")
        if item["status"] == "upcoming":
            return muted(f"UPCOMING · starts {item['starts_at'][:16]}{tail}")
        return self.countdowns.add(muted(""), f"{self.KIND}:{item['id']}", item["ends_at"], lambda t: (
            f"OPEN · {t}" if t != CLOSED_PENDING else t[0].upper() + t[1:]) + tail)

    def enter_row(self, item_id: str, call: EnterCall, *, combo_name: str, button_name: str) -> QHBoxLayout:
        """A choice of your published (not private) mashups and Enter: ``call`` enters the chosen one."""
        row = QHBoxLayout()
        combo = QComboBox()
        combo.setObjectName(combo_name)
        for x in self.my_mashups:
            if x["visibility"] != "private":
                combo.addItem(x["title"], x["id"])
        row.addWidget(combo, 1)
        btn = self.action_button("Enter", lambda: self.enter(call, combo.currentData()), name=button_name,
                                 tip=f"Enter this {self.KIND} with one of your published mashups")
        btn.setEnabled(btn.isEnabled() and combo.count() > 0)
        if combo.count() == 0 and not self.action_reason:
            btn.setToolTip("Publish a mashup first (File → Publish mashup…)")
        row.addWidget(btn)
        return row

    def enter(self, call: EnterCall, mashup_id: str | None) -> None:
        if mashup_id:
            self.act(f"Enter {self.KIND}", lambda c: call(c, mashup_id),
                     lambda r: self.say("Entered." if r.get("status") == "entered" else "Already entered."))

    def creator(self, m: dict[str, Any]) -> str:
        """Who made entry ``m``: "you" for your own, else their public name."""
        return public_name(m.get("owner"), mine=self.is_mine(m))

    def entry_actions(self, row: QHBoxLayout, m: dict[str, Any]) -> QWidget:
        """Add "Remix this" (where the creator allowed it, never on your own) and the comments
        button to ``row``; returns the comments panel to place under the entry."""
        remix = remix_button(self, m)
        if remix is not None:
            row.addWidget(remix)
        comments, panel = comments_toggle(self, m, self.open_comments)
        row.addWidget(comments)
        return panel
