"""The cover generator dialog (Publish → Cover → Generate…): preview follows
style, size, title and colours; a bad colour is explained and cannot be
used; "Use this cover" writes the same PNG the engine draws."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from audio_engine.cover import encode, render
from audio_engine.project import Clip, save_project
from studio.views import cover_dialog
from tests.project.helpers import simple_project


def test_cover_dialog_preview_edit_and_use(tmp_path: Path, qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    p, store, ref = simple_project(tmp_path)
    p.title = "Night Drive x Glass"
    p.tracks[0].clips.append(Clip("c", ref.hash, None, 0.0, 3.0, source_bpm=120.0))
    saved = save_project(p, tmp_path / "P.mashup", media_sources=store)
    seen: list[cover_dialog.CoverDialog] = []

    def accept(dlg: cover_dialog.CoverDialog) -> int:
        qtbot.addWidget(dlg)
        seen.append(dlg)
        assert dlg.spec().title == "Night Drive x Glass" and dlg.spec().artists == "Band"
        assert not dlg.preview.pixmap().isNull()
        dlg.primary.setText("blue")
        dlg.primary.editingFinished.emit()
        assert "#RRGGBB" in dlg.error.text() and not dlg.use_btn.isEnabled()
        dlg.primary.setText("#103050")
        dlg.title_edit.setText("Edited title")
        dlg.title_edit.editingFinished.emit()
        dlg.style.setCurrentText("waveform")
        dlg.size.setCurrentIndex(dlg.size.findData("wide"))
        assert dlg.use_btn.isEnabled() and dlg.preview.pixmap().width() == cover_dialog.PREVIEW_PX
        dlg._use()
        return int(dlg.result())

    monkeypatch.setattr(cover_dialog.CoverDialog, "exec", accept)
    out = tmp_path / "P-cover.png"
    assert cover_dialog.generate_cover_for(saved, out) == out
    spec = seen[0].spec()
    assert (spec.style, spec.size, spec.title, spec.primary) == ("waveform", (1280, 720), "Edited title", "#103050")
    assert Image.open(out).size == (1280, 720)
    assert out.read_bytes() == encode(render(spec), "png")
