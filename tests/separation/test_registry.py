"""The Demucs model registry and manager: metadata from demucs' own files,
install by download (local HTTP server) and by offline import, listing,
removal, loading through demucs' local repository loader."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from audio_engine.errors import ChecksumError, MashupsError, ModelNotInstalledError
from audio_engine.models import demucs_registry as reg
from audio_engine.models.download import RemoteFile

from .httpserver import FileServer, ServedFile
from .tinymodel import build_tiny_model


@pytest.fixture
def server() -> Iterator[FileServer]:
    s = FileServer().start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def tiny_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("src"), name="unused", sig="abcd1234")


def _entry(th: Path, base: str) -> reg.DemucsModel:
    return reg.DemucsModel(
        name="tinyreg", title="Tiny", description="test", sources=("drums", "bass", "other", "vocals"),
        files=(RemoteFile(f"{base}/{th.name}", th.name, sha256=th.stem.split("-")[1]),),
        bag_yaml="models: ['abcd1234']\n", approx_bytes=th.stat().st_size,
    )


def test_registry_from_demucs_metadata() -> None:
    r = reg.registry()
    assert list(r) == ["htdemucs", "htdemucs_ft", "htdemucs_6s", "mdx_extra"]
    ht = r["htdemucs"]
    assert [f.filename for f in ht.files] == ["955717e8-8726e21a.th"]
    assert ht.files[0].sha256 == "8726e21a"
    assert ht.files[0].url == "https://dl.fbaipublicfiles.com/demucs/hybrid_transformer/955717e8-8726e21a.th"
    assert len(r["htdemucs_ft"].files) == 4 and len(r["mdx_extra"].files) == 4
    assert r["mdx_extra"].files[0].url.startswith("https://dl.fbaipublicfiles.com/demucs/mdx_final/")
    assert r["htdemucs_6s"].sources[-2:] == ("guitar", "piano")
    assert "segment: 44" in r["mdx_extra"].bag_yaml
    with pytest.raises(MashupsError, match="Unknown model"):
        reg.get_entry("htdemucs_xl")


def test_model_dir_from_env_and_argument(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, studio_home: Path) -> None:
    """The registry uses the folder it is given; the CLI's one context picks it
    (home, MASHUPS_MODEL_DIR, --model-dir)."""
    from audio_engine.cli.context import cli_context

    def models(model_dir: Path | None = None) -> Path:
        ctx = cli_context(model_dir)
        ctx.close()
        return reg.repo_dir(ctx.models)

    assert models() == studio_home / "models" / "demucs"
    monkeypatch.setenv("MASHUPS_MODEL_DIR", str(tmp_path / "elsewhere"))
    assert models() == tmp_path / "elsewhere" / "demucs"
    assert models(tmp_path / "cli") == tmp_path / "cli" / "demucs"


def test_list_empty_and_missing_model(tmp_path: Path) -> None:
    st = reg.list_models(model_dir=tmp_path)
    assert [m.name for m in st] == list(reg.MODEL_NAMES)
    assert not any(m.installed for m in st)
    assert all(m.approx_bytes > 10_000_000 for m in st)
    assert st[0].missing_files == ("955717e8-8726e21a.th",)
    with pytest.raises(ModelNotInstalledError) as ei:
        reg.load_model("htdemucs", model_dir=tmp_path)
    assert ei.value.model == "htdemucs"


def test_download_install_load_remove(server: FileServer, tiny_file: Path, tmp_path: Path) -> None:
    data = tiny_file.read_bytes()
    server.files[tiny_file.name] = ServedFile(data, cut_times=1, cut_at=len(data) // 3)
    entry = _entry(tiny_file, server.base)
    fractions: list[float] = []
    repo = reg.download_model("tinyreg", model_dir=tmp_path, entry=entry, progress=lambda p: fractions.append(p.fraction))
    assert fractions[-1] == 1.0 and fractions == sorted(fractions)
    assert (repo / tiny_file.name).read_bytes() == data
    assert (repo / "tinyreg.yaml").is_file()
    assert reg.is_installed("tinyreg", model_dir=tmp_path)
    # Loaded by demucs' own loader (LocalRepo + BagOnlyRepo), which checks the checksum in the name.
    from demucs.apply import BagOfModels
    from demucs.htdemucs import HTDemucs

    model = reg.load_model("tinyreg", model_dir=tmp_path)
    assert isinstance(model, BagOfModels) and isinstance(model.models[0], HTDemucs)
    assert model.sources == ["drums", "bass", "other", "vocals"]
    listed = {m.name: m for m in reg.list_models(model_dir=tmp_path)}
    assert listed["tinyreg"].installed and not listed["tinyreg"].registered
    assert listed["tinyreg"].installed_bytes == len(data)
    fp = reg.model_fingerprint("tinyreg", model_dir=tmp_path)
    assert fp == reg.model_fingerprint("tinyreg", model_dir=tmp_path)
    freed = reg.remove_model("tinyreg", model_dir=tmp_path)
    assert freed == len(data)
    assert not reg.is_installed("tinyreg", model_dir=tmp_path)
    assert list(repo.iterdir()) == []
    with pytest.raises(ModelNotInstalledError):
        reg.remove_model("tinyreg", model_dir=tmp_path)


def test_corrupt_installed_weights_are_reported(tiny_file: Path, tmp_path: Path) -> None:
    repo = tmp_path / "demucs"
    repo.mkdir()
    bad = bytearray(tiny_file.read_bytes())
    bad[len(bad) // 2] ^= 0xFF
    (repo / tiny_file.name).write_bytes(bytes(bad))
    (repo / "tinyreg.yaml").write_text("models: ['abcd1234']\n")
    with pytest.raises(ChecksumError, match="could not be loaded"):
        reg.load_model("tinyreg", model_dir=tmp_path)


def test_offline_import(tiny_file: Path, tmp_path: Path) -> None:
    entry = _entry(tiny_file, "http://unused")
    renamed = tmp_path / "downloads" / "my weights.th"
    renamed.parent.mkdir()
    renamed.write_bytes(tiny_file.read_bytes())
    other = tmp_path / "downloads" / "other.th"
    other.write_bytes(b"not a model")
    # A wrong file for a registered model: rejected by checksum, nothing installed.
    with pytest.raises(ChecksumError):
        reg.import_model("htdemucs", [other], model_dir=tmp_path)
    assert not reg.is_installed("htdemucs", model_dir=tmp_path)
    # The right file under any name (found in a folder) is matched by its sha256.
    imported = reg.import_model("tinyreg", [renamed.parent], model_dir=tmp_path, entry=entry)
    assert [p.name for p in imported] == [tiny_file.name]
    assert reg.is_installed("tinyreg", model_dir=tmp_path)
    assert hashlib.sha256(imported[0].read_bytes()).hexdigest().startswith(tiny_file.stem.split("-")[1])
    assert renamed.exists()  # the user's file is left alone


def test_partial_import_of_a_bag_is_not_installed(tiny_file: Path, tmp_path: Path) -> None:
    entry = _entry(tiny_file, "http://unused")
    two = reg.DemucsModel(
        name="bag2", title="", description="", sources=entry.sources,
        files=(entry.files[0], RemoteFile("http://unused/x.th", "ffff0000-12345678.th", sha256="12345678")),
        bag_yaml="models: ['abcd1234', 'ffff0000']\n", approx_bytes=0,
    )
    with pytest.raises(ModelNotInstalledError, match="ffff0000-12345678.th"):
        reg.import_model("bag2", [tiny_file], model_dir=tmp_path, entry=two)
    assert not (tmp_path / "demucs" / "bag2.yaml").exists()
    assert not reg.is_installed("bag2", model_dir=tmp_path)
