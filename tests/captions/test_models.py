"""Whisper model registry, download (from a real local HTTP server), offline import."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from audio_engine.captions import models
from audio_engine.errors import Cancelled, DownloadError, MashupsError, ModelNotInstalledError
from audio_engine.progress import CancelToken, Progress


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture()
def mirror(tmp_path: Path, tiny_en: Path) -> Iterator[tuple[str, Path]]:
    """A local mirror laid out like the model hub, serving the real tiny.en files."""
    root = tmp_path / "mirror"
    d = root / "Systran" / "faster-whisper-tiny.en" / "resolve" / models.MODELS["tiny.en"].revision
    d.mkdir(parents=True)
    for f in tiny_en.iterdir():
        (d / f.name).symlink_to(f)
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", d
    finally:
        server.shutdown()
        server.server_close()


def test_registry_covers_the_model_family() -> None:
    for name in ("tiny", "tiny.en", "base", "small", "medium", "large-v2", "large-v3", "distil-large-v3",
                 "distil-small.en", "large-v3-turbo"):
        spec = models.MODELS[name]
        assert "model.bin" in spec.files and "config.json" in spec.files
        assert spec.url("model.bin").endswith(f"/{spec.repo}/resolve/{spec.revision}/model.bin")
    assert models.canonical_name("turbo") == "large-v3-turbo"
    assert models.MODELS["large-v3"].files != models.MODELS["small"].files  # v3 ships vocabulary.json


def test_pinned_models_match_the_real_files(tiny_en: Path) -> None:
    """tiny.en (the default) and base.en download from an immutable commit with
    every file's SHA-256 and size pinned; the tiny.en pins are those of the real
    conversion the tests use."""
    import hashlib

    for name in ("tiny.en", "base.en"):
        spec = models.MODELS[name]
        assert spec.pinned and len(spec.revision) == 40 and f"/resolve/{spec.revision}/" in spec.url("model.bin")
    assert not models.MODELS["large-v3"].pinned  # the others: completeness and loadability only
    for f in tiny_en.iterdir():
        pin = models.MODELS["tiny.en"].pin(f.name)
        assert pin is not None and pin.size == f.stat().st_size
        assert pin.sha256 == hashlib.sha256(f.read_bytes()).hexdigest()


def test_tampered_file_upstream_is_refused(studio_home: Path, mirror: tuple[str, Path]) -> None:
    from audio_engine.errors import ChecksumError

    url, d = mirror
    cfg = d / "config.json"
    data = bytearray(cfg.read_bytes())
    data[10] ^= 0x20  # same size, one changed byte
    cfg.unlink()
    cfg.write_bytes(bytes(data))
    with pytest.raises(ChecksumError):
        models.install_model("tiny.en", base_url=url)
    assert not models.is_installed("tiny.en")
    assert not (studio_home / "models" / "whisper" / "tiny.en").exists()


def test_nothing_installed_means_typed_error(studio_home: Path) -> None:
    assert models.installed_models() == []
    with pytest.raises(ModelNotInstalledError) as e:
        models.resolve_model("tiny.en")
    assert e.value.model == "tiny.en" and "not installed" in str(e.value)
    with pytest.raises(ModelNotInstalledError):
        models.resolve_model("gigantic-v9")


def test_download_with_progress_then_resolve(studio_home: Path, mirror: tuple[str, Path], tiny_en: Path) -> None:
    url, _ = mirror
    seen: list[Progress] = []
    path = models.install_model("tiny.en", base_url=url, progress=seen.append)
    assert path == studio_home / "models" / "whisper" / "tiny.en"
    for f in tiny_en.iterdir():
        assert (path / f.name).read_bytes() == f.read_bytes()
    fr = [p.fraction for p in seen]
    assert fr == sorted(fr) and fr[-1] == 1.0 and len(fr) >= 3
    assert models.is_installed("tiny.en")
    assert models.resolve_model("tiny.en").path == path
    assert models.installed_models() == ["tiny.en"]
    assert not list(path.parent.glob(".*"))  # no staging leftovers


def test_cancelled_download_is_not_installed_and_resumes(studio_home: Path, mirror: tuple[str, Path]) -> None:
    url, _ = mirror
    token = CancelToken()

    def cancel_soon(p: Progress) -> None:
        if p.fraction > 0.2:
            token.cancel()

    with pytest.raises(Cancelled):
        models.install_model("tiny.en", base_url=url, progress=cancel_soon, cancel=token)
    assert not models.is_installed("tiny.en")
    with pytest.raises(ModelNotInstalledError):
        models.resolve_model("tiny.en")
    models.install_model("tiny.en", base_url=url)
    assert models.is_installed("tiny.en")


def test_missing_file_on_server(studio_home: Path, mirror: tuple[str, Path]) -> None:
    url, d = mirror
    (d / "tokenizer.json").unlink()
    with pytest.raises(DownloadError):
        models.install_model("tiny.en", base_url=url)
    assert not models.is_installed("tiny.en")


def test_offline_import_and_direct_path(studio_home: Path, tiny_en: Path, tmp_path: Path) -> None:
    # A folder can be used directly without installing it.
    direct = models.resolve_model(str(tiny_en))
    assert direct.path == tiny_en and direct.identity.startswith("dir:")
    path = models.import_model(tiny_en, name="tiny.en")
    assert models.is_installed("tiny.en") and models.resolve_model("tiny.en").path == path
    assert sorted(p.name for p in path.iterdir()) == sorted(p.name for p in tiny_en.iterdir())
    # A custom name works too, and is found by that name.
    models.import_model(tiny_en, name="my-finetune")
    assert models.resolve_model("my-finetune").path.name == "my-finetune"
    assert models.installed_models() == ["tiny.en", "my-finetune"]
    # Incomplete folders are refused and nothing is installed.
    bad = tmp_path / "bad-model"
    bad.mkdir()
    (bad / "model.bin").write_bytes(b"")
    with pytest.raises(ModelNotInstalledError):
        models.import_model(bad, name="small")
    assert not models.is_installed("small")
    with pytest.raises(MashupsError):
        models.import_model(tmp_path / "nope")
