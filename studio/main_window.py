"""The main window: page stack, global transport bar and the wiring between
pages; window state remembered in the settings. Its sidebar is
:mod:`studio.sidebar`, its menus and keyboard shortcuts :mod:`studio.window_menus`."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
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
from studio.sidebar import LATER, PAGES, Sidebar
from studio.views import loop_button
from studio.views.captions_page import CaptionsPage
from studio.views.editor_page import EditorPage
from studio.views.jobs_page import JobsPage
from studio.views.library_page import LibraryPage
from studio.views.models_page import ModelsPage
from studio.views.settings_page import SettingsPage
from studio.window_menus import WindowMenus

__all__ = ["LATER", "PAGES", "MainWindow", "TransportBar"]


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

        self.sidebar = Sidebar(services.theme, self.go)
        self.nav = self.sidebar.nav  # the cloud's installers add their pages' buttons to both
        self.nav_buttons = self.sidebar.nav_buttons
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
        self.menus = WindowMenus(self)
        m = self.menus  # the actions tests, the cloud's installers and the live session reach
        self.save_action, self.quit_action, self.play_action = m.save_action, m.quit_action, m.play_action
        self.undo_action, self.redo_action, self.delete_action = m.undo_action, m.redo_action, m.delete_action
        self.edit_actions, self.snap_action, self.grid_actions = m.edit_actions, m.snap_action, m.grid_actions
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
            self.menus.quit_last()  # the cloud's File entries (Publish, Share, Invitations) came after Quit

        self._restore_state()
        services.session.start()  # from here until a clean quit, a crash is detectable at the next start
        self.editor_page.restored.connect(lambda: self.go("Editor"))
        self.go("Library")
        if first_run_prompt:
            QTimer.singleShot(300, self._first_run)
            QTimer.singleShot(600, self.editor_page.offer_recovery)

    def go(self, name: str) -> None:
        self.stack.setCurrentWidget(self.pages[name])
        self.nav_buttons[name].setChecked(True)

    def current_page(self) -> str:
        w = self.stack.currentWidget()
        return next(k for k, v in self.pages.items() if v is w)

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
