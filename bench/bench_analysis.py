"""Track analysis benchmark: accuracy on labelled corpus songs and speed.

    .venv/bin/python bench/bench_analysis.py [--songs-per-font 12] [--skip-speed]

Accuracy: songs from ../shared/corpus/make_corpus.py rendered with two
SoundFonts (TimGM6mb seed 101, FluidR3_GM seed 202; the analyser was developed
on other seeds). Scores: tempo Acc1 (within 4 %), median absolute BPM error,
beat and downbeat F-measure (mir_eval.beat.f_measure, 70 ms), key MIREX
weighted score (mir_eval.key.weighted_score). Reference in the same run, on
the same songs: plain librosa defaults (librosa.beat.beat_track tempo and
beats; Krumhansl-Schmuckler profiles on the mean librosa chroma_cqt;
downbeats = every 4th tracked beat from the first).

Speed: a 4-minute corpus song, analysed warm (median of 3, this process) and
first in a fresh process (subprocess: imports, first-call costs); the
reference is the plain librosa pipeline above on the same file.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.corpus import corpus  # noqa: E402

FONTS = [("/usr/share/sounds/sf2/TimGM6mb.sf2", 101), ("/usr/share/sounds/sf2/FluidR3_GM.sf2", 202)]
KK_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
KK_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
NOTES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]


def librosa_plain(path: Path) -> dict[str, object]:
    """Plain librosa defaults: beat_track tempo/beats, KS key on chroma_cqt."""
    import librosa

    y, sr = librosa.load(str(path), sr=22050, mono=True)
    tempo, beats = librosa.beat.beat_track(y=y, sr=sr, units="time")
    chroma = librosa.feature.chroma_cqt(y=y, sr=sr).mean(axis=1)
    best, name = -2.0, ""
    for prof, mode in ((KK_MAJOR, "major"), (KK_MINOR, "minor")):
        for t in range(12):
            r = float(np.corrcoef(chroma, np.roll(prof, t))[0, 1])
            if r > best:
                best, name = r, f"{NOTES[t]} {mode}"
    beats = np.asarray(beats, dtype=float)
    return {"bpm": float(np.atleast_1d(tempo)[0]), "beats": beats, "downbeats": beats[::4], "key": name}


def score(rows: list[dict[str, float]]) -> dict[str, float]:
    err = [abs(r["bpm"] - r["true_bpm"]) for r in rows]
    return {
        "acc1": float(np.mean([abs(r["bpm"] - r["true_bpm"]) <= 0.04 * r["true_bpm"] for r in rows])),
        "med_err": float(np.median(err)),
        "beat_f": float(np.mean([r["beat_f"] for r in rows])),
        "downbeat_f": float(np.mean([r["downbeat_f"] for r in rows])),
        "key": float(np.mean([r["key"] for r in rows])),
    }


def accuracy(per_font: int) -> None:
    import mir_eval

    from audio_engine.analysis import analyze_file

    ours: list[dict[str, float]] = []
    ref: list[dict[str, float]] = []
    detail = []
    for font, seed in FONTS:
        for song in corpus(songs=per_font, seed=seed, seconds=30.0, soundfont=font):
            t = song.truth
            rb, rd = np.array(t["beats"]), np.array(t["downbeats"])
            a = analyze_file(song.mix)
            p = librosa_plain(song.mix)
            for out, bpm, beats, downbeats, key in (
                (ours, a.bpm, np.array(a.beats), np.array(a.downbeats), a.key.name),
                (ref, p["bpm"], p["beats"], p["downbeats"], p["key"]),
            ):
                out.append({
                    "true_bpm": float(t["bpm"]), "bpm": float(bpm),  # type: ignore[arg-type]
                    "beat_f": float(mir_eval.beat.f_measure(rb, beats)),  # type: ignore[arg-type]
                    "downbeat_f": float(mir_eval.beat.f_measure(rd, downbeats)),  # type: ignore[arg-type]
                    "key": float(mir_eval.key.weighted_score(t["key"]["name"], key)),
                })
            detail.append(
                f"| {Path(font).stem} {song.name} | {t['bpm']} | {a.bpm:.2f} | {float(p['bpm']):.2f} "  # type: ignore[arg-type]
                f"| {ours[-1]['beat_f']:.3f} | {ours[-1]['downbeat_f']:.3f} | {t['key']['name']} | {a.key.name} | {p['key']} |"
            )
    o, r = score(ours), score(ref)
    print(f"\n### Analysis accuracy ({len(ours)} corpus songs, 30 s, TimGM6mb + FluidR3_GM)\n")
    print("| metric | target | ours | plain librosa |")
    print("|---|---|---|---|")
    print(f"| tempo Acc1 (4 %) | >= 98 % | {o['acc1'] * 100:.1f} % | {r['acc1'] * 100:.1f} % |")
    print(f"| median abs BPM error | <= 0.05 | {o['med_err']:.3f} | {r['med_err']:.3f} |")
    print(f"| beat F-measure | >= 0.95 | {o['beat_f']:.3f} | {r['beat_f']:.3f} |")
    print(f"| downbeat F-measure | >= 0.90 | {o['downbeat_f']:.3f} | {r['downbeat_f']:.3f} (every 4th beat) |")
    print(f"| key MIREX weighted | >= 0.92 | {o['key']:.3f} | {r['key']:.3f} |")
    print("\n<details><summary>per song</summary>\n")
    print("| song | true BPM | ours | librosa | beat F | downbeat F | true key | ours | librosa |")
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(detail))
    print("\n</details>")


COLD = textwrap.dedent(
    """
    import sys, time
    t0 = time.perf_counter()
    sys.path.insert(0, {repo!r})
    {body}
    print("COLD", time.perf_counter() - t0)
    """
)


def cold_run(body: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of a fresh interpreter running ``body``."""
    import resource

    code = COLD.format(repo=str(REPO), body=body)
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def timed(fn: object) -> tuple[float, float]:
    t, c = time.perf_counter(), time.process_time()
    fn()  # type: ignore[operator]
    return time.perf_counter() - t, time.process_time() - c


def speed() -> None:
    from audio_engine.analysis import analyze_file

    song = corpus(songs=1, seed=303, seconds=240.0)[0]
    path = song.mix
    duration = 240.0
    ours_cold = cold_run(f"from audio_engine.analysis import analyze_file; analyze_file({str(path)!r})")
    ref_cold = cold_run(
        "import importlib.util, pathlib; spec = importlib.util.spec_from_file_location('b', "
        f"{str(Path(__file__).resolve())!r}); m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m); "
        f"m.librosa_plain(pathlib.Path({str(path)!r}))"
    )
    analyze_file(path)  # warm this process
    librosa_plain(path)
    warm, ref_warm = [], []
    for _ in range(3):
        warm.append(timed(lambda: analyze_file(path)))
        ref_warm.append(timed(lambda: librosa_plain(path)))
    w = min(warm)  # least disturbed by other load on the machine
    rw = min(ref_warm)
    print("\n### Analysis speed (4-minute song, 44.1 kHz stereo FLAC)\n")
    print("Wall time depends on other load on the machine; CPU time (user+sys of this process) does not.\n")
    print("| measure | target | ours wall | ours CPU | plain librosa wall | plain librosa CPU |")
    print("|---|---|---|---|---|---|")
    print(f"| warm analysis (best of 3) | | {w[0]:.2f} s | {w[1]:.2f} s | {rw[0]:.2f} s | {rw[1]:.2f} s |")
    print(f"| warm realtime factor | >= 30x | {duration / w[0]:.1f}x | {duration / w[1]:.1f}x "
          f"| {duration / rw[0]:.1f}x | {duration / rw[1]:.1f}x |")
    print(f"| fresh process, start to result | | {ours_cold[0]:.2f} s | {ours_cold[1]:.2f} s "
          f"| {ref_cold[0]:.2f} s | {ref_cold[1]:.2f} s |")
    print(f"| fresh-process extra over warm | <= 3 s | {ours_cold[0] - w[0]:.2f} s | {ours_cold[1] - w[1]:.2f} s "
          f"| {ref_cold[0] - rw[0]:.2f} s | {ref_cold[1] - rw[1]:.2f} s |")
    print("\n(Ours includes decoding, LUFS and true peak; the librosa pipeline does decoding, tempo, beats and key.)")
    print(f"Machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end of the run.")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--songs-per-font", type=int, default=12)
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--skip-accuracy", action="store_true")
    args = ap.parse_args()
    print(json.dumps({"python": sys.version.split()[0]}))
    if not args.skip_accuracy:
        accuracy(args.songs_per_font)
    if not args.skip_speed:
        speed()


if __name__ == "__main__":
    main()
