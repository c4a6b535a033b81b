"""Small fixes found by looking at the studio on a real X display (QA pass):
each test reproduces what was seen on screen."""

from __future__ import annotations

from typing import Any

from studio.views.track_header import ElidedLabel


def test_stem_track_names_keep_their_stem_when_elided(qtbot: Any) -> None:
    # A Magic mashup makes "Midnight Circuit — drums", "— bass", "— other": elided at the end
    # they all read "Midnight Circuit — …" and cannot be told apart.
    labels = []
    for stem in ("drums", "bass", "other"):
        label = ElidedLabel(f"Midnight Circuit — {stem}")
        qtbot.addWidget(label)
        label.resize(label.fontMetrics().horizontalAdvance("Midnight Circuit — ") + 4, 20)
        label.show()
        qtbot.waitExposed(label)
        assert label.text().endswith(f"— {stem}") and "…" in label.text(), label.text()
        assert label.toolTip() == f"Midnight Circuit — {stem}"
        labels.append(label.text())
    assert len(set(labels)) == 3
    # a name that fits is shown whole; a plain long name still ends in "…"
    whole = ElidedLabel("Short — vocals")
    qtbot.addWidget(whole)
    whole.resize(400, 20)
    whole.show()
    assert whole.text() == "Short — vocals"
    plain = ElidedLabel("An extremely long track name without any stem")
    qtbot.addWidget(plain)
    plain.resize(80, 20)
    plain.show()
    assert plain.text().endswith("…")
