"""How the community pages name people (QA finding 8): "you" for the signed-in
user's own entry or comment, else the public name (display name, then
username), else "creator" — one helper for Battles, Challenges, comments and
Profile; "Leaderboard (1 entry)" in the singular. (The signed-in "you" is
asserted against the real backend in test_pages.py and test_comments_page.py.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtWidgets import QLabel

from studio.views.battles_page import BattlesPage
from studio.views.challenges_page import ChallengesPage
from studio.views.community_common import public_name
from sync.community import Fetched

T0 = datetime(2026, 11, 29, 12, 0, 0, tzinfo=UTC)


def test_public_name_order() -> None:
    assert public_name("Alice", "alice_b") == "Alice"
    assert public_name("", "alice_b") == "alice_b"  # the server's coalesce answers "" for no display name
    assert public_name("  ", None) == "creator"
    assert public_name(None) == "creator"
    assert public_name("Alice", mine=True) == "you"


def entry(mid: str, owner: str, score: int = 0) -> dict[str, Any]:
    return {"id": mid, "title": f"Mix {mid}", "owner_id": f"u-{mid}", "owner": owner, "score": score,
            "plays": 0, "comments": 0}


def test_challenge_and_battle_entries_name_the_creator(qtbot: Any) -> None:
    ends = (T0 + timedelta(hours=2)).isoformat()
    chal = ChallengesPage(None, None)
    qtbot.addWidget(chal)
    chal.show_fetched(Fetched([{"id": "c1", "title": "Flip", "status": "finished", "starts_at": T0.isoformat(),
                                "ends_at": ends, "prize_xp": 200, "theme": "", "rules": "", "closed": True,
                                "entries": [entry("m1", "")], "my_entry": None, "winner": None}], T0))
    texts = [w.text() for w in chal.findChildren(QLabel)]
    assert "Leaderboard (1 entry)" in texts
    assert [w.text() for w in chal.findChildren(QLabel, "challenge_entry")] == ["1. Mix m1 — creator · score 0"]

    battles = BattlesPage(None, None)
    qtbot.addWidget(battles)
    battles.show_fetched(Fetched([{"id": "b1", "title": "Face-off", "status": "finished", "starts_at": T0.isoformat(),
                                   "ends_at": ends, "a": entry("m1", ""), "b": entry("m2", "Alice"), "closed": True,
                                   "votes_a": 1, "votes_b": 0, "winner": "m1", "my_vote": None}], T0))
    texts = [w.text() for w in battles.findChildren(QLabel)]
    assert "by creator · 0 plays" in texts and "by Alice · 0 plays" in texts
    assert not [t for t in texts if "someone" in t and "someone else" not in t]
