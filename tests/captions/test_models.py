"""Whisper model registry, download (from a real local HTTP server), offline import.

Every call passes the models folder (``root``): the engine picks none, so a
test whose folder is not the per-user one also proves nothing lands there."""

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
def root(tmp_path: Path, studio_home: Path) -> Iterator[Path]:
    """The models folder the caller chose (not the per-user one); afterwards
    nothing may have been created in the per-user folders."""
    yield tmp_path / "chosen-models"
    assert not (studio_home / "models").exists() and not (studio_home / "cache").exists()


def serve(root: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture()
def mirror(tmp_path: Path, tiny_en: Path) -> Iterator[tuple[str, Path]]:
    """A local mirror laid out like the model hub, serving the real tiny.en files."""
    root = tmp_path / "mirror"
    d = root / "Systran" / "faster-whisper-tiny.en" / "resolve" / models.MODELS["tiny.en"].revision
    d.mkdir(parents=True)
    for f in tiny_en.iterdir():
        (d / f.name).symlink_to(f)
    server, url = serve(root)
    try:
        yield url, d
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


#: The catalog models no public record pins every file of (import only).
UNPINNED = {"large-v1", "distil-medium.en", "distil-large-v2"}


def test_catalog_offers_downloads_only_for_fully_pinned_models(tmp_path: Path) -> None:
    """Every downloadable model comes from an immutable commit with a SHA-256
    and size for each of its files; the weights' pinned size agrees with the
    size the catalog shows; the others are listed as import only."""
    import re

    from audio_engine.models.catalog import WhisperModels

    for name, spec in models.MODELS.items():
        assert spec.downloadable == spec.pinned == (name not in UNPINNED), name
        if not spec.pinned:
            assert spec.revision == "main" and not spec.pins
            continue
        assert re.fullmatch(r"[0-9a-f]{40}", spec.revision), name
        assert {f for f, _ in spec.pins} == set(spec.files), name
        for f, pin in spec.pins:
            assert re.fullmatch(r"[0-9a-f]{64}", pin.sha256) and pin.size > 0, (name, f)
        weights = spec.pin("model.bin")
        assert weights is not None and abs(weights.size / 1e6 - spec.approx_mb) <= 0.05 * spec.approx_mb, name
    listed = {e.name: e for e in WhisperModels(tmp_path).list()}
    assert {n for n, e in listed.items() if not e.downloadable} == UNPINNED
    assert {listed[n].status for n in UNPINNED} == {"import only"}
    assert "import" in listed["large-v1"].description
    assert listed["tiny"].status == "not installed" and listed["tiny"].downloadable


def test_unpinned_model_is_never_downloaded(root: Path, tmp_path: Path) -> None:
    """An unpinned model is refused before any request: nothing is fetched or created."""
    requests: list[str] = []

    class Recording(_QuietHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            super().do_GET()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Recording, directory=str(tmp_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(DownloadError, match="no pinned checksums") as e:
            models.install_model("large-v1", base_url=f"http://127.0.0.1:{server.server_address[1]}", root=root)
    finally:
        server.shutdown()
        server.server_close()
    assert "Import" in e.value.hint and requests == [] and not root.exists()


def test_newly_pinned_model_with_other_bytes_is_refused(root: Path, tmp_path: Path) -> None:
    """tiny (multilingual) is pinned now: a file of the right size but other
    bytes, served from its commit, is refused and nothing is installed."""
    from audio_engine.errors import ChecksumError

    spec = models.MODELS["tiny"]
    d = tmp_path / "hub" / spec.repo / "resolve" / spec.revision
    d.mkdir(parents=True)
    pin = spec.pin("config.json")
    assert pin is not None
    (d / "config.json").write_bytes(b"{" + b" " * (pin.size - 2) + b"}")
    server, url = serve(tmp_path / "hub")
    try:
        with pytest.raises(ChecksumError):
            models.install_model("tiny", base_url=url, root=root)
    finally:
        server.shutdown()
        server.server_close()
    assert not models.is_installed("tiny", root=root) and not (root / "whisper" / "tiny").exists()


def test_pinned_models_match_the_real_files(tiny_en: Path) -> None:
    """tiny.en's pins are those of the real conversion the tests use."""
    import hashlib

    for f in tiny_en.iterdir():
        pin = models.MODELS["tiny.en"].pin(f.name)
        assert pin is not None and pin.size == f.stat().st_size
        assert pin.sha256 == hashlib.sha256(f.read_bytes()).hexdigest()


def test_no_folder_no_lookup(tiny_en: Path) -> None:
    """The engine picks no folder: without one a call is a TypeError, and a
    model name cannot be resolved (a model folder still can)."""
    with pytest.raises(TypeError):
        models.models_root(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        models.installed_models()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        models.install_model("tiny.en")  # type: ignore[call-arg]
    with pytest.raises(ModelNotInstalledError, match="No models folder"):
        models.resolve_model("tiny.en", root=None)
    assert models.resolve_model(str(tiny_en), root=None).path == tiny_en


def test_tampered_file_upstream_is_refused(root: Path, mirror: tuple[str, Path]) -> None:
    from audio_engine.errors import ChecksumError

    url, d = mirror
    cfg = d / "config.json"
    data = bytearray(cfg.read_bytes())
    data[10] ^= 0x20  # same size, one changed byte
    cfg.unlink()
    cfg.write_bytes(bytes(data))
    with pytest.raises(ChecksumError):
        models.install_model("tiny.en", base_url=url, root=root)
    assert not models.is_installed("tiny.en", root=root)
    assert not (root / "whisper" / "tiny.en").exists()


def test_nothing_installed_means_typed_error(root: Path) -> None:
    assert models.installed_models(root=root) == []
    with pytest.raises(ModelNotInstalledError) as e:
        models.resolve_model("tiny.en", root=root)
    assert e.value.model == "tiny.en" and "not installed" in str(e.value)
    with pytest.raises(ModelNotInstalledError):
        models.resolve_model("gigantic-v9", root=root)


def test_download_with_progress_then_resolve(root: Path, mirror: tuple[str, Path], tiny_en: Path) -> None:
    url, _ = mirror
    seen: list[Progress] = []
    path = models.install_model("tiny.en", base_url=url, progress=seen.append, root=root)
    assert path == root / "whisper" / "tiny.en"
    for f in tiny_en.iterdir():
        assert (path / f.name).read_bytes() == f.read_bytes()
    fr = [p.fraction for p in seen]
    assert fr == sorted(fr) and fr[-1] == 1.0 and len(fr) >= 3
    assert models.is_installed("tiny.en", root=root)
    assert models.resolve_model("tiny.en", root=root).path == path
    assert models.installed_models(root=root) == ["tiny.en"]
    assert not list(path.parent.glob(".*"))  # no staging leftovers


def test_cancelled_download_is_not_installed_and_resumes(root: Path, mirror: tuple[str, Path]) -> None:
    url, _ = mirror
    token = CancelToken()

    def cancel_soon(p: Progress) -> None:
        if p.fraction > 0.2:
            token.cancel()

    with pytest.raises(Cancelled):
        models.install_model("tiny.en", base_url=url, progress=cancel_soon, cancel=token, root=root)
    assert not models.is_installed("tiny.en", root=root)
    with pytest.raises(ModelNotInstalledError):
        models.resolve_model("tiny.en", root=root)
    models.install_model("tiny.en", base_url=url, root=root)
    assert models.is_installed("tiny.en", root=root)


def test_missing_file_on_server(root: Path, mirror: tuple[str, Path]) -> None:
    url, d = mirror
    (d / "tokenizer.json").unlink()
    with pytest.raises(DownloadError):
        models.install_model("tiny.en", base_url=url, root=root)
    assert not models.is_installed("tiny.en", root=root)


def test_offline_import_and_direct_path(root: Path, tiny_en: Path, tmp_path: Path) -> None:
    # A folder can be used directly without installing it.
    direct = models.resolve_model(str(tiny_en), root=root)
    assert direct.path == tiny_en and direct.identity.startswith("dir:")
    path = models.import_model(tiny_en, name="tiny.en", root=root)
    assert models.is_installed("tiny.en", root=root) and models.resolve_model("tiny.en", root=root).path == path
    assert sorted(p.name for p in path.iterdir()) == sorted(p.name for p in tiny_en.iterdir())
    # A custom name works too, and is found by that name.
    models.import_model(tiny_en, name="my-finetune", root=root)
    assert models.resolve_model("my-finetune", root=root).path.name == "my-finetune"
    assert models.installed_models(root=root) == ["tiny.en", "my-finetune"]
    # An unpinned model (not offered as a download) is imported like any other.
    models.import_model(tiny_en, name="large-v1", root=root)
    assert models.is_installed("large-v1", root=root)
    # Incomplete folders are refused and nothing is installed.
    bad = tmp_path / "bad-model"
    bad.mkdir()
    (bad / "model.bin").write_bytes(b"")
    with pytest.raises(ModelNotInstalledError):
        models.import_model(bad, name="small", root=root)
    assert not models.is_installed("small", root=root)
    with pytest.raises(MashupsError):
        models.import_model(tmp_path / "nope", root=root)


def test_cli_listings_say_import_only(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`mashups models list` and `mashups caption --list-models` show which models cannot be downloaded."""
    import json

    from audio_engine.cli.main import main

    assert main(["models", "--model-dir", str(root), "--json", "list", "--kind", "captions"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert {n for n, r in rows.items() if not r["downloadable"]} == UNPINNED
    assert rows["large-v1"]["status"] == "import only" and rows["large-v3"]["status"] == "not installed"
    assert main(["caption", "--list-models"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines() if line.strip()}
    assert "import only" in lines["distil-large-v2"] and "import only" not in lines["distil-large-v3"]


def test_english_only_models_are_marked_so() -> None:
    """Distil-Whisper was distilled on English only: its models say so even
    without '.en' in the name; the original multilingual models do not."""
    assert models.MODELS["distil-large-v3"].english_only
    assert models.MODELS["distil-large-v2"].english_only
    assert models.MODELS["tiny.en"].english_only
    assert not models.MODELS["large-v3"].english_only
    assert not models.MODELS["tiny"].english_only
