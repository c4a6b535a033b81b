"""Playback: a real-time-safe mixer over pre-rendered per-track buffers, and
the outputs that pull from it (sounddevice, or a "null" output that advances
the playhead in real time without a sound card).

The audio callback (:meth:`PlaybackEngine.fill`) only copies and scales
slices of preallocated float32 buffers into the output: no allocation of
buffers, no I/O, no locks, no logging, no Qt. Track gains (gain, pan, mute,
solo folded into one per-channel factor) live in a preallocated numpy array
the UI writes and the callback reads, so a mute is heard on the next block.
New material (after an edit) is rendered ahead on a worker thread and swapped
in with one reference assignment.

This module is Qt-free so the callback can be tested directly.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from audio_engine.transform import db_to_gain, pan_gains

MAX_TRACKS = 64
MAX_BLOCK = 8192
#: Output buffer sizes offered in Settings (frames per callback); DAWs use 128-256.
BLOCK_SIZES = (64, 128, 256, 512, 1024, 2048, 4096)
#: PortAudio's suggested-latency presets: "low" (interactive) or "high" (robust playback).
LATENCIES = ("low", "high")


def check_buffer(block: int, latency: str) -> tuple[int, str]:
    """A valid (block, latency) pair, or ValueError saying what is allowed."""
    if int(block) not in BLOCK_SIZES:
        raise ValueError(f"The buffer size must be one of {', '.join(map(str, BLOCK_SIZES))} samples, not {block}.")
    if latency not in LATENCIES:
        raise ValueError(f"The latency must be one of {', '.join(LATENCIES)}, not {latency!r}.")
    return int(block), latency


@dataclass(frozen=True)
class TrackMix:
    gain_db: float = 0.0
    pan: float = 0.0
    mute: bool = False
    solo: bool = False


class _Material:
    """Immutable, preallocated audio the callback reads: (tracks, frames, channels)."""

    __slots__ = ("stack", "frames", "tracks")

    def __init__(self, stack: np.ndarray) -> None:
        self.stack = stack
        self.tracks = int(stack.shape[0])
        self.frames = int(stack.shape[1])

    def ready(self, pos: int) -> int:
        return max(0, self.frames - pos)

    def slice(self, track: int, pos: int, n: int) -> np.ndarray:
        return self.stack[track, pos : pos + n]


class PlaybackEngine:
    def __init__(self, *, sample_rate: int = 44100, channels: int = 2) -> None:
        self.sample_rate = int(sample_rate)
        self.channels = int(channels)
        self._material = _Material(np.zeros((0, 0, self.channels), dtype=np.float32))
        self.gains = np.zeros((MAX_TRACKS, self.channels), dtype=np.float32)
        self._scratch = np.zeros((MAX_BLOCK, self.channels), dtype=np.float32)
        self.position = 0  # frames; written by the callback, read by the UI
        self.playing = False
        self.loop: tuple[int, int] | None = None
        self.underruns = 0
        self._mix: list[TrackMix] = []

    # -- control (UI / worker threads) ---------------------------------------
    @property
    def frames(self) -> int:
        return self._material.frames

    @property
    def duration(self) -> float:
        return self._material.frames / self.sample_rate

    @property
    def seconds(self) -> float:
        return self.position / self.sample_rate

    def set_tracks(self, tracks: list[np.ndarray], mix: list[TrackMix] | None = None) -> None:
        """Install pre-rendered tracks, each float32 ``(channels, frames)`` at
        the engine's rate. Call from a worker thread: the stacking copy happens
        here, the callback sees the new material with one assignment."""
        if len(tracks) > MAX_TRACKS:
            raise ValueError(f"At most {MAX_TRACKS} tracks can play at once.")
        n = max((t.shape[1] for t in tracks), default=0)
        stack = np.zeros((len(tracks), n, self.channels), dtype=np.float32)
        for i, t in enumerate(tracks):
            src = t
            if src.shape[0] == 1 and self.channels == 2:
                src = np.repeat(src, 2, axis=0)
            stack[i, : src.shape[1], :] = src[: self.channels].T
        self._mix = list(mix) if mix is not None else [TrackMix() for _ in tracks]
        while len(self._mix) < len(tracks):
            self._mix.append(TrackMix())
        self._update_gains()
        self._material = _Material(stack)
        if self.position > n:
            self.position = 0

    def set_stream(self, material: Any, mix: list[TrackMix]) -> None:
        """Install streaming material (studio.stream_playback.StreamMaterial:
        ``tracks``, ``frames``, ``ready(pos)``, ``slice(track, pos, n)``),
        filled ahead of the playhead by its feeder thread."""
        if material.tracks > MAX_TRACKS:
            raise ValueError(f"At most {MAX_TRACKS} tracks can play at once.")
        self._mix = list(mix)
        self._update_gains()
        self._material = material
        if self.position > material.frames:
            self.position = 0

    @property
    def material(self) -> Any:
        return self._material

    def set_mix(self, mix: list[TrackMix]) -> None:
        """Gain/pan/mute/solo for every track; heard from the next block on."""
        self._mix = list(mix)
        self._update_gains()

    def _update_gains(self) -> None:
        any_solo = any(m.solo for m in self._mix)
        g = np.zeros_like(self.gains)
        for i, m in enumerate(self._mix[:MAX_TRACKS]):
            if m.mute or (any_solo and not m.solo):
                continue
            lin = db_to_gain(m.gain_db)
            if self.channels == 2:
                lg, rg = pan_gains(m.pan)
                g[i] = (lin * lg, lin * rg)
            else:
                g[i] = lin
        self.gains[:] = g  # in-place: the callback's array never changes identity

    def seek(self, seconds: float) -> None:
        self.position = max(0, min(int(round(seconds * self.sample_rate)), self._material.frames))

    def set_loop(self, start_s: float | None, end_s: float | None = None) -> None:
        if start_s is None or end_s is None or end_s <= start_s:
            self.loop = None
        else:
            self.loop = (int(start_s * self.sample_rate), int(end_s * self.sample_rate))

    # -- the callback ---------------------------------------------------------
    def fill(self, out: np.ndarray, frames: int) -> None:
        """Write ``frames`` frames into ``out`` (frames, channels) float32 and
        advance the playhead. Real-time safe."""
        out[:frames].fill(0.0)
        if not self.playing:
            return
        mat = self._material
        done = 0
        pos = self.position
        while done < frames:
            loop = self.loop
            in_loop = loop is not None and loop[0] <= pos <= loop[1] <= mat.frames
            end = loop[1] if (in_loop and loop is not None) else mat.frames
            n = min(frames - done, end - pos, MAX_BLOCK)
            if n <= 0:
                if in_loop and loop is not None:
                    pos = loop[0]
                    continue
                self.playing = False  # reached the end
                break
            n = min(n, mat.ready(pos))
            if n <= 0:  # streaming material not rendered this far yet: the playhead waits
                self.underruns += 1
                break
            dst = out[done : done + n]
            scratch = self._scratch[:n]
            for t in range(mat.tracks):
                g = self.gains[t]
                if g[0] == 0.0 and (self.channels == 1 or g[-1] == 0.0):
                    continue
                np.multiply(mat.slice(t, pos, n), g, out=scratch)
                np.add(dst, scratch, out=dst)
            done += n
            pos += n
        self.position = pos

    def sounddevice_callback(self, outdata: np.ndarray, frames: int, time_info: object, status: object) -> None:
        if status:
            self.underruns += 1
        self.fill(outdata, frames)


class NullOutput:
    """An output without a device: a thread pulls blocks through the same
    :meth:`PlaybackEngine.fill` path at real-time pace and throws them away."""

    name = "No audio output (silent)"

    def __init__(self, engine: PlaybackEngine, *, block: int = 512) -> None:
        self.engine = engine
        self.block = block
        self._buf = np.zeros((block, engine.channels), dtype=np.float32)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.blocks_pulled = 0

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="null-audio-output", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        period = self.block / self.engine.sample_rate
        next_t = time.monotonic()
        while not self._stop.is_set():
            self.engine.fill(self._buf, self.block)
            self.blocks_pulled += 1
            next_t += period
            delay = next_t - time.monotonic()
            if delay > 0:
                self._stop.wait(delay)
            else:
                next_t = time.monotonic()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
            self._thread = None


class SoundDeviceOutput:
    """A sounddevice ``OutputStream`` whose callback is the engine's."""

    def __init__(self, engine: PlaybackEngine, *, device: int | str | None = None, block: int = 512,
                 latency: str = "low") -> None:
        import sounddevice as sd

        self.engine = engine
        self.block = block
        self.latency = latency
        self.stream = sd.OutputStream(
            samplerate=engine.sample_rate,
            channels=engine.channels,
            dtype="float32",
            blocksize=block,
            device=device,
            callback=engine.sounddevice_callback,
            latency=latency,
        )
        info = sd.query_devices(self.stream.device)
        self.name = str(info["name"]) if isinstance(info, dict) else str(self.stream.device)

    def start(self) -> None:
        self.stream.start()

    def stop(self) -> None:
        self.stream.stop()

    def close(self) -> None:
        self.stream.close()


@dataclass(frozen=True)
class OutputDevice:
    index: int | None
    name: str


def list_output_devices() -> tuple[list[OutputDevice], str]:
    """The output devices PortAudio sees, and an error message ("" if fine).
    An empty list with a message means: no sound card, play silently."""
    try:
        import sounddevice as sd

        devices = [
            OutputDevice(i, str(d["name"]))
            for i, d in enumerate(sd.query_devices())
            if int(d.get("max_output_channels", 0)) > 0
        ]
    except Exception as e:  # noqa: BLE001 - PortAudio missing or broken: explained to the user
        return [], f"Audio output is unavailable ({e}). Playback runs silently."
    if not devices:
        return [], "No audio output device was found. Playback runs silently; connect speakers or headphones and pick them in Settings."
    return devices, ""


def open_output(
    engine: PlaybackEngine, device: str, *, block: int = 512, latency: str = "low"
) -> tuple[NullOutput | SoundDeviceOutput, str]:
    """Open the chosen output ("" = system default, "null" = silent) with
    ``block`` frames per callback and PortAudio's ``latency`` preset. Falls
    back to the null output with a message the UI shows when no device works."""
    if device == "null":
        return NullOutput(engine, block=block), ""
    devices, problem = list_output_devices()
    if problem:
        return NullOutput(engine, block=block), problem
    chosen: int | None = None
    if device:
        for d in devices:
            if d.name == device:
                chosen = d.index
    try:
        return SoundDeviceOutput(engine, device=chosen, block=block, latency=latency), ""
    except Exception as e:  # noqa: BLE001
        return NullOutput(engine, block=block), f"The audio device could not be opened ({e}). Playback runs silently."


def format_time(seconds: float) -> str:
    if not math.isfinite(seconds) or seconds < 0:
        seconds = 0.0
    m, s = divmod(seconds, 60.0)
    return f"{int(m):02d}:{s:06.3f}"


Renderer = Callable[[], tuple[list[np.ndarray], list[TrackMix]]]
