"""Adapter from a loaded Demucs model (single model or bag of models) to the
streaming :class:`~audio_engine.separation.streaming.Separator`, with device
selection, thread settings and the CUDA out-of-memory fallback."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import numpy.typing as npt

from audio_engine.errors import DeviceUnavailableError
from audio_engine.separation.streaming import Separator

F32 = npt.NDArray[np.float32]


def cpu_threads() -> int:
    """Cores this process may use (affinity-aware)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def configure_cpu_threads(threads: int | None = None) -> int:
    """One intra-op thread per usable core and a single inter-op thread
    (Demucs runs one segment batch at a time, so inter-op parallelism only
    oversubscribes the cores). Denormal floats are flushed to zero: quiet
    passages otherwise produce denormals that are many times slower on x86."""
    import torch

    n = threads or cpu_threads()
    torch.set_num_threads(n)
    torch.set_flush_denormal(True)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass  # already set in this process
    return n


def pick_device(device: str) -> str:
    """"auto": CUDA, then Apple MPS, then CPU. An explicit device that is not
    available raises :class:`DeviceUnavailableError`."""
    import torch

    cuda = torch.cuda.is_available()
    mps = bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
    if device == "auto":
        return "cuda" if cuda else "mps" if mps else "cpu"
    if device == "cpu":
        return "cpu"
    if device.startswith("cuda"):
        if not cuda:
            raise DeviceUnavailableError(f"Device '{device}' was requested but no CUDA GPU is available to torch.")
        return device
    if device == "mps":
        if not mps:
            raise DeviceUnavailableError("Device 'mps' was requested but Apple Metal (MPS) is not available.")
        return device
    raise DeviceUnavailableError(f"Unknown device '{device}': use auto, cpu, cuda or mps.")


def _is_oom(e: BaseException) -> bool:
    import torch

    oom = getattr(torch, "OutOfMemoryError", None) or getattr(torch.cuda, "OutOfMemoryError", None)
    return (oom is not None and isinstance(e, oom)) or "out of memory" in str(e).lower()


class DemucsRunner:
    """Callable ``(B, C, V) float32 -> (B, S, C, V')`` running a Demucs model
    or bag of models on ``device`` under ``torch.inference_mode``."""

    def __init__(self, model: Any, device: str, notes: list[str]) -> None:
        from demucs.apply import BagOfModels

        if isinstance(model, BagOfModels):
            self.models: list[Any] = list(model.models)
            self.weights = [list(map(float, w)) for w in model.weights]
        else:
            self.models = [model]
            self.weights = [[1.0] * len(model.sources)]
        self.device = device
        self.notes = notes
        for m in self.models:
            m.eval()
            m.to(device)

    def _run(self, x: F32) -> F32:
        import torch

        with torch.inference_mode():
            t = torch.from_numpy(x).to(self.device)
            out: Any = None
            totals = np.zeros(len(self.weights[0]), np.float32)
            for m, w in zip(self.models, self.weights, strict=True):
                y = m(t)
                wt = torch.tensor(w, dtype=y.dtype, device=y.device)[None, :, None, None]
                out = y * wt if out is None else out + y * wt
                totals += np.asarray(w, np.float32)
            assert out is not None
            out = out / torch.from_numpy(totals).to(out.device)[None, :, None, None]
            return np.ascontiguousarray(out.float().cpu().numpy())

    def __call__(self, x: F32) -> F32:
        try:
            return self._run(x)
        except RuntimeError as e:
            if not _is_oom(e) or not self.device.startswith("cuda"):
                raise
            import torch

            torch.cuda.empty_cache()
            if x.shape[0] > 1:
                note = "CUDA out of memory: retried with smaller batches of segments"
                if note not in self.notes:
                    self.notes.append(note)
                half = x.shape[0] // 2
                return np.concatenate([self(x[:half]), self(x[half:])])
            self.notes.append("CUDA out of memory even with one segment at a time: continued on the CPU")
            self.device = "cpu"
            for m in self.models:
                m.to("cpu")
            torch.cuda.empty_cache()
            return self._run(x)


def demucs_separator(model: Any, runner: DemucsRunner, *, segment: float | None, notes: list[str]) -> Separator:
    """Window geometry exactly as ``demucs.apply.apply_model`` computes it."""
    from demucs.htdemucs import HTDemucs

    first: Any = runner.models[0]
    is_ht = isinstance(first, HTDemucs)
    seg = float(first.segment) if segment is None else float(segment)
    if segment is not None and is_ht and segment > float(first.segment):
        seg = float(first.segment)
        notes.append(f"Segment {segment:g} s is longer than the model's {seg:g} s: used {seg:g} s.")
    if segment is not None and not is_ht:
        for m in runner.models:
            m.segment = seg
    sr = int(first.samplerate)
    L = int(sr * seg)
    if is_ht and segment is not None:
        def valid_length(n: int) -> int:
            return L
    elif hasattr(first, "valid_length"):
        def valid_length(n: int) -> int:
            return int(first.valid_length(n))
    else:
        def valid_length(n: int) -> int:
            return n
    return Separator(
        sources=list(model.sources),
        samplerate=sr,
        channels=int(first.audio_channels),
        segment_length=L,
        valid_length=valid_length,
        forward=runner,
    )
