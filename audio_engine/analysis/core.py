"""Entry points: :func:`analyze` (an :class:`Audio` in memory) and
:func:`analyze_file` (a file of any length, streamed in bounded memory)."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import numpy.typing as npt

from audio_engine.analysis.features import SR, chroma_features, rhythm_features
from audio_engine.analysis.result import Analysis, AnalysisRecordError
from audio_engine.analysis.rhythm import analyze_rhythm
from audio_engine.analysis.tonality import estimate_key, pitch_class_profile
from audio_engine.audio import Audio
from audio_engine.cache import JsonCache, cache_key
from audio_engine.errors import AudioTooLargeError, InvalidAudioError
from audio_engine.progress import CancelToken, ProgressCallback, ProgressReporter, check

#: Bump whenever a change can alter any result: old cache entries are then ignored.
ANALYZER_VERSION = "1.1.0"  # 1.1: runner-up key and the "uncertain" flag
#: Tracks longer than this are refused (60 minutes). Memory use is bounded
#: by it: about 320 MB of mono 22.05 kHz samples plus features.
MAX_ANALYSIS_SECONDS = 60 * 60.0
#: Loudness is measured per segment of this length while streaming a file and
#: combined (power mean of the non-silent segments); for tracks up to this
#: length it is exactly BS.1770 integrated loudness of the whole track.
LOUDNESS_SEGMENT_S = 300.0
DEFAULT_TEMPO_RANGE = (70.0, 180.0)


def check_tempo_range(tempo_range: tuple[float, float]) -> tuple[float, float]:
    lo, hi = (float(v) for v in tempo_range)
    if not (math.isfinite(lo) and math.isfinite(hi) and 20.0 <= lo and hi <= 400.0 and hi >= 1.9 * lo):
        raise ValueError(
            f"tempo_range {tempo_range!r}: needs 20 <= low, high <= 400 BPM and high >= 1.9 x low "
            "(the range must hold a whole tempo octave)."
        )
    return lo, hi


def _key(content_hash: str, kind: str, tempo_range: tuple[float, float]) -> str:
    return cache_key(kind, ANALYZER_VERSION, content_hash, tempo_range=list(tempo_range))


def _cached(cache: JsonCache | None, key: str) -> Analysis | None:
    if cache is None:
        return None
    hit = cache.get(key)
    if hit is None:
        return None
    try:
        return Analysis.from_dict(hit)
    except AnalysisRecordError:
        return None  # a damaged entry is recomputed and overwritten


def _refuse_long(duration: float, name: str) -> None:
    if duration > MAX_ANALYSIS_SECONDS:
        raise AudioTooLargeError(
            f"{name}: {duration / 60:.0f} minutes of audio; analysis handles tracks up to "
            f"{MAX_ANALYSIS_SECONDS / 60:.0f} minutes.",
            hint="Cut the recording into songs (or a shorter excerpt) and analyse those.",
        )


def analyze(
    audio: Audio,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    cache: JsonCache | None = None,
    tempo_range: tuple[float, float] = DEFAULT_TEMPO_RANGE,
) -> Analysis:
    """Tempo, beat grid, downbeats, key, loudness and true peak of ``audio``.

    Raises :class:`InvalidAudioError` for empty or non-finite audio,
    :class:`AudioTooLargeError` beyond :data:`MAX_ANALYSIS_SECONDS`,
    :class:`Cancelled` when ``cancel`` is set, ``ValueError`` for a bad
    ``tempo_range`` (which must span at least an octave)."""
    from audio_engine.io import audio_hash
    from audio_engine.loudness import integrated_lufs, true_peak_db

    tempo_range = check_tempo_range(tempo_range)
    if audio.frames == 0:
        raise InvalidAudioError("The audio is empty (0 samples); there is nothing to analyse.")
    _refuse_long(audio.duration, "audio")
    audio.check_finite()
    rep = ProgressReporter(progress, stage="analysing")
    rep(0.0, force=True)
    content_hash = audio_hash(audio)
    key = _key(content_hash, "analysis", tempo_range)
    hit = _cached(cache, key)
    if hit is not None:
        rep(1.0)
        return hit
    check(cancel)
    rep(0.02, stage="loudness")
    lufs = integrated_lufs(audio)
    tp = true_peak_db(audio)
    check(cancel)
    rep(0.2, stage="resampling")
    y = audio.mono().resample(SR).samples[0]
    result = _analyze_mono(
        y, path=None, content_hash=content_hash, duration=audio.duration, sample_rate=audio.sample_rate,
        lufs=lufs, true_peak=tp, tempo_range=tempo_range, rep=rep.sub(0.3, 0.7), cancel=cancel,
    )
    if cache is not None:
        cache.put(key, result.to_dict())
    rep(1.0, stage="done")
    return result


def analyze_file(
    path: str | os.PathLike[str],
    *,
    cache: JsonCache | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    tempo_range: tuple[float, float] = DEFAULT_TEMPO_RANGE,
) -> Analysis:
    """Analyse a file of up to :data:`MAX_ANALYSIS_SECONDS`, streamed: the
    file is never decoded whole; analysis runs on a mono 22.05 kHz copy.
    Cached by the hash of the file's bytes. Raises the typed errors of
    :mod:`audio_engine.io` for unreadable files."""
    from audio_engine import io
    from audio_engine.loudness import SILENCE_LUFS, integrated_lufs, true_peak_db

    tempo_range = check_tempo_range(tempo_range)
    p = Path(path)
    info = io.info(p)
    _refuse_long(info.duration, p.name)
    rep = ProgressReporter(progress, stage="decoding")
    rep(0.0, force=True)
    content_hash = io.file_hash(p)
    key = _key(content_hash, "analysis-file", tempo_range)
    hit = _cached(cache, key)
    if hit is not None:
        rep(1.0)
        return hit.with_path(str(path))

    # One pass over the file: loudness per segment at the native rate, and a
    # mono copy at the analysis rate (streaming resampler: no seams).
    resampler = None
    if info.sample_rate != SR:
        import soxr

        resampler = soxr.ResampleStream(info.sample_rate, SR, 1, dtype="float32", quality="HQ")
    capacity = int(math.ceil(info.frames * SR / info.sample_rate)) + SR
    y = np.zeros(capacity, dtype=np.float32)
    filled = 0
    frames = 0
    parts: list[tuple[float, float]] = []  # (lufs, seconds)
    peak = -math.inf

    def put(chunk: npt.NDArray[np.float32]) -> None:
        nonlocal filled, y
        if filled + len(chunk) > len(y):  # a compressed file longer than its header said
            _refuse_long((filled + len(chunk)) / SR, p.name)
            y = np.concatenate([y, np.zeros(len(chunk) + SR, dtype=np.float32)])
        y[filled : filled + len(chunk)] = chunk
        filled += len(chunk)

    for block in io.stream(p, block_seconds=LOUDNESS_SEGMENT_S):
        check(cancel)
        frames += block.frames
        _refuse_long(frames / info.sample_rate, p.name)
        parts.append((integrated_lufs(block), block.duration))
        peak = max(peak, true_peak_db(block))
        mono = block.mono().samples[0]
        put(resampler.resample_chunk(mono) if resampler is not None else mono)
        rep(0.3 * min(1.0, frames / max(1, info.frames)))
    if resampler is not None:
        put(resampler.resample_chunk(np.zeros(0, dtype=np.float32), last=True))
    y = y[:filled]
    loud = [(lu, d) for lu, d in parts if lu > SILENCE_LUFS]
    if len(parts) == 1:
        lufs = parts[0][0]
    elif loud:
        total = sum(d for _, d in loud)
        lufs = 10.0 * math.log10(sum(d * 10.0 ** (lu / 10.0) for lu, d in loud) / total)
    else:
        lufs = SILENCE_LUFS
    result = _analyze_mono(
        y, path=str(path), content_hash=content_hash, duration=frames / info.sample_rate,
        sample_rate=info.sample_rate, lufs=lufs, true_peak=peak, tempo_range=tempo_range,
        rep=rep.sub(0.3, 0.7), cancel=cancel,
    )
    if cache is not None:
        cache.put(key, result.to_dict())
    rep(1.0, stage="done")
    return result


def _analyze_mono(
    y: npt.NDArray[np.float32],
    *,
    path: str | None,
    content_hash: str,
    duration: float,
    sample_rate: int,
    lufs: float,
    true_peak: float,
    tempo_range: tuple[float, float],
    rep: ProgressReporter,
    cancel: CancelToken | None,
) -> Analysis:
    y = np.ascontiguousarray(y, dtype=np.float32)
    rep(0.0, stage="rhythm")
    feat = rhythm_features(y)
    check(cancel)
    rep(0.4, stage="key")
    chroma = chroma_features(y)
    check(cancel)
    est = estimate_key(pitch_class_profile(chroma))
    rep(0.8, stage="beats")
    rhythm = analyze_rhythm(feat, chroma, tempo_range=tempo_range)
    check(cancel)
    rep(1.0)
    return Analysis(
        path=path,
        content_hash=content_hash,
        analyzer_version=ANALYZER_VERSION,
        duration=round(duration, 4),
        sample_rate=sample_rate,
        bpm=rhythm.bpm,
        bpm_alternative=rhythm.bpm_alternative,
        bpm_confidence=rhythm.confidence,
        beats=rhythm.beats,
        downbeats=rhythm.downbeats,
        beats_per_bar=rhythm.beats_per_bar,
        beat_period=rhythm.beat_period,
        beat_phase=rhythm.beat_phase,
        key=est.key,
        lufs=round(float(lufs), 2),
        true_peak_db=round(float(true_peak), 2),
        key_alternative=est.alternative,
        key_uncertain=est.uncertain,
    )
