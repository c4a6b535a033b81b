"""Controllers (view-models with actions) between the engine and widgets.

Widgets call these; these submit jobs to the one job runner and update the
library store; results arrive on the main thread and are re-broadcast as
signals. No widget calls the engine's long-running functions itself.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from audio_engine.errors import ModelNotInstalledError, StretchLimitError
from audio_engine.library import SongRecord, iter_audio_files
from audio_engine.progress import CancelToken, Progress
from studio.jobs import Job
from studio.services import Services

if TYPE_CHECKING:
    from audio_engine.magic.plan import QuickFit

ProgressFn = Callable[[Progress], None]

STRETCH_HINT = ("Pick songs with closer tempos, or raise the stretch limit in the Magic mashup window "
                "(more stretch, more audible artefacts).")


class SongActions(QObject):
    song_updated = Signal(int)
    songs_added = Signal(list)  # list[SongRecord]
    import_failed = Signal(str)  # message for people
    model_missing = Signal(str, str)  # kind ("separation"|"captions"), model name
    captions_ready = Signal(int, str)  # song id, json path
    magic_ready = Signal(str)  # path of a generated .mashup project

    def __init__(self, services: Services, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.s = services
        self.analysing: set[int] = set()
        #: Songs asked to be separated while the chosen model is not installed
        #: (the main window offers the classical separator or the Models page).
        self.waiting_for_model: list[int] = []
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
    def separation_model_installed(self, model: str) -> bool:
        if model == "classical":
            return True
        from audio_engine.models.demucs_registry import is_installed

        try:
            return is_installed(model, model_dir=self.s.paths.models)
        except Exception:  # noqa: BLE001 - an unreadable model folder counts as not installed
            return False

    def separate(self, song_id: int, *, model: str | None = None) -> Job | None:
        """Separate a song (a job). When ``model`` is not installed nothing
        is started: the song waits in :attr:`waiting_for_model` and
        :attr:`model_missing` is emitted once, so the window can offer the
        classical separator (:meth:`separate_waiting`) or the Models page."""
        song = self.s.library.get(song_id)
        model = model or self.s.settings.str("models/separation") or "htdemucs"
        if not self.separation_model_installed(model):
            first = not self.waiting_for_model
            if song_id not in self.waiting_for_model:
                self.waiting_for_model.append(song_id)
            if first:
                self.model_missing.emit("separation", model)
            return None
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

        label = "classical separator" if model == "classical" else model
        return self.s.jobs.submit(f"Separate “{song.title}” ({label})", "ml", fn, on_result=done, on_error=failed,
                                  meta={"song": song_id, "action": "separate"})

    def separate_waiting(self, model: str | None) -> list[Job]:
        """Start the songs that waited for a missing model with ``model``
        (e.g. "classical"), or forget them (``None``)."""
        ids, self.waiting_for_model = self.waiting_for_model, []
        if model is None:
            return []
        jobs = [self.separate(i, model=model) for i in ids]
        return [j for j in jobs if j is not None]

    # -- Magic mashup -------------------------------------------------------------
    def magic(self, a_id: int, b_id: int, *, max_stretch: float) -> Job:
        """Magic mashup of A's vocals over B's instrumental as a job; the
        project path arrives through :attr:`magic_ready`. Raises
        :class:`~audio_engine.errors.StretchLimitError` at once (nothing
        started) when the engine would refuse the pair."""
        from studio.tasks import magic_pair_options

        a, b, kwargs = magic_pair_options(self.s, a_id, b_id, max_stretch=max_stretch)
        out_dir = self.s.projects_dir
        out_dir.mkdir(parents=True, exist_ok=True)
        stem = "".join(ch if ch.isalnum() or ch in " -_" else "_" for ch in f"{a.title} x {b.title}").strip()
        project_path = out_dir / f"{stem}.mashup"
        n = 2
        while project_path.exists():
            project_path = out_dir / f"{stem} {n}.mashup"
            n += 1
        kwargs["project_path"] = str(project_path)

        def fn(progress: ProgressFn, cancel: CancelToken) -> dict[str, Any]:
            from studio.tasks import magic_target

            try:
                return magic_target(**kwargs, progress=progress, cancel=cancel)
            except StretchLimitError as e:  # say what to do in the app's words, not the CLI's
                raise StretchLimitError(str(e), hint=STRETCH_HINT) from None

        def done(result: dict[str, Any]) -> None:
            if result.get("project"):
                self.magic_ready.emit(str(result["project"]))

        return self.s.jobs.submit(f"Magic mashup: {a.title} + {b.title}", "ml", fn, on_result=done,
                                  meta={"action": "magic", "songs": [a_id, b_id]})

    # -- captions ---------------------------------------------------------------
    def caption(self, song_id: int, *, model: str | None = None) -> Job:
        song = self.s.library.get(song_id)
        model = model or self.s.settings.str("models/captions") or "tiny.en"
        lang = self.s.settings.str("captions/language")
        out = self.s.captions_dir / f"{song.content_hash}.json"
        vocals = song.stems.get("vocals")

        def fn(progress: ProgressFn, cancel: CancelToken) -> str:
            import json

            from audio_engine.cache import JsonCache
            from audio_engine.captions import caption_song

            cache = JsonCache(self.s.paths.captions_db)  # the studio's folders (Settings), as are the models
            try:
                doc = caption_song(song.path, vocals=vocals if vocals and Path(vocals).is_file() else None, model=model,
                                   language=None if lang in ("", "auto") else lang, in_worker=True, cache=cache,
                                   stems_cache=self.s.stems_cache, model_dir=self.s.paths.models,
                                   progress=progress, cancel=cancel)
            finally:
                cache.close()
            from audio_engine.atomic import atomic_write_text

            atomic_write_text(out, json.dumps(doc.to_dict()))
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


def partner_fits(song: SongRecord, others: list[SongRecord], *, max_stretch: float,
                 limit: int | None = None) -> list[QuickFit[SongRecord]]:
    """Partners for ``song``'s vocals from the library's stored analyses,
    ranked by the engine (:func:`audio_engine.magic.quick_fits`: Magic's own
    tempo plan and key shift); pairs Magic would refuse are never listed."""
    from audio_engine.app.fits import partners

    if song.analysis is None:
        return []
    cands = [(o, o.analysis) for o in others if o.id != song.id and o.analysis is not None]
    return partners(song.analysis, cands, max_stretch=max_stretch, limit=limit)


def max_stretch_setting(services: Services) -> float:
    """The stretch limit the person chose in the Magic mashup window (a
    fraction; the engine's default until then)."""
    from audio_engine.magic.plan import DEFAULT_MAX_STRETCH, MAX_STRETCH_RANGE

    try:
        v = float(services.settings.get("magic/max_stretch") or DEFAULT_MAX_STRETCH)
    except (TypeError, ValueError):
        v = DEFAULT_MAX_STRETCH
    lo, hi = MAX_STRETCH_RANGE
    return min(hi, max(lo, v))
