"""`mashups separate` and `mashups models` through the real CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from audio_engine import io
from audio_engine.cli.main import main
from tests.corpus import Song

from .httpserver import FileServer, ServedFile
from .tinymodel import build_tiny_model


def test_separate_cli_json_and_files(songs: list[Song], tmp_path: Path, studio_home: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    models = tmp_path / "models"
    build_tiny_model(models)
    src = io.save(io.load(songs[3].mix, duration=6.0), tmp_path / "in.flac", bit_depth=16)
    out = tmp_path / "out"
    rc = main(["separate", str(src), "-o", str(out), "--model", "tiny", "--model-dir", str(models),
               "--device", "cpu", "--json"])
    assert rc == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    events = [x["event"] for x in lines]
    assert events[-1] == "result" and events.count("progress") >= 3
    fr = [x["fraction"] for x in lines if x["event"] == "progress"]
    assert fr == sorted(fr) and fr[-1] == 1.0
    res = lines[-1]
    assert sorted(res["stems"]) == ["bass", "drums", "other", "vocals"] and res["cached"] is False
    mix = io.load(src).samples
    total = sum(io.load(p).samples for p in res["stems"].values())
    assert np.abs(total - mix).max() < 1e-4
    assert sorted(p.name for p in out.iterdir()) == ["bass.wav", "drums.wav", "other.wav", "vocals.wav"]
    # The stem cache lives in the studio's cache folder.
    assert any((studio_home / "cache" / "stems").iterdir())

    # Again, as FLAC, two stems, with the human-readable output: progress bar and summary on stderr.
    rc = main(["separate", str(src), "-o", str(tmp_path / "two"), "--model", "tiny", "--model-dir", str(models),
               "--two-stems", "vocals", "--format", "flac"])
    assert rc == 0
    err = capsys.readouterr().err
    assert "[" in err and "%" in err and "2 stems" in err
    assert sorted(p.name for p in (tmp_path / "two").iterdir()) == ["no_vocals.flac", "vocals.flac"]


def test_separate_cli_errors(tmp_path: Path, studio_home: Path, capsys: pytest.CaptureFixture[str],
                             songs: list[Song]) -> None:
    rc = main(["separate", str(songs[0].mix), "-o", str(tmp_path / "o"), "--model-dir", str(tmp_path / "none")])
    assert rc == 1
    err = capsys.readouterr().err
    assert "htdemucs" in err and "not installed" in err and "mashups models download" in err
    assert not (tmp_path / "o").exists()


def test_separate_cli_classical_is_labelled(songs: list[Song], tmp_path: Path, studio_home: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    src = io.save(io.load(songs[4].mix, duration=4.0), tmp_path / "in.wav")
    rc = main(["separate", str(src), "-o", str(tmp_path / "o"), "--model", "classical"])
    assert rc == 0
    err = capsys.readouterr().err
    assert "LOWER QUALITY" in err and "lower quality" in err
    assert len(list((tmp_path / "o").iterdir())) == 4


def test_models_cli(tmp_path: Path, studio_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert "htdemucs_6s" in out and "not installed" in out and "classical" in out
    assert str(studio_home / "models" / "demucs") in out
    assert main(["models", "--json", "list"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {m["name"] for m in listed if m["kind"] == "separation" and not m["builtin"]} == {"htdemucs", "htdemucs_ft", "htdemucs_6s", "mdx_extra"}
    assert {m["kind"] for m in listed} == {"separation", "captions"}  # one catalog for both kinds
    assert not any(m["installed"] for m in listed if not m["builtin"])
    # Offline import of a wrong file: refused by checksum, nothing installed.
    junk = tmp_path / "junk.th"
    junk.write_bytes(b"junk" * 100)
    assert main(["models", "import", "htdemucs", str(junk)]) == 1
    assert "checksum" in capsys.readouterr().err.lower()
    # Download from a mirror that serves a wrong file under the right name: rejected, nothing installed.
    server = FileServer().start()
    try:
        server.files["955717e8-8726e21a.th"] = ServedFile(b"x" * 200_000)
        assert main(["models", "download", "htdemucs", "--mirror", server.base]) == 1
    finally:
        server.stop()
    assert "checksum mismatch" in capsys.readouterr().err
    repo = studio_home / "models" / "demucs"
    assert not repo.exists() or list(repo.iterdir()) == []
    assert main(["models", "remove", "htdemucs"]) == 1
    assert "not installed" in capsys.readouterr().err
