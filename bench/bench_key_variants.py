"""Key reading variants on development songs (issue 17): does a field-standard
change of the chroma or the key profile read the mix's key better?

    MASHUPS_TEST_CACHE=... .venv/bin/python bench/bench_key_variants.py [--seeds 606:FluidR3_GM,4242:TimGM6mb,4343:FluidR3_GM]

Development seeds only: none of them is used by a test or by the benchmarks
that report accuracy and clashes (707, 808, 909, 1711, 1712). Variants of
the pitch-class distribution the analyser correlates with key profiles
(audio_engine.analysis.tonality), each x profile x bass weight:

- "plain": the analyser's long-window magnitude chroma (what ships);
- "hpss": the harmonic part of a median-filter HPSS (Fitzgerald 2010) of the
  same spectrogram (drums out of the chroma: librosa's usual recipe);
- "peaks": spectral whitening, the magnitude less its median across 31 bins
  (only spectral peaks count, as HPCP does);
- "nnls": note saliences by non-negative least squares against note
  templates with partials decaying by ``s`` per harmonic (Mauch & Dixon
  2010, NNLS Chroma), folded to pitch classes (s=0: no overtone model).

Prints exact and MIREX weighted accuracy (mir_eval) and the songs read wrong.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.corpus import corpus  # noqa: E402

FONT_DIR = Path("/usr/share/sounds/sf2")


def chroma_variants(y: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(full-range, bass) chroma frames of each variant."""
    import soxr
    from scipy.ndimage import median_filter
    from scipy.optimize import nnls

    from audio_engine.analysis import features as F

    sr = F.SR // F.CHROMA_DECIMATE
    yd = np.asarray(soxr.resample(y, F.SR, sr, quality="HQ"), dtype=np.float32)
    full_m = F._chroma_matrix(F.CHROMA_N_FFT, sr, F.CHROMA_FMIN, F.CHROMA_FMAX)
    bass_m = F._chroma_matrix(F.CHROMA_N_FFT, sr, F.CHROMA_FMIN, F.BASS_FMAX)
    mag = np.sqrt(np.concatenate(list(F.stft_power_chunks(yd, n_fft=F.CHROMA_N_FFT, hop=F.CHROMA_HOP)), axis=1))
    out = {"plain": (full_m @ mag, bass_m @ mag)}
    across_f = median_filter(mag, size=(31, 1), mode="nearest")
    across_t = median_filter(mag, size=(1, 9), mode="nearest")
    harm = mag * across_t**2 / np.maximum(across_t**2 + across_f**2, 1e-20)
    out["hpss"] = (full_m @ harm, bass_m @ harm)
    peaks = np.maximum(0.0, mag - across_f)
    out["peaks"] = (full_m @ peaks, bass_m @ peaks)
    freqs = np.linspace(0, sr / 2, mag.shape[0])
    band = (freqs >= 30) & (freqs <= 4300)
    fb = freqs[band]
    notes = np.arange(24, 108)  # C1..B7
    blocks = mag[band][:, : mag.shape[1] // 4 * 4].reshape(int(band.sum()), -1, 4).mean(axis=2)
    for s in (0.0, 0.6):
        d = np.zeros((fb.size, notes.size))
        for j, m in enumerate(notes):
            f0 = 440.0 * 2 ** ((m - 69) / 12)
            for k in range(1, 9):
                if k * f0 > 4300:
                    break
                d[:, j] += s ** (k - 1) * np.exp(-0.5 * ((fb - k * f0) / (1.5 + 0.01 * k * f0)) ** 2)
        d /= np.linalg.norm(d, axis=0, keepdims=True)
        act = np.stack([nnls(d, blocks[:, i], maxiter=2000)[0] for i in range(blocks.shape[1])], axis=1)
        full, bass = np.zeros((12, act.shape[1])), np.zeros((12, act.shape[1]))
        for j, m in enumerate(notes):
            full[m % 12] += act[j]
            if m <= 59:  # up to B3, as the analyser's bass chroma
                bass[m % 12] += act[j]
        out[f"nnls s={s:g}"] = (full, bass)
    return out


def pcp(full: np.ndarray, bass: np.ndarray, bass_weight: float) -> np.ndarray:
    from audio_engine.analysis.tonality import _frame_normalised_sum

    out = np.zeros(12)
    for part, w in ((full, 1.0), (bass, bass_weight)):
        v = _frame_normalised_sum(part.astype(np.float32))
        if v.sum() > 0 and w > 0:
            out += w * v / v.sum()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--songs", type=int, default=12)
    ap.add_argument("--seeds", default="606:FluidR3_GM,4242:TimGM6mb,4343:FluidR3_GM")
    args = ap.parse_args()

    import mir_eval

    from audio_engine import io
    from audio_engine.analysis.features import SR
    from audio_engine.analysis.tonality import estimate_key

    songs: list[tuple[str, str, dict[str, Any]]] = []
    for spec in args.seeds.split(","):
        seed, font = spec.split(":")
        if int(seed) in (707, 808, 909, 1711, 1712):
            raise SystemExit(f"seed {seed} is a benchmark seed: develop on others")
        for song in corpus(songs=args.songs, seed=int(seed), seconds=30.0, soundfont=str(FONT_DIR / f"{font}.sf2")):
            y = io.load(song.mix, sample_rate=SR, channels=1).samples[0]
            songs.append((song.name, song.truth["key"]["name"], chroma_variants(y)))
    rows = []
    for variant in songs[0][2]:
        for profile in ("albrecht", "temperley", "krumhansl"):
            for bw in (0.0, 0.5, 1.0, 2.0):
                names = [(true, estimate_key(pcp(*ch[variant], bw), profile=profile).key.name, n)  # type: ignore[arg-type]
                         for n, true, ch in songs]
                exact = float(np.mean([t == e for t, e, _ in names]))
                weighted = float(np.mean([mir_eval.key.weighted_score(t, e) for t, e, _ in names]))
                wrong = [f"{n}: {t} -> {e}" for t, e, n in names if t != e]
                rows.append((weighted, exact, variant, profile, bw, wrong))
    print(f"\n### Key reading variants ({len(songs)} development songs, seeds {args.seeds})\n")
    print("| chroma | profile | bass weight | exact | MIREX weighted | read wrong |")
    print("|---|---|---|---|---|---|")
    for weighted, exact, variant, profile, bw, wrong in sorted(rows, key=lambda r: (-r[0], -r[1])):
        ships = " (ships)" if (variant, profile, bw) == ("plain", "albrecht", 1.0) else ""
        print(f"| {variant}{ships} | {profile} | {bw:g} | {exact * 100:.1f} % | {weighted:.3f} | "
              f"{'; '.join(wrong[:4])}{' …' if len(wrong) > 4 else ''} |")


if __name__ == "__main__":
    main()
