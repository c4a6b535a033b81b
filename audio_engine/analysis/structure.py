"""Song structure: sections (intro, verse, chorus, bridge, outro) on phrase
boundaries, and a downbeat-phase check on the drum and harmonic stems.

The method is the field's standard one (Foote 2000; Paulus, Mueller &
Klapuri 2010; librosa.segment has the same pieces): bar-synchronous
features (chroma for harmony, MFCCs for timbre, loudness), a self-similarity
matrix between bars, a novelty curve from a checkerboard kernel slid along
its diagonal, and boundaries at novelty peaks, snapped to phrase boundaries
(every 4 bars from the phrase phase that collects the most novelty).
Sections are grouped by similarity (a repeated section gets the same letter)
and named by position, repetition and loudness: the loudest repeated group is
the chorus, the other repeated groups are verses, a one-off in the second
half is the bridge, quiet first and last sections are the intro and outro.

All numpy/scipy (no librosa import: see audio_engine.analysis.features).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from audio_engine.analysis.features import SR, chroma_features, mel_filterbank, stft_power_chunks
from audio_engine.audio import Audio

F64 = npt.NDArray[np.float64]
STRUCTURE_VERSION = "1"
PHRASE_BARS = 4
#: Half-width of the checkerboard kernel, in bars (sees 4 bars each side).
KERNEL_BARS = 4
MIN_SECTION_BARS = 4
#: A first/last section this much quieter than the song's loudest section is an intro/outro.
QUIET_DB = 3.0
#: Two sections are the same material (same letter) above this normalised cross-similarity.
SAME_MATERIAL = 0.95


@dataclass(frozen=True)
class Section:
    start_bar: int  # inclusive
    end_bar: int  # exclusive
    label: str  # "A", "B", ...: same letter = same material
    name: str  # intro, verse, chorus, bridge, outro
    energy_db: float  # mean bar loudness relative to the loudest bar

    @property
    def bars(self) -> int:
        return self.end_bar - self.start_bar

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Structure:
    sections: list[Section]
    phrase_phase: int  # bar index (mod PHRASE_BARS) where phrases start
    novelty: list[float]  # per bar boundary

    def section_at(self, bar: int) -> Section | None:
        return next((s for s in self.sections if s.start_bar <= bar < s.end_bar), None)

    def to_dict(self) -> dict[str, Any]:
        return {"sections": [s.to_dict() for s in self.sections], "phrase_phase": self.phrase_phase,
                "novelty": [round(v, 4) for v in self.novelty]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Structure:
        return cls([Section(**s) for s in d["sections"]], int(d["phrase_phase"]), [float(v) for v in d["novelty"]])


def _segment_means(values: F64, times: F64, edges: Sequence[float] | F64) -> F64:
    """Mean of ``values`` (dims, frames) over each interval of ``edges``."""
    out = np.zeros((values.shape[0], len(edges) - 1))
    idx = np.searchsorted(times, np.asarray(edges))
    for i in range(len(edges) - 1):
        a, b = int(idx[i]), int(max(idx[i + 1], idx[i] + 1))
        seg = values[:, a:b]
        if seg.shape[1]:
            out[:, i] = seg.mean(axis=1)
    return out


def bar_features(y: npt.NDArray[np.float32], bar_times: Sequence[float]) -> tuple[F64, F64, F64]:
    """Per bar: chroma (12, n) unit-normalised, MFCC (13, n) standardised,
    loudness (n,) in dB relative to the loudest bar. ``y``: mono at SR;
    ``bar_times``: n + 1 bar edges in seconds."""
    import scipy.fft

    edges = np.asarray(bar_times, dtype=np.float64)
    ch = chroma_features(y)
    chroma = _segment_means(ch.chroma.astype(np.float64), ch.times, edges)
    chroma /= np.maximum(np.linalg.norm(chroma, axis=0, keepdims=True), 1e-9)
    mel = mel_filterbank(sr=SR, n_fft=2048, n_mels=40)
    logs = [np.log10(np.maximum(mel @ p, 1e-10)).astype(np.float64) for p in stft_power_chunks(y, n_fft=2048, hop=512)]
    logmel = np.concatenate(logs, axis=1)
    t = np.arange(logmel.shape[1]) * 512 / SR
    mfcc = scipy.fft.dct(_segment_means(logmel, t, edges), axis=0, norm="ortho")[:13]
    mfcc = (mfcc - mfcc.mean(axis=1, keepdims=True)) / np.maximum(mfcc.std(axis=1, keepdims=True), 1e-9)
    x = y.astype(np.float64)
    rms = np.zeros(len(edges) - 1)
    for i in range(len(edges) - 1):
        seg = x[max(0, int(edges[i] * SR)):max(0, int(edges[i + 1] * SR))]
        rms[i] = float(np.sqrt(np.mean(seg * seg))) if seg.size else 0.0
    db = 20 * np.log10(np.maximum(rms, 1e-9))
    return chroma, mfcc, db - float(db.max())


def self_similarity(chroma: F64, mfcc: F64) -> F64:
    """Bar-to-bar similarity in [0, 1]: the mean of chroma cosine similarity
    and MFCC similarity (exp of minus the mean squared distance)."""
    sc = np.clip(chroma.T @ chroma, 0.0, 1.0)
    d = ((mfcc.T[:, None, :] - mfcc.T[None, :, :]) ** 2).mean(axis=2)
    st = np.exp(-d / max(float(np.median(d)), 1e-9))
    return np.asarray(0.5 * (sc + st))


def novelty(features: F64, *, half: int = KERNEL_BARS) -> F64:
    """Novelty at every bar boundary (index i = between bar i-1 and bar i):
    the squared distance between the mean features of the ``half`` bars
    before and after, over their pooled within-window variance (a two-window
    test, as in BIC/Hotelling change detection; like Foote's checkerboard
    kernel on the self-similarity matrix, but a section whose bars vary among
    themselves, such as a verse with gaps in the vocal, does not look new at
    every bar). Normalised to max 1; 0 at the song's edges."""
    n = features.shape[1]
    out = np.zeros(n + 1)
    floor = 1e-3 * features.shape[0]
    for i in range(1, n):
        a, b = features[:, max(0, i - half) : i], features[:, i : i + half]
        va = float(a.var(axis=1).sum()) if a.shape[1] > 1 else 0.0
        vb = float(b.var(axis=1).sum()) if b.shape[1] > 1 else 0.0
        out[i] = float(np.sum((a.mean(axis=1) - b.mean(axis=1)) ** 2)) / (0.5 * (va + vb) + floor)
    top = float(out.max())
    return out / top if top > 0 else out


def stacked_features(chroma: F64, mfcc: F64, db: F64) -> F64:
    """Bar features for novelty, each family with about equal weight:
    13 standardised MFCCs, chroma scaled to a comparable spread, loudness
    standardised."""
    c = chroma / max(float(chroma.std()), 1e-9) * float(np.sqrt(13.0 / 12.0))
    lv = (db - db.mean()) / max(float(db.std()), 1e-9)
    return np.vstack([mfcc, c * np.sqrt(12.0 / 13.0), lv[None, :]])


def _boundaries(nov: F64, n_bars: int, phase: int) -> list[int]:
    from scipy.signal import find_peaks

    if n_bars < 2 * MIN_SECTION_BARS:
        return [0, n_bars]
    med = float(np.median(nov[1:-1]))
    mad = float(np.median(np.abs(nov[1:-1] - med))) + 1e-9
    peaks, _ = find_peaks(nov, distance=MIN_SECTION_BARS, height=med + 2.0 * mad)
    out = [0]
    for p in sorted(peaks, key=lambda i: -nov[i]):
        # Snap to the nearest phrase boundary when within a bar of it.
        q = int(round((p - phase) / PHRASE_BARS)) * PHRASE_BARS + phase
        b = q if abs(q - p) <= 1 and 0 < q < n_bars else int(p)
        if all(abs(b - o) >= MIN_SECTION_BARS for o in out) and n_bars - b >= MIN_SECTION_BARS // 2:
            out.append(b)
    return sorted(set(out)) + [n_bars]


def phrase_phase(nov: F64) -> int:
    """The bar offset (mod PHRASE_BARS) at which phrases start: the one whose
    boundaries collect the most novelty."""
    sums = [float(nov[p::PHRASE_BARS].sum()) for p in range(PHRASE_BARS)]
    return int(np.argmax(sums))


def _labels(ssm: F64, bounds: list[int]) -> list[str]:
    segs = list(zip(bounds[:-1], bounds[1:], strict=True))
    k = len(segs)
    block = np.zeros((k, k))
    for i, (a, b) in enumerate(segs):
        for j, (c, d) in enumerate(segs):
            block[i, j] = float(ssm[a:b, c:d].mean())
    labels: list[int] = [-1] * k
    nxt = 0
    for i in range(k):
        if labels[i] >= 0:
            continue
        labels[i] = nxt
        for j in range(i + 1, k):
            # Normalised cross-similarity: 1 when the two sections are as alike
            # as each is to itself (a repeat).
            r = block[i, j] / max(1e-9, float(np.sqrt(block[i, i] * block[j, j])))
            if labels[j] < 0 and r >= SAME_MATERIAL:
                labels[j] = nxt
        nxt += 1
    return [chr(ord("A") + min(25, v)) for v in labels]


def _names(labels: list[str], energy: list[float], bounds: list[int]) -> list[str]:
    k = len(labels)
    if k == 1:
        return ["verse"]
    counts = {lab: labels.count(lab) for lab in labels}
    top = max(energy)
    names = [""] * k
    if energy[0] < top - QUIET_DB and counts[labels[0]] == 1:
        names[0] = "intro"
    if k > 2 and energy[-1] < top - QUIET_DB and counts[labels[-1]] == 1:
        names[-1] = "outro"
    inner = [i for i in range(k) if not names[i]]
    groups: dict[str, list[int]] = {}
    for i in inner:
        groups.setdefault(labels[i], []).append(i)
    repeated = [g for g in groups if len(groups[g]) >= 2]
    pool = repeated or list(groups)
    chorus = max(pool, key=lambda g: float(np.mean([energy[i] for i in groups[g]]))) if pool else None
    half = bounds[-1] / 2
    for g, idx in groups.items():
        for i in idx:
            if g == chorus:
                names[i] = "chorus"
            elif len(idx) == 1 and bounds[i] >= half and repeated:
                names[i] = "bridge"
            else:
                names[i] = "verse"
    return names


def find_structure(y: npt.NDArray[np.float32], bar_times: Sequence[float]) -> Structure:
    """Sections of a song whose bars start at ``bar_times`` (n + 1 edges, s).
    ``y``: mono float32 at :data:`SR`."""
    n = len(bar_times) - 1
    if n < 1:
        return Structure([], 0, [])
    chroma, mfcc, db = bar_features(y, bar_times)
    ssm = self_similarity(chroma, mfcc)
    nov = novelty(stacked_features(chroma, mfcc, db))
    phase = phrase_phase(nov)
    bounds = _boundaries(nov, n, phase)
    labels = _labels(ssm, bounds)
    energy = [float(np.mean(db[a:b])) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    names = _names(labels, energy, bounds)
    sections = [Section(a, b, lab, nm, round(e, 2))
                for (a, b), lab, nm, e in zip(zip(bounds[:-1], bounds[1:], strict=True), labels, names, energy, strict=True)]
    return Structure(sections, phase, [float(v) for v in nov])


def structure_of(audio: Audio, bar_times: Sequence[float]) -> Structure:
    return find_structure(audio.mono().resample(SR).samples[0], bar_times)


# -- downbeat phase ----------------------------------------------------------


def low_band_onsets(y: npt.NDArray[np.float32], *, fmax: float = 150.0, hop: int = 128) -> tuple[F64, float]:
    """Spectral flux below ``fmax`` (kick drum, bass attacks) and its frame
    rate, from a mono signal at :data:`SR`."""
    n_fft = 1024
    freqs = np.linspace(0.0, SR / 2.0, 1 + n_fft // 2)
    band = freqs <= fmax
    frames = [np.log1p(1000.0 * p[band]).sum(axis=0) for p in stft_power_chunks(y, n_fft=n_fft, hop=hop)]
    e = np.concatenate(frames).astype(np.float64)
    flux = np.concatenate([[0.0], np.maximum(0.0, np.diff(e))])
    return flux, SR / hop


def beat_values(env: F64, frame_rate: float, beat_times: Sequence[float], *, width_s: float = 0.05) -> F64:
    """The peak of an onset envelope within ``width_s`` after each beat."""
    out = np.zeros(len(beat_times))
    w = max(1, int(width_s * frame_rate))
    for i, t in enumerate(beat_times):
        a = int(round(t * frame_rate))
        seg = env[max(0, a - 1) : max(0, a + w)]
        out[i] = float(seg.max()) if seg.size else 0.0
    return out


def beat_chroma(chroma: F64, times: F64, beat_times: Sequence[float]) -> F64:
    """Chroma per beat (12, beats), each unit-normalised."""
    bt = np.asarray(beat_times, dtype=np.float64)
    edges = np.concatenate([bt, [bt[-1] + (bt[-1] - bt[-2] if bt.size > 1 else 0.5)]])
    per = _segment_means(chroma, times, edges)
    return np.asarray(per / np.maximum(np.linalg.norm(per, axis=0, keepdims=True), 1e-9))


def _bar_dispersion(bc: F64, phase: int, bpb: int) -> float:
    """Mean cosine distance of each beat's chroma from its bar's mean, with
    bars starting at beat ``phase``: harmony changes at bar lines, so the true
    phase gives the most homogeneous bars."""
    n = (bc.shape[1] - phase) // bpb
    if n < 1:
        return 0.0
    x = bc[:, phase : phase + n * bpb].reshape(12, n, bpb)
    mean = x.mean(axis=2, keepdims=True)
    mean = mean / np.maximum(np.linalg.norm(mean, axis=0, keepdims=True), 1e-9)
    return float((1.0 - (x * mean).sum(axis=0)).mean())


def downbeat_phase(kick: F64, beat_chroma_: F64, beats_per_bar: int) -> tuple[int, F64]:
    """Which beat (mod ``beats_per_bar``) starts the bars, from two kinds of
    evidence, each as a z-score across the phases: the low-band drum accent
    (kick) on that beat's half-bar position, and how homogeneous the harmony
    (``beat_chroma_``, from :func:`beat_chroma`, best of the harmonic stems)
    is within bars that start there. Returns (phase, scores)."""
    bpb = beats_per_bar
    # The kick marks the strong beats of a backbeat (1 and 3 in 4/4, against
    # the snare's 2 and 4) but not which of them is the one, so with an even
    # bar it votes on the half-bar phase and the harmony picks the bar phase.
    fold = bpb // 2 if bpb % 2 == 0 and bpb >= 4 else bpb
    kick_per = np.array([float(kick[p % fold::fold].mean()) if kick[p % fold::fold].size else 0.0 for p in range(bpb)])
    harm_per = np.array([-_bar_dispersion(beat_chroma_, p, bpb) for p in range(bpb)])
    scores = np.zeros(bpb)
    for per in (kick_per, harm_per):
        sd = float(per.std())
        if sd > 1e-12:
            scores += (per - per.mean()) / sd
    return int(np.argmax(scores)), scores
