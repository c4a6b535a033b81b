"""Publish a mashup: the dialog shows the plan's remaining publishes before
the click (the limits-before-refusals helpers of the Billing page), takes
title, description, tags, visibility and an optional cover; the job renders
the project loudness-normalised, fingerprints its source songs (Chromaprint),
computes the waveform peaks and uploads audio, peaks and cover to the public
bucket, then publishes (:mod:`sync.community`).

Issue 16: "Remixes" lets others copy the project ("Remix this",
:mod:`sync.remix`): the project is saved to the cloud first and published
with it, then the licence is set. "Set up revenue split…" opens the Splits
page's recipients editor for the new mashup once it is published."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
)

from studio.widgets import muted
from sync.billing import BillingClient, Plan
from sync.community import PUBLISH_METRIC, VISIBILITIES, CommunityClient, PublishRequest, prepare_from_project
from sync.remix_packs import LICENCES

if TYPE_CHECKING:
    from audio_engine.paths import StudioPaths
    from studio.cloud import CloudController
    from sync.projects import ProjectSync
    from sync.transport import Transport


def publish_project(client: CommunityClient, project: Path, form: dict[str, Any], *, paths: StudioPaths,
                    projects: ProjectSync | None = None, transport: Transport | None = None) -> dict[str, Any]:
    """The job's body: render, fingerprint, peaks, upload, publish; with a
    remix licence the project goes to the cloud first and is published with
    it (``projects``), then the licence is set (``transport``). ``paths`` are
    the studio's folders (Settings): its media store and analysis cache."""
    from audio_engine.io import file_hash
    from studio.peaks import PeakStore
    from sync.remix import publish_with_licence

    with tempfile.TemporaryDirectory(prefix="mashups-publish-") as tmp:
        audio, sources, duration = prepare_from_project(project, Path(tmp), paths=paths)
        store = PeakStore(Path(tmp) / "peaks")
        sha = file_hash(audio)
        store.build(sha, audio)
        peaks = next(store.root.glob(f"{sha}-*.npz"), None)
        cover = Path(form["cover"]) if form.get("cover") else None
        req = PublishRequest(audio, form["title"], form.get("description", ""), tuple(form.get("tags", ())),
                             form.get("visibility", "public"), sources, peaks, cover, duration)
        r = publish_with_licence(client, req, project, form.get("remix_licence") or None, projects=projects,
                                 transport=transport)
    r["sources"] = len(sources)
    return r


class PublishDialog(QDialog):
    published = Signal(dict)
    split_requested = Signal(str)  # mashup id: open the Splits page's recipients editor for it

    def __init__(self, cloud: CloudController, client: CommunityClient, billing: BillingClient | None,
                 project: Path | None, parent: Any = None, *, paths: StudioPaths) -> None:
        super().__init__(parent)
        self.setWindowTitle("Publish mashup")
        self.setMinimumWidth(520)
        self.cloud = cloud
        self.client = client
        self.project = project
        self.paths = paths
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.title_edit = QLineEdit(project.stem if project else "")
        self.title_edit.setObjectName("publish_title")
        self.title_edit.setMaxLength(200)
        self.desc = QPlainTextEdit()
        self.desc.setFixedHeight(80)
        self.tags = QLineEdit()
        self.tags.setPlaceholderText("comma-separated, up to 10")
        self.visibility = QComboBox()
        self.visibility.addItems(list(VISIBILITIES))
        cover_row = QHBoxLayout()
        self.cover = QLineEdit()
        self.cover.setPlaceholderText("optional PNG/JPEG")
        pick = QPushButton("Choose…")
        pick.clicked.connect(self._pick_cover)
        cover_row.addWidget(self.cover, 1)
        cover_row.addWidget(pick)
        generate = QPushButton("Generate…")  # issue 16: the cover generator, previewed (studio/views/cover_dialog.py)
        generate.setObjectName("publish_generate_cover")
        generate.setEnabled(project is not None)
        generate.clicked.connect(self._generate_cover)
        cover_row.addWidget(generate)
        form.addRow("Title", self.title_edit)
        form.addRow("Description", self.desc)
        form.addRow("Tags", self.tags)
        form.addRow("Visibility", self.visibility)
        form.addRow("Cover", cover_row)
        self.remix = QComboBox()  # issue 16: "Remix this" for others, with a licence
        self.remix.setObjectName("publish_remix_licence")
        self.remix.addItem("Not allowed", None)
        for key, text in LICENCES.items():
            self.remix.addItem(f"Allowed: {text}", key)
        self.remix.setToolTip("Others can copy this project into their own, credited to you. "
                              "The project is saved to the cloud with the mashup (one of your plan's cloud "
                              "projects); each remix is a project of the remixer's.")
        form.addRow("Remixes", self.remix)
        self.split = QCheckBox("Set up revenue split…")
        self.split.setObjectName("publish_split")
        self.split.setToolTip("After publishing, open the Splits page to add recipients and their shares")
        form.addRow("Revenue", self.split)
        lay.addLayout(form)
        self.note = muted("Renders the project at -14 LUFS, fingerprints its source songs on this computer and "
                          "uploads the mix. " + ("" if project else "Save the project first."))
        lay.addWidget(self.note)
        self.quota = muted("Checking your plan…")
        self.quota.setObjectName("publish_quota")
        lay.addWidget(self.quota)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.publish_btn = self.buttons.addButton("Publish", QDialogButtonBox.ButtonRole.AcceptRole)
        self.publish_btn.setObjectName("publish_button")
        self.publish_btn.setEnabled(project is not None and cloud.signed_in)
        self.publish_btn.clicked.connect(self.publish)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        if billing is not None and cloud.signed_in:
            cloud.run("Check plan", lambda _p, _c: billing.plan(), on_result=self.show_plan, quiet=True,
                      background=True)
        elif not cloud.signed_in:
            self.quota.setText("Sign in to publish.")

    def show_plan(self, plan: Plan) -> None:
        left = plan.remaining(PUBLISH_METRIC)
        self.quota.setText(plan.remaining_text(PUBLISH_METRIC).capitalize())
        if left is not None and left <= 0:
            self.publish_btn.setEnabled(False)
            self.publish_btn.setToolTip("Your plan's publishes for this month are used up (Billing page).")

    def _pick_cover(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Cover image", str(Path.home()), "Images (*.png *.jpg *.jpeg)")
        if path:
            self.cover.setText(path)

    def _generate_cover(self) -> None:
        from studio.views.cover_dialog import generate_cover_for

        assert self.project is not None
        out = self.project.with_name(f"{self.project.stem}-cover.png")  # beside the project, not inside it
        if generate_cover_for(self.project, out, self) is not None:
            self.cover.setText(str(out))

    def form(self) -> dict[str, Any]:
        return {"title": self.title_edit.text().strip(), "description": self.desc.toPlainText(),
                "tags": [t.strip() for t in self.tags.text().split(",") if t.strip()],
                "visibility": self.visibility.currentText(), "cover": self.cover.text().strip() or None,
                "remix_licence": self.remix.currentData()}

    def publish(self) -> None:
        if self.project is None:
            return
        form = self.form()
        cover = Path(form["cover"]) if form["cover"] else None
        try:  # bad input: a clear message, nothing uploaded, the dialog stays
            PublishRequest(self.project, form["title"], form["description"], tuple(form["tags"]),
                           form["visibility"], (), None, cover).check(files=False)
        except ValueError as e:
            self.note.setText(f"⚠ {e}")
            return
        if form["remix_licence"] and form["visibility"] != "public":
            self.note.setText("⚠ Only public mashups can be remixed: make it public or do not allow remixes.")
            return
        project, client, session, paths = self.project, self.client, self.cloud.session, self.paths
        self.publish_btn.setEnabled(False)
        self.note.setText("Publishing… (Jobs page shows the progress)")

        def run(_p: Any, _c: Any) -> dict[str, Any]:
            if not form["remix_licence"]:
                return publish_project(client, project, form, paths=paths)
            return publish_project(client, project, form, paths=paths, projects=session.require_projects(),
                                   transport=session.require().transport)

        self.cloud.run(f"Publish {form['title']}", run, on_result=self._done)

    def _done(self, r: dict[str, Any]) -> None:
        self.published.emit(r)
        if self.split.isChecked():
            self.split_requested.emit(str(r["mashup_id"]))
        self.accept()
