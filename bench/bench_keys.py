"""Sure keys and harmonic clashes in Magic's key plan.

    .venv/bin/python bench/bench_keys.py [--songs 12] [--seeds 707:FluidR3_GM,808:TimGM6mb] [--stems classical,true]

Songs from ../shared/corpus/make_corpus.py with seeds and SoundFonts that
no test uses (tests use seed 1; the key check was developed on seed 606).

Key accuracy (exact and MIREX weighted, mir_eval) of:
- "mix only": the analyser's reading (what Magic used before);
- "checked": :func:`audio_engine.magic.keycheck.sure_key` settling uncertain
  readings on the harmonic stems (+ the vocal for the vocal song), with the
  classical separator's stems (what runs without Demucs weights) and with the
  corpus' true stems (the ceiling a perfect separator gives).

Harmonic clashes: every ordered pair (A vocals over B instrumental) whose
tempos meet within Magic's 20 % limit; the vocal shift chosen from the
detected keys is applied to A's *true* key and checked against B's true key.
"Before" is the previous rule (energy boost counted as compatible) on the
mix-only keys; then the layering rule on the checked keys, and the same hedged
over the readings of uncertain keys (:func:`audio_engine.keys.hedged_shift`:
the vocal shift that layers well under both readings when one exists), which
is what Magic does now.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.corpus import corpus  # noqa: E402

FONT_DIR = Path("/usr/share/sounds/sf2")


def old_shift(a: Any, b: Any) -> int:
    """The rule Magic used before: energy boost (two steps) counted as compatible."""
    from audio_engine.keys import camelot_relation, transpose

    rank = {"same": 0, "relative": 1, "adjacent": 2, "energy-boost": 3}
    cands = []
    for s in range(-6, 7):
        rel = camelot_relation(a, transpose(b, s))
        if rel in rank:
            cands.append((abs(s), rank[rel], 0 if s <= 0 else 1, s))
    return min(cands)[3]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--songs", type=int, default=12)
    ap.add_argument("--seeds", default="707:FluidR3_GM,808:TimGM6mb")
    ap.add_argument("--stems", default="classical,true")
    ap.add_argument("--cache", default=None, help="keep the classical stems in this folder (reused between runs)")
    args = ap.parse_args()

    import mir_eval

    from audio_engine.analysis import analyze_file
    from audio_engine.cache import FileCache, JsonCache
    from audio_engine.keys import (
        camelot_relation,
        compatible_shift,
        hedged_shift,
        layers_well,
        parse_key,
        transpose,
    )
    from audio_engine.magic.keycheck import sure_key
    from audio_engine.magic.plan import analysis_alternatives
    from audio_engine.magic.score import plan_tempo
    from audio_engine.separation import separate

    work = Path(args.cache) if args.cache else Path(tempfile.mkdtemp(prefix="bench-keys-"))
    stem_cache = FileCache(work / "stems")
    kc = JsonCache(work / "k.sqlite3")
    kinds = args.stems.split(",")
    rows: list[dict[str, Any]] = []
    for spec in args.seeds.split(","):
        seed, font = spec.split(":")
        for song in corpus(songs=args.songs, seed=int(seed), seconds=30.0, soundfont=str(FONT_DIR / f"{font}.sf2")):
            a = analyze_file(song.mix)
            row: dict[str, Any] = {"song": f"{font} {song.name}", "true": song.truth["key"]["name"], "bpm": song.truth["bpm"],
                                   "mix": a.key.name, "uncertain": a.key_uncertain,
                                   "alt": a.key_alternative.name if a.key_alternative else "-",
                                   "mix_readings": [a.key.name] + [k.name for k in analysis_alternatives(a)]}
            for kind in kinds:
                if kind == "true":
                    stems = {s: song.stem(s) for s in ("drums", "bass", "other", "vocals")}
                else:
                    stems = {k: Path(v) for k, v in separate(song.mix, model="classical", cache=stem_cache,
                                                              in_worker=False).stems.items()}
                for voc in (False, True):
                    sk = sure_key(a, stems, mix=song.mix, with_vocal=voc, cache=kc)
                    row[f"{kind}{'+v' if voc else ''}"] = sk.key.name
                    row[f"{kind}{'+v' if voc else ''}_readings"] = [k.name for k in sk.readings]
            rows.append(row)

    def acc(col: str) -> tuple[float, float]:
        ex = float(np.mean([r[col] == r["true"] for r in rows]))
        w = float(np.mean([mir_eval.key.weighted_score(r["true"], r[col]) for r in rows]))
        return ex, w

    cols = ["mix"] + [f"{k}{v}" for k in kinds for v in ("", "+v")]
    print(f"\n### Key accuracy ({len(rows)} unseen corpus songs, seeds {args.seeds})\n")
    print(f"uncertain readings (checked on stems): {sum(r['uncertain'] for r in rows)} of {len(rows)}\n")
    print("| key from | exact | MIREX weighted |")
    print("|---|---|---|")
    label = {"mix": "mix only (analyser, before)", "classical": "checked, classical stems",
             "classical+v": "checked, classical stems + vocal", "true": "checked, true stems",
             "true+v": "checked, true stems + vocal"}
    for c in cols:
        ex, w = acc(c)
        print(f"| {label.get(c, c)} | {ex * 100:.1f} % | {w:.3f} |")

    # Harmonic clashes over pairs.
    def clash_share(col_a: str, col_b: str, rule: str) -> tuple[int, int, list[str], float]:
        n = bad = 0
        ex = []
        shifts: list[int] = []
        for ra in rows:
            for rb in rows:
                if ra is rb or not plan_tempo(ra["bpm"], rb["bpm"]).within_limit:
                    continue
                ka, kb = parse_key(ra[col_a]), parse_key(rb[col_b])
                if rule == "old":
                    shift = old_shift(kb, ka)
                elif rule == "hedged":  # Magic now: hedged over the readings of uncertain keys
                    shift = hedged_shift([parse_key(x) for x in rb[f"{col_b}_readings"]],
                                         [parse_key(x) for x in ra[f"{col_a}_readings"]]).shift
                else:
                    shift = compatible_shift(kb, ka)[0]
                ta, tb = parse_key(ra["true"]), parse_key(rb["true"])
                n += 1
                shifts.append(abs(shift))
                if not layers_well(tb, transpose(ta, shift)):
                    bad += 1
                    if len(ex) < 3:
                        ex.append(f"{ra['song']} over {rb['song']}: "
                                  f"{camelot_relation(tb, transpose(ta, shift))}")
        return n, bad, ex, float(np.mean(shifts)) if shifts else 0.0

    print("\n### Harmonic clashes in Magic's key plan (true keys after the chosen vocal shift)\n")
    print("| keys, rule | pairs | clashing | share | mean vocal shift (semitones) |")
    print("|---|---|---|---|---|")
    plans = [("mix", "mix", "old", "mix keys, energy boost allowed (before)"),
             ("mix", "mix", "new", "mix keys, layering rule"),
             ("mix", "mix", "hedged", "mix keys, layering rule, hedged over uncertain readings")]
    for k in kinds:
        # As Magic: the vocal votes only with a learned separator's (here: the true) vocal stem.
        ca = f"{k}+v" if k == "true" else k
        plans.append((ca, k, "new", f"checked keys ({k} stems), layering rule"))
        plans.append((ca, k, "hedged", f"checked keys ({k} stems), layering rule, hedged (Magic now)"))
    for ca, cb, rule, name in plans:
        n, bad, ex, mean_shift = clash_share(ca, cb, rule)
        print(f"| {name} | {n} | {bad} | {bad / max(1, n) * 100:.1f} % | {mean_shift:.2f} |")
        for e in ex:
            print(f"|  e.g. {e} | | | | |")
    print("\n<details><summary>per song</summary>\n")
    print("| song | true | " + " | ".join(cols) + " | uncertain | alternative |")
    print("|---|---|" + "---|" * len(cols) + "---|---|")
    for r in rows:
        print(f"| {r['song']} | {r['true']} | " + " | ".join(r[c] for c in cols) + f" | {r['uncertain']} | {r['alt']} |")
    print("\n</details>")


if __name__ == "__main__":
    main()
