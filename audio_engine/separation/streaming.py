"""Streaming overlap-add separation in bounded memory.

This is Demucs' ``apply_model(split=True)`` arithmetic (segments of the
model's length, a stride of ``(1 - overlap)`` segments, triangular
cross-fade weights, the same centred padding of the last segment, the same
``center_trim``) done as a stream: input arrives in blocks, segments are
processed in batches as soon as their input is there, and every output
sample is handed to a sink (a file writer) as soon as no later segment can
touch it. Peak memory depends on the block, segment and batch sizes, never
on the song's duration. With ``shifts=0`` the result equals
``apply_model(model, mix, shifts=0, split=True, overlap=overlap)`` to float
rounding (tested).

``shifts > 0`` adds ``shifts`` extra segment grids offset by fractions of
the stride (Demucs' "shift trick", deterministic instead of random).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from audio_engine.progress import CancelToken, check

F32 = npt.NDArray[np.float32]

#: ``forward(batch (B, C, V)) -> (B, S, C, V')`` for windows padded to one valid length V.
Forward = Callable[[F32], F32]


@dataclass
class Separator:
    """What the streaming loop needs from a model."""

    sources: list[str]
    samplerate: int
    channels: int
    #: Segment length in samples (L).
    segment_length: int
    #: ``valid_length(l)``: the input length the model wants for a window of ``l`` samples.
    valid_length: Callable[[int], int]
    forward: Forward


@dataclass
class StreamStats:
    frames: int = 0
    mix_energy: float = 0.0
    residual_energy: float = 0.0
    windows: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def residual_db(self) -> float:
        if self.mix_energy <= 0.0:
            return float("-inf") if self.residual_energy <= 0.0 else 0.0
        return float(10.0 * np.log10(max(self.residual_energy, 1e-30) / self.mix_energy))


def demucs_weight(segment_length: int, transition_power: float = 1.0) -> F32:
    """Demucs' triangular cross-fade weight (``apply_model``)."""
    half = segment_length // 2
    w = np.concatenate([np.arange(1, half + 1), np.arange(segment_length - half, 0, -1)]).astype(np.float32)
    out: F32 = np.asarray((w / w.max()) ** transition_power, dtype=np.float32)
    return out


def _center_trim(x: F32, length: int) -> F32:
    delta = x.shape[-1] - length
    if delta < 0:
        raise ValueError("model output shorter than its window")
    return x[..., delta // 2 : x.shape[-1] - (delta - delta // 2)]


class _InputBuffer:
    """Input samples [start, start + n) with zero padding outside [0, total)."""

    def __init__(self, channels: int) -> None:
        self.start = 0
        self.data: F32 = np.zeros((channels, 0), np.float32)
        self.ended = False

    @property
    def end(self) -> int:
        return self.start + int(self.data.shape[1])

    def append(self, block: F32) -> None:
        self.data = np.concatenate([self.data, block], axis=1) if self.data.shape[1] else block

    def drop_before(self, pos: int) -> None:
        if pos > self.start:
            cut = min(pos - self.start, self.data.shape[1])
            self.data = np.ascontiguousarray(self.data[:, cut:])
            self.start += cut

    def read(self, a: int, b: int) -> F32:
        c = self.data.shape[0]
        out = np.zeros((c, b - a), np.float32)
        lo, hi = max(a, self.start), min(b, self.end)
        if hi > lo:
            out[:, lo - a : hi - a] = self.data[:, lo - self.start : hi - self.start]
        if a < self.start and a >= 0 and lo > a:
            raise AssertionError("input needed that was already dropped")
        return out


def _windows(stride: int, grids: int) -> Iterable[int]:
    """Window offsets of all grids merged in increasing order (unbounded)."""
    offsets = sorted({-int(round(g * stride / grids)) for g in range(grids)})
    k = 0
    while True:
        for d in offsets:
            yield k * stride + d
        k += 1


def separate_stream(
    sep: Separator,
    blocks: Iterable[F32],
    sink: Callable[[F32], None],
    *,
    overlap: float = 0.25,
    shifts: int = 0,
    batch_size: int = 1,
    transition_power: float = 1.0,
    mean: float = 0.0,
    std: float = 1.0,
    two_stems: str | None = None,
    consistent: bool = True,
    total_frames: int | None = None,
    on_progress: Callable[[int], None] | None = None,
    cancel: CancelToken | None = None,
) -> StreamStats:
    """Separate ``blocks`` (float32 ``(channels, n)`` at ``sep.samplerate``)
    and call ``sink(stems)`` with consecutive pieces ``(S, channels, m)``.

    The input is normalised with ``mean``/``std`` (of the whole mono mix, as
    Demucs does) before the model and restored after (the mean shared out
    over the sources so that their sum carries it once). With ``two_stems``
    the output is ``[that stem, sum of the others]``. With ``consistent``
    the residual ``mix - sum(stems)`` (reported in the stats) is spread
    equally over the stems so that they sum back to the input exactly
    (mixture-consistency projection)."""
    if not 0.0 <= overlap < 1.0:
        raise ValueError("overlap must be in [0, 1)")
    L = sep.segment_length
    stride = max(1, int((1 - overlap) * L))
    weight = demucs_weight(L, transition_power)
    grids = 1 + max(0, shifts)
    s_idx = sep.sources.index(two_stems) if two_stems is not None else -1
    std = std if std > 1e-8 else 1.0
    V_full = sep.valid_length(L)
    delta_full = V_full - L

    buf = _InputBuffer(sep.channels)
    n_src = len(sep.sources)
    acc: F32 = np.zeros((n_src, sep.channels, 0), np.float32)
    wacc: F32 = np.zeros((0,), np.float32)
    out_start = 0  # first output frame not yet flushed (== start of acc)
    stats = StreamStats()
    win_iter = iter(_windows(stride, grids))
    pending = next(win_iter)
    it = iter(blocks)

    def ensure_acc(end: int) -> None:
        nonlocal acc, wacc
        need = end - out_start - wacc.shape[0]
        if need > 0:
            acc = np.concatenate([acc, np.zeros((n_src, sep.channels, need), np.float32)], axis=2)
            wacc = np.concatenate([wacc, np.zeros((need,), np.float32)])

    def run(batch: list[tuple[int, int]]) -> None:
        """Process windows (offset, length) that share one valid length."""
        V = sep.valid_length(batch[0][1])
        xs = []
        for o, ln in batch:
            a = o - (V - ln) // 2
            xs.append(buf.read(a, a + V))
        y = sep.forward(np.stack(xs))
        for (o, ln), yi in zip(batch, y, strict=True):
            yt = _center_trim(yi, ln) * weight[:ln]
            lo, hi = max(o, 0), o + ln
            if hi <= lo:
                continue
            ensure_acc(hi)
            acc[:, :, lo - out_start : hi - out_start] += yt[:, :, lo - o :]
            wacc[lo - out_start : hi - out_start] += weight[lo - o : ln]
            stats.windows += 1

    def flush(upto: int) -> None:
        nonlocal acc, wacc, out_start
        n = upto - out_start
        if n <= 0:
            return
        ensure_acc(upto)
        est = acc[:, :, :n] / wacc[:n]
        # Demucs' separate/api add the mean back to every source, which puts
        # S times the DC offset into the sum; each source gets 1/S of it here.
        est = est * std + mean / n_src
        mix = buf.read(out_start, upto) * np.float32(std) + np.float32(mean)
        if s_idx >= 0:
            rest = est.sum(axis=0) - est[s_idx]
            est = np.stack([est[s_idx], rest])
        res = mix - est.sum(axis=0)
        stats.mix_energy += float(np.square(mix, dtype=np.float64).sum())
        stats.residual_energy += float(np.square(res, dtype=np.float64).sum())
        if consistent:
            est = est + res / est.shape[0]
        sink(np.ascontiguousarray(est, dtype=np.float32))
        acc = np.ascontiguousarray(acc[:, :, n:])
        wacc = np.ascontiguousarray(wacc[n:])
        out_start = upto
        stats.frames = upto
        if on_progress is not None:
            on_progress(upto)

    def need_end(o: int) -> int:
        return max(o + L, o - delta_full // 2 + V_full)

    batch: list[tuple[int, int]] = []
    while True:
        check(cancel)
        # Read until the pending window is complete or the input ends.
        while not buf.ended and buf.end < need_end(pending):
            block = next(it, None)
            if block is None:
                buf.ended = True
                break
            if block.shape[0] != sep.channels:
                raise ValueError(f"expected {sep.channels} channels, got {block.shape[0]}")
            # Normalised on the way in, so that the zero padding around the song is zero in the
            # normalised domain, as in apply_model (which pads the normalised mix).
            buf.append(((np.asarray(block, dtype=np.float32) - np.float32(mean)) / np.float32(std)).astype(np.float32))
        if not buf.ended:
            batch.append((pending, L))
            pending = next(win_iter)
            if len(batch) >= batch_size:
                run(batch)
                batch = []
                flush(max(out_start, pending))
                buf.drop_before(max(0, min(out_start, pending - L)))
            continue
        # Input ended: total length known. Finish the batch and the tail windows.
        total = buf.end
        if batch:
            run(batch)
            batch = []
        while pending < total:
            check(cancel)
            ln = min(L, total - pending)
            run([(pending, ln)])
            pending = next(win_iter)
        flush(total)
        break
    if total_frames is not None and stats.frames == 0 and total_frames > 0:
        raise ValueError("no audio was read")
    return stats
