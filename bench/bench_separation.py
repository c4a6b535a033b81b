"""Separation benchmark.

1. Throughput of the full-size htdemucs architecture (the released
   htdemucs configuration from demucs' mmi grid: HTDemucs defaults with
   dconv_mode=3, depth 4, 5 cross-transformer layers, 7.8 s segments;
   random weights: no weights can be downloaded here) on the same input,
   in the same process, alternately:
     * reference: demucs' own ``demucs.apply.apply_model(model, mix,
       shifts=0, split=True, overlap=0.25)`` on the whole normalised mix,
       as ``demucs.separate`` calls it,
     * ours: the streaming engine (``separate_stream`` + ``DemucsRunner``:
       inference_mode, thread settings, batches of segments) with the same
       segments, overlap and weights (outputs equal to float rounding).
2. Peak memory (RSS) of a 10-minute song on the CPU, our pipeline (worker
   process, streamed) against ``apply_model`` on the whole file (another
   process), same model.
3. Cache hit time (second request of the same song).
4. The classical no-download separator: SDR per stem against the corpus'
   true stems, with the mix-as-estimate baseline.

    .venv/bin/python bench/bench_separation.py [--seconds 20] [--repeat 2]
        [--rss-minutes 10] [--rss-model tiny|htdemucs] [--skip-throughput]

On 2 busy cores the full-size model runs at roughly 0.3x realtime, so the
10-minute memory run uses the tiny HTDemucs of the tests at 44.1 kHz by
default (the memory that grows with duration is the audio path, not the
model); ``--rss-model htdemucs`` uses the full-size one.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import numpy as np  # noqa: E402
from common import table  # noqa: E402

SOURCES = ["drums", "bass", "other", "vocals"]


def full_htdemucs() -> Any:
    from demucs.htdemucs import HTDemucs

    return HTDemucs(sources=SOURCES, samplerate=44100, segment=Fraction(39, 5), dconv_mode=3, depth=4,
                    t_layers=5, bottom_channels=0)


def save_model(model: Any, model_dir: Path, name: str, sig: str) -> None:
    """Save like demucs does (serialize_model's package dict, save_with_checksum)."""
    from demucs.states import get_state, save_with_checksum

    args, kwargs = model._init_args_kwargs
    pkg = {"klass": type(model), "args": args, "kwargs": kwargs, "state": get_state(model, None, half=False),
           "training_args": {}}
    repo = model_dir / "demucs"
    repo.mkdir(parents=True, exist_ok=True)
    save_with_checksum(pkg, repo / f"{sig}.th")
    (repo / f"{name}.yaml").write_text(f"models: ['{sig}']\n")


def tiny_htdemucs(samplerate: int = 44100) -> Any:
    import torch
    from demucs.htdemucs import HTDemucs

    torch.manual_seed(0)
    return HTDemucs(sources=SOURCES, samplerate=samplerate, segment=Fraction(2, 1), channels=8, depth=4,
                    t_layers=1, t_heads=2, nfft=1024, bottom_channels=0, dconv_mode=1, dconv_comp=4)


# --------------------------------------------------------------------------- throughput


def throughput(seconds: float, repeat: int, batches: list[int]) -> list[list[Any]]:
    import torch
    from demucs.apply import apply_model

    from audio_engine import io
    from audio_engine.separation.demucs_backend import DemucsRunner, configure_cpu_threads, demucs_separator
    from audio_engine.separation.streaming import separate_stream
    from tests.corpus import corpus

    threads = configure_cpu_threads()
    torch.manual_seed(0)
    model = full_htdemucs().eval()
    song = corpus(songs=6, seed=1, seconds=30.0)[0]
    mix = io.load(song.mix, duration=seconds).samples
    mono = mix.mean(axis=0)
    mean, std = float(mono.mean()), float(mono.std())
    x = torch.from_numpy((mix - mean) / std)[None]

    def ref() -> np.ndarray:
        with torch.no_grad():  # as demucs.separate / demucs.api call it
            out: np.ndarray = apply_model(model, x, shifts=0, split=True, overlap=0.25)[0].numpy()
        return out

    def ours(batch: int) -> np.ndarray:
        sep = demucs_separator(model, DemucsRunner(model, "cpu", []), segment=None, notes=[])
        parts: list[np.ndarray] = []
        blocks = [mix[:, i : i + 44100 * 30] for i in range(0, mix.shape[1], 44100 * 30)]
        separate_stream(sep, blocks, parts.append, overlap=0.25, batch_size=batch, mean=mean, std=std,
                        consistent=False)
        return np.concatenate(parts, axis=2)

    times: dict[str, float] = {}
    outs: dict[str, np.ndarray] = {}
    variants: list[tuple[str, Any]] = [("apply_model", ref)] + [(f"ours b{b}", lambda b=b: ours(b)) for b in batches]
    for _ in range(repeat):  # alternate so other load hits all alike
        for name, fn in variants:
            t = time.perf_counter()
            outs[name] = fn()
            times[name] = min(times.get(name, float("inf")), time.perf_counter() - t)
    # demucs.separate adds the mean back to every source; ours shares it out (sum carries it once).
    ref_out = outs["apply_model"] * std + mean / len(SOURCES)
    rows = []
    for name, _ in variants:
        diff = float(np.abs(outs[name] - ref_out).max()) if name != "apply_model" else 0.0
        diff /= float(np.abs(ref_out).max())
        rows.append([name, f"{seconds:g} s", threads, round(times[name], 2), round(seconds / times[name], 3),
                     round(times["apply_model"] / times[name], 3), f"{diff:.1e}"])
    return rows


# --------------------------------------------------------------------------- memory


def _write_song(path: Path, minutes: float) -> None:
    import soundfile as sf

    rng = np.random.default_rng(3)
    rate, block = 44100, 44100 * 30
    n = int(minutes * 60 * rate)
    t = np.arange(block) / rate
    with sf.SoundFile(str(path), "w", samplerate=rate, channels=2, subtype="PCM_16") as f:
        for i in range(0, n, block):
            m = min(block, n - i)
            x = 0.2 * np.sin(2 * np.pi * 220 * t[:m]) + 0.05 * rng.standard_normal(m)
            f.write(np.stack([x, 0.9 * x], axis=1).astype(np.float32))


REF_CHILD = """
import json, sys, time, torch
sys.path.insert(0, {repo!r})
from audio_engine import io
from audio_engine.models.demucs_registry import load_model
from demucs.apply import apply_model
torch.set_num_threads({threads})
model = load_model({name!r}, model_dir=__import__('pathlib').Path({model_dir!r}))
rss0 = int(open('/proc/self/status').read().split('VmRSS:')[1].split()[0]) / 1024
t = time.perf_counter()
wav = torch.from_numpy(io.load({src!r}).samples)
ref = wav.mean(0)
wav = (wav - ref.mean()) / ref.std()
with torch.no_grad():
    out = apply_model(model, wav[None], shifts=0, split=True, overlap=0.25)[0]
out = out * ref.std() + ref.mean()
import soundfile as sf
for i, s in enumerate(model.sources):
    sf.write({out_dir!r} + f'/{{s}}.wav', out[i].numpy().T, 44100, subtype='FLOAT')
# VmHWM, not ru_maxrss: ru_maxrss is inherited across exec from the (bigger) parent.
peak = int(open('/proc/self/status').read().split('VmHWM:')[1].split()[0]) / 1024
print(json.dumps(dict(rss_start=rss0, peak=peak, seconds=time.perf_counter() - t)))
"""


def memory(minutes: float, model_kind: str, tmp: Path) -> tuple[list[list[Any]], dict[str, float]]:
    from audio_engine.cache import FileCache
    from audio_engine.separation import separate
    from audio_engine.separation.demucs_backend import cpu_threads

    model_dir = tmp / "models"
    model = full_htdemucs() if model_kind == "htdemucs" else tiny_htdemucs()
    save_model(model, model_dir, "benchmodel", "bench0001")
    src = tmp / "song.wav"
    _write_song(src, minutes)
    cache = FileCache(tmp / "stems")
    out_bytes = 4 * 2 * int(minutes * 60 * 44100) * 4
    t = time.perf_counter()
    s = separate(src, model="benchmodel", model_dir=model_dir, cache=cache)
    ours_s = time.perf_counter() - t
    t = time.perf_counter()
    again = separate(src, model="benchmodel", model_dir=model_dir, cache=cache)
    hit_s = time.perf_counter() - t
    assert again.cached
    out_dir = tmp / "ref_out"
    out_dir.mkdir()
    code = REF_CHILD.format(repo=str(REPO), threads=cpu_threads(), name="benchmodel", model_dir=str(model_dir),
                            src=str(src), out_dir=str(out_dir))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if proc.returncode != 0:
        ref: dict[str, Any] = {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed"}
    else:
        ref = json.loads(proc.stdout.strip().splitlines()[-1])
    rows = [
        ["ours (worker, streamed)", f"{minutes:g} min", model_kind, round(s.rss_start_mb or 0), round(s.peak_rss_mb or 0),
         round((s.peak_rss_mb or 0) - (s.rss_start_mb or 0)), round(ours_s, 1)],
    ]
    if "error" in ref:
        rows.append(["demucs apply_model (whole file)", f"{minutes:g} min", model_kind, "-", "-", ref["error"], "-"])
    else:
        rows.append(["demucs apply_model (whole file)", f"{minutes:g} min", model_kind, round(ref["rss_start"]),
                     round(ref["peak"]), round(ref["peak"] - ref["rss_start"]), round(ref["seconds"], 1)])
    return rows, {"hit_s": hit_s, "out_mb": out_bytes / 2**20}


def cache_hit_30s(tmp: Path) -> float:
    from audio_engine.cache import FileCache
    from audio_engine.separation import separate
    from tests.corpus import corpus

    model_dir = tmp / "models30"
    save_model(tiny_htdemucs(), model_dir, "tiny", "tiny0001")
    song = corpus(songs=6, seed=1, seconds=30.0)[0]
    cache = FileCache(tmp / "stems30")
    separate(song.mix, model="tiny", model_dir=model_dir, cache=cache)
    t = time.perf_counter()
    s = separate(song.mix, model="tiny", model_dir=model_dir, cache=cache)
    assert s.cached
    return time.perf_counter() - t


# --------------------------------------------------------------------------- classical


def classical_sdr(n_songs: int, tmp: Path) -> list[list[Any]]:
    from audio_engine import io
    from audio_engine.cache import FileCache
    from audio_engine.separation import separate
    from tests.corpus import corpus

    def sdr(ref: np.ndarray, est: np.ndarray) -> float:
        return float(10 * np.log10((np.square(ref, dtype=np.float64).sum() + 1e-12)
                                   / (np.square(ref - est, dtype=np.float64).sum() + 1e-12)))

    got: dict[str, list[float]] = {n: [] for n in SOURCES}
    base: dict[str, list[float]] = {n: [] for n in SOURCES}
    secs = 0.0
    dur = 0.0
    for song in corpus(songs=6, seed=1, seconds=30.0)[:n_songs]:
        t = time.perf_counter()
        s = separate(song.mix, model="classical", cache=FileCache(tmp / "classical"), in_worker=False)
        secs += time.perf_counter() - t
        mix = io.load(song.mix).samples
        dur += mix.shape[1] / 44100
        for n in SOURCES:
            ref = io.load(song.stem(n)).samples
            got[n].append(sdr(ref, s.load(n).samples))
            base[n].append(sdr(ref, mix))
    rows = [[n, round(float(np.mean(got[n])), 2), round(float(np.median(got[n])), 2),
             round(float(np.mean(base[n])), 2), round(float(np.mean(got[n]) - np.mean(base[n])), 2)]
            for n in SOURCES]
    rows.append(["(speed)", f"{dur / secs:.2f}x realtime", f"{n_songs} songs x 30 s", "", ""])
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20.0, help="input length for the throughput runs")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--batches", default="1,2", help="segment batch sizes of ours to time")
    ap.add_argument("--rss-minutes", type=float, default=10.0)
    ap.add_argument("--rss-model", choices=["tiny", "htdemucs"], default="tiny")
    ap.add_argument("--songs", type=int, default=6, help="corpus songs for the classical SDR")
    ap.add_argument("--skip-throughput", action="store_true")
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--skip-classical", action="store_true")
    args = ap.parse_args()
    print(f"# Separation benchmark ({os.cpu_count()} CPUs, torch CPU; no GPU lent to this task: GPU timing "
          "not measured)\n", flush=True)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if not args.skip_throughput:
            rows = throughput(args.seconds, args.repeat, [int(b) for b in args.batches.split(",")])
            print("## Throughput: full-size htdemucs architecture (random weights), CPU\n")
            print(table(["pipeline", "input", "threads", "best s", "x realtime", "speed vs apply_model",
                         "max rel. diff vs apply_model"], rows), "\n", flush=True)
        if not args.skip_memory:
            mrows, extra = memory(args.rss_minutes, args.rss_model, tmp)
            print(f"## Peak memory, {args.rss_minutes:g}-minute song, CPU (4 float32 stereo stems = "
                  f"{extra['out_mb']:.0f} MiB)\n")
            print(table(["pipeline", "input", "model", "RSS after model load MiB", "peak RSS MiB",
                         "growth MiB", "seconds"], mrows), "\n", flush=True)
            hit30 = cache_hit_30s(tmp)
            print("## Cache hit (second request of the same song)\n")
            print(table(["input", "seconds"], [["30 s corpus song (FLAC)", round(hit30, 3)],
                                               [f"{args.rss_minutes:g}-minute WAV", round(extra["hit_s"], 3)]]),
                  "\n", flush=True)
        if not args.skip_classical:
            crow = classical_sdr(args.songs, tmp)
            print("## Classical fallback (no download): SDR per stem vs true corpus stems (dB)\n")
            print(table(["stem", "mean SDR", "median SDR", "mix-as-estimate SDR", "gain"], crow), "\n", flush=True)


if __name__ == "__main__":
    main()
