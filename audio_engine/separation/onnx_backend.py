"""Faster CPU separation: HTDemucs' network on ONNX Runtime, STFT outside.

HTDemucs is a spectrogram branch and a waveform branch joined by a cross
transformer. Its STFT, magnitude, mask and inverse STFT use complex tensors
that ONNX does not carry; everything between them is plain convolutions,
normalisations and attention, which ONNX Runtime's CPU kernels (fused,
pre-packed weights, one graph) run markedly faster than PyTorch's eager mode.
So :class:`HTDemucsCore` is that middle part, exported once per set of
weights to an ONNX file (cached by the weights' hash, checked against
PyTorch on a test segment before first use), and :class:`OnnxHTDemucs` runs
``spec -> ONNX network -> mask -> iSTFT`` with Demucs' own spectral
functions. The output equals the PyTorch model's to float rounding (checked
at export: relative difference below :data:`MAX_RELATIVE_ERROR`).

PyTorch stays the path for GPUs, for models that are not HTDemucs, when
``onnxruntime``/``onnx`` are missing, and whenever export or the check fails
(said in the separation's notes). ``onnxruntime`` is already installed for
faster-whisper's voice-activity detection; ``onnx`` (the exporter's writer)
is the only addition.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

#: Largest accepted |onnx - torch| / max|torch| on the check segment.
MAX_RELATIVE_ERROR = 1e-4
ONNX_BACKEND_VERSION = "2"  # 2: normalisation statistics computed in PyTorch
OPSET = 17


def _torch_module_base() -> Any:
    import torch

    return torch.nn.Module


class HTDemucsCore(_torch_module_base()):  # type: ignore[misc]
    """HTDemucs.forward between the magnitude spectrogram and the inverse
    STFT (demucs 4.x, ``htdemucs.py``), for export: inputs the mix window
    ``(B, C, L)`` and its magnitude ``(B, C', F, T)``; outputs the
    denormalised spectral estimate ``(B, S, C', F, T)`` and the waveform
    branch ``(B, S, C, L)``."""

    def __init__(self, model: Any) -> None:
        super().__init__()
        self.m = model

    def forward(self, mix: Any, mag: Any, mean: Any, std: Any, meant: Any, stdt: Any) -> tuple[Any, Any]:
        import torch
        from einops import rearrange

        m = self.m
        x = mag
        B, C, Fq, T = x.shape
        # The normalisation statistics come in from PyTorch (:func:`input_stats`):
        # ONNX Runtime's float32 reductions over millions of values are off by
        # ~2e-4 relative, which the whole output inherits.
        x = (x - mean) / (1e-5 + std)
        xt = mix
        xt = (xt - meant) / (1e-5 + stdt)
        saved: list[Any] = []
        saved_t: list[Any] = []
        lengths: list[int] = []
        lengths_t: list[int] = []
        for idx, encode in enumerate(m.encoder):
            lengths.append(x.shape[-1])
            inject = None
            if idx < len(m.tencoder):
                lengths_t.append(xt.shape[-1])
                tenc = m.tencoder[idx]
                xt = tenc(xt)
                if not tenc.empty:
                    saved_t.append(xt)
                else:
                    inject = xt
            x = encode(x, inject)
            if idx == 0 and m.freq_emb is not None:
                frs = torch.arange(x.shape[-2], device=x.device)
                emb = m.freq_emb(frs).t()[None, :, :, None].expand_as(x)
                x = x + m.freq_emb_scale * emb
            saved.append(x)
        if m.crosstransformer:
            if m.bottom_channels:
                f = x.shape[2]
                x = rearrange(x, "b c f t-> b c (f t)")
                x = m.channel_upsampler(x)
                x = rearrange(x, "b c (f t)-> b c f t", f=f)
                xt = m.channel_upsampler_t(xt)
            x, xt = m.crosstransformer(x, xt)
            if m.bottom_channels:
                x = rearrange(x, "b c f t-> b c (f t)")
                x = m.channel_downsampler(x)
                x = rearrange(x, "b c (f t)-> b c f t", f=f)
                xt = m.channel_downsampler_t(xt)
        for idx, decode in enumerate(m.decoder):
            skip = saved.pop(-1)
            x, pre = decode(x, skip, lengths.pop(-1))
            offset = m.depth - len(m.tdecoder)
            if idx >= offset:
                tdec = m.tdecoder[idx - offset]
                length_t = lengths_t.pop(-1)
                if tdec.empty:
                    pre = pre[:, :, 0]
                    xt, _ = tdec(pre, None, length_t)
                else:
                    xt, _ = tdec(xt, saved_t.pop(-1), length_t)
        S = len(m.sources)
        x = x.view(B, S, -1, Fq, T)
        x = x * std[:, None] + mean[:, None]
        xt = xt.view(B, S, -1, mix.shape[-1])
        xt = xt * stdt[:, None] + meant[:, None]
        return x, xt


INPUTS = ["mix", "mag", "mean", "std", "meant", "stdt"]


def input_stats(mix: Any, mag: Any) -> tuple[Any, Any, Any, Any]:
    """HTDemucs' per-item mean/std of the magnitude and of the waveform, as
    its forward computes them (in PyTorch, accurately)."""
    return (mag.mean(dim=(1, 2, 3), keepdim=True), mag.std(dim=(1, 2, 3), keepdim=True),
            mix.mean(dim=(1, 2), keepdim=True), mix.std(dim=(1, 2), keepdim=True))


def weights_hash(model: Any) -> str:
    """Hash of the model's class, configuration and every weight."""
    h = hashlib.blake2b(digest_size=12)
    h.update(type(model).__qualname__.encode())
    args, kwargs = getattr(model, "_init_args_kwargs", ((), {}))
    h.update(repr((args, sorted(kwargs.items()))).encode())
    for name, t in model.state_dict().items():
        h.update(name.encode())
        h.update(np.ascontiguousarray(t.detach().cpu().float().numpy()).tobytes())
    return h.hexdigest()


def supported(model: Any) -> bool:
    from demucs.htdemucs import HTDemucs

    return isinstance(model, HTDemucs) and bool(getattr(model, "use_train_segment", False))


class OnnxHTDemucs:
    """Callable like the HTDemucs module in inference: ``(B, C, V)`` torch
    tensor -> ``(B, S, C, V)``, with the network on ONNX Runtime."""

    def __init__(self, model: Any, onnx_path: Path, *, threads: int) -> None:
        import onnxruntime as ort

        self.model = model
        self.length = int(model.segment * model.samplerate)
        so = ort.SessionOptions()
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        so.intra_op_num_threads = max(1, threads)
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        self.session = ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])

    def __call__(self, mix: Any) -> Any:
        import torch
        import torch.nn.functional as F

        m = self.model
        n = mix.shape[-1]
        if n > self.length:
            raise ValueError(f"window of {n} samples is longer than the model's {self.length}")
        if n < self.length:
            mix = F.pad(mix, (0, self.length - n))
        with torch.inference_mode():
            z = m._spec(mix)
            mag = m._magnitude(z)
            feeds = {name: np.ascontiguousarray(t.numpy(), dtype=np.float32)
                     for name, t in zip(INPUTS, (mix, mag, *input_stats(mix, mag)), strict=True)}
            x, xt = self.session.run(None, feeds)
            out = torch.from_numpy(xt) + m._ispec(m._mask(z, torch.from_numpy(x)), self.length)
        return out[..., :n]

    # DemucsRunner calls these on every model it holds.
    def eval(self) -> OnnxHTDemucs:
        return self

    def to(self, device: str) -> OnnxHTDemucs:
        if device != "cpu":
            raise ValueError("the ONNX Runtime path runs on the CPU only")
        return self


def onnx_dir(model_dir: Path) -> Path:
    """Where exported networks live: ``onnx/`` beside the weights they come
    from (the model folder the caller gives), so removing the models folder
    removes them."""
    return Path(model_dir) / "onnx"


def _check_segment(model: Any, channels: int) -> Any:
    import torch

    g = torch.Generator().manual_seed(1234)
    length = int(model.segment * model.samplerate)
    return (torch.randn(1, channels, length, generator=g) * 0.1).float()


def export(model: Any, path: Path) -> float:
    """Export ``model``'s network to ``path`` (atomically) and return the
    relative difference between ONNX Runtime and PyTorch on a check segment."""
    import torch

    from audio_engine.atomic import atomic_path

    model.eval()
    core = HTDemucsCore(model).eval()
    mix = _check_segment(model, int(model.audio_channels))
    with torch.no_grad():  # plain tensors: the tracer refuses inference-mode ones
        mag = model._magnitude(model._spec(mix))
        stats = input_stats(mix, mag)
    path.parent.mkdir(parents=True, exist_ok=True)
    import warnings

    with atomic_path(path) as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(core, (mix, mag, *stats), str(tmp), dynamo=False, opset_version=OPSET,
                          input_names=INPUTS, output_names=["x", "xt"],
                          dynamic_axes={**{n: {0: "b"} for n in INPUTS}, "x": {0: "b"}, "xt": {0: "b"}})
    runner = OnnxHTDemucs(model, path, threads=1)
    with torch.inference_mode():
        ref = model(mix)
        got = runner(mix)
    return float((got - ref).abs().max() / max(float(ref.abs().max()), 1e-12))


def onnx_model(model: Any, *, cache_dir: Path, threads: int = 1) -> OnnxHTDemucs:
    """The ONNX Runtime version of ``model``, exported and checked once per
    set of weights (cached in ``cache_dir``). Raises ``RuntimeError`` when the
    model is not supported or the export does not match PyTorch."""
    if not supported(model):
        raise RuntimeError(f"{type(model).__name__} is not an HTDemucs in inference configuration")
    root = Path(cache_dir)
    import torch

    tag = f"{weights_hash(model)}-v{ONNX_BACKEND_VERSION}-t{torch.__version__.split('+')[0]}"
    path = root / f"htdemucs-{tag}.onnx"
    meta = root / f"htdemucs-{tag}.json"
    if path.is_file() and meta.is_file():
        info = json.loads(meta.read_text())
    else:
        err = export(model, path)
        info = {"relative_error": err, "ok": err <= MAX_RELATIVE_ERROR}
        from audio_engine.atomic import atomic_write_text

        atomic_write_text(meta, json.dumps(info))
    if not info.get("ok"):
        raise RuntimeError(f"the ONNX export differs from PyTorch by {info.get('relative_error'):.2e} (relative)")
    return OnnxHTDemucs(model, path, threads=threads)


def accelerate_cpu(runner: Any, *, notes: list[str], threads: int, cache_dir: Path) -> bool:
    """Swap the HTDemucs models of a CPU ``DemucsRunner`` for their ONNX
    Runtime versions. Returns False (PyTorch kept, reason in ``notes``) when
    anything is missing or does not match. ``MASHUPS_SEPARATION_BACKEND=torch``
    turns it off."""
    if os.environ.get("MASHUPS_SEPARATION_BACKEND", "auto") == "torch":
        return False
    if runner.device != "cpu":
        return False
    try:
        import onnx  # noqa: F401 - the exporter writes through it
        import onnxruntime  # noqa: F401
    except ImportError:
        notes.append("ONNX Runtime or onnx is not installed: separated with PyTorch")
        return False
    fast: list[Any] = []
    try:
        for m in runner.models:
            fast.append(onnx_model(m, cache_dir=cache_dir, threads=threads))
    except Exception as e:  # any export/runtime problem: PyTorch is always there
        notes.append(f"ONNX Runtime path not used ({e}): separated with PyTorch")
        return False
    runner.models = fast
    notes.append("network on ONNX Runtime (CPU), STFT in PyTorch")
    return True
