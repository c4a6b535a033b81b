"""CPU separation speed: the ONNX Runtime route against demucs' apply_model.

    .venv/bin/python bench/bench_separation_speed.py [--seconds 12] [--repeat 3] [--threads N]

Full-size htdemucs architecture (the released configuration, 27.4 M
parameters; random weights: none can be downloaded here), the same input,
in one process, run alternately so that load from other processes hits all
alike (best wall time of ``--repeat`` runs each, and CPU time):

- reference: ``demucs.apply.apply_model(model, mix, shifts=0, split=True,
  overlap=0.25)`` on the normalised mix, as ``demucs.separate`` calls it;
- ours, PyTorch: the streaming engine with ``DemucsRunner`` (the fallback
  and GPU path);
- ours, ONNX Runtime: the same engine with the network on ONNX Runtime and
  the STFT in PyTorch (:mod:`audio_engine.separation.onnx_backend`).

Output equality against apply_model is reported as max |diff| / max |ref|.
The one-time export (per set of weights) is timed separately, and the
install size of the route (the onnxruntime and onnx packages) is listed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import numpy as np  # noqa: E402
from bench_separation import full_htdemucs  # noqa: E402


def _dir_mb(mod: str) -> float:
    import importlib

    root = Path(importlib.import_module(mod).__file__ or "").parent
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) / 2**20


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=12.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()

    import torch
    from demucs.apply import apply_model

    from audio_engine import io
    from audio_engine.separation.demucs_backend import DemucsRunner, configure_cpu_threads, demucs_separator
    from audio_engine.separation.onnx_backend import accelerate_cpu
    from audio_engine.separation.streaming import separate_stream
    from tests.corpus import corpus

    threads = configure_cpu_threads(args.threads or None)
    torch.manual_seed(0)
    model = full_htdemucs().eval()
    song = corpus(songs=6, seed=1, seconds=30.0)[0]
    mix = io.load(song.mix, duration=args.seconds).samples
    mono = mix.mean(axis=0)
    mean, std = float(mono.mean()), float(mono.std())
    work = Path(tempfile.mkdtemp(prefix="bench-sep-speed-"))

    def reference() -> np.ndarray:
        with torch.inference_mode():
            x = torch.from_numpy((mix - mean) / std)[None]
            return np.asarray(apply_model(model, x, shifts=0, split=True, overlap=0.25)[0].numpy() * std + mean / 4)

    torch_runner = DemucsRunner(model, "cpu", [])
    sep_torch = demucs_separator(model, torch_runner, segment=None, notes=[])
    onnx_runner = DemucsRunner(model, "cpu", [])
    sep_onnx = demucs_separator(model, onnx_runner, segment=None, notes=[])
    t = time.perf_counter()
    notes: list[str] = []
    ok = accelerate_cpu(onnx_runner, notes=notes, threads=threads, cache_dir=work)
    export_s = time.perf_counter() - t
    if not ok:
        raise SystemExit(f"ONNX path unavailable: {notes}")

    def ours(sep: Any) -> np.ndarray:
        out: list[np.ndarray] = []
        separate_stream(sep, [mix], out.append, overlap=0.25, consistent=False, mean=mean, std=std)
        return np.concatenate(out, axis=2)

    runs = {"apply_model": reference, "ours, PyTorch": lambda: ours(sep_torch), "ours, ONNX Runtime": lambda: ours(sep_onnx)}
    best = {k: float("inf") for k in runs}
    cpu = {k: float("inf") for k in runs}
    outs: dict[str, np.ndarray] = {}
    for _ in range(args.repeat):
        for k, fn in runs.items():
            t, c = time.perf_counter(), time.process_time()
            outs[k] = fn()
            best[k] = min(best[k], time.perf_counter() - t)
            cpu[k] = min(cpu[k], time.process_time() - c)
    ref = outs["apply_model"]
    print(f"\n### CPU separation speed: full htdemucs architecture (random weights), {args.seconds:g} s input, "
          f"{threads} threads, best of {args.repeat} alternating\n")
    print("| path | wall s | x realtime | CPU s | speed vs apply_model (wall) | vs apply_model (CPU) "
          "| max abs diff / max abs ref | L2 diff / L2 ref |")
    print("|---|---|---|---|---|---|---|---|")
    for k in runs:
        diff = float(np.abs(outs[k] - ref).max() / np.abs(ref).max())
        l2 = float(np.linalg.norm(outs[k] - ref) / np.linalg.norm(ref))
        print(f"| {k} | {best[k]:.2f} | {args.seconds / best[k]:.2f} | {cpu[k]:.2f} | {best['apply_model'] / best[k]:.2f}x "
              f"| {cpu['apply_model'] / cpu[k]:.2f}x | {diff:.1e} | {l2:.1e} |")
    print(f"\nOne-time export + check of the network (per set of weights): {export_s:.1f} s.")
    import onnxruntime

    print(f"Install size of the route: onnxruntime {onnxruntime.__version__} {_dir_mb('onnxruntime'):.0f} MB "
          f"(already installed for faster-whisper's VAD), onnx {_dir_mb('onnx'):.0f} MB (exporter; new).")


if __name__ == "__main__":
    main()
