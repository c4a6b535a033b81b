"""Magic mashup quality over many pairs: beats, bars and keys against the truth.

    .venv/bin/python bench/bench_magic_quality.py [--songs 6] [--seed 909] [--model classical]

Corpus songs (seed 909 by default: no test uses it), separated once; every
ordered pair whose tempos meet within the 20 % limit is planned by
``magic_mashup(render=False)`` (the project is exactly what would render).
Per pair, from the project and the songs' true beat/downbeat/key labels:

- beat misalignment: median distance from each of A's true beats (mapped
  onto the timeline through the vocal clip) to the nearest of B's true beats
  (through the instrumental clip);
- bar errors: A's true downbeats landing more than 50 ms from any of B's
  true downbeats (a bar off by a beat), counted per pair (goal 0);
- harmonic clash: B's true key (shifted as the instrumental) against A's
  true key (shifted as the vocal) not in a layering relation (goal 0);
- Magic time (``--render``): planning plus the render of the project with
  Magic's produced mix (ducking, presence dip, high-pass: track settings,
  audio_engine.project.trackmix), clip cache cold; and the mix's own cost:
  the same project rendered with clips cached, mix on against the reference
  of the mix turned off, in the same run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.corpus import corpus  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--songs", type=int, default=6)
    ap.add_argument("--seed", type=int, default=909)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--model", default="classical")
    ap.add_argument("--cache", default=None, help="keep analyses/stems in this folder (reused between runs)")
    ap.add_argument("--render", action="store_true", help="also time the render with the produced mix (issue 17)")
    args = ap.parse_args()

    from audio_engine.errors import StretchLimitError
    from audio_engine.keys import camelot_relation, layers_well, parse_key, transpose
    from audio_engine.magic import Caches, magic_mashup
    from audio_engine.magic.core import prepare_song

    songs = corpus(songs=args.songs, seed=args.seed, seconds=args.seconds)
    caches = Caches.under(Path(args.cache) if args.cache else Path(tempfile.mkdtemp(prefix="bench-magicq-")))
    for s in songs:
        prepare_song(s.mix, caches=caches, model=args.model, in_worker=False)
    rows: list[dict[str, Any]] = []
    for a in songs:
        for b in songs:
            if a is b:
                continue
            t = time.perf_counter()
            try:
                r = magic_mashup(a.mix, b.mix, model=args.model, caches=caches, render=False, in_worker=False)
            except StretchLimitError:
                continue
            p = r.project
            voc, inst = p.clip(r.vocal_clip_id), p.clip(r.instrumental_clip_ids[0])
            tb = np.array([p.source_to_timeline(inst, x) for x in b.truth["beats"] if inst.source_in <= x < inst.source_out])
            ta = np.array([p.source_to_timeline(voc, x) for x in a.truth["beats"] if voc.source_in <= x < voc.source_out])
            db = np.array([p.source_to_timeline(inst, x) for x in b.truth["downbeats"] if inst.source_in <= x < inst.source_out])
            da = np.array([p.source_to_timeline(voc, x) for x in a.truth["downbeats"] if voc.source_in <= x < voc.source_out])
            if r.tempo_multiple_a == 0.5 and tb.size > 1:
                # A counted in half time: two of A's beats per project beat, one of A's bars per half bar of B.
                tb = np.sort(np.concatenate([tb, (tb[1:] + tb[:-1]) / 2]))
                if db.size > 1:
                    db = np.sort(np.concatenate([db, db + float(np.median(np.diff(db))) / 2]))
            beat_err = float(np.median([np.min(np.abs(tb - x)) for x in ta])) if ta.size and tb.size else float("nan")
            bar_err = int(sum(np.min(np.abs(db - x)) > 0.05 for x in da)) if da.size and db.size else 0
            ka, kb = parse_key(a.truth["key"]["name"]), parse_key(b.truth["key"]["name"])
            ta_k, tb_k = transpose(ka, r.shift_a), transpose(kb, r.shift_b)
            plan_s = time.perf_counter() - t
            timing = _render_times(p, caches) if args.render else {}
            rows.append({**timing, "plan_s": plan_s,
                         "pair": f"{a.name} over {b.name}", "beat_ms": beat_err * 1000, "bar_errors": bar_err,
                         "bars_checked": int(da.size), "clash": not layers_well(tb_k, ta_k),
                         "relation": camelot_relation(tb_k, ta_k), "arrangement": r.arrangement.get("name"),
                         "keys": f"{r.key_a} (true {ka.name}) / {r.key_b} (true {kb.name})",
                         "multiple": r.tempo_multiple_a, "hedged": bool(r.key_plan.get("hedged")),
                         "readings": " / ".join(" or ".join(r.key_plan.get(f"readings_{x}", [])) for x in "ab")})
    n = len(rows)
    print(f"\n### Magic quality over {n} pairs ({args.songs} corpus songs seed {args.seed}, {args.model} stems)\n")
    print("| measure | value | goal |")
    print("|---|---|---|")
    print(f"| median beat misalignment (median over pairs) | {np.nanmedian([r['beat_ms'] for r in rows]):.1f} ms | <= 10 ms |")
    print(f"| worst pair's median beat misalignment | {np.nanmax([r['beat_ms'] for r in rows]):.1f} ms | |")
    print(f"| pairs with a bar off (A's downbeat > 50 ms from B's) | {sum(r['bar_errors'] > 0 for r in rows)} of {n} | 0 |")
    print(f"| pairs with a harmonic clash (true keys) | {sum(r['clash'] for r in rows)} of {n} | 0 |")
    print(f"| pairs whose vocal shift was hedged over an uncertain key's two readings | {sum(r['hedged'] for r in rows)} of {n} | |")
    print(f"| planning time per pair (stems cached, no render) | {np.median([r['plan_s'] for r in rows]):.2f} s median | |")
    if args.render:
        secs = np.median([r["duration"] for r in rows])
        print(f"| Magic time per pair: plan + render with the produced mix (clips cold; mixes {secs:.0f} s median) "
              f"| {np.median([r['plan_s'] + r['render_s'] for r in rows]):.2f} s median, "
              f"{np.max([r['plan_s'] + r['render_s'] for r in rows]):.2f} s worst | |")
        on, off = np.median([r["mix_on_s"] for r in rows]), np.median([r["mix_off_s"] for r in rows])
        print(f"| render with clips cached: produced mix on / reference: mix off | {on:.2f} s / {off:.2f} s median "
              f"(x{on / off:.2f}) | |")
    print("\n<details><summary>per pair</summary>\n")
    print("| pair | beat ms | bars off / checked | A tempo x | relation (true keys) | keys used A / B | readings A / B "
          "| hedged | arrangement |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['pair']} | {r['beat_ms']:.1f} | {r['bar_errors']} / {r['bars_checked']} | {r['multiple']:g} "
              f"| {r['relation']} | {r['keys']} | {r['readings']} | {'yes' if r['hedged'] else 'no'} | {r['arrangement']} |")
    import os

    print(f"\nload average at the end (1/5/15 min): {' '.join(open('/proc/loadavg').read().split()[:3])} "
          f"on {os.cpu_count()} cores (a shared machine)")
    print("\n</details>")


def _render_times(project: Any, caches: Any) -> dict[str, float]:
    """Render times of a Magic project: with its produced mix (clip cache
    cold), then with clips cached with the mix on and off (reference)."""
    from dataclasses import replace

    from audio_engine.cache import FileCache
    from audio_engine.project.render import render_project

    clips = FileCache(Path(tempfile.mkdtemp(prefix="bench-magicq-clips-")))
    t = time.perf_counter()
    r = render_project(project, media=[caches.media], cache=clips)
    render_s = time.perf_counter() - t
    plain = project.copy()
    plain.tracks = [replace(tr, duck_db=0.0, presence_dip_db=0.0, highpass_hz=0.0) for tr in plain.tracks]
    best: dict[str, float] = {}
    for name, proj in (("mix_off_s", plain), ("mix_on_s", project), ("mix_off_s", plain), ("mix_on_s", project)):
        t = time.perf_counter()
        render_project(proj, media=[caches.media], cache=clips)
        best[name] = min(best.get(name, float("inf")), time.perf_counter() - t)
    return {"render_s": render_s, "duration": r.duration, **best}


if __name__ == "__main__":
    main()
