"""Magic variations as studio jobs: three arrangements of a pair, each with a
score and a short preview WAV (engine: audio_engine.magic.magic_variations),
computed in the worker process; the chosen one saved into the Projects folder
and opened in the editor (through :attr:`SongActions.magic_ready`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audio_engine.progress import CancelToken, Progress, ProgressCallback
from studio.jobs import Job
from studio.services import Services

ProgressFn = Callable[[Progress], None]


@dataclass(frozen=True)
class VariationItem:
    """One arrangement as the wizard shows it."""

    name: str
    description: str
    score: float  # 0..1
    preview: Path | None
    preview_start_s: float
    project: dict[str, Any]  # audio_engine.project.Project.to_dict()
    relation: str
    shift_a: int

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> VariationItem:
        return cls(str(d["name"]), str(d.get("description", "")), float(d["score"]),
                   Path(d["preview"]) if d.get("preview") else None, float(d.get("preview_start_s", 0.0)),
                   dict(d["project"]), str(d.get("camelot_relation", "")),
                   int((d.get("shift_semitones") or {}).get("a", 0)))


def variations_worker_target(
    *,
    song_a: str,
    song_b: str,
    out_dir: str,
    model: str | None,
    model_dir: str | None,
    captions_a: str | None,
    max_stretch: float,
    title_a: str | None,
    title_b: str | None,
    data_dir: str,
    cache_dir: str,
    progress: ProgressCallback,
    cancel: CancelToken,
) -> list[dict[str, Any]]:
    """Runs in the worker process: the arrangements with their previews, with
    the studio's caches (stems are separated once, as for Generate)."""
    from audio_engine.magic import magic_variations
    from studio.tasks import magic_worker_options

    with magic_worker_options(model=model, model_dir=model_dir, captions_a=captions_a, data_dir=data_dir,
                              cache_dir=cache_dir) as options:
        found = magic_variations(song_a, song_b, out_dir=out_dir, in_worker=False, max_stretch=max_stretch,
                                 title_a=title_a, title_b=title_b, progress=progress, cancel=cancel, **options)
    return [{**v.to_json(), "project": v.result.project.to_dict()} for v in found]


def start_variations(services: Services, a_id: int, b_id: int, *, max_stretch: float,
                     on_result: Callable[[list[VariationItem]], None] | None = None,
                     on_error: Callable[[BaseException], None] | None = None) -> Job:
    """The job that makes the pair's arrangements (result: list of
    :class:`VariationItem`). Refuses at once, like Generate, a pair the engine
    would refuse."""
    from studio.tasks import magic_pair_options

    s = services
    a, b, kwargs = magic_pair_options(s, a_id, b_id, max_stretch=max_stretch)
    kwargs["out_dir"] = str(s.paths.cache / "variations" / f"{a.content_hash[:12]}-{b.content_hash[:12]}")

    def fn(progress: ProgressFn, cancel: CancelToken) -> list[VariationItem]:
        from audio_engine.worker import run_in_worker

        found = run_in_worker(variations_worker_target, kwargs=kwargs, progress=progress, cancel=cancel)
        return [VariationItem.from_json(d) for d in found]

    return s.jobs.submit(f"Magic variations: {a.title} + {b.title}", "ml", fn, on_result=on_result,
                         on_error=on_error, meta={"action": "magic_variations", "songs": [a_id, b_id]})


def save_variation(services: Services, item: VariationItem, *, on_result: Callable[[str], None] | None = None,
                   on_error: Callable[[BaseException], None] | None = None) -> Job:
    """Save the chosen arrangement as a project in the Projects folder (a job:
    its media is copied in); the result is the project's path."""
    s = services
    stem = "".join(ch if ch.isalnum() or ch in " -_" else "_" for ch in str(item.project.get("title", "Mashup")))
    stem = f"{stem.strip() or 'Mashup'} ({item.name})"
    folder = s.projects_dir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.mashup"
    n = 2
    while path.exists():
        path = folder / f"{stem} {n}.mashup"
        n += 1

    def fn(progress: ProgressFn, cancel: CancelToken) -> str:
        from audio_engine.project import MediaStore, Project
        from audio_engine.project.fileformat import save_project

        project = Project.from_dict(item.project)
        return str(save_project(project, path, media_sources=[MediaStore(s.paths.media)]))

    return s.jobs.submit(f"Open variation “{item.name}”", "io", fn, on_result=on_result, on_error=on_error,
                         meta={"action": "open_variation"})
