"""Controllers (view-models with actions) between the engine and widgets.

Widgets call these; these submit jobs to the one job runner and update the
library store; results arrive on the main thread and are re-broadcast as
signals. No widget calls the engine's long-running functions itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from audio_engine.errors import ModelNotInstalledError
from audio_engine.library import SongRecord, iter_audio_files
from audio_engine.progress import CancelToken, Progress
from studio.jobs import Job
from studio.services import Services

ProgressFn = Callable[[Progress], None]


class SongActions(QObject):
    song_updated = Signal(int)
    songs_added = Signal(list)  # list[SongRecord]
    import_failed = Signal(str)  # message for people
    model_missing = Signal(str, str)  # kind ("separation"|"captions"), model name
    captions_ready = Signal(int, str)  # song id, json path

    def __init__(self, services: Services, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.s = services
        self.analysing: set[int] = set()
        services.jobs.job_finished.connect(self._job_finished)

    def _job_finished(self, job: Job) -> None:
        song = job.meta.get("song")
        if job.meta.get("action") == "analyse" and isinstance(song, int) and song in self.analysing:
            self.analysing.discard(song)
            self.song_updated.emit(song)

    # -- import ---------------------------------------------------------------
    def import_paths(self, paths: list[Path], *, analyse: bool = True) -> Job:
        lib = self.s.library

        def fn(progress: ProgressFn, cancel: CancelToken) -> tuple[list[SongRecord], list[str]]:
            files = list(iter_audio_files(paths))
            added: list[SongRecord] = []
            problems: list[str] = []
            for i, f in enumerate(files):
                cancel.check()
                progress(Progress(i / max(1, len(files)), "importing", None, f.name))
                try:
                    added.append(lib.add(f))
                except Exception as e:  # noqa: BLE001 - one bad file must not stop the rest
                    problems.append(f"{f.name}: {e}")
            if not files:
                problems.append("No audio files were found there (WAV, FLAC, MP3, OGG, M4A...).")
            return added, problems

        def done(result: tuple[list[SongRecord], list[str]]) -> None:
            added, problems = result
            self.songs_added.emit(added)
            if problems:
                self.import_failed.emit("Some files were not imported:\n" + "\n".join(problems[:10]))
            if analyse:
                for song in added:
                    if not song.analysed:
                        self.analyse(song.id)

        names = ", ".join(p.name for p in paths[:2]) + ("…" if len(paths) > 2 else "")
        return self.s.jobs.submit(f"Import {names}", "io", fn, on_result=done)

    # -- analysis ---------------------------------------------------------------
    def analyse(self, song_id: int) -> Job:
        song = self.s.library.get(song_id)
        cache_db = str(self.s.analysis_db)
        self.analysing.add(song_id)
        self.song_updated.emit(song_id)

        def fn(progress: ProgressFn, cancel: CancelToken) -> dict[str, Any]:
            from audio_engine.worker import run_in_worker
            from studio.tasks import analyse_target

            return run_in_worker(analyse_target, kwargs={"path": str(song.path), "cache_db": cache_db},
                                 progress=progress, cancel=cancel)

        def done(result: dict[str, Any]) -> None:
            self.analysing.discard(song_id)
            self.s.library.set_analysis(song_id, result)
            self.song_updated.emit(song_id)

        return self.s.jobs.submit(f"Analyse “{song.title}”", "cpu", fn, on_result=done,
                                  meta={"song": song_id, "action": "analyse"})

    # -- separation -------------------------------------------------------------
    def separate(self, song_id: int, *, model: str | None = None) -> Job:
        song = self.s.library.get(song_id)
        model = model or self.s.settings.str("models/separation") or "htdemucs"
        device = self.s.settings.str("models/device") or "auto"
        cache = self.s.stems_cache
        model_dir = self.s.paths.models

        def fn(progress: ProgressFn, cancel: CancelToken) -> dict[str, str]:
            from audio_engine.separation import separate

            result = separate(song.path, model=model, device=device, model_dir=model_dir, cache=cache,
                              progress=progress, cancel=cancel, in_worker=True)
            return {k: str(v) for k, v in result.stems.items()}

        def done(stems: dict[str, str]) -> None:
            self.s.library.set_stems(song_id, stems)
            self.song_updated.emit(song_id)

        def failed(e: BaseException) -> None:
            if isinstance(e, ModelNotInstalledError):
                self.model_missing.emit("separation", e.model or model)

        return self.s.jobs.submit(f"Separate “{song.title}” ({model})", "ml", fn, on_result=done, on_error=failed,
                                  meta={"song": song_id, "action": "separate"})

    # -- captions ---------------------------------------------------------------
    def caption(self, song_id: int, *, model: str | None = None) -> Job:
        song = self.s.library.get(song_id)
        model = model or self.s.settings.str("models/captions") or "tiny.en"
        lang = self.s.settings.str("captions/language")
        out = self.s.captions_dir / f"{song.content_hash}.json"
        vocals = song.stems.get("vocals")

        def fn(progress: ProgressFn, cancel: CancelToken) -> str:
            import json

            from audio_engine.captions import caption_song

            doc = caption_song(song.path, vocals=vocals if vocals and Path(vocals).is_file() else None, model=model,
                               language=None if lang in ("", "auto") else lang, in_worker=True,
                               progress=progress, cancel=cancel)
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp = out.with_suffix(".tmp")
            tmp.write_text(json.dumps(doc.to_dict()))
            tmp.replace(out)
            return str(out)

        def done(path: str) -> None:
            self.s.library.set_captions(song_id, path)
            self.song_updated.emit(song_id)
            self.captions_ready.emit(song_id, path)

        def failed(e: BaseException) -> None:
            if isinstance(e, ModelNotInstalledError):
                self.model_missing.emit("captions", e.model or model)

        return self.s.jobs.submit(f"Caption “{song.title}” ({model})", "ml", fn, on_result=done, on_error=failed,
                                  meta={"song": song_id, "action": "caption"})


@dataclass(frozen=True)
class Fit:
    song: SongRecord
    shift: int  # semitones for the vocal song (the selected one) to meet the partner's key
    relation: str
    target_bpm: float
    stretch_pct: float  # the larger stretch either song needs, in percent
    within_limit: bool
    score: float  # 0..100


def rank_fits(song: SongRecord, others: list[SongRecord], limit: int = 8) -> list[Fit]:
    """Quick partners for ``song`` from the library's stored analyses: the
    engine's tempo plan (audio_engine.magic.plan_tempo: half/double time,
    both songs meeting in the middle) and the smallest Camelot-compatible
    pitch shift (audio_engine.keys). The full mashability score (harmony,
    rhythm) is computed by Magic mashup itself."""
    from audio_engine.keys import KeyParseError, compatible_shift, parse_key
    from audio_engine.magic import plan_tempo

    if song.analysis is None or not song.bpm or not song.key_name:
        return []
    try:
        ka = parse_key(song.key_name)
    except KeyParseError:
        return []
    out: list[Fit] = []
    for o in others:
        if o.id == song.id or o.analysis is None or not o.bpm or not o.key_name:
            continue
        try:
            kb = parse_key(o.key_name)
        except KeyParseError:
            continue
        shift, rel = compatible_shift(kb, ka)
        plan = plan_tempo(song.bpm, o.bpm)
        stretch = max(abs(plan.ratio_a - 1.0), abs(plan.ratio_b - 1.0)) * 100.0
        score = 100.0 - 10.0 * abs(shift) - 2.0 * stretch - (0.0 if rel in ("same", "relative") else 5.0)
        if not plan.within_limit:
            score -= 40.0
        out.append(Fit(o, shift, rel, plan.target_bpm, stretch, plan.within_limit, max(0.0, score)))
    out.sort(key=lambda f: -f.score)
    return out[:limit]
