"""Magic mashup wizard: pick two songs (or one and "find a partner"), see the
proposed tempo, key, shift and score, generate, land in the editor."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from audio_engine.progress import CancelToken
from studio.controllers import SongActions, rank_fits
from studio.jobs import Job, JobState
from studio.services import Services
from studio.widgets import Card, muted

FIND = -1


def magic_available() -> bool:
    try:
        import audio_engine.magic  # noqa: F401
    except ImportError:
        return False
    return True


class MagicWizard(QDialog):
    project_ready = Signal(str)  # path of the generated .mashup

    def __init__(self, services: Services, actions: SongActions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.s = services
        self.actions = actions
        self.job: Job | None = None
        self.proposal: dict[str, Any] | None = None
        self.setWindowTitle("Magic mashup")
        self.setMinimumWidth(560)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(24, 20, 24, 18)
        lay.setSpacing(12)
        title = QLabel("Magic mashup")
        title.setObjectName("PageTitle")
        lay.addWidget(title)
        lay.addWidget(muted("Two songs in, one beat- and key-matched mashup out: the studio picks the tempo, "
                            "the pitch shift and which stems to combine. You can edit everything afterwards."))
        form = QFormLayout()
        self.song_a = QComboBox()
        self.song_b = QComboBox()
        for s in services.library.all():
            self.song_a.addItem(s.title, s.id)
        self.song_b.addItem("✨ Find a partner for me", FIND)
        for s in services.library.all():
            self.song_b.addItem(s.title, s.id)
        form.addRow("Song A (vocals)", self.song_a)
        form.addRow("Song B (instrumental)", self.song_b)
        lay.addLayout(form)
        self.card = Card()
        self.plan = QLabel("")
        self.plan.setWordWrap(True)
        self.card.body.addWidget(self.plan)
        lay.addWidget(self.card)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.hide()
        self.stage = muted("")
        lay.addWidget(self.bar)
        lay.addWidget(self.stage)
        row = QHBoxLayout()
        self.cancel_btn = QPushButton("Close")
        self.cancel_btn.clicked.connect(self._cancel)
        self.generate_btn = QPushButton(services.theme.icon("magic", "accent_text"), "Generate")
        self.generate_btn.setObjectName("Primary")
        self.generate_btn.clicked.connect(self.generate)
        row.addStretch(1)
        row.addWidget(self.cancel_btn)
        row.addWidget(self.generate_btn)
        lay.addLayout(row)
        self.song_a.currentIndexChanged.connect(lambda _i: self.update_plan())
        self.song_b.currentIndexChanged.connect(lambda _i: self.update_plan())
        services.jobs.job_changed.connect(self._job_changed)
        self.update_plan()

    def preselect(self, a: int | None, b: int | None) -> None:
        if a is not None:
            self.song_a.setCurrentIndex(max(0, self.song_a.findData(a)))
        self.song_b.setCurrentIndex(max(0, self.song_b.findData(b if b is not None else FIND)))
        self.update_plan()

    def _ids(self) -> tuple[int | None, int | None]:
        a = self.song_a.currentData()
        b = self.song_b.currentData()
        return (a if isinstance(a, int) else None), (b if isinstance(b, int) and b != FIND else None)

    def update_plan(self) -> None:
        a, b = self._ids()
        if a is None:
            self.plan.setText("Import at least two songs on the Library page first.")
            self.generate_btn.setEnabled(False)
            return
        sa = self.s.library.get(a)
        others = [s for s in self.s.library.all() if s.id != a]
        fits = rank_fits(sa, others if b is None else [self.s.library.get(b)], limit=len(others) or 1)
        if not sa.analysed or (b is not None and not self.s.library.get(b).analysed):
            self.plan.setText("Waiting for the analysis of the chosen songs (see Jobs)…")
            self.generate_btn.setEnabled(False)
            return
        if not fits:
            self.plan.setText("No analysed partner yet: import and analyse another song.")
            self.generate_btn.setEnabled(False)
            return
        f = fits[0]
        self.proposal = {"a": a, "b": f.song.id, "shift": f.shift, "score": f.score}
        sb = f.song
        self.plan.setText(
            f"<b>{sa.title}</b> (vocals) + <b>{sb.title}</b> (instrumental)<br>"
            f"Tempo: <b>{f.target_bpm:.1f} BPM</b> ({sa.bpm or 0:.1f} and {sb.bpm or 0:.1f}; at most {f.stretch_pct:.1f}% stretch)<br>"
            f"Key: <b>{sb.key_name}</b> ({sb.camelot}) · vocals shifted <b>{f.shift:+d}</b> semitones → {f.relation}<br>"
            f"Quick fit score: <b>{f.score:.0f}</b> / 100 (the full mashability score comes with the result)")
        self.generate_btn.setEnabled(magic_available())
        if not magic_available():
            self.stage.setText("The Magic mashup engine (audio_engine.magic) is not installed in this build.")

    def generate(self) -> Job | None:
        if self.proposal is None:
            return None
        a = self.s.library.get(int(self.proposal["a"]))
        b = self.s.library.get(int(self.proposal["b"]))
        out_dir = self.s.projects_dir
        out_dir.mkdir(parents=True, exist_ok=True)
        stem = "".join(ch if ch.isalnum() or ch in " -_" else "_" for ch in f"{a.title} x {b.title}").strip()
        project_path = out_dir / f"{stem}.mashup"
        n = 2
        while project_path.exists():
            project_path = out_dir / f"{stem} {n}.mashup"
            n += 1
        sep = self.s.settings.str("models/separation")
        model = None if sep in ("", "htdemucs") else sep  # None: htdemucs when installed, else the classical fallback
        kwargs = {"song_a": str(a.path), "song_b": str(b.path), "project_path": str(project_path), "model": model,
                  "model_dir": str(self.s.paths.models), "captions_a": a.captions}

        def fn(progress: Any, cancel: CancelToken) -> dict[str, Any]:
            from studio.tasks import magic_target

            return magic_target(**kwargs, progress=progress, cancel=cancel)

        self.job = self.s.jobs.submit(f"Magic mashup: {a.title} + {b.title}", "ml", fn, on_result=self._done)
        self.bar.show()
        self.generate_btn.setEnabled(False)
        self.cancel_btn.setText("Cancel")
        return self.job

    def _job_changed(self, job: Job) -> None:
        if job is not self.job:
            return
        self.bar.setValue(int(job.fraction * 1000))
        self.stage.setText(job.stage if job.state != JobState.FAILED else f"{job.error} {job.hint}")
        if job.state.finished:
            self.cancel_btn.setText("Close")
            self.generate_btn.setEnabled(job.state != JobState.DONE)

    def _done(self, result: dict[str, Any]) -> None:
        self.result = result
        score = result.get("score", {}).get("total")
        self.stage.setText(f"Done in {result.get('seconds', 0):.0f} s · score {score:.2f}" if isinstance(score, float) else "Done")
        if result.get("project"):
            self.project_ready.emit(str(result["project"]))
        self.accept()

    def _cancel(self) -> None:
        if self.job is not None and not self.job.state.finished:
            self.s.jobs.cancel(self.job.id)
            return
        self.reject()
