"""The transport: play/pause/stop/seek/loop over the playback engine, the
audio output, and render-ahead of whatever is loaded (a song preview or a
project), done on a job thread. The UI reads the playhead on a timer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from audio_engine.app.render import BlockRenderer, placed_clip
from audio_engine.progress import CancelToken, Progress
from studio.jobs import JobRunner
from studio.playback import NullOutput, PlaybackEngine, SoundDeviceOutput, TrackMix, check_buffer, open_output
from studio.render_ahead import ClipRenderCache, track_mix
from studio.stream_playback import Feeder, StreamMaterial


class _Stream:
    """A project prepared for streaming playback (what the render job returns)."""

    def __init__(self, renderer: BlockRenderer, mix: list[TrackMix]) -> None:
        self.renderer = renderer
        self.mix = mix


class Transport(QObject):
    position_changed = Signal(float)  # seconds
    state_changed = Signal(bool)  # playing
    loaded = Signal(float)  # duration
    message = Signal(str)  # "no output device" etc.

    def __init__(self, jobs: JobRunner, *, device: str = "", block: int = 512, latency: str = "low",
                 sample_rate: int = 44100, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.engine = PlaybackEngine(sample_rate=sample_rate, channels=2)
        self.block, self.latency = check_buffer(block, latency)
        self.device = device
        self.output: NullOutput | SoundDeviceOutput | None = None
        self.output_problem = ""
        self.clip_cache = ClipRenderCache()
        self._feeder: Feeder | None = None  # fills streaming material ahead of the playhead
        self._render_job: Any = None
        self._timer = QTimer(self)
        self._timer.setInterval(30)
        self._timer.timeout.connect(self._tick)
        self._was_playing = False
        self.source: str = ""
        self.pending_source: str = ""  # what the render in flight will load
        self._loops: dict[str, tuple[float | None, float | None]] = {}  # loop region per source

    # -- output ---------------------------------------------------------------
    def _ensure_output(self) -> None:
        if self.output is not None:
            return
        self.output, self.output_problem = open_output(self.engine, self.device, block=self.block, latency=self.latency)
        if self.output_problem:
            self.message.emit(self.output_problem)

    def set_device(self, device: str) -> None:
        self._reopen(lambda: setattr(self, "device", device))

    def set_buffer(self, block: int, latency: str) -> None:
        """Output buffer size (frames per callback) and latency preset; used
        at once (an open output is reopened, playback continues)."""
        block, latency = check_buffer(block, latency)
        self._reopen(lambda: (setattr(self, "block", block), setattr(self, "latency", latency)))

    def _reopen(self, change: Callable[[], object]) -> None:
        playing = self.engine.playing
        self.close_output()
        change()
        if playing:
            self._ensure_output()
            assert self.output is not None
            self.output.start()

    def close_output(self) -> None:
        if self.output is not None:
            self.output.stop()
            if isinstance(self.output, SoundDeviceOutput):
                self.output.close()
            self.output = None

    @property
    def output_name(self) -> str:
        return self.output.name if self.output is not None else ""

    # -- control ----------------------------------------------------------------
    @property
    def playing(self) -> bool:
        return self.engine.playing

    @property
    def seconds(self) -> float:
        return self.engine.seconds

    @property
    def duration(self) -> float:
        return self.engine.duration

    def play(self) -> None:
        if self.engine.frames == 0:
            return
        if self.engine.position >= self.engine.frames:
            self.engine.position = 0
        self._ensure_output()
        assert self.output is not None
        self.engine.playing = True
        self.output.start()
        self._timer.start()
        self._was_playing = True
        self.state_changed.emit(True)

    def pause(self) -> None:
        self.engine.playing = False
        if self.output is not None:
            self.output.stop()
        self._tick()
        self._timer.stop()
        self._was_playing = False
        self.state_changed.emit(False)

    def toggle(self) -> None:
        self.pause() if self.engine.playing else self.play()

    def stop(self) -> None:
        self.pause()
        self.seek(0.0)

    def seek(self, seconds: float) -> None:
        self.engine.seek(seconds)
        self.position_changed.emit(self.engine.seconds)

    def set_loop(self, start: float | None, end: float | None) -> None:
        """Loop ``[start, end)`` seconds of what is loaded (None: no loop). The
        loop stays with its source: a song previewed meanwhile plays through,
        and the project loops again when it is loaded back."""
        self._loops[self.pending_source or self.source] = (start, end)
        self.engine.set_loop(start, end)

    def set_mix(self, mix: list[TrackMix]) -> None:
        self.engine.set_mix(mix)

    def _tick(self) -> None:
        self.position_changed.emit(self.engine.seconds)
        if self._was_playing and not self.engine.playing:  # reached the end
            self._was_playing = False
            self._timer.stop()
            if self.output is not None:
                self.output.stop()
            self.state_changed.emit(False)

    # -- loading ----------------------------------------------------------------
    def _submit_render(self, title: str, body: Callable[[CancelToken], Any],
                       source: str, keep_position: bool, start: float | None = None, play: bool = False) -> None:
        if self._render_job is not None and not self._render_job.state.finished:
            self.jobs.cancel(self._render_job.id)

        def fn(progress: Callable[[Progress], None], cancel: CancelToken) -> Any:
            progress(Progress(0.1, "rendering for playback"))
            result = body(cancel)
            cancel.check()
            return result

        def done(result: Any) -> None:
            self.pending_source = ""
            pos = self.engine.seconds
            if isinstance(result, tuple):
                self.engine.set_tracks(result[0], result[1])
            else:
                self._install_stream(result, same_source=self.source == source)
            self.source = source
            self.engine.set_loop(*self._loops.get(source, (None, None)))
            if start is not None:
                self.engine.seek(start)
            elif keep_position:
                self.engine.seek(pos)
            else:
                self.engine.seek(0.0)
            self.loaded.emit(self.engine.duration)
            self.position_changed.emit(self.engine.seconds)
            if play:
                self.play()

        def failed(_e: BaseException) -> None:
            if self.pending_source == source:
                self.pending_source = ""

        self.pending_source = source
        self._render_job = self.jobs.submit(title, "io", fn, on_result=done, on_error=failed, meta={"playback": True},
                                            background=True)

    def load_file(self, path: Path, *, start: float = 0.0, play: bool = False) -> None:
        """Preview one song file from ``start`` seconds; ``play`` starts it as
        soon as it is loaded (at once when it already is)."""
        if self.source == str(path) and self.engine.frames:
            self.seek(start)
            if play:
                self.play()
            return
        from audio_engine import io as audio_io

        rate = self.engine.sample_rate

        def body(cancel: CancelToken) -> tuple[list[np.ndarray], list[TrackMix]]:
            a = audio_io.load(path, sample_rate=rate, channels=2)
            return [a.samples], [TrackMix()]

        self.pause()
        self._submit_render(f"Load {path.name} for playback", body, str(path), keep_position=False, start=start,
                            play=play)

    def load_project(self, project: Any, resolver: Any, *, keep_position: bool = True, disk_cache: Any = None) -> None:
        """Render the project's tracks ahead (on a job thread) and swap them in.
        Another source (a song preview) stops first and the playhead starts at 0."""
        if not self.source.startswith("project:"):
            self.pause()
            keep_position = False
        snapshot = project.copy()
        rate = self.engine.sample_rate
        cache = self.clip_cache

        def body(cancel: CancelToken) -> tuple[BlockRenderer, list[TrackMix]]:
            # Streaming: nothing is rendered whole; the clips are stretched once (memoised) so
            # that the feeder renders blocks at once, and the mix follows from the project.
            renderer = BlockRenderer(snapshot, resolver, sample_rate=rate, memo=cache, disk_cache=disk_cache)
            for clip in snapshot.clips():
                cancel.check()
                placed_clip(snapshot, clip, media=resolver, sample_rate=rate, memo=cache, disk_cache=disk_cache)
            return _Stream(renderer, track_mix(snapshot))

        self._submit_render("Prepare playback", body, f"project:{project.id}", keep_position=keep_position)

    def _install_stream(self, stream: _Stream, *, same_source: bool) -> None:
        """Play the project from streaming material. An edit of the playing
        project (same tracks) re-renders only what lies past the playhead."""
        current = self.engine.material
        feeder = self._feeder
        if (same_source and feeder is not None and current is feeder.material
                and current.tracks == stream.renderer.tracks):
            feeder.edited(stream.renderer)
            self.engine.set_mix(stream.mix)
            return
        material = StreamMaterial(stream.renderer, sample_rate=self.engine.sample_rate)
        self.engine.set_stream(material, stream.mix)
        if feeder is None:
            self._feeder = Feeder(self.engine, material, block=self.block)
        else:
            feeder.replace(material)

    def unload(self) -> None:
        """Nothing to play (an empty project is shown)."""
        if self._render_job is not None and not self._render_job.state.finished:
            self.jobs.cancel(self._render_job.id)
        self.pending_source = ""
        self.pause()
        self.engine.set_tracks([], [])
        self.engine.seek(0.0)
        self.source = ""
        self.loaded.emit(0.0)
        self.position_changed.emit(0.0)

    def update_mix_from(self, project: Any) -> None:
        """Gain/pan/mute/solo changed: heard on the next audio block."""
        self.engine.set_mix(track_mix(project))

    def shutdown(self) -> None:
        self._timer.stop()
        self.engine.playing = False
        if self._feeder is not None:
            self._feeder.stop()
            self._feeder = None
        self.close_output()
