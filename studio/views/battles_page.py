"""Battles page: open, upcoming and finished battles; each battle shows its two
entries side by side with a player (the published audio streamed from Storage
into the studio's own playback; playing logs a play for the creator), a vote
button (the server decides: one vote per battle, never for your own entry),
the countdown, comments (studio/views/comments_panel.py), and after closing
the votes and the winner. A free slot can be
filled with one of your published mashups. What it shares with the
Challenges page is :class:`~studio.views.entries_page.EntriesPage`."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QWidget

from studio.views.community_common import heading, label
from studio.views.entries_page import EntriesPage
from studio.widgets import Card, muted
from sync.community import CommunityClient, Fetched

if TYPE_CHECKING:
    from studio.cloud import CloudController
    from studio.transport import Transport

STATUS_ORDER = {"open": 0, "upcoming": 1, "finished": 2}


class BattlesPage(EntriesPage):
    TITLE = "Battles"
    SUBTITLE = "Two mashups, one vote each. Vote for the one you like; the server counts once and never your own."
    KIND = "battle"

    def __init__(self, cloud: CloudController | None, client: CommunityClient | None,
                 transport: Transport | None = None) -> None:
        super().__init__(cloud, client)
        self.transport = transport
        self.audio_dir = Path(tempfile.gettempdir()) / "mashups-community-audio"
        self.waves: dict[str, Any] = {}  # mashup id -> Peaks of its streamed audio

    def fetch(self, client: CommunityClient) -> Fetched:
        return self.with_my_mashups(client, client.battles())

    def render(self, data: Any) -> None:
        battles = sorted(data, key=lambda b: (STATUS_ORDER.get(b["status"], 3), b["ends_at"]))
        if not battles:
            self.body_lay.addWidget(muted("No battles yet. The platform team opens them; check back soon."))
        for b in battles:
            self.body_lay.addWidget(self._card(b))

    def _card(self, b: dict[str, Any]) -> Card:
        card = Card()
        card.setObjectName(f"battle_{b['id']}")
        top = QHBoxLayout()
        top.addWidget(heading(b["title"] or "Battle"), 1)
        top.addWidget(self.state_label(b))
        card.body.addLayout(top)
        grid = QGridLayout()
        for col, side in enumerate(("a", "b")):
            grid.addWidget(self._entry(b, side), 0, col)
        card.body.addLayout(grid)
        if b.get("closed"):
            win = next((b[s]["title"] for s in ("a", "b") if b.get(s) and b[s]["id"] == b.get("winner")), None)
            card.body.addWidget(label(f"Result: {b['votes_a']} – {b['votes_b']} · "
                                      + (f"winner: {win}" if win else "draw"), name="battle_result", bold=True))
        elif b.get("my_vote"):
            card.body.addWidget(muted("You voted. Results appear when the battle closes."))
        return card

    def _entry(self, b: dict[str, Any], side: str) -> QWidget:
        m = b.get(side)
        box = Card()
        if not m:
            box.body.addWidget(muted("Open slot"))
            if any(self.is_mine(b.get(s) or {}) for s in ("a", "b")):
                # one entry per person: the server refuses a second one ("Already entered."), so no Enter here
                box.body.addWidget(muted("You are in this battle: the other slot is for someone else's mashup."))
            elif b["status"] != "finished":
                box.body.addLayout(self.enter_row(b["id"], lambda c, mid: c.enter_battle(b["id"], mid),
                                                  combo_name="enter_choice", button_name=f"enter_{b['id']}"))
            return box
        box.body.addWidget(label(m["title"], bold=True))
        box.body.addWidget(muted(f"by {self.creator(m)} · {m['plays']} plays"))
        if m["id"] in self.waves:
            from PySide6.QtWidgets import QLabel

            from studio.views.projects_page import waveform_thumbnail

            wave = QLabel()
            wave.setObjectName(f"wave_{m['id']}")
            wave.setPixmap(waveform_thumbnail(self.waves[m["id"]], width=420, height=48))
            box.body.addWidget(wave)
        row = QHBoxLayout()
        play = self.action_button("▶ Play", lambda: self.play(m), name=f"play_{m['id']}",
                                  tip="Stream it into the studio's player")
        play.setEnabled(play.isEnabled() and bool(m.get("audio_path")))
        row.addWidget(play)
        mine = self.is_mine(m)
        if not mine:
            row.addWidget(self.action_button("♥ Like", lambda: self.react(m, "like"), name=f"like_{m['id']}",
                                             tip="Likes are a state: liking again changes nothing"))
            row.addWidget(self.action_button("Share", lambda: self.react(m, "share"), name=f"share_{m['id']}",
                                             tip="Copy a link to this mashup"))
        if mine:
            own = muted("Your entry: you can vote for the other one, never for your own.")
            own.setObjectName(f"own_{m['id']}")
            row.addWidget(own, 1)
        elif b["status"] == "open" and not b.get("my_vote"):
            vote = self.action_button("Vote", lambda: self.vote(b["id"], m["id"]), name=f"vote_{m['id']}",
                                      tip="One vote per battle")
            row.addWidget(vote)
        elif b.get("my_vote") == m["id"]:
            row.addWidget(muted("✓ your vote"))
        panel = self.entry_actions(row, m)  # remix where allowed, never your own; the comments, opened below
        row.addStretch(1)
        box.body.addLayout(row)
        box.body.addWidget(panel)
        box.body.addStretch(1)  # beside a taller entry (comments open) the content stays at the top
        return box

    # ------------------------------------------------------------ actions
    def vote(self, battle_id: str, mashup_id: str) -> None:
        self.act("Vote", lambda c: c.vote(battle_id, mashup_id), self._voted)

    def _voted(self, r: dict[str, Any]) -> None:
        self.say("Vote recorded." if r.get("status") == "recorded"
                            else "You had already voted in this battle; votes are final.")

    def react(self, m: dict[str, Any], kind: str) -> None:
        """Like or share someone's entry: logged for its creator (once per listener and window on the server)."""
        if kind == "share":
            from PySide6.QtGui import QGuiApplication

            QGuiApplication.clipboard().setText(f"mashups://mashup/{m['id']}  {m['title']}")
        self.act(kind.title(), lambda c: c.log_event(m["id"], kind),
                 lambda _r: self.say("Liked." if kind == "like" else "Link copied; shared."))

    def play(self, m: dict[str, Any]) -> None:
        """Download the published audio (verified chunks), log a play, hand it to the studio's player."""
        dest = self.audio_dir / f"{m['id']}.flac"

        def fetch(c: CommunityClient) -> tuple[Path, Any]:
            from audio_engine.io import file_hash
            from studio.peaks import PeakStore

            path = dest if dest.is_file() else c.download_audio(m, dest)
            peaks = PeakStore(self.audio_dir / "peaks").build(file_hash(path), path)
            c.log_event(m["id"], "play")
            return path, peaks

        def done(r: tuple[Path, Any]) -> None:
            path, self.waves[m["id"]] = r
            if self.transport is not None:
                self.transport.load_file(path, play=True)
            self.say(f"Playing {m['title']}")

        self.act(f"Stream {m['title']}", fetch, done)
