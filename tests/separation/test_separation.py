"""Separation through Demucs' normal loading path with a tiny HTDemucs saved
in a local model folder: shapes, stem names, residual, cache, cancel,
equivalence with demucs.apply.apply_model, typed errors."""

from __future__ import annotations

import multiprocessing
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from audio_engine import io
from audio_engine.audio import Audio
from audio_engine.cache import FileCache
from audio_engine.errors import (
    AudioDecodeError,
    Cancelled,
    DeviceUnavailableError,
    MashupsError,
    ModelNotInstalledError,
)
from audio_engine.progress import CancelToken, Progress
from audio_engine.separation import separate
from tests.corpus import Song

from .tinymodel import SOURCES, build_tiny_model


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("models")
    build_tiny_model(d)
    return d


def test_separate_corpus_song(model_dir: Path, songs: list[Song], tmp_path: Path) -> None:
    # The first 12 s of a corpus song (the tiny model still costs ~0.2 s per second on 2 busy cores).
    src = io.save(io.load(songs[0].mix, duration=12.0), tmp_path / "song.flac", bit_depth=16)
    cache = FileCache(tmp_path / "stems")
    seen: list[Progress] = []
    s = separate(src, model="tiny", model_dir=model_dir, cache=cache, progress=seen.append, threads=1)
    assert s.names == SOURCES
    assert not s.cached and s.device_used == "cpu" and s.model == "tiny" and s.sample_rate == 44100
    mix = io.load(src)
    stems = {n: s.load(n) for n in s.names}
    for a in stems.values():
        assert a.samples.shape == mix.samples.shape
        assert a.sample_rate == 44100
        assert np.isfinite(a.samples).all()
        assert a.peak() > 0.0
    # The random-weight model's own residual is large (reported) ...
    assert np.isfinite(s.residual_db) and s.residual_db > -60
    # ... and after the mixture-consistency step the stems sum back to the input.
    total = sum(a.samples for a in stems.values())
    assert np.abs(total - mix.samples).max() < 1e-4
    # The stems differ from each other (the model really ran per source).
    assert not np.allclose(stems["drums"].samples, stems["vocals"].samples, atol=1e-3)
    # Progress: ordered, typed stages, ETA, ends at 1.0.
    fr = [p.fraction for p in seen]
    assert fr == sorted(fr) and fr[-1] == 1.0
    stages = {p.stage for p in seen}
    assert {"reading", "separating"} <= stages
    assert any(p.eta_s is not None and p.stage == "separating" for p in seen)
    assert len(cache.entries()) == 1 and cache.size_bytes() > 4 * mix.frames * 2 * 4

    # Asking again returns the cached stems at once (no worker, no model).
    t0 = time.monotonic()
    again = separate(src, model="tiny", model_dir=model_dir, cache=cache)
    hit_s = time.monotonic() - t0
    assert again.cached and again.stems == s.stems and again.residual_db == s.residual_db
    assert hit_s < 2.0
    # The same samples given in memory hit the same entry.
    assert separate(mix, model="tiny", model_dir=model_dir, cache=cache).cached
    # Other settings are another entry.
    two = separate(mix, model="tiny", model_dir=model_dir, cache=cache, two_stems="vocals", threads=1)
    assert not two.cached and two.names == ["vocals", "no_vocals"]
    v, nv = two.load("vocals").samples, two.load("no_vocals").samples
    assert np.abs(v + nv - mix.samples).max() < 1e-4
    assert len(cache.entries()) == 2
    # Looking up cached stems without separating (what captions uses): the most recent set.
    from audio_engine.separation import find_cached_stems

    found = find_cached_stems(src, cache=cache)
    assert found is not None and found.cached and found.names == ["vocals", "no_vocals"]
    assert find_cached_stems(Audio(mix.samples * 0.5, 44100), cache=cache) is None
    # Clean-up with size accounting.
    from audio_engine.separation import clean_stem_cache, stem_cache_size

    size = stem_cache_size(cache)
    removed = clean_stem_cache(size // 2 + 1, cache)
    assert len(removed) == 1 and stem_cache_size(cache) < size


def test_streaming_equals_demucs_apply_model(model_dir: Path, songs: list[Song]) -> None:
    """Our bounded-memory streaming loop reproduces demucs' apply_model
    (split=True, shifts=0) on a length that is no multiple of the stride,
    fed in odd-sized blocks, with batches of 1 and 3 segments."""
    import torch
    from demucs.apply import apply_model

    from audio_engine.models.demucs_registry import load_model
    from audio_engine.separation.demucs_backend import DemucsRunner, demucs_separator
    from audio_engine.separation.streaming import separate_stream

    torch.set_num_threads(1)
    model = load_model("tiny", model_dir=model_dir)
    # With a DC offset: normalised as demucs.separate does (mono mean/std), zero padding in the normalised domain.
    mix = io.load(songs[1].mix, duration=7.37).samples + np.float32(0.05)
    mono = mix.mean(axis=0)
    mean, std = float(mono.mean()), float(mono.std())
    with torch.inference_mode():
        x = torch.from_numpy((mix - mean) / std)[None]
        ref = apply_model(model, x, shifts=0, split=True, overlap=0.25)[0].numpy() * std + mean / 4
    for batch in (1, 3):
        sep = demucs_separator(model, DemucsRunner(model, "cpu", []), segment=None, notes=[])
        out: list[np.ndarray] = []
        blocks = [mix[:, i : i + 50_000] for i in range(0, mix.shape[1], 50_000)]
        stats = separate_stream(sep, blocks, out.append, overlap=0.25, batch_size=batch, consistent=False,
                                mean=mean, std=std)
        got = np.concatenate(out, axis=2)
        assert got.shape == ref.shape
        assert np.abs(got - ref).max() < 1e-4 * max(1.0, np.abs(ref).max())
        # Residual reported exactly as mix - sum(stems).
        r = mix - ref.sum(axis=0)
        expect = 10 * np.log10(np.square(r, dtype=np.float64).sum() / np.square(mix, dtype=np.float64).sum())
        assert abs(stats.residual_db - expect) < 0.02


def test_cancel_stops_within_two_seconds(model_dir: Path, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    long = Audio((0.1 * rng.standard_normal((2, 44100 * 90))).astype(np.float32), 44100)
    path = io.save(long, tmp_path / "long.wav", bit_depth=16)
    cache = FileCache(tmp_path / "stems")
    token = CancelToken()
    started = threading.Event()

    def on_progress(p: Progress) -> None:
        if p.stage == "separating":
            started.set()

    cancelled_at: list[float] = []

    def canceller() -> None:
        started.wait(60)
        time.sleep(0.3)
        cancelled_at.append(time.monotonic())
        token.cancel()

    t = threading.Thread(target=canceller)
    t.start()
    with pytest.raises(Cancelled):
        separate(path, model="tiny", model_dir=model_dir, cache=cache, progress=on_progress, cancel=token, threads=1)
    stopped = time.monotonic()
    t.join()
    assert cancelled_at and stopped - cancelled_at[0] < 2.0
    # Nothing half-done is left in the cache, and the worker is gone.
    assert cache.entries() == []
    assert [p for p in cache.root.iterdir() if p.name.startswith(".tmp-")] == []
    assert not [c for c in multiprocessing.active_children() if c.name == "mashups-worker"]


def test_missing_model_is_typed_and_downloads_nothing(tmp_path: Path, songs: list[Song]) -> None:
    empty = tmp_path / "models"
    with pytest.raises(ModelNotInstalledError) as ei:
        separate(songs[0].mix, model="htdemucs", model_dir=empty, cache=FileCache(tmp_path / "c"))
    assert ei.value.model == "htdemucs" and "Download" in ei.value.hint
    assert not (empty / "demucs").exists() or list((empty / "demucs").iterdir()) == []
    with pytest.raises(ModelNotInstalledError):
        separate(songs[0].mix, model="nonexistent", model_dir=empty, cache=FileCache(tmp_path / "c"))


def test_bad_inputs_and_options(model_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF....WAVEjunk" * 10)
    cache = FileCache(tmp_path / "c")
    with pytest.raises(AudioDecodeError):
        separate(bad, model="tiny", model_dir=model_dir, cache=cache)
    with pytest.raises(MashupsError, match="overlap"):
        separate(bad, model="tiny", model_dir=model_dir, cache=cache, overlap=1.5)
    with pytest.raises(MashupsError, match="two-stems"):
        separate(bad, model="classical", cache=cache, two_stems="kazoo")
    with pytest.raises(MashupsError, match="device"):
        separate(bad, model="tiny", model_dir=model_dir, cache=cache, device="tpu")


def test_device_choice() -> None:
    import torch

    from audio_engine.separation.demucs_backend import pick_device

    expect = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    assert pick_device("auto") == expect
    assert pick_device("cpu") == "cpu"
    missing = "cuda" if not torch.cuda.is_available() else "mps"
    with pytest.raises(DeviceUnavailableError):
        pick_device(missing)
    with pytest.raises(DeviceUnavailableError):
        pick_device("tpu")


def test_shift_trick_adds_offset_grids(model_dir: Path) -> None:
    import torch

    from audio_engine.models.demucs_registry import load_model
    from audio_engine.separation.demucs_backend import DemucsRunner, demucs_separator
    from audio_engine.separation.streaming import separate_stream

    torch.set_num_threads(1)
    model = load_model("tiny", model_dir=model_dir)
    x = (0.1 * np.random.default_rng(0).standard_normal((2, 44100 * 5))).astype(np.float32)
    results = {}
    for shifts in (0, 1):
        sep = demucs_separator(model, DemucsRunner(model, "cpu", []), segment=None, notes=[])
        out: list[np.ndarray] = []
        stats = separate_stream(sep, [x], out.append, shifts=shifts)
        y = np.concatenate(out, axis=2)
        assert y.shape == (4, 2, x.shape[1])
        assert np.abs(y.sum(axis=0) - x).max() < 1e-5
        results[shifts] = (stats.windows, y)
    assert results[1][0] == 2 * results[0][0]
    assert not np.allclose(results[0][1], results[1][1], atol=1e-6)
