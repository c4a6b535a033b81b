"""The main window: sidebar navigation, page stack, global transport bar,
menus and keyboard shortcuts; window state remembered in the settings."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QSlider,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.controllers import SongActions
from studio.playback import format_time
from studio.services import Services
from studio.views import loop_button
from studio.views.captions_page import CaptionsPage
from studio.views.editor_page import EditorPage
from studio.views.jobs_page import JobsPage
from studio.views.library_page import LibraryPage
from studio.views.models_page import ModelsPage
from studio.views.settings_page import SettingsPage

PAGES = ("Library", "Editor", "Captions", "Jobs", "Models", "Settings")


def _unique(keys: list[QKeySequence]) -> list[QKeySequence]:
    """Shortcuts without repeats (one sequence bound twice is ambiguous and fires nothing)."""
    out: list[QKeySequence] = []
    for k in keys:
        if not k.isEmpty() and k not in out:
            out.append(k)
    return out
# Community pages (need an account: enabled by studio.views.community_common.install_community and
# studio.views.billing_page.install_billing when the cloud is configured).
LATER = ("Battles", "Challenges", "Profile", "Analytics", "Trending", "Billing")


class TransportBar(QFrame):
    def __init__(self, services: Services) -> None:
        super().__init__()
        self.setObjectName("Transport")
        self.s = services
        t = services.theme
        tr = services.transport
        lay = QHBoxLayout(self)
        lay.setContentsMargins(16, 8, 16, 8)
        lay.setSpacing(8)
        self.stop_btn = QToolButton()
        self.stop_btn.setIcon(t.icon("stop"))
        self.stop_btn.setToolTip("Stop")
        self.stop_btn.clicked.connect(tr.stop)
        self.play_btn = QToolButton()
        self.play_btn.setObjectName("PlayButton")
        self.play_btn.setIcon(t.icon("play", "accent_text"))
        self.play_btn.setIconSize(QSize(20, 20))
        self.play_btn.setFixedSize(38, 38)
        self.play_btn.setToolTip("Play / pause (Space)")
        self.play_btn.clicked.connect(tr.toggle)
        self.loop_btn = QToolButton()
        self.loop_btn.setIcon(t.icon("loop"))
        self.loop_btn.setCheckable(True)
        self.time = QLabel(format_time(0))
        self.time.setObjectName("TimeDisplay")
        self.total = QLabel("/ 00:00.000")
        self.total.setObjectName("Muted")
        self.seek = QSlider(Qt.Orientation.Horizontal)
        self.seek.setRange(0, 1000)
        self.seek.sliderMoved.connect(lambda v: tr.seek(v / 1000 * max(tr.duration, 0.001)))
        self.now = QLabel("Nothing loaded")
        self.now.setObjectName("Muted")
        self.output = QLabel("")
        self.output.setObjectName("Muted")
        lay.addWidget(self.stop_btn)
        lay.addWidget(self.play_btn)
        lay.addWidget(self.loop_btn)
        lay.addSpacing(8)
        lay.addWidget(self.time)
        lay.addWidget(self.total)
        lay.addWidget(self.seek, 1)
        lay.addWidget(self.now)
        lay.addWidget(self.output)
        tr.position_changed.connect(self._pos)
        tr.state_changed.connect(self._state)
        tr.loaded.connect(self._loaded)
        tr.message.connect(self._output_message)

    def _output_message(self, text: str) -> None:
        """Problems with the audio output in a few words (the whole sentence in
        the tooltip), so the seek bar keeps its room even at 1100 px."""
        short = "No audio device · playing silently" if "silent" in text.lower() else text
        self.output.setText(short if len(short) <= 48 else short[:47] + "…")
        self.output.setToolTip(text)

    def _pos(self, sec: float) -> None:
        self.time.setText(format_time(sec))
        d = self.s.transport.duration
        if d > 0 and not self.seek.isSliderDown():
            self.seek.setValue(int(sec / d * 1000))

    def _state(self, playing: bool) -> None:
        self.play_btn.setIcon(self.s.theme.icon("pause" if playing else "play", "accent_text"))
        if playing and not self.s.transport.output_problem:
            self.output.setText(f"▶ {self.s.transport.output_name}")

    def _loaded(self, duration: float) -> None:
        self.total.setText(f"/ {format_time(duration)}")
        src = self.s.transport.source
        self.now.setText(Path(src).name if src and not src.startswith("project:") else "Project mix" if src
                         else "Nothing loaded")


class MainWindow(QMainWindow):
    def __init__(self, services: Services, *, first_run_prompt: bool = True) -> None:
        super().__init__()
        self.s = services
        self.setWindowTitle("Mashups Studio")
        self.setMinimumSize(1100, 700)
        self.resize(1360, 840)
        self.actions_ctl = SongActions(services, self)

        self.library_page = LibraryPage(services, self.actions_ctl)
        self.editor_page = EditorPage(services, self.actions_ctl)
        self.captions_page = CaptionsPage(services, self.actions_ctl)
        self.jobs_page = JobsPage(services)
        self.models_page = ModelsPage(services)
        self.settings_page = SettingsPage(services)
        self.pages: dict[str, QWidget] = {
            "Library": self.library_page, "Editor": self.editor_page, "Captions": self.captions_page,
            "Jobs": self.jobs_page, "Models": self.models_page, "Settings": self.settings_page,
        }
        self.stack = QStackedWidget()
        for p in self.pages.values():
            self.stack.addWidget(p)

        self.sidebar = self._build_sidebar()
        self.transport_bar = TransportBar(services)
        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.sidebar)
        row.addWidget(self.stack, 1)
        outer.addLayout(row, 1)
        outer.addWidget(self.transport_bar)
        self.setCentralWidget(central)
        self._build_actions()
        self.statusBar().showMessage("Ready · everything on this page works offline", 5000)
        self.jobs_badge = QLabel("")
        self.statusBar().addPermanentWidget(self.jobs_badge)
        services.jobs.job_changed.connect(lambda _j: self._jobs_status())
        services.jobs.job_finished.connect(self._job_finished)

        # Cross-page wiring (signals only; pages do not know each other).
        self.library_page.open_in_editor.connect(self._open_songs_in_editor)
        self.library_page.magic_requested.connect(self.open_magic)
        self.library_page.show_captions.connect(self._show_captions)
        self.actions_ctl.model_missing.connect(self._model_missing)
        self.actions_ctl.magic_ready.connect(self._magic_done)
        self.actions_ctl.captions_ready.connect(lambda sid, _p: self.captions_page.show_song(sid))
        self.editor_page.title_changed.connect(lambda t: self.setWindowTitle(f"{t} — Mashups Studio"))
        self.settings_page.theme_changed.connect(self._apply_theme)
        loop_button.install(self)  # the transport's Loop button switches the editor's loop region
        if services.cloud is not None:  # accounts, Projects page, sync status (studio/cloud_ui.py)
            from studio.cloud_ui import install_cloud

            self.projects_page = install_cloud(self, services.cloud)
            from studio.views.billing_page import install_billing

            self.billing_page = install_billing(self, services.cloud)
            from studio.views.community_common import install_community

            self.community_pages = install_community(self, services.cloud)
            from studio.views.splits_page import install_splits

            self.splits_page = install_splits(self, services.cloud)
            from studio.views.packs_page import install_packs

            self.packs_page = install_packs(self, services.cloud)
            # the cloud's File entries (Publish, Share, Invitations) were appended below Quit
            file_menu = self.menuBar().actions()[0].menu()
            file_menu.removeAction(self.quit_action)
            file_menu.addSeparator()
            file_menu.addAction(self.quit_action)

        self._restore_state()
        services.session.start()  # from here until a clean quit, a crash is detectable at the next start
        self.editor_page.restored.connect(lambda: self.go("Editor"))
        self.go("Library")
        if first_run_prompt:
            QTimer.singleShot(300, self._first_run)
            QTimer.singleShot(600, self.editor_page.offer_recovery)

    # -- layout ---------------------------------------------------------------
    def _build_sidebar(self) -> QWidget:
        side = QFrame()
        side.setObjectName("Sidebar")
        side.setFixedWidth(224)
        lay = QVBoxLayout(side)
        lay.setContentsMargins(10, 14, 10, 12)
        lay.setSpacing(2)
        head = QHBoxLayout()
        logo = QToolButton()
        logo.setIcon(self.s.theme.icon("logo", "accent"))
        logo.setIconSize(QSize(26, 26))
        logo.setEnabled(True)
        title = QLabel("Mashups Studio")
        title.setObjectName("AppTitle")
        head.addWidget(logo)
        head.addWidget(title, 1)
        lay.addLayout(head)
        lay.addSpacing(10)
        self.nav = QButtonGroup(self)
        self.nav.setExclusive(True)
        self.nav_buttons: dict[str, QToolButton] = {}
        icons = {"Library": "library", "Editor": "editor", "Captions": "captions", "Jobs": "jobs",
                 "Models": "models", "Settings": "settings", "Battles": "battles", "Challenges": "challenges",
                 "Profile": "profile", "Analytics": "analytics", "Trending": "trending", "Billing": "billing"}

        def add_button(name: str, enabled: bool) -> QToolButton:
            b = QToolButton()
            b.setText(f"  {name}")
            b.setIcon(self.s.theme.icon(icons[name], "text" if enabled else "muted"))
            b.setIconSize(QSize(18, 18))
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            b.setCheckable(enabled)
            b.setEnabled(enabled)
            b.setSizePolicy(b.sizePolicy().horizontalPolicy().Expanding, b.sizePolicy().verticalPolicy())
            b.setMinimumHeight(32)  # all of the sidebar fits a 700 px high window
            b.setObjectName(f"nav_{name}")
            lay.addWidget(b)
            return b

        create = QLabel("CREATE")
        create.setObjectName("SidebarSection")
        lay.addWidget(create)
        for name in PAGES:
            if name == "Models":
                sys_label = QLabel("SYSTEM")
                sys_label.setObjectName("SidebarSection")
                lay.addWidget(sys_label)
            b = add_button(name, True)
            self.nav.addButton(b)
            self.nav_buttons[name] = b
            b.clicked.connect(lambda _c=False, n=name: self.go(n))
        soon = QLabel("COMMUNITY")
        soon.setObjectName("SidebarSection")
        lay.addWidget(soon)
        for name in LATER:
            b = add_button(name, False)
            b.setToolTip(f"{name} needs the cloud: set a server address in Settings → Account.")
        lay.addStretch(1)
        return side

    def go(self, name: str) -> None:
        self.stack.setCurrentWidget(self.pages[name])
        self.nav_buttons[name].setChecked(True)

    def current_page(self) -> str:
        w = self.stack.currentWidget()
        return next(k for k, v in self.pages.items() if v is w)

    def _build_actions(self) -> None:
        t = self.s.theme
        ed = self.editor_page
        mb = self.menuBar()

        def act(menu: object, text: str, slot: object, shortcut: object = None, icon: str | None = None) -> QAction:
            a = QAction(text, self)
            if icon:
                a.setIcon(t.icon(icon))
            if shortcut is not None:
                a.setShortcut(QKeySequence(shortcut))  # type: ignore[arg-type]
            a.triggered.connect(slot)  # type: ignore[arg-type]
            menu.addAction(a)  # type: ignore[attr-defined]
            self.addAction(a)
            return a

        f = mb.addMenu("&File")
        act(f, "Import songs…", self.library_page.choose_files, "Ctrl+I", "import")
        act(f, "Import folder…", self.library_page.choose_folder, None, "folder-plus")
        f.addSeparator()
        act(f, "New project", lambda: (ed.new_project(), self.go("Editor")), QKeySequence.StandardKey.New)
        act(f, "Open project…", lambda: (ed.open_dialog(), self.go("Editor")), QKeySequence.StandardKey.Open, "open")
        self.recent_menu = f.addMenu("Open recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self.save_action = act(f, "Save", ed.save, QKeySequence.StandardKey.Save, "save")
        act(f, "Save as…", ed.save_as, QKeySequence.StandardKey.SaveAs)
        act(f, "Export mix…", ed.export_dialog, "Ctrl+E", "export")
        f.addSeparator()
        act(f, "Welcome / demo project", self.show_welcome, None, "logo")
        self.quit_action = act(f, "Quit", self.close, QKeySequence.StandardKey.Quit)

        e = mb.addMenu("&Edit")
        e.setToolTipsVisible(True)  # a disabled edit says why (a viewer in a live session) when hovered
        self.undo_action = ed.undo_actions.undo  # off while there is nothing to undo, or editing is not allowed
        self.undo_action.setShortcut(QKeySequence("Ctrl+Z"))
        self.undo_action.setIcon(t.icon("undo"))
        self.redo_action = ed.undo_actions.redo
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.redo_action.setIcon(t.icon("redo"))
        e.addAction(self.undo_action)
        e.addAction(self.redo_action)
        self.addAction(self.undo_action)
        self.addAction(self.redo_action)
        e.addSeparator()
        self.delete_action = act(e, "Delete", ed.delete_selected, QKeySequence.StandardKey.Delete, "trash")
        marker = act(e, "Add marker at playhead", ed.add_marker, "M", "marker")
        split = act(e, "Split at playhead", ed.split_at_playhead, "S")
        dup = act(e, "Duplicate", ed.duplicate_selected, "Ctrl+D")
        act(e, "Copy clips", ed.copy_selected, QKeySequence.StandardKey.Copy)
        paste = act(e, "Paste clips at playhead", ed.paste_at_playhead, QKeySequence.StandardKey.Paste)
        # the Edit-menu actions that change the project (off, with the reason, while a live session is view-only)
        self.edit_actions = [self.delete_action, marker, split, dup, paste]

        v = mb.addMenu("&View")
        zin = act(v, "Zoom in", ed.zoom_in, "Ctrl+=", "zoom-in")
        zin.setShortcuts(_unique([QKeySequence("Ctrl+="), QKeySequence("Ctrl++"),
                                  *QKeySequence.keyBindings(QKeySequence.StandardKey.ZoomIn)]))
        zout = act(v, "Zoom out", ed.zoom_out, "Ctrl+-", "zoom-out")
        zout.setShortcuts(_unique([QKeySequence("Ctrl+-"), *QKeySequence.keyBindings(QKeySequence.StandardKey.ZoomOut)]))
        act(v, "Zoom to fit", ed.zoom_fit, "Ctrl+0")
        v.addSeparator()
        self.snap_action = act(v, "Snap to grid", lambda on: setattr(ed.timeline, "snap", bool(on)), "Ctrl+G")
        self.snap_action.setCheckable(True)
        self.snap_action.setChecked(ed.timeline.snap)
        grid = v.addMenu("Grid")
        self.grid_actions = []
        for label, beats in (("Bar", 0.0), ("Beat", 1.0), ("1/2 beat", 0.5), ("1/4 beat", 0.25)):
            g = grid.addAction(label)
            g.setCheckable(True)
            g.setChecked(beats == ed.timeline.grid_beats)
            g.triggered.connect(lambda _c=False, b=beats: self._set_grid(b))
            self.grid_actions.append((g, beats))
        v.addSeparator()
        for i, name in enumerate(PAGES, start=1):
            act(v, name, lambda _c=False, n=name: self.go(n), f"Ctrl+{i}")

        tr = mb.addMenu("&Transport")
        self.play_action = act(tr, "Play / pause", self.s.transport.toggle, Qt.Key.Key_Space, "play")
        act(tr, "Stop", self.s.transport.stop, "Ctrl+.", "stop")
        act(tr, "Go to start", lambda: self.s.transport.seek(0.0), Qt.Key.Key_Home)
        from PySide6.QtWidgets import QApplication

        from studio.space_key import SpacePlays

        self.space_plays = SpacePlays(self, self.s.transport.toggle)  # Space in a field nobody typed in
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self.space_plays)

        m = mb.addMenu("&Create")
        act(m, "Magic mashup…", lambda: self.open_magic(-1, None), "Ctrl+M", "magic")

    def _set_grid(self, beats: float) -> None:
        self.editor_page.timeline.grid_beats = beats
        for action, b in self.grid_actions:
            action.setChecked(b == beats)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for p in self.s.settings.get("recent_projects"):
            a = self.recent_menu.addAction(Path(p).name)
            a.setToolTip(p)
            a.triggered.connect(lambda _c=False, path=p: self.open_project(Path(path)))
        if not self.recent_menu.actions():
            self.recent_menu.addAction("(none yet)").setEnabled(False)

    # -- behaviour ------------------------------------------------------------
    def open_project(self, path: Path) -> None:
        if self.editor_page.open_project(path):
            self.go("Editor")

    def _open_songs_in_editor(self, ids: list[int]) -> None:
        """A new project with the songs when the current one is empty; else ask
        (new project by default when the current one is untitled)."""
        from studio.views.prompts import open_target_box

        ed = self.editor_page
        if not ed.doc.project.clips():
            self._open_songs_as(ids, "new")
            return
        box = open_target_box(self, ed.doc.project.title, on_choice=lambda how: self._open_songs_as(ids, how),
                              default="add" if ed.doc.path is not None else "new")  # saved: adding is the likely wish
        self.open_prompt = box
        box.open()

    def _open_songs_as(self, ids: list[int], how: str) -> None:
        ed = self.editor_page
        if how == "new":
            before = ed.doc.project
            titles = [self.s.library.get(i).title for i in ids[:2]]
            ed.new_project(title=" + ".join(titles) + (" …" if len(ids) > 2 else ""))
            if ed.doc.project is before and before.clips():
                return  # the person kept the unsaved project (Cancel in "Save changes?")
        ed.add_songs(ids)
        self.go("Editor")

    def _show_captions(self, song_id: int) -> None:
        self.captions_page.show_song(song_id)
        self.go("Captions")

    def open_magic(self, song_id: int, partner: object) -> None:
        from studio.views.magic_wizard import MagicWizard

        wiz = MagicWizard(self.s, self.actions_ctl, self)
        wiz.preselect(song_id if song_id >= 0 else None, partner if isinstance(partner, int) else None)
        wiz.finished.connect(lambda _r: self.library_page.refresh_fits())  # the stretch limit may have changed
        self.magic_wizard = wiz
        wiz.open()

    def _magic_done(self, project_path: str) -> None:
        if self.editor_page.open_project(Path(project_path)):
            self.go("Editor")

    def _model_missing(self, kind: str, model: str) -> None:
        from studio.views.prompts import model_missing_box

        ctl = self.actions_ctl
        sep = kind == "separation"

        def models() -> None:
            if sep:
                ctl.separate_waiting(None)
            self.go("Models")
            self.models_page.highlight(model)

        box = model_missing_box(self, kind, model, on_models=models,
                                on_classical=(lambda: ctl.separate_waiting("classical")) if sep else None,
                                on_cancel=(lambda: ctl.separate_waiting(None)) if sep else None)
        self.model_prompt = box
        box.open()

    def _jobs_status(self) -> None:
        active = [j for j in self.s.jobs.active() if not j.background]  # background work is not news
        self.jobs_badge.setText(f"{len(active)} job{'s' if len(active) != 1 else ''} running" if active else "")
        btn = self.nav_buttons["Jobs"]
        btn.setText(f"  Jobs  ({len(active)})" if active else "  Jobs")

    def _job_finished(self, job: object) -> None:
        self._jobs_status()
        from studio.jobs import Job, JobState

        if isinstance(job, Job) and job.state == JobState.FAILED:
            self.statusBar().showMessage(f"“{job.title}” failed: {job.error}", 8000)

    def _apply_theme(self, name: str) -> None:
        from PySide6.QtWidgets import QApplication

        from studio.theme import Theme

        self.s.theme = Theme(name)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            self.s.theme.apply(app)
        self.s.theme.retint(self)  # sidebar, toolbar, transport and menu icons in the new colours
        self.editor_page.theme_changed()

    def _first_run(self) -> None:
        if not self.s.settings.get("first_run_done"):
            self.show_welcome()

    def show_welcome(self) -> None:
        from studio.views.welcome import WelcomeDialog

        dlg = WelcomeDialog(self.s, self)
        dlg.demo_requested.connect(self.load_demo)
        dlg.models_requested.connect(lambda: self.go("Models"))
        self.welcome = dlg
        dlg.open()

    def load_demo(self) -> None:
        """Import the bundled demo songs and open a demo project with them."""
        from studio.resources import demo_songs

        songs = demo_songs()
        job = self.actions_ctl.import_paths(songs, analyse=True)
        self._demo_job = job.id
        self.actions_ctl.songs_added.connect(self._demo_imported)

    def _demo_imported(self, added: list) -> None:  # type: ignore[type-arg]
        self.actions_ctl.songs_added.disconnect(self._demo_imported)
        self.editor_page.new_project(title="Demo mashup")
        self.editor_page.add_songs([s.id for s in added], wait_for_analysis=True, autoplay=True)
        self.go("Editor")

    # -- state ----------------------------------------------------------------
    def _restore_state(self) -> None:
        geo = self.s.settings.geometry("window/geometry")
        if geo is not None:
            self.restoreGeometry(geo)
        st = self.s.settings.geometry("window/state")
        if st is not None:
            self.restoreState(st)

    def save_state(self) -> None:
        self.s.settings.set("window/geometry", self.saveGeometry())
        self.s.settings.set("window/state", self.saveState())
        self.s.settings.set("window/page", self.current_page())

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.editor_page.maybe_save():
            event.ignore()
            return
        self.save_state()
        self.editor_page.shutdown()
        super().closeEvent(event)
