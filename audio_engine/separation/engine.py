"""Stem separation: Demucs models (or the classical fallback), streamed in
bounded memory, in a spawned worker process, cached by content."""

from __future__ import annotations

import gc
import hashlib
import json
import math
import os
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from audio_engine.audio import Audio
from audio_engine.cache import FileCache, cache_key
from audio_engine.errors import InvalidAudioError, MashupsError
from audio_engine.progress import CancelToken, Progress, ProgressCallback, ProgressReporter, check

#: Bump when the engine's output for the same input and settings changes.
ENGINE_VERSION = "1"
CLASSICAL = "classical"
#: Seconds of input decoded per block (bounded memory).
BLOCK_SECONDS = 30.0
META = "meta.json"


@dataclass(frozen=True)
class StemSet:
    """Separated stems: ``stems`` maps a stem name to a float32 WAV file in
    the stem cache. ``residual_db`` is the energy of ``mix - sum(model
    stems)`` relative to the mix, before the residual was spread over the
    stems (after that they sum back to the input exactly)."""

    stems: dict[str, Path]
    sample_rate: int
    model: str
    device_used: str
    residual_db: float
    cached: bool
    notes: list[str] = field(default_factory=list)
    key: str = ""
    #: Seconds the separation itself took (when it was computed).
    seconds: float = 0.0
    #: Resident memory of the process that separated: when streaming began (model loaded) and its peak, MiB.
    rss_start_mb: float | None = None
    peak_rss_mb: float | None = None

    @property
    def names(self) -> list[str]:
        return list(self.stems)

    def load(self, name: str) -> Audio:
        from audio_engine import io

        if name not in self.stems:
            raise MashupsError(f"No stem named {name!r}; this set has {', '.join(self.stems)}.")
        return io.load(self.stems[name])


def stem_cache(root: Path) -> FileCache:
    """The stem cache in ``root`` (the caller's: ``StudioPaths.stems``)."""
    return FileCache(root)


def stem_cache_size(cache: FileCache) -> int:
    return cache.size_bytes()


def clean_stem_cache(max_bytes: int, cache: FileCache) -> list[str]:
    """Remove least recently used stem sets until the cache fits ``max_bytes``."""
    return cache.prune(max_bytes)


@dataclass(frozen=True)
class _Scan:
    hash: str
    mean: float
    std: float
    frames: int
    sample_rate: int
    channels: int


class _Scanner:
    """Streamed content hash of decoded audio plus the mono mix's mean/std.
    The same samples give the same hash whether they come from a file
    (streamed) or from an :class:`Audio` in memory."""

    def __init__(self, sample_rate: int, channels: int) -> None:
        self.rate = sample_rate
        self.ch = [hashlib.blake2b(digest_size=20) for _ in range(channels)]
        self.n = 0
        self.s1 = 0.0
        self.s2 = 0.0

    def update(self, x: np.ndarray[Any, Any]) -> None:
        for c in range(x.shape[0]):
            self.ch[c].update(np.ascontiguousarray(x[c], dtype=np.float32).tobytes())
        m = x.mean(axis=0, dtype=np.float64)
        self.s1 += float(m.sum())
        self.s2 += float(np.square(m).sum())
        self.n += int(x.shape[1])

    def result(self) -> _Scan:
        h = hashlib.blake2b(digest_size=20)
        h.update(f"{self.rate}:{len(self.ch)}:{self.n}:".encode())
        for c in self.ch:
            h.update(c.digest())
        mean = self.s1 / max(1, self.n)
        std = math.sqrt(max(0.0, self.s2 / max(1, self.n) - mean * mean))
        return _Scan(h.hexdigest(), mean, std, self.n, self.rate, len(self.ch))


def _scan_audio(audio: Audio) -> _Scan:
    s = _Scanner(audio.sample_rate, audio.channels)
    s.update(audio.samples)
    return s.result()


def _scan_path(path: Path, report: ProgressReporter, cancel: CancelToken | None) -> _Scan:
    """One streamed pass over the decoded file (bounded memory)."""
    from audio_engine import io

    i = io.info(path)
    s = _Scanner(i.sample_rate, i.channels)
    for block in io.stream(path, block_seconds=BLOCK_SECONDS):
        check(cancel)
        s.update(block.samples)
        report(s.n / max(1, i.frames))
    if s.n == 0:
        raise InvalidAudioError(f"{path.name}: no audio samples.")
    return s.result()


def _proc_status_mb(field: str) -> float | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def _rss_now_mb() -> float | None:
    """Resident memory of this process now (Linux /proc), in MiB."""
    return _proc_status_mb("VmRSS")


def _rss_peak_mb() -> float | None:
    """Peak resident memory of this process so far, in MiB. On Linux the
    address space's high-water mark (VmHWM): ``getrusage``'s ru_maxrss is
    inherited across exec, so a spawned worker would report its parent's
    peak from before the exec."""
    hwm = _proc_status_mb("VmHWM")
    if hwm is not None:
        return hwm
    try:
        import resource
        import sys
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024.0 * 1024.0) if sys.platform == "darwin" else peak / 1024.0


def _stem_names(sources: list[str], two_stems: str | None) -> list[str]:
    if two_stems is None:
        return list(sources)
    if two_stems not in sources:
        raise MashupsError(f"--two-stems {two_stems!r}: this model's stems are {', '.join(sources)}.")
    return [two_stems, f"no_{two_stems}"]


def _job(
    *,
    input_path: str,
    out_dir: str,
    model: str,
    model_dir: str | None,
    two_stems: str | None,
    device: str,
    shifts: int,
    overlap: float,
    segment: float | None,
    batch_size: int | None,
    mean: float,
    std: float,
    frames: int,
    input_rate: int,
    threads: int | None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """Worker target: separate ``input_path`` into float WAVs in ``out_dir``."""
    import soundfile as sf

    from audio_engine import io
    from audio_engine.separation.streaming import Separator, separate_stream

    t0 = time.monotonic()
    # Each stage says what it does: the classical separator loads no model,
    # only the signal-processing library (librosa), which takes seconds.
    report = ProgressReporter(progress, stage="starting the classical separator" if model == CLASSICAL else "loading model")
    report(0.0, force=True)
    notes: list[str] = []
    sep: Separator
    if model == CLASSICAL:
        report(0.0, stage="loading the signal-processing library", force=True)
        import librosa  # noqa: F401 - imported here so that its cost is reported as its own stage

        from audio_engine.separation.classical import NOTE, classical_separator

        sep = classical_separator()
        device_used = "cpu"
        notes.append(NOTE)
        bs = batch_size or 1
    else:
        from audio_engine.models.demucs_registry import load_model
        from audio_engine.separation.demucs_backend import (
            DemucsRunner,
            configure_cpu_threads,
            demucs_separator,
            pick_device,
        )

        device_used = pick_device(device)
        n_threads = configure_cpu_threads(threads) if device_used == "cpu" else 1
        if model_dir is None:
            raise MashupsError(f"No models folder given for {model!r}.")
        m = load_model(model, model_dir=Path(model_dir))
        runner = DemucsRunner(m, device_used, notes)
        sep = demucs_separator(m, runner, segment=segment, notes=notes)
        if device_used == "cpu":
            from audio_engine.separation.onnx_backend import accelerate_cpu, onnx_dir

            report(0.0, stage="preparing the CPU network (once per model)", force=True)
            accelerate_cpu(runner, notes=notes, threads=n_threads, cache_dir=onnx_dir(Path(model_dir)))
        bs = batch_size or (4 if device_used != "cpu" else 1)
    check(cancel)
    names = _stem_names(sep.sources, two_stems)
    out = Path(out_dir)
    total = max(1, int(frames * sep.samplerate / input_rate))
    big = total * sep.channels * 4 > 3_900_000_000
    writers = [
        sf.SoundFile(str(out / f"{n}.wav"), "w", samplerate=sep.samplerate, channels=sep.channels,
                     format="RF64" if big else "WAV", subtype="FLOAT")
        for n in names
    ]
    sep_report = report.sub(0.0, 1.0, stage="separating")
    sep_report(0.0, message=f"0 s of {total / sep.samplerate:.0f} s", force=True)
    rss_start = _rss_now_mb()

    def sink(stems: Any) -> None:
        for w, s in zip(writers, stems, strict=True):
            w.write(s.T)

    blocks = (
        b.samples for b in io.stream(input_path, block_seconds=BLOCK_SECONDS, sample_rate=sep.samplerate,
                                     channels=sep.channels)
    )
    try:
        stats = separate_stream(
            sep, blocks, sink, overlap=overlap, shifts=shifts, batch_size=bs, mean=mean, std=std,
            two_stems=two_stems, total_frames=total,
            on_progress=lambda n: sep_report(n / total, message=f"{n / sep.samplerate:.0f} s of {total / sep.samplerate:.0f} s"),
            cancel=cancel,
        )
    finally:
        for w in writers:
            w.close()
    notes.extend(n for n in stats.notes if n not in notes)
    report(1.0, stage="separating", force=True)
    return {
        "stems": names,
        "sample_rate": sep.samplerate,
        "device_used": device_used,
        "residual_db": stats.residual_db,
        "notes": notes,
        "seconds": time.monotonic() - t0,
        # Memory of the worker: when the streaming started (model loaded) and its peak.
        "rss_start_mb": rss_start,
        "peak_rss_mb": _rss_peak_mb(),
    }


def _stemset_from_entry(entry: Path, *, key: str, cached: bool) -> StemSet:
    meta = json.loads((entry / META).read_text())
    return StemSet(
        stems={n: entry / f"{n}.wav" for n in meta["stems"]},
        sample_rate=int(meta["sample_rate"]),
        model=str(meta["model"]),
        device_used=str(meta["device_used"]),
        residual_db=float(meta["residual_db"]),
        cached=cached,
        notes=list(meta["notes"]),
        key=key,
        seconds=float(meta.get("seconds", 0.0)),
        rss_start_mb=meta.get("rss_start_mb"),
        peak_rss_mb=meta.get("peak_rss_mb"),
    )


def find_cached_stems(
    source: str | Path | Audio,
    *,
    cache: FileCache,
    include_classical: bool = False,
    cancel: CancelToken | None = None,
) -> StemSet | None:
    """The most recently used cached stems of ``source`` (any model and
    settings), or None. Never separates. Stems of the classical fallback are
    only returned with ``include_classical``."""
    candidates = []
    for e in cache.entries():
        meta_path = e.path / META
        if not meta_path.is_file():
            continue
        try:
            meta = json.loads(meta_path.read_text())
        except (OSError, ValueError):
            continue
        if meta.get("model") == CLASSICAL and not include_classical:
            continue
        candidates.append((e, meta))
    if not candidates:
        return None
    if isinstance(source, Audio):
        digest = _scan_audio(source).hash
    else:
        digest = _scan_path(Path(source), ProgressReporter(None), cancel).hash
    found = [(e, m) for e, m in candidates if m.get("hash") == digest]
    if not found:
        return None
    entry, _ = max(found, key=lambda em: em[0].last_used)
    return _stemset_from_entry(entry.path, key=entry.key, cached=True)


def separate(
    source: str | Path | Audio,
    *,
    model: str = "htdemucs",
    two_stems: str | None = None,
    device: str = "auto",
    model_dir: Path | None = None,
    cache: FileCache,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    in_worker: bool = True,
    shifts: int = 0,
    overlap: float = 0.25,
    segment: float | None = None,
    batch_size: int | None = None,
    threads: int | None = None,
) -> StemSet:
    """Separate a song into stems with a Demucs model (``htdemucs``,
    ``htdemucs_ft``, ``htdemucs_6s``, ``mdx_extra`` or a custom model in the
    model folder) or the no-download ``"classical"`` fallback.

    Nothing is downloaded: a missing model raises
    :class:`~audio_engine.errors.ModelNotInstalledError`. The result is
    cached by the decoded audio's hash, the model (and its exact weights),
    the engine version and the settings; asking again returns at once with
    ``cached=True``. The work runs in a spawned worker (``in_worker``) with
    progress and a cancel that stops it within 2 seconds; a long file is
    streamed in bounded memory and its stems are written straight to disk.
    ``device``: "auto" (CUDA, then MPS, then CPU), "cpu", "cuda" or "mps"."""
    from audio_engine.worker import run_in_worker

    if not 0.0 <= overlap < 1.0:
        raise MashupsError(f"overlap must be between 0 and 1 (got {overlap}).")
    if shifts < 0 or shifts > 20:
        raise MashupsError(f"shifts must be between 0 and 20 (got {shifts}).")
    if segment is not None and segment <= 0:
        raise MashupsError(f"segment must be positive (got {segment}).")
    if device not in {"auto", "cpu", "cuda", "mps"} and not device.startswith("cuda:"):
        raise MashupsError(f"Unknown device {device!r}: use auto, cpu, cuda or mps.")
    if model == CLASSICAL:
        from audio_engine.separation.classical import SOURCES, VERSION

        version = f"{ENGINE_VERSION}-classical{VERSION}"
        _stem_names(SOURCES, two_stems)
    else:
        from audio_engine.models import demucs_registry as reg

        if model_dir is None:
            raise MashupsError(f"No models folder given for {model!r}: pass the folder its weights are in.")
        version = f"{ENGINE_VERSION}-{reg.model_fingerprint(model, model_dir=model_dir)}"
        if model in reg.MODEL_NAMES:
            _stem_names(list(reg.get_entry(model).sources), two_stems)
    report = ProgressReporter(progress, stage="reading")
    report(0.0, force=True)

    tmp_input: Path | None = None
    held = ExitStack()  # the cache key's lock, once taken
    try:
        if isinstance(source, Audio):
            if source.frames == 0:
                raise InvalidAudioError("The audio is empty.")
            source.check_finite()
            scan = _scan_audio(source)
        else:
            path = Path(source)
            scan = _scan_path(path, report.sub(0.0, 0.05), cancel)
        key = cache_key("stems", version, scan.hash, model=model, two_stems=two_stems, shifts=shifts,
                        overlap=overlap, segment=segment)
        hit = cache.get(key)
        if hit is not None and (hit / META).is_file():
            report(1.0, stage="cached", force=True)
            return _stemset_from_entry(hit, key=key, cached=True)
        # Two separations of one song into one cache: the second waits for the first and shares its stems.
        held.enter_context(cache.lock(key))
        hit = cache.get(key)
        if hit is not None and (hit / META).is_file():
            report(1.0, stage="cached", force=True)
            return _stemset_from_entry(hit, key=key, cached=True)
        if isinstance(source, Audio):
            from audio_engine import io

            tmp_input = cache.root / f".input-{uuid.uuid4().hex}.wav"
            io.save(source, tmp_input, bit_depth="float")
            input_path = str(tmp_input)
        else:
            input_path = str(Path(source))
        with cache.build(key) as tmp:
            kwargs: dict[str, Any] = dict(
                input_path=input_path, out_dir=str(tmp), model=model,
                model_dir=str(model_dir) if model_dir is not None else None, two_stems=two_stems,
                device=device, shifts=shifts, overlap=overlap, segment=segment, batch_size=batch_size,
                mean=scan.mean, std=scan.std, frames=scan.frames, input_rate=scan.sample_rate, threads=threads,
            )
            sub = report.sub(0.05, 0.95)

            def forward(p: Progress) -> None:
                sub(p.fraction, stage=p.stage, message=p.message)

            if in_worker:
                report(0.05, stage="starting the separation process", force=True)
                result = run_in_worker(_job, kwargs=kwargs, progress=forward, cancel=cancel)
            else:
                result = _job(**kwargs, progress=forward, cancel=cancel)
                gc.collect()
            meta = dict(result, model=model, settings=dict(two_stems=two_stems, shifts=shifts, overlap=overlap,
                                                            segment=segment), hash=scan.hash)
            with open(tmp / META, "w") as f:
                json.dump(meta, f, indent=1)
                f.flush()
                os.fsync(f.fileno())
        entry = cache.get(key)
        assert entry is not None
        report(1.0, stage="done", force=True)
        return _stemset_from_entry(entry, key=key, cached=False)
    finally:
        held.close()
        if tmp_input is not None:
            tmp_input.unlink(missing_ok=True)
