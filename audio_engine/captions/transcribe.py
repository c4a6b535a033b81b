"""Transcription: audio -> :class:`CaptionDoc` with word times.

* :func:`transcribe_audio` runs in this process (the worker calls it);
* :func:`transcribe` is what the UI and the CLI call: it decodes the input,
  looks in the caption cache (content hash + backend + model + settings),
  and on a miss runs the recogniser in a spawned worker process with
  progress (fraction of the audio done, from segment end times) and a hard
  cancel;
* :func:`caption_song` picks what to transcribe for a song: the vocals stem
  when there is one (given, or cached by the separation step, or separated
  first when asked), falling back to the mix.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

from audio_engine.audio import Audio
from audio_engine.cache import FileCache, JsonCache, cache_key
from audio_engine.captions.backends import (
    BACKENDS,
    SAMPLE_RATE,
    Backend,
    FasterWhisperBackend,
    OpenAIWhisperBackend,
)
from audio_engine.captions.doc import CaptionDoc, Segment, split_lines
from audio_engine.captions.focus import vocal_focus
from audio_engine.captions.models import DEFAULT_MODEL, resolve_model
from audio_engine.captions.onsets import snap_line_starts
from audio_engine.captions.refine import refine_word_starts
from audio_engine.errors import InvalidAudioError, MashupsError
from audio_engine.progress import CancelToken, Progress, ProgressCallback, ProgressReporter, check

#: Bump when the transcription code changes what it produces (invalidates the cache).
CAPTIONS_VERSION = "4"  # 2: lines broken by split_lines; 3: late words pulled back onto their sound;
# 4: Whisper hears the stereo mix's centre (vocal focus), line starts snapped to the voice's onset
#: Shortest audio worth transcribing.
MIN_SECONDS = 0.1


@dataclass(frozen=True)
class TranscribeOptions:
    """Everything that changes the result (and so goes into the cache key)."""

    model: str = DEFAULT_MODEL
    backend: str = "faster-whisper"
    language: str | None = None
    vad_filter: bool = True
    beam_size: int = 5
    device: str = "auto"
    compute_type: str = "auto"
    #: Snap word starts to the onset of sound (see :mod:`audio_engine.captions.refine`).
    refine_word_starts: bool = True
    #: Transcribe the centre of a stereo input, where lead vocals sit (see :mod:`audio_engine.captions.focus`).
    vocal_focus: bool = True
    #: Move each line's first word onto the voice's onset in the voice band (see :mod:`audio_engine.captions.onsets`).
    snap_line_starts: bool = True
    #: Split segments where the words pause this long (seconds); None keeps Whisper's segments.
    split_gap_s: float | None = 1.0
    #: Longest caption line in characters / seconds (see :func:`split_lines`); None: no limit.
    max_line_chars: int | None = 42
    max_line_s: float | None = 5.0
    #: The models folder a model *name* is looked up in (Whisper: ``<models_dir>/whisper``); the caller's
    #: (Settings / CLI), never a default. None: ``model`` must be a model folder. Not part of the result.
    models_dir: Path | None = None

    def check(self) -> None:
        if self.backend not in BACKENDS:
            raise MashupsError(f"Unknown transcription backend {self.backend!r}; use one of {', '.join(BACKENDS)}.")
        if not 1 <= self.beam_size <= 20:
            raise MashupsError(f"beam_size must be 1..20, not {self.beam_size}.")


def forward(report: ProgressReporter) -> ProgressCallback:
    """A callback for a sub-step: its Progress (0..1) lands in ``report``'s span."""

    def cb(p: Progress) -> None:
        report(p.fraction, stage=p.stage or None, message=p.message)

    return cb


def _prepare(audio: Audio) -> Audio:
    """Checked and at Whisper's rate; mono or stereo (the stereo image is
    what :func:`vocal_focus` uses; more channels are mixed down to two)."""
    if audio.frames == 0 or audio.duration < MIN_SECONDS:
        raise InvalidAudioError(f"The audio is too short to transcribe ({audio.duration:.3f} s).")
    audio.check_finite()
    return (audio if audio.channels <= 2 else audio.to_channels(2)).resample(SAMPLE_RATE)


def _model_identity(opts: TranscribeOptions) -> tuple[str, Path | None]:
    if opts.backend == "faster-whisper":
        m = resolve_model(opts.model, root=opts.models_dir)
        return m.identity, m.path
    p = Path(opts.model).expanduser()
    return (f"pt:{p.resolve()}:{p.stat().st_size}" if p.is_file() else f"openai:{opts.model}"), None


def _make_backend(opts: TranscribeOptions, model_path: Path | None, log: Callable[[str], None] | None) -> Backend:
    if opts.backend == "openai-whisper":
        return OpenAIWhisperBackend(opts.model, models_dir=opts.models_dir, device=opts.device)
    assert model_path is not None
    return FasterWhisperBackend(
        model_path, model_name=opts.model, device=opts.device, compute_type=opts.compute_type, log=log
    )


def load_recognizer(options: TranscribeOptions | None = None, *, log: Callable[[str], None] | None = None) -> Backend:
    """Load the model of ``options`` once, to transcribe many files in this
    process with :func:`transcribe_audio`/:func:`transcribe` (``recognizer=``,
    ``in_worker=False``): batch jobs, benchmarks, tests."""
    opts = options or TranscribeOptions()
    opts.check()
    _, model_path = _model_identity(opts)
    return _make_backend(opts, model_path, log)


def transcribe_audio(
    audio: Audio,
    *,
    options: TranscribeOptions | None = None,
    recognizer: Backend | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    log: Callable[[str], None] | None = None,
) -> CaptionDoc:
    """Transcribe ``audio`` in this process (no cache, no worker): word
    timestamps, voice-activity filter, language detection unless
    ``options.language`` is given. A stereo input is heard through
    :func:`vocal_focus` (``options.vocal_focus``); word and line starts are
    refined on the mono mix. Progress is the fraction of the audio done.
    ``recognizer`` is a model already loaded by :func:`load_recognizer` for
    the same options (else the model is loaded here).
    Raises InvalidAudioError (empty, NaN/inf), ModelNotInstalledError,
    Cancelled."""
    opts = options or TranscribeOptions()
    opts.check()
    report = ProgressReporter(progress, stage="loading model")
    pcm = _prepare(audio)
    check(cancel)
    report(0.0, force=True)
    backend = recognizer if recognizer is not None else load_recognizer(opts, log=log)
    check(cancel)
    duration = pcm.duration
    work = report.sub(0.05, 0.95, stage="transcribing")
    work(0.0, force=True)

    def on_segment(seg: Segment) -> None:
        work(min(1.0, seg.end / duration), message=seg.text[:60])

    mono = np.ascontiguousarray(pcm.mono().samples[0])
    heard = vocal_focus(pcm.samples, pcm.sample_rate) if opts.vocal_focus and pcm.channels == 2 else mono
    check(cancel)
    raw = backend.transcribe(
        heard,
        language=opts.language,
        vad_filter=opts.vad_filter,
        beam_size=opts.beam_size,
        on_segment=on_segment,
        cancel=cancel,
    )
    segments = raw.segments
    if opts.refine_word_starts:
        segments = refine_word_starts(segments, mono, pcm.sample_rate)
    if opts.snap_line_starts:
        segments = snap_line_starts(segments, mono, pcm.sample_rate)
    segments = split_lines(
        CaptionDoc(segments), pause_s=opts.split_gap_s, max_chars=opts.max_line_chars, max_seconds=opts.max_line_s
    ).segments
    work(1.0, force=True)
    lang_prob = 1.0 if opts.language else raw.language_probability
    return CaptionDoc(
        segments=segments,
        language=raw.language,
        language_probability=lang_prob,
        duration=duration,
        model=f"{backend.name}:{Path(opts.model).name}:{raw.compute_type}",
    )


def _worker_transcribe(
    *, wav_path: str, options: TranscribeOptions, progress: ProgressCallback, cancel: CancelToken
) -> dict[str, Any]:
    """Worker-process entry point (top level so the spawn context can import it)."""
    from audio_engine import io

    audio = io.load(wav_path)
    return transcribe_audio(audio, options=options, progress=progress, cancel=cancel).to_dict()


def transcribe(
    source: str | os.PathLike[str] | Audio,
    *,
    model: str = DEFAULT_MODEL,
    backend: str = "faster-whisper",
    language: str | None = None,
    vad_filter: bool = True,
    beam_size: int = 5,
    device: str = "auto",
    compute_type: str = "auto",
    refine: bool = True,
    vocal_focus: bool = True,
    cache: JsonCache | Literal[False] | None = None,
    models_dir: Path | None = None,
    in_worker: bool = True,
    recognizer: Backend | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    log: Callable[[str], None] | None = None,
) -> CaptionDoc:
    """Transcribe a file or an :class:`Audio` into a :class:`CaptionDoc`.

    ``model`` is a registry name ("tiny.en", "small", "large-v3", "turbo"...)
    or a CTranslate2 model folder (for openai-whisper: a name or ``.pt``
    file); it must be installed: nothing is downloaded here
    (:class:`ModelNotInstalledError` otherwise). ``language`` None detects it.
    ``cache`` is the caller's caption :class:`JsonCache` (None/False: no
    cache); ``models_dir`` the models folder a model name is looked up in
    (the engine picks none). ``in_worker`` runs the model in a spawned process
    (default; hard cancel, a crash cannot take the caller down); with
    ``in_worker=False`` a ``recognizer`` from :func:`load_recognizer` for the
    same options is reused instead of loading the model again. ``refine``
    moves word and line starts onto the onsets of sound; ``vocal_focus``
    lets Whisper hear the centre of a stereo input (see
    :class:`TranscribeOptions`)."""
    opts = TranscribeOptions(
        model=os.fspath(model), backend=backend, language=language, vad_filter=vad_filter, beam_size=beam_size,
        device=device, compute_type=compute_type, refine_word_starts=refine, vocal_focus=vocal_focus,
        snap_line_starts=refine, models_dir=None if models_dir is None else Path(models_dir),
    )
    if not (cache is None or cache is False or isinstance(cache, JsonCache)):  # e.g. the old cache=True
        raise TypeError("transcribe(cache=...) takes the caption JsonCache to use, or None (the engine picks no folder).")
    opts.check()
    report = ProgressReporter(progress, stage="decoding")
    report(0.0, force=True)
    identity, _ = _model_identity(opts)  # ModelNotInstalledError before any work
    from audio_engine import io

    if isinstance(source, Audio):
        audio = source
    else:
        audio = io.load(source, sample_rate=SAMPLE_RATE)
    pcm = _prepare(audio)
    check(cancel)
    store = cache if isinstance(cache, JsonCache) else None
    key = cache_key(
        "captions", CAPTIONS_VERSION, io.audio_hash(pcm),
        backend=opts.backend, model=identity, language=opts.language or "auto", vad=opts.vad_filter,
        beam=opts.beam_size, compute_type=opts.compute_type, refine=opts.refine_word_starts,
        focus=opts.vocal_focus, snap=opts.snap_line_starts,
        split_gap=opts.split_gap_s, max_line_chars=opts.max_line_chars, max_line_s=opts.max_line_s,
    )
    if store is not None:
        hit = store.get(key)
        if hit is not None:
            report(1.0, stage="cached", force=True)
            return CaptionDoc.from_dict(hit)
    sub = report.sub(0.02, 0.98)
    if in_worker and recognizer is None:
        from audio_engine.worker import run_in_worker

        with tempfile.TemporaryDirectory(prefix="mashups-captions-") as tmp:
            wav = Path(tmp) / "audio.wav"
            io.save(pcm, wav, format="wav", bit_depth="float")
            data = run_in_worker(
                _worker_transcribe, kwargs={"wav_path": str(wav), "options": opts}, progress=forward(sub), cancel=cancel, log=log
            )
        doc = CaptionDoc.from_dict(data)
    else:
        doc = transcribe_audio(
            pcm, options=opts, recognizer=recognizer, progress=forward(sub), cancel=cancel, log=log
        )
    if store is not None:
        store.put(key, doc.to_dict())
    report(1.0, stage="done", force=True)
    return doc


# ----------------------------------------------------------------- songs


def _cached_vocals(path: Path, stems_cache: FileCache | None, cancel: CancelToken | None = None) -> Path | None:
    """The vocals stem of ``path`` if the separation step already has one in
    its stem cache from a separation model (the most recently used; stems of
    the classical fallback are not used unasked: bench/RESULTS-captions.md
    shows they transcribe worse than the mix). Never separates; without the
    caller's stem cache there is nothing to look in."""
    if stems_cache is None:
        return None
    try:
        from audio_engine.separation import find_cached_stems
    except ImportError:
        return None
    stems = find_cached_stems(path, cache=stems_cache, cancel=cancel)
    vocals = None if stems is None else stems.stems.get("vocals")
    return Path(vocals) if vocals is not None and Path(vocals).is_file() else None


def caption_song(
    path: str | os.PathLike[str],
    *,
    vocals: str | os.PathLike[str] | None = None,
    separate: bool = False,
    separation_model: str = "htdemucs",
    model: str = DEFAULT_MODEL,
    backend: str = "faster-whisper",
    language: str | None = None,
    vad_filter: bool = True,
    beam_size: int = 5,
    device: str = "auto",
    cache: JsonCache | Literal[False] | None = None,
    in_worker: bool = True,
    recognizer: Backend | None = None,
    stems_cache: FileCache | None = None,
    model_dir: Path | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    log: Callable[[str], None] | None = None,
) -> CaptionDoc:
    """Captions for a song. What is transcribed, in order of preference:
    ``vocals`` if given; the vocals stem the separation step has cached for
    this song; a fresh separation (``separation_model``, vocals/accompaniment)
    when ``separate`` is True; else the mix. ``doc.source`` says which
    ("vocals" or "mix"). Times are those of the song either way. ``in_worker``
    applies to both the separation and the transcription. ``stems_cache``
    (the studio's / CLI's stem cache) is where cached stems are looked for and
    a fresh separation is kept; ``model_dir`` is the models folder (the
    separation models' and, under ``whisper/``, the caption models'), ``cache``
    the caption cache (see :func:`transcribe`)."""
    p = Path(path)
    report = ProgressReporter(progress, stage="preparing")
    target: Path = p
    source = "mix"
    if vocals is not None:
        target, source = Path(vocals), "vocals"
    else:
        found = _cached_vocals(p, stems_cache, cancel)
        if found is not None:
            target, source = found, "vocals"
        elif separate:
            import importlib

            if stems_cache is None:
                raise MashupsError("Separating the vocals needs a stem cache to keep them in.")

            separation: Any = importlib.import_module("audio_engine.separation")
            # Fail early on a missing Whisper model, before a long separation.
            if backend == "faster-whisper":
                resolve_model(model, root=model_dir)
            stems = separation.separate(
                p, model=separation_model, two_stems="vocals", progress=forward(report.sub(0.0, 0.5, stage="separating")),
                cancel=cancel, in_worker=in_worker, cache=stems_cache, model_dir=model_dir,
            )
            target, source = Path(stems.stems["vocals"]), "vocals"
            report = report.sub(0.5, 0.5)
    doc = transcribe(
        target, model=model, backend=backend, language=language, vad_filter=vad_filter, beam_size=beam_size,
        device=device, cache=cache, models_dir=model_dir, in_worker=in_worker, recognizer=recognizer, progress=forward(report.sub(0.0, 1.0, stage="transcribing")),
        cancel=cancel, log=log,
    )
    return replace(doc, source=source)
