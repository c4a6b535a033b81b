"""The ONNX Runtime CPU path for HTDemucs: equal to PyTorch (and to demucs'
apply_model) within 1e-4 relative, exported once per set of weights, and
PyTorch kept whenever the path cannot be used."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from audio_engine import io
from audio_engine.cache import FileCache
from audio_engine.separation import separate
from tests.corpus import Song

from .tinymodel import build_tiny_model

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("models")
    build_tiny_model(d)
    return d


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).max() / max(1e-12, float(np.abs(b).max())))


def test_onnx_network_equals_pytorch_and_is_exported_once(model_dir: Path) -> None:
    import torch

    from audio_engine.models.demucs_registry import load_model
    from audio_engine.separation.onnx_backend import onnx_model

    model = load_model("tiny", model_dir=model_dir).models[0].eval()  # the bag's one HTDemucs
    cache = model_dir / "onnx"  # where separate() looks too: the module's tests export once
    fast = onnx_model(model, cache_dir=cache, threads=1)
    (exported,) = cache.glob("*.onnx")
    stamp = exported.stat().st_mtime_ns
    g = torch.Generator().manual_seed(7)
    x = torch.randn(3, 2, fast.length, generator=g) * 0.2
    with torch.inference_mode():
        ref = model(x).numpy()
        got = fast(x).numpy()
        short = fast(x[:1, :, : fast.length - 1000]).numpy()  # the last, shorter window of a song
        ref_short = model(x[:1, :, : fast.length - 1000]).numpy()
    assert got.shape == ref.shape and _rel(got, ref) < 1e-4
    assert short.shape == ref_short.shape and _rel(short, ref_short) < 1e-4
    # Same weights: the export is reused, not redone.
    onnx_model(model, cache_dir=cache, threads=1)
    assert exported.stat().st_mtime_ns == stamp and len(list(cache.glob("*.onnx"))) == 1


def test_streaming_on_onnx_equals_apply_model(model_dir: Path, songs: list[Song]) -> None:
    import torch
    from demucs.apply import apply_model

    from audio_engine.models.demucs_registry import load_model
    from audio_engine.separation.demucs_backend import DemucsRunner, demucs_separator
    from audio_engine.separation.onnx_backend import accelerate_cpu
    from audio_engine.separation.streaming import separate_stream

    model = load_model("tiny", model_dir=model_dir)
    mix = io.load(songs[1].mix, duration=5.3).samples
    mono = mix.mean(axis=0)
    mean, std = float(mono.mean()), float(mono.std())
    with torch.inference_mode():
        ref = apply_model(model, torch.from_numpy((mix - mean) / std)[None], shifts=0, split=True,
                          overlap=0.25)[0].numpy() * std + mean / 4
    notes: list[str] = []
    runner = DemucsRunner(model, "cpu", notes)
    sep = demucs_separator(model, runner, segment=None, notes=notes)  # geometry from the PyTorch model
    assert accelerate_cpu(runner, notes=notes, threads=1, cache_dir=model_dir / "onnx")
    assert "ONNX Runtime" in notes[-1]
    out: list[np.ndarray] = []
    separate_stream(sep, [mix], out.append,
                    overlap=0.25, consistent=False, mean=mean, std=std)
    got = np.concatenate(out, axis=2)
    assert got.shape == ref.shape and _rel(got, ref) < 1e-4


def test_separate_uses_onnx_on_cpu_and_torch_when_asked(model_dir: Path, songs: list[Song], tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    audio = io.load(songs[0].mix, duration=4.0)
    fast = separate(audio, model="tiny", model_dir=model_dir, device="cpu", cache=FileCache(tmp_path / "a"),
                    in_worker=False)
    assert any("ONNX Runtime" in n for n in fast.notes)
    assert list((model_dir / "onnx").glob("*.onnx"))
    monkeypatch.setenv("MASHUPS_SEPARATION_BACKEND", "torch")
    slow = separate(audio, model="tiny", model_dir=model_dir, device="cpu", cache=FileCache(tmp_path / "b"),
                    in_worker=False)
    assert not any("ONNX" in n for n in slow.notes)
    for name in fast.stems:
        a, b = fast.load(name).samples, slow.load(name).samples
        assert a.shape == b.shape and _rel(a, b) < 1e-4


def test_models_that_are_not_htdemucs_stay_on_pytorch(tmp_path: Path) -> None:
    import torch
    from demucs.hdemucs import HDemucs

    from audio_engine.separation.demucs_backend import DemucsRunner
    from audio_engine.separation.onnx_backend import accelerate_cpu, onnx_model

    torch.manual_seed(0)
    m = HDemucs(sources=["drums", "bass", "other", "vocals"], channels=4, depth=2, nfft=512)
    with pytest.raises(RuntimeError, match="not an HTDemucs"):
        onnx_model(m, cache_dir=tmp_path)
    notes: list[str] = []
    runner = DemucsRunner(m, "cpu", notes)
    assert not accelerate_cpu(runner, notes=notes, threads=1, cache_dir=tmp_path)
    assert runner.models == [m] and "PyTorch" in notes[-1]
    assert not list(tmp_path.glob("*.onnx"))
    os.environ.pop("MASHUPS_SEPARATION_BACKEND", None)
