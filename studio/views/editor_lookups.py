"""What the timeline asks the document while it draws: a clip's media name,
its waveform peaks (built once per media hash as a background job) and the
caption segments on the project's time line."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from audio_engine.errors import MashupsError
from studio.peaks import Peaks
from studio.services import Services
from studio.views.editor_document import ProjectDocument


class TimelineLookups:
    def __init__(self, services: Services, doc: ProjectDocument, repaint: Callable[[], None]) -> None:
        self.s = services
        self.doc = doc
        self.repaint = repaint
        self._pending_peaks: set[str] = set()
        self._captions_cache: tuple[tuple[int, int, int, float], list[tuple[float, float, str]]] = ((0, -1, 0, 0.0), [])

    def media_name(self, clip: Any) -> str:
        ref = self.doc.project.media.get(clip.media)
        return ref.name if ref is not None else clip.media[:8]

    def peaks_for(self, clip: Any) -> Peaks | None:
        ref = self.doc.project.media.get(clip.media)
        if ref is None:
            return None
        try:
            h, ext = ref.file_hash(clip.stem), ref.file_ext(clip.stem)
        except MashupsError:
            return None
        got = self.s.peaks.cached(h)
        if got is not None or h in self._pending_peaks:
            return got
        self._pending_peaks.add(h)
        try:
            path = self.doc.resolver().find(h, ext)
        except MashupsError:
            self._pending_peaks.discard(h)  # offline: asked again once the media is located
            return None
        store = self.s.peaks

        def fn(progress: Any, cancel: Any) -> Peaks:
            return store.build(h, path, progress=progress, cancel=cancel)

        def done(_p: Peaks) -> None:
            self._pending_peaks.discard(h)
            self.repaint()

        self.s.jobs.submit(f"Waveform of {ref.name}", "io", fn, on_result=done, meta={"peaks": h}, background=True)
        return None

    def caption_segments(self) -> list[tuple[float, float, str]]:
        p = self.doc.project
        key = (id(p), self.doc.revision, len(p.caption_lanes), p.tempo)  # any change (merges too): rebuilt
        if self._captions_cache[0] == key:
            return self._captions_cache[1]
        segs: list[tuple[float, float, str]] = []
        for lane in p.caption_lanes:
            try:
                doc = p.timeline_captions(lane.id)
            except Exception:  # noqa: BLE001 - a lane whose clip was removed shows nothing
                continue
            segs.extend((s.start, s.end, s.text) for s in doc.segments)
        self._captions_cache = (key, segs)
        return segs
