"""What the community pages share (issue 12): a page that loads one
:class:`sync.community.Fetched` through a cloud job, shows when it was fetched
(or that it is the offline copy), and disables the actions that need the
server with the reason. The Qt-free work is :mod:`sync.community`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from studio.widgets import Card, clear_layout, muted, page_header
from sync.community import CommunityClient, Fetched
from sync.errors import NotConfiguredError

if TYPE_CHECKING:
    from studio.cloud import CloudController


CLOSED_PENDING = "closed — results pending"


def countdown(iso: str, *, now: datetime | None = None) -> str:
    """``"closes in 2 h 03 min"`` (``"closes in 3 d 4 h"``, ``"closes in 4 min 05 s"``) or
    :data:`CLOSED_PENDING` once the time has passed."""
    t = datetime.fromisoformat(iso)
    left = int((t - (now or datetime.now(UTC))).total_seconds())
    if left <= 0:
        return CLOSED_PENDING
    d, rem = divmod(left, 86400)
    h, rem = divmod(rem, 3600)
    m, sec = divmod(rem, 60)
    return "closes in " + (f"{d} d {h} h" if d else f"{h} h {m:02d} min" if h else f"{m} min {sec:02d} s" if m
                           else f"{sec} s")


class Countdowns(QObject):
    """Labels that count down to a deadline, ticking each second on a QTimer
    (``clock`` is injectable for tests). A label whose time runs out flips to
    :data:`CLOSED_PENDING` and ``expired`` fires once for that key (the page
    reloads: the server closes it and the results follow)."""

    expired = Signal(str)

    def __init__(self, parent: QObject, clock: Callable[[], datetime]) -> None:
        super().__init__(parent)
        self.clock = clock
        self.items: list[tuple[QLabel, str, str, Callable[[str], str]]] = []  # label, key, ends_at, format
        self.fired: set[str] = set()
        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self.tick)

    def clear(self) -> None:
        self.items.clear()
        self.timer.stop()

    def add(self, lab: QLabel, key: str, ends_at: str, fmt: Callable[[str], str] = lambda t: t) -> QLabel:
        lab.setObjectName(f"countdown_{key}")
        lab.setWordWrap(False)  # "OPEN · closes in 1 d 23 h" on one line beside the title
        self.items.append((lab, key, ends_at, fmt))
        self._show(lab, ends_at, fmt)
        if not self.timer.isActive():
            self.timer.start()
        return lab

    def _show(self, lab: QLabel, ends_at: str, fmt: Callable[[str], str]) -> str:
        text = countdown(ends_at, now=self.clock())
        lab.setText(fmt(text))
        return text

    def tick(self) -> None:
        for lab, key, ends_at, fmt in list(self.items):
            if self._show(lab, ends_at, fmt) == CLOSED_PENDING and key not in self.fired:
                self.fired.add(key)  # once per deadline: the server may take a moment to close it
                self.expired.emit(key)


class CommunityPage(QWidget):
    """Header, a status line (fetched / offline / signed out), a scrolling body
    rebuilt from each answer. Subclasses implement :meth:`fetch` and :meth:`render`."""

    loaded = Signal(object)  # Fetched
    TITLE = ""
    SUBTITLE = ""
    NEEDS_ACCOUNT = True

    def __init__(self, cloud: CloudController | None, client: CommunityClient | None) -> None:
        super().__init__()
        self.cloud = cloud
        self.client = client
        self.fetched: Fetched | None = None
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # tests inject their own
        self.countdowns = Countdowns(self, lambda: self.clock())
        self.countdowns.expired.connect(lambda _key: self.refresh())
        self.action_reason = ""  # why actions are disabled ("" = enabled)
        self.loading = 0  # loads in flight
        self.refresh_btn = QPushButton("Refresh")
        self.refresh_btn.setObjectName(f"{type(self).__name__}_refresh")
        self.refresh_btn.clicked.connect(self.refresh)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(28, 22, 28, 18)
        lay.setSpacing(12)
        lay.addWidget(page_header(self.TITLE, self.SUBTITLE, [self.refresh_btn]))
        self.status = muted("")
        self.status.setObjectName("community_status")
        self.status.setWordWrap(True)
        lay.addWidget(self.status)
        self.notice = QLabel("")  # the answer to the last action (kept across reloads)
        self.notice.setObjectName("community_notice")
        self.notice.setWordWrap(True)
        lay.addWidget(self.notice)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        lay.addWidget(self.scroll, 1)
        self.body = QWidget()
        self.body_lay = QVBoxLayout(self.body)
        self.body_lay.setContentsMargins(0, 0, 0, 0)
        self.scroll.setWidget(self.body)

    # ------------------------------------------------------------ loading
    def fetch(self, client: CommunityClient) -> Fetched:
        raise NotImplementedError

    def render(self, data: Any) -> None:
        raise NotImplementedError

    def refresh(self) -> None:
        if self.cloud is None or self.client is None or not self.cloud.session.configured:
            # no server address: say so plainly, and do not start a job that can only fail
            self._blocked("The cloud is off: community pages need a server address (Settings → Account).")
            return
        if self.NEEDS_ACCOUNT and not self.cloud.signed_in:
            self._blocked("Sign in (the account button, top right) to see this page.")
            return
        client = self.client
        self.status.setText("Loading…")
        self.loading += 1
        self._submit(f"Load {self.TITLE.lower()}", lambda: self.fetch(client), self.show_fetched, self._failed,
                     background=True)

    def _submit(self, title: str, fn: Callable[[], Any], done: Callable[[Any], None],
                failed: Callable[[BaseException], None], *, background: bool = False) -> None:
        """A cloud job (the one job runner); errors go to ``failed`` and to the
        cloud controller (an ended session asks to sign in, a limit opens Billing)."""
        cloud = self.cloud
        assert cloud is not None

        def on_error(e: BaseException) -> None:
            failed(e)
            cloud.handle_error(e, quiet=True)

        cloud.jobs.submit(title, "sync", lambda _p, _c: fn(), on_result=done, on_error=on_error,
                          meta={"cloud": True}, background=background)

    def _failed(self, e: BaseException) -> None:
        self.loading = max(0, self.loading - 1)
        self._blocked(str(e) if not isinstance(e, NotConfiguredError) else "The cloud is not configured.")

    def _blocked(self, reason: str) -> None:
        self.action_reason = reason
        self.status.setText(reason)
        if self.fetched is None:
            self.clear_body()
            card = Card()
            card.body.addWidget(muted(reason))
            self.body_lay.addWidget(card)
            self.body_lay.addStretch(1)

    def show_fetched(self, f: Fetched) -> None:
        self.loading = max(0, self.loading - 1)
        self.fetched = f
        self.action_reason = f"Needs the server: {f.reason}" if f.offline else ""
        self.status.setText(f.note())
        self.status.setProperty("offline", f.offline)
        self.clear_body()
        self.countdowns.clear()
        self.render(f.data)
        self.body_lay.addStretch(1)
        self.loaded.emit(f)

    def clear_body(self) -> None:
        clear_layout(self.body_lay)

    def my_id(self) -> str | None:
        """The signed-in user's id (None signed out or without cloud)."""
        try:
            return self.cloud.session.require().auth.user_id if self.cloud is not None else None
        except Exception:  # noqa: BLE001 - signed out / not configured
            return None

    def is_mine(self, m: dict[str, Any]) -> bool:
        """Whether the mashup ``m`` (a server answer with ``owner_id``) is the signed-in user's."""
        owner = m.get("owner_id")
        return bool(owner) and owner == self.my_id()

    # ------------------------------------------------------------ actions
    def action_button(self, text: str, fn: Callable[[], None], *, name: str = "", tip: str = "") -> QPushButton:
        """A button for a server action: disabled with the reason while offline or signed out."""
        b = QPushButton(text)
        if name:
            b.setObjectName(name)
        b.setEnabled(not self.action_reason)
        b.setToolTip(self.action_reason or tip)
        b.clicked.connect(fn)
        return b

    def act(self, title: str, call: Callable[[CommunityClient], Any], done: Callable[[Any], None]) -> None:
        """Run a server action as a cloud job; its answer goes to ``done``, errors to the status line."""
        if self.cloud is None or self.client is None:
            return
        client = self.client

        def finished(r: Any) -> None:
            done(r)
            self.refresh()

        self._submit(title, lambda: call(client), finished, self.show_error)

    def show_error(self, e: BaseException) -> None:
        self.say(f"⚠ {e}")

    def say(self, text: str) -> None:
        self.notice.setText(text)


def public_name(*names: str | None, mine: bool = False) -> str:
    """How the pages name a person: "you" for the signed-in user, else the first
    public name given (display name, then username), else "creator" (an account
    that never set one: the server answers "")."""
    if mine:
        return "you"
    return next((n for n in names if n and n.strip()), "creator")


def heading(text: str) -> QLabel:
    lab = QLabel(text)
    lab.setObjectName("CardTitle")
    lab.setWordWrap(True)
    return lab


def label(text: str, *, name: str = "", bold: bool = False) -> QLabel:
    lab = QLabel(text)
    lab.setWordWrap(True)
    lab.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if name:
        lab.setObjectName(name)
    if bold:
        f = lab.font()
        f.setBold(True)
        lab.setFont(f)
    return lab


COMMUNITY_PAGES = ("Battles", "Challenges", "Profile", "Analytics", "Trending")
TIPS = {"Battles": "Vote in battles and enter your mashups", "Challenges": "Themed challenges with prize XP",
        "Profile": "Your level, badges, streak and rank", "Analytics": "Plays, likes, shares and comments over time",
        "Trending": "Sounds trending in mashups"}


def install_community(window: Any, cloud: CloudController) -> dict[str, CommunityPage]:
    """Make the sidebar's community entries real pages, add File → Publish
    mashup…, and load a page when it is shown or the account changes."""
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QToolButton

    from studio.views.analytics_page import AnalyticsPage
    from studio.views.battles_page import BattlesPage
    from studio.views.challenges_page import ChallengesPage
    from studio.views.profile_page import ProfilePage
    from studio.views.trending_page import TrendingPage

    s = window.s
    client = CommunityClient(cloud.session.require)
    pages: dict[str, CommunityPage] = {
        "Battles": BattlesPage(cloud, client, s.transport), "Challenges": ChallengesPage(cloud, client),
        "Profile": ProfilePage(cloud, client), "Analytics": AnalyticsPage(cloud, client),
        "Trending": TrendingPage(cloud, client, s.library, s.analysis_db)}
    for name, page in pages.items():
        window.pages[name] = page
        window.stack.addWidget(page)
        b = window.findChild(QToolButton, f"nav_{name}")
        if b is None:
            continue
        b.setEnabled(True)
        b.setCheckable(True)
        b.setToolTip(TIPS[name])
        b.setIcon(s.theme.icon(name.lower()))
        window.nav.addButton(b)
        window.nav_buttons[name] = b
        b.clicked.connect(lambda _c=False, n=name: window.go(n))

    def on_show(i: int) -> None:
        w = window.stack.widget(i)
        if isinstance(w, CommunityPage):
            w.refresh()

    window.stack.currentChanged.connect(on_show)
    trending = pages["Trending"]
    assert isinstance(trending, TrendingPage)
    trending.start_with_song.connect(lambda sid: window.library_page.open_in_editor.emit([sid]))
    trending.import_file.connect(lambda path: window.library_page.import_paths([Path(path)]))

    def publish(project: Path | None = None) -> None:
        """The publish dialog for ``project`` (the Projects page's selection) or the editor's project."""
        from studio.views.billing_page import SETTING_BILLING_URL
        from studio.views.publish_dialog import PublishDialog
        from sync.billing import BillingClient, billing_url
        from sync.session import bundled_config_path

        url = billing_url({"billing_url": s.settings.str(SETTING_BILLING_URL)}, bundled=bundled_config_path())
        dlg = PublishDialog(cloud, client, BillingClient(cloud.session.require, url),
                            project if project is not None else window.editor_page.doc.path, window, paths=s.paths)

        def published(r: dict[str, Any]) -> None:
            window.statusBar().showMessage(f"Published ({r['sources']} source songs)")
            billing = getattr(window, "billing_page", None)
            if billing is not None:
                billing.refresh()  # the quota beside Projects → Publish… follows

        dlg.published.connect(published)
        splits = getattr(window, "splits_page", None)
        if splits is not None:  # issue 16: "Set up revenue split…" in the dialog
            dlg.split_requested.connect(lambda mid: (window.go("Splits"), splits.split_for_mashup(mid, edit=True)))
        window.publish_dialog = dlg
        dlg.open()

    act = QAction("Publish mashup…", window)
    act.setObjectName("publish_action")
    act.triggered.connect(lambda _c=False: publish())
    file_menu = window.menuBar().actions()[0].menu()
    file_menu.insertAction(file_menu.actions()[-3], act)
    window.publish_action = act
    projects = getattr(window, "projects_page", None)
    if projects is not None:  # Projects → Publish…, with the plan's remaining publishes beside it
        projects.publish_requested.connect(lambda folder: publish(Path(folder)))
        billing = getattr(window, "billing_page", None)
        if billing is not None:
            from sync.community import PUBLISH_METRIC

            billing.plan_loaded.connect(lambda plan: projects.show_publish_quota(
                plan.remaining(PUBLISH_METRIC), plan.remaining_text(PUBLISH_METRIC).capitalize()))
    return pages
