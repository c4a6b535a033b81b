"""`mashups caption` end to end (real model, real files)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audio_engine.captions import import_captions, word_error_rate
from audio_engine.captions.models import import_model
from audio_engine.cli.main import main
from tests.captions.conftest import SENTENCE, Speech


def test_caption_cli_default_model_and_formats(speech: Speech, tiny_en: Path, studio_home: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    # No model installed and none given: a clear error, exit code 1.
    rc = main(["caption", str(speech.path), "-o", str(tmp_path / "a.srt")])
    err = capsys.readouterr().err
    assert rc == 1 and "tiny.en" in err and "not installed" in err and "hint:" in err
    assert not (tmp_path / "a.srt").exists()

    import_model(tiny_en, name="tiny.en", root=studio_home / "models")  # the CLI's per-user models folder
    out = tmp_path / "a.srt"
    rc = main(["caption", str(speech.path), "-o", str(out), "--language", "en"])
    cap = capsys.readouterr()
    assert rc == 0, cap.err
    assert "%]" in cap.err  # progress on stderr
    doc = import_captions(out)
    assert word_error_rate(SENTENCE, doc.text) <= 0.25
    assert abs(doc.segments[0].start - speech.onset) <= 0.15

    # Second run: from the caption cache; enhanced LRC; JSON on stdout.
    lrc = tmp_path / "a.lrc"
    rc = main(["caption", str(speech.path), "-o", str(lrc), "--format", "elrc", "--language", "en", "--json"])
    cap = capsys.readouterr()
    assert rc == 0
    data = json.loads(cap.out)
    assert data["output"] == str(lrc) and data["source"] == "mix" and data["language"] == "en"
    assert "cached" in cap.err
    words = import_captions(lrc).words()
    assert len(words) == sum(len(s["words"]) for s in data["segments"])


def test_caption_cli_errors(speech: Speech, tiny_en: Path, studio_home: Path, tmp_path: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["caption", str(speech.path), "-o", str(tmp_path / "x.docx"), "--model", str(tiny_en)]) == 1
    assert "Unknown caption format" in capsys.readouterr().err
    assert main(["caption", str(tmp_path / "missing.wav"), "-o", str(tmp_path / "x.srt")]) == 1
    assert "no such file" in capsys.readouterr().err
    assert main(["caption", str(speech.path), "-o", str(tmp_path / "x.srt"), "--model", "large-v3"]) == 1
    assert "large-v3" in capsys.readouterr().err
    assert main(["caption", "--list-models", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["name"] for r in rows} >= {"tiny.en", "large-v3", "large-v3-turbo"}
