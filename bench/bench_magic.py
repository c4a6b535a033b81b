"""Magic mashup and renderer speed.

    .venv/bin/python bench/bench_magic.py [--seconds 180] [--model classical]

Two generated 3-minute songs (tests/corpus.py). Their analyses and stems are
computed once first (not timed: "stems cached"), then:

- Magic mashup end to end (plan + project + render), cold render cache and
  warm (clips reused), against the issue's target of 15 s;
- the planning part alone (render=False);
- render speed of the resulting project in x realtime (cold clip cache), next
  to the reference: one Rubber Band (pedalboard, high quality) stretch of the
  same vocal clip, the step the renderer cannot avoid.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=180.0)
    ap.add_argument("--model", default=None, help="separation model (default: htdemucs if installed, else classical)")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--arrangement", default=None,
                    help='one of Magic\'s arrangements ("from the top": the longest mashup); default: Magic\'s choice')
    ap.add_argument("--keep-cache", action="store_true",
                    help="keep analyses/stems in ~/.cache/mashups-bench/magic between runs")
    args = ap.parse_args()

    from audio_engine import io
    from audio_engine.cache import FileCache
    from audio_engine.magic import Caches, default_model, magic_mashup
    from audio_engine.magic.core import prepare_song
    from audio_engine.project.media import MediaStore
    from audio_engine.project.render import render_project
    from audio_engine.transform import time_stretch
    from tests.corpus import corpus

    songs = corpus(songs=4, seed=args.seed, seconds=args.seconds)
    # Pick the pair with the closest tempos (as a user would for a mashup).
    pairs = [(a, b) for a in songs for b in songs if a is not b]
    a, b = min(pairs, key=lambda p: abs(p[0].truth["bpm"] / p[1].truth["bpm"] - 1))
    model = args.model or default_model()
    work = Path(tempfile.mkdtemp(prefix="bench-magic-"))
    try:
        cache_root = (Path.home() / ".cache" / "mashups-bench" / "magic") if args.keep_cache else work / "cache"
        shutil.rmtree(cache_root / "renders", ignore_errors=True)  # render caches always start cold
        caches = Caches.under(cache_root)  # after the removal: the render cache makes its folder
        t = time.perf_counter()
        for s in (a, b):
            prepare_song(s.mix, caches=caches, model=model)
        prep = time.perf_counter() - t
        rows: list[tuple[str, float, str]] = []

        t = time.perf_counter()
        r = magic_mashup(a.mix, b.mix, out=work / "m1.wav", model=model, caches=caches, arrangement=args.arrangement)
        cold = time.perf_counter() - t
        rows.append(("Magic mashup, stems cached, render cache cold", cold, "target < 15 s"))
        t = time.perf_counter()
        magic_mashup(a.mix, b.mix, out=work / "m2.wav", model=model, caches=caches, arrangement=args.arrangement)
        warm = time.perf_counter() - t
        rows.append(("Magic mashup, stems cached, clips reused", warm, "target < 15 s"))
        t = time.perf_counter()
        magic_mashup(a.mix, b.mix, model=model, caches=caches, render=False, arrangement=args.arrangement)
        rows.append(("Magic planning only (no render)", time.perf_counter() - t, ""))

        p = r.project
        media = [caches.media]
        t = time.perf_counter()
        rr = render_project(p, media=media, cache=FileCache(work / "fresh"))
        rt = time.perf_counter() - t
        dur = rr.audio.duration
        t = time.perf_counter()
        rr2 = render_project(p, media=media, cache=FileCache(work / "fresh"))
        rt2 = time.perf_counter() - t
        # Reference: the unavoidable step, one high-quality Rubber Band pass over the vocal clip.
        voc = p.clip(r.vocal_clip_id)
        ref = p.media[voc.media]
        x = io.load(MediaStore(caches.media.root).path(ref.file_hash("vocals"), ref.file_ext("vocals")),
                    sample_rate=p.sample_rate, channels=2, offset=voc.source_in,
                    duration=voc.source_out - voc.source_in)
        t = time.perf_counter()
        time_stretch(x, ratio=voc.ratio(p.tempo), semitones=voc.pitch, quality="fast")
        st_fast = time.perf_counter() - t
        t = time.perf_counter()
        time_stretch(x, ratio=voc.ratio(p.tempo), semitones=voc.pitch, quality="high")
        st = time.perf_counter() - t
        print(f"songs: {a.name} ({a.truth['bpm']} BPM, {a.truth['key']['name']}) vocals over "
              f"{b.name} ({b.truth['bpm']} BPM, {b.truth['key']['name']}), {args.seconds:.0f} s each; "
              f"model {model}; cores {os.cpu_count()}; analysis+separation first (untimed below): {prep:.1f} s")
        print(f"mashup: {dur:.1f} s ({r.arrangement.get('name')}), A x{r.ratio_a:.3f} {r.shift_a:+d} st ({r.relation}), "
              f"{rr.master.output_lufs if rr.master else float('nan'):.2f} LUFS\n")
        print("| measure | seconds | x realtime | reference |")
        print("|---|---|---|---|")
        for name, secs, note in rows:
            print(f"| {name} | {secs:.2f} | {dur / secs:.1f} | {note} |")
        print(f"| Render, cold clip cache ({len(p.clips())} clips, {dur:.0f} s) | {rt:.2f} | {dur / rt:.1f} | |")
        print(f"| Render, clips cached | {rt2:.2f} | {dur / rt2:.1f} | |")
        print(f"| Reference: one Rubber Band R2 (fast) pass over the vocal clip ({x.duration:.0f} s) | {st_fast:.2f} | "
              f"{x.duration / st_fast:.1f} | pedalboard, same run; the renderer's default engine |")
        print(f"| Reference: one Rubber Band R3 (high) pass over the vocal clip ({x.duration:.0f} s) | {st:.2f} | "
              f"{x.duration / st:.1f} | pedalboard, same run; ARCHITECTURE.md: ~11x on idle 2 cores |")
        import subprocess

        load = subprocess.run(["cat", "/proc/loadavg"], capture_output=True, text=True).stdout.split()[:3]
        print(f"\nload average during the run (1/5/15 min): {' '.join(load)} on {os.cpu_count()} cores")
        assert rr2.clips_rendered == 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
