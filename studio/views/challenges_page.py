"""Challenges page: active, upcoming and finished challenges with theme,
rules, deadline and prize XP; enter with a published mashup; entries ranked
by the server's score (votes in the challenge's battles, likes, plays)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QHBoxLayout

from studio.views.comments_panel import comments_toggle
from studio.views.community_common import CLOSED_PENDING, CommunityPage, heading, label
from studio.views.remix_action import remix_button
from studio.widgets import Card, muted
from sync.community import CommunityClient, Fetched


class ChallengesPage(CommunityPage):
    TITLE = "Challenges"
    SUBTITLE = "A theme, a deadline and prize XP. Enter one of your published mashups."

    my_mashups: list[dict[str, Any]]
    open_comments: set[str]  # entries whose comments are open (kept across reloads)

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.open_comments = set()

    def fetch(self, client: CommunityClient) -> Fetched:
        f = client.challenges()
        try:
            self.my_mashups = client.my_mashups().data
        except Exception:  # noqa: BLE001 - the list still shows; entering needs it
            self.my_mashups = []
        return f

    def render(self, data: Any) -> None:
        if not data:
            self.body_lay.addWidget(muted("No challenges yet."))
        for c in sorted(data, key=lambda c: (c["status"] != "open", c["ends_at"])):
            self.body_lay.addWidget(self._card(c))

    def _card(self, c: dict[str, Any]) -> Card:
        card = Card()
        card.setObjectName(f"challenge_{c['id']}")
        top = QHBoxLayout()
        top.addWidget(heading(c["title"]), 1)
        prize = f"prize {c['prize_xp']} XP"
        if c.get("closed"):
            top.addWidget(muted(f"FINISHED · closed · {prize}"))
        elif c["status"] == "upcoming":
            top.addWidget(muted(f"UPCOMING · starts {c['starts_at'][:16]} · {prize}"))
        else:  # ticks each second; at 0 it says results are pending and the page reloads
            top.addWidget(self.countdowns.add(muted(""), f"challenge:{c['id']}", c["ends_at"], lambda t: (
                f"OPEN · {t} · {prize}" if t != CLOSED_PENDING else f"{t[0].upper() + t[1:]} · {prize}")))
        card.body.addLayout(top)
        if c.get("theme"):
            card.body.addWidget(label(f"Theme: {c['theme']}"))
        if c.get("rules"):
            card.body.addWidget(muted(c["rules"]))
        if c["status"] == "open" and not c.get("my_entry"):  # my_mashups was set by fetch
            row = QHBoxLayout()
            combo = QComboBox()
            combo.setObjectName("challenge_choice")
            for x in self.my_mashups:
                if x["visibility"] != "private":
                    combo.addItem(x["title"], x["id"])
            row.addWidget(combo, 1)
            btn = self.action_button("Enter", lambda: self._enter(c["id"], combo.currentData()),
                                     name=f"enter_challenge_{c['id']}")
            btn.setEnabled(btn.isEnabled() and combo.count() > 0)
            row.addWidget(btn)
            card.body.addLayout(row)
        elif c.get("my_entry"):
            card.body.addWidget(muted("You have entered this challenge."))
        entries = c.get("entries") or []
        card.body.addWidget(label(f"Leaderboard ({len(entries)} entr{'y' if len(entries) == 1 else 'ies'})", bold=True))
        for i, e in enumerate(entries[:10], 1):
            crown = "  · winner" if c.get("winner") == e["id"] else ""
            entry = label(f"{i}. {e['title']} — {e.get('owner') or 'someone'} · score {e['score']}{crown}",
                          name="challenge_entry")
            row = QHBoxLayout()
            row.addWidget(entry, 1)
            remix = remix_button(self, e)  # issue 16: where the creator allowed remixes, never your own
            if remix is not None:
                row.addWidget(remix)
            comments, panel = comments_toggle(self, e, self.open_comments)  # the entry's comments, opened below
            row.addWidget(comments)
            card.body.addLayout(row)
            card.body.addWidget(panel)
        return card

    def _enter(self, challenge_id: str, mashup_id: str | None) -> None:
        if mashup_id:
            self.act("Enter challenge", lambda cl: cl.enter_challenge(challenge_id, mashup_id),
                     lambda r: self.say("Entered." if r.get("status") == "entered" else "Already entered."))
