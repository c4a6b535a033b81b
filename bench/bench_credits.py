"""Credits: fingerprinting a library song (fpcalc, compressed + raw) against
the reference of reading it back from the content-hash cache (what a second
analysis, a re-import or a moved file costs), matching two fingerprints, and
drawing a cover (1080x1080, each style) against encoding it as PNG.

    .venv/bin/python bench/bench_credits.py [--songs 4]

Songs: the tests' 30-s corpus songs (seed 1). Best of 3 runs each.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.common import best_of, table  # noqa: E402
from tests.corpus import corpus  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--songs", type=int, default=4)
    args = ap.parse_args()
    from audio_engine.cache import JsonCache
    from audio_engine.cover import STYLES, CoverSpec, encode, render, waveform_peaks
    from audio_engine.fingerprint import compute, fingerprint_file, similarity

    songs = corpus(songs=6, seed=1, seconds=30.0)[: args.songs]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cache = JsonCache(Path(tmp) / "a.sqlite3")
        for s in songs:
            cold = best_of(lambda s=s: compute(s.mix))
            fingerprint_file(s.mix, cache=cache)
            warm = best_of(lambda s=s: fingerprint_file(s.mix, cache=cache))
            rows.append([s.name, f"{cold * 1000:.0f}", f"{warm * 1000:.1f}", f"{cold / warm:.0f}x"])
        a, b = compute(songs[0].mix), compute(songs[1].mix)
        match = best_of(lambda: similarity(a, b))
    print(table(["song (30 s)", "fpcalc ms", "cache hit ms (reference)", "ratio"], rows))
    print(f"\nsimilarity of two fingerprints (97 alignments): {match * 1000:.1f} ms\n")
    peaks = waveform_peaks(np.sin(np.linspace(0, 60, 44100)))
    crow = []
    for st in STYLES:
        spec = CoverSpec(title="Night Drive x Glass", artists="Band A, Singer B", style=st, peaks=peaks)
        im = render(spec)
        crow.append([st, f"{best_of(lambda spec=spec: render(spec)) * 1000:.0f}",
                     f"{best_of(lambda im=im: encode(im, 'png')) * 1000:.0f}"])
    print(table(["cover style (1080x1080)", "draw ms", "PNG encode ms (reference)"], crow))
    return 0


if __name__ == "__main__":
    sys.exit(main())
