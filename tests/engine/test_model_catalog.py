"""One model catalog (audio_engine.models.catalog) for Demucs and Whisper:
the same operations for both kinds, each over the folder it is given."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from audio_engine.cli.main import main
from audio_engine.models import demucs_registry as reg
from audio_engine.models.catalog import ModelCatalog
from tests.separation.tinymodel import build_tiny_model


def _fake_whisper(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    (folder / "model.bin").write_bytes(b"\1" * 1000)
    (folder / "tokenizer.json").write_text("{}")
    (folder / "vocabulary.txt").write_text("a\n")
    return folder


def test_both_kinds_through_one_interface(tmp_path: Path) -> None:
    cat = ModelCatalog(tmp_path / "models")
    assert set(cat.kinds) == {"separation", "captions"}
    listed = cat.list()
    assert {e.kind for e in listed} == {"separation", "captions"}
    assert [e.name for e in listed if e.installed] == ["classical"]  # only the built-in one
    # The same import/list/remove calls work for each kind; nothing branches on it here.
    src = _fake_whisper(tmp_path / "downloads" / "my-whisper")
    for kind, sources, name in (("captions", [src], "my-whisper"),):
        k = cat.kind(kind)
        k.import_from(sources, name=name)
        entry = next(e for e in k.list() if e.name == name)
        assert entry.installed and entry.size_bytes > 0 and not entry.registered
        assert k.remove(name) == entry.size_bytes
        assert not any(e.name == name for e in k.list())
    assert (tmp_path / "models" / "whisper").is_dir()  # the given folder, not the user's


def test_model_dir_may_hold_demucs_th_files_directly(tmp_path: Path) -> None:
    build_tiny_model(tmp_path / "built")
    flat = tmp_path / "flat"
    flat.mkdir()
    for f in (tmp_path / "built" / "demucs").iterdir():
        shutil.copy(f, flat / f.name)
    assert reg.repo_dir(flat) == flat
    assert reg.is_installed("tiny", model_dir=flat)
    names = {e.name for e in ModelCatalog(flat).list("separation") if e.installed}
    assert "tiny" in names


def test_cli_models_kind(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    models = tmp_path / "models"
    src = _fake_whisper(tmp_path / "dl" / "custom")
    assert main(["models", "--model-dir", str(models), "--kind", "captions", "import", "custom", str(src)]) == 0
    capsys.readouterr()
    assert main(["models", "--model-dir", str(models), "--json", "list", "--kind", "captions"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["kind"] for r in rows} == {"captions"}
    assert any(r["name"] == "custom" and r["installed"] for r in rows)
    assert main(["models", "--model-dir", str(models), "list"]) == 0
    out = capsys.readouterr().out
    assert "Separation (Demucs)" in out and "Captions (Whisper)" in out and "tiny.en" in out
    assert main(["models", "--model-dir", str(models), "remove", "custom"]) == 0  # the kind is found by name
    assert not (models / "whisper" / "custom").exists()
