"""Comments under a published mashup (issue 12): the newest first with who
wrote them and when, a box to post one, Delete on your own. Loads and posts
through the page's cloud jobs (:class:`~studio.views.community_common.CommunityPage`);
the server bounds the size and how fast one person comments, and says so."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QHBoxLayout, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from studio.views.community_common import label, public_name
from studio.widgets import clear_layout, muted
from sync.community import COMMENT_MAX_CHARS, Fetched

if TYPE_CHECKING:
    from studio.views.community_common import CommunityPage


def comment_count_text(n: int) -> str:
    return f"{n} comment{'' if n == 1 else 's'}"


def _when(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


class CommentsPanel(QWidget):
    """The comments of one mashup, shown inside ``page`` (its jobs, its notice line)."""

    def __init__(self, page: CommunityPage, mashup: dict[str, Any]) -> None:
        super().__init__()
        self.page = page
        self.mashup_id = str(mashup["id"])
        self.setObjectName(f"comments_panel_{self.mashup_id}")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 4, 0, 0)
        self.list_lay = QVBoxLayout()
        self.state = muted("Loading comments…")
        self.state.setObjectName("comments_state")
        lay.addWidget(self.state)
        lay.addLayout(self.list_lay)
        self.edit = QPlainTextEdit()
        self.edit.setObjectName(f"comment_edit_{self.mashup_id}")
        self.edit.setPlaceholderText(f"Add a comment (up to {COMMENT_MAX_CHARS} characters)")
        self.edit.setFixedHeight(56)
        row = QHBoxLayout()
        row.addWidget(self.edit, 1)
        self.post_btn = page.action_button("Post", self.post, name=f"comment_post_{self.mashup_id}",
                                           tip="Post your comment")
        if page.my_id() is None and self.post_btn.isEnabled():
            self.post_btn.setEnabled(False)
            self.post_btn.setToolTip("Sign in to comment.")
        self.edit.setEnabled(self.post_btn.isEnabled())
        row.addWidget(self.post_btn)
        lay.addLayout(row)
        self.comments: list[dict[str, Any]] = []

    # ------------------------------------------------------------ loading
    def load(self) -> None:
        client = self.page.client
        if self.page.cloud is None or client is None:
            self.state.setText("Comments need the cloud.")
            return
        mid = self.mashup_id
        self.page._submit("Load comments", lambda: client.comments(mid), self.show_comments,  # noqa: SLF001
                          lambda e: self.state.setText(f"Comments could not be loaded: {e}"), background=True)

    def show_comments(self, f: Fetched) -> None:
        clear_layout(self.list_lay)
        data = f.data or {}
        self.comments = list(data.get("comments") or [])
        total = int(data.get("total") or 0)
        offline = f" · {f.note()}" if f.offline else ""
        self.state.setText((comment_count_text(total) if total else "No comments yet.")
                           + (f" (newest {len(self.comments)} shown)" if total > len(self.comments) else "")
                           + offline)
        for c in self.comments:
            row = QHBoxLayout()
            who = public_name(c.get("author"), mine=bool(c.get("mine")))  # your own: "you"
            body = label(f"{who} · {_when(str(c['created_at']))}\n{c['body']}", name="comment_body")
            row.addWidget(body, 1)
            if c.get("mine"):
                row.addWidget(self.page.action_button("Delete", lambda _c=False, cid=str(c["id"]): self.delete(cid),
                                                      name=f"comment_delete_{c['id']}", tip="Delete your comment"))
            self.list_lay.addLayout(row)

    # ------------------------------------------------------------ actions
    def post(self) -> None:
        text = self.edit.toPlainText().strip()
        if not text:
            self.page.say("⚠ Write something first.")
            return
        if len(text) > COMMENT_MAX_CHARS:  # refused before sending; the text stays in the box
            self.page.say(f"⚠ A comment is at most {COMMENT_MAX_CHARS} characters ({len(text)} now).")
            return
        mid = self.mashup_id
        self.page.act("Comment", lambda c: c.post_comment(mid, text), lambda _r: self.page.say("Comment posted."))

    def delete(self, comment_id: str) -> None:
        self.page.act("Delete comment", lambda c: c.delete_comment(comment_id),
                      lambda _r: self.page.say("Comment deleted."))


def comments_toggle(page: CommunityPage, mashup: dict[str, Any], open_ids: set[str]) -> tuple[QPushButton, QWidget]:
    """The "N comments" button and the panel it opens under an entry; ``open_ids``
    (kept by the page) keeps a panel open across the page's reloads."""
    mid = str(mashup["id"])
    box = QWidget()
    box_lay = QVBoxLayout(box)
    box_lay.setContentsMargins(0, 0, 0, 0)
    box.setVisible(False)  # no empty space under an entry whose comments are closed
    btn = QPushButton(comment_count_text(int(mashup.get("comments") or 0)))
    btn.setObjectName(f"comments_{mid}")
    btn.setCheckable(True)
    btn.setToolTip("Show the comments and add yours")

    def toggled(on: bool) -> None:
        clear_layout(box_lay)
        box.setVisible(on)
        if on:
            open_ids.add(mid)
            panel = CommentsPanel(page, mashup)
            box_lay.addWidget(panel)
            panel.load()
        else:
            open_ids.discard(mid)

    btn.toggled.connect(toggled)
    if mid in open_ids:
        btn.setChecked(True)
    return btn, box
