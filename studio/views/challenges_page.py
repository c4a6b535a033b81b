"""Challenges page: active, upcoming and finished challenges with theme,
rules, deadline and prize XP; enter with a published mashup; entries ranked
by the server's score (votes in the challenge's battles, likes, plays). What
it shares with the Battles page is :class:`~studio.views.entries_page.EntriesPage`."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QHBoxLayout

from studio.views.community_common import heading, label
from studio.views.entries_page import EntriesPage
from studio.widgets import Card, muted
from sync.community import CommunityClient, Fetched


class ChallengesPage(EntriesPage):
    TITLE = "Challenges"
    SUBTITLE = "A theme, a deadline and prize XP. Enter one of your published mashups."
    KIND = "challenge"

    def fetch(self, client: CommunityClient) -> Fetched:
        return self.with_my_mashups(client, client.challenges())

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
        top.addWidget(self.state_label(c, f"prize {c['prize_xp']} XP"))
        card.body.addLayout(top)
        if c.get("theme"):
            card.body.addWidget(label(f"Theme: {c['theme']}"))
        if c.get("rules"):
            card.body.addWidget(muted(c["rules"]))
        if c["status"] == "open" and not c.get("my_entry"):  # my_mashups was set by fetch
            card.body.addLayout(self.enter_row(c["id"], lambda cl, mid: cl.enter_challenge(c["id"], mid),
                                               combo_name="challenge_choice",
                                               button_name=f"enter_challenge_{c['id']}"))
        elif c.get("my_entry"):
            card.body.addWidget(muted("You have entered this challenge."))
        entries = c.get("entries") or []
        card.body.addWidget(label(f"Leaderboard ({len(entries)} entr{'y' if len(entries) == 1 else 'ies'})", bold=True))
        for i, e in enumerate(entries[:10], 1):
            crown = "  · winner" if c.get("winner") == e["id"] else ""
            row = QHBoxLayout()
            row.addWidget(label(f"{i}. {e['title']} — {self.creator(e)} · score {e['score']}{crown}",
                                name="challenge_entry"), 1)
            panel = self.entry_actions(row, e)  # remix where allowed; the entry's comments, opened below
            card.body.addLayout(row)
            card.body.addWidget(panel)
        return card
