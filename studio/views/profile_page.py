"""Profile page: avatar and name, level with an XP bar and what the next level
needs (the server's answer; the curve is resources/levels.json on both
sides), badges earned and locked with their condition and progress, the
weekly streak, recent XP with reasons, and the weekly and all-time
leaderboards with your rank."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QProgressBar, QVBoxLayout

from studio.views.community_common import CommunityPage, heading, label, public_name
from studio.widgets import Card, muted
from sync.community import CommunityClient, Fetched

RARITY = {"common": "●", "rare": "◆", "epic": "★", "legendary": "♛"}


class ProfilePage(CommunityPage):
    TITLE = "Profile"
    SUBTITLE = "Your level, badges, streak and rank. XP comes from publishing, entering, voting and winning."

    def fetch(self, client: CommunityClient) -> Fetched:
        f = client.profile()
        boards: dict[str, Any] = {}
        for period in ("week", "all"):
            try:
                boards[period] = client.leaderboard(period).data
            except Exception:  # noqa: BLE001 - the profile still shows without them
                boards[period] = []
        return Fetched({**f.data, "boards": boards}, f.fetched_at, f.offline, f.reason)

    def render(self, p: dict[str, Any]) -> None:
        head = Card()
        row = QHBoxLayout()
        avatar = QLabel((p.get("name") or p.get("username") or "?")[:1].upper())
        avatar.setObjectName("Avatar")
        avatar.setFixedSize(56, 56)
        avatar.setAlignment(Qt.AlignmentFlag.AlignCenter)
        avatar.setStyleSheet("border-radius: 28px; font-size: 24px; font-weight: 700;"
                             "background: palette(highlight); color: palette(highlighted-text);")
        row.addWidget(avatar)
        col = QVBoxLayout()
        col.addWidget(heading(p.get("name") or p.get("username") or "You"))
        nxt = p.get("next_level_xp")
        col.addWidget(label(f"Level {p['level']} · {p['xp']} XP", name="profile_level", bold=True))
        bar = QProgressBar()
        bar.setObjectName("xp_bar")
        if nxt:
            bar.setRange(0, int(nxt) - int(p["level_xp"]))
            bar.setValue(int(p["xp"]) - int(p["level_xp"]))
            bar.setFormat(f"{nxt - p['xp']} XP to level {p['level'] + 1}")
        else:
            bar.setRange(0, 1)
            bar.setValue(1)
            bar.setFormat("Top level")
        col.addWidget(bar)
        col.addWidget(muted(f"Streak {p['streak']} (longest {p['longest_streak']}) · this week {p['week_xp']} XP · "
                            f"rank {p.get('rank_week') or '–'} this week, {p.get('rank_all') or '–'} all-time"))
        row.addLayout(col, 1)
        head.body.addLayout(row)
        self.body_lay.addWidget(head)

        badges = Card()
        badges.body.addWidget(heading("Badges"))
        grid = QGridLayout()
        for i, b in enumerate(p["badges"]):
            mark = RARITY.get(b["rarity"], "●")
            text = (f"{mark} {b['name']} — {b['description']} ({b['category']}, {b['rarity']})"
                    + ("" if b["earned"] else f" · locked: {b['progress']}/{b['target']}"))
            lab = label(text, name=f"badge_{b['code']}", bold=b["earned"])
            lab.setEnabled(bool(b["earned"]))
            grid.addWidget(lab, i // 2, i % 2)
        badges.body.addLayout(grid)
        self.body_lay.addWidget(badges)

        lower = QHBoxLayout()
        hist = Card()
        hist.body.addWidget(heading("Recent XP"))
        for h in p["history"][:10] or []:
            hist.body.addWidget(label(f"+{h['amount']} {h['reason']} · {h['at'][:10]}", name="xp_history"))
        if not p["history"]:
            hist.body.addWidget(muted("No XP yet: publish, enter a challenge or vote in a battle."))
        lower.addWidget(hist, 1)
        for period, title in (("week", "This week"), ("all", "All time")):
            board = Card()
            board.body.addWidget(heading(f"Leaderboard · {title}"))
            for r in p["boards"].get(period, [])[:10]:
                me = r["user_id"] == p["user_id"]
                board.body.addWidget(label(f"{r['rank']}. {public_name(r.get('display_name'), r.get('username'))}"
                                           f" — {r['xp']} XP" + ("  (you)" if me else ""), bold=me))
            lower.addWidget(board, 1)
        self.body_lay.addLayout(lower)
