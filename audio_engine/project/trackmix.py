"""The produced mix: each track's mix settings turned into sound.

A track's settings (:class:`~audio_engine.project.model.Track`, all off by
default) say how its own clips' sound is processed before the track's gain
and pan, in this order:

1. **High-pass** (``highpass_hz`` > 0): four of pedalboard's first-order
   ``HighpassFilter`` stages at that frequency (24 dB/octave below it,
   -12 dB at it; a 60 Hz hum under a 100 Hz setting loses ~23 dB, 1 kHz
   keeps all but 0.2 dB).
2. **Presence dip** (``presence_dip_db`` > 0): pedalboard's ``PeakFilter``
   at ``presence_hz`` (Q 0.67: two octaves, ~1-4 kHz around 2 kHz), faded
   in and out with the source's activity (a dynamic EQ: dry and dipped
   blended by the same weight the ducking uses).
3. **Ducking** (``duck_db`` > 0): the track goes down by up to ``duck_db``
   while the ``duck_source`` track (the vocal) sounds. The key is the
   source's RMS envelope on 10 ms frames (numpy): at or below -50 dBFS the
   weight is 0, at or above -35 dBFS it is 1, linear in dB between; the
   weight then holds and falls back over ``duck_release_ms`` and, rendering
   offline, rises over ``duck_attack_ms`` *before* the source starts (look-
   ahead), so the duck is fully down when the voice comes in. The gain per
   sample is ``-duck_db * weight`` dB, interpolated between frame centres.

The key is the source track's own clips (before its settings, gain, pan,
mute and solo: a pre-fader key, as a DAW's sidechain send), so muting the
vocal does not change how the instrumental is ducked, and no two tracks can
key each other in a loop. A ``duck_source`` naming a track that is gone (a
peer deleted it) is ignored.

**One computation for export and playback.** The timeline is cut into fixed
chunks of :data:`CHUNK` frames; each chunk is computed on its own from the
raw track sound starting :data:`PREROLL` frames earlier (the filters settle
in far less) and the source's frames around it (the envelope has finite
support: release before, attack after). A chunk's samples therefore do not
depend on who asks or in what blocks: the export (whole mix, or blocks when
streamed) and the playback (blocks ahead of the playhead) hear the same
samples, bit for bit, and memory is a few chunks per track whatever the
project's length.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable

import numpy as np

from audio_engine.project.model import Project, Track

#: Frames per independently computed chunk (~1.5 s at 44.1 kHz).
CHUNK = 1 << 16
#: Frames of the track read before each chunk for the filters to settle
#: (~190 ms at 44.1 kHz: the 20 Hz high-pass settles within ~60 ms).
PREROLL = 1 << 13
HOP_S = 0.01
#: Source level (RMS dBFS on a 10 ms frame) at which the duck starts, and at which it is full.
DUCK_FLOOR_DB = -50.0
DUCK_FULL_DB = -35.0
PRESENCE_Q = 0.667
HIGHPASS_STAGES = 4
#: Chunks kept per track (playback asks for blocks inside one chunk many times in a row).
MEMO_CHUNKS = 2

#: ``read(track_index, start, frames)``: the track's own clips mixed (before
#: its mix settings, gain and pan) over ``[start, start + frames)`` as a new
#: float32 ``(2, frames)`` array; frames before 0 are silent.
RawReader = Callable[[int, int, int], np.ndarray]


def key_source(project: Project, track: Track) -> int | None:
    """Index of the track that ducks ``track`` (None: none, itself, or gone)."""
    if track.duck_source is None or track.duck_source == track.id:
        return None
    return next((i for i, t in enumerate(project.tracks) if t.id == track.duck_source), None)


def mix_active(project: Project, track: Track) -> bool:
    """Whether ``track``'s settings change its sound (else it renders exactly as before the mix existed)."""
    if track.highpass_hz > 0:
        return True
    return (track.duck_db > 0 or track.presence_dip_db > 0) and key_source(project, track) is not None


def hop_frames(sample_rate: int) -> int:
    return max(1, int(round(sample_rate * HOP_S)))


def source_activity(mono: np.ndarray, *, hop: int, attack_frames: int, release_frames: int) -> np.ndarray:
    """Smoothed activity (0..1) per 10 ms frame of a source, from its samples
    ``mono`` (float64, a whole number of frames starting ``release_frames``
    before the first wanted frame and ending ``attack_frames`` after the last).
    Returns ``len(mono) // hop - release_frames - attack_frames`` values."""
    ms = (mono.reshape(-1, hop) ** 2).mean(axis=1)
    level = 10.0 * np.log10(np.maximum(ms, 1e-20))
    act = np.clip((level - DUCK_FLOOR_DB) / (DUCK_FULL_DB - DUCK_FLOOR_DB), 0.0, 1.0)
    r_n, a_n = release_frames, attack_frames
    held = act[r_n:].copy()  # hold, then fall back linearly over the release
    for j in range(1, r_n + 1):
        np.maximum(held, act[r_n - j : act.size - j] * (1.0 - j / (r_n + 1)), out=held)
    want = held.size - a_n
    out = held[:want].copy()  # rise linearly over the attack before the source starts
    for j in range(1, a_n + 1):
        np.maximum(out, held[j : j + want] * (1.0 - j / (a_n + 1)), out=out)
    return np.asarray(out, dtype=np.float64)


class TrackProcessor:
    """The processed sound of the project's tracks over any range, chunk by
    chunk (see the module doc). ``read`` gives the raw track sound."""

    def __init__(self, project: Project, read: RawReader, *, sample_rate: int) -> None:
        self.project = project
        self.read = read
        self.sample_rate = sample_rate
        self.hop = hop_frames(sample_rate)
        self._memo: dict[int, OrderedDict[int, np.ndarray]] = {}
        self._lock = threading.Lock()

    def active(self, ti: int) -> bool:
        return mix_active(self.project, self.project.tracks[ti])

    def block(self, ti: int, start: int, frames: int) -> np.ndarray:
        """Track ``ti``'s processed sound over ``[start, start + frames)``
        (``start`` >= 0) as float32 ``(2, frames)``."""
        out = np.empty((2, frames), dtype=np.float32)
        at = start
        while at < start + frames:
            c = at // CHUNK
            lo = at - c * CHUNK
            n = min(CHUNK - lo, start + frames - at)
            out[:, at - start : at - start + n] = self._chunk(ti, c)[:, lo : lo + n]
            at += n
        return out

    def _chunk(self, ti: int, c: int) -> np.ndarray:
        with self._lock:
            memo = self._memo.setdefault(ti, OrderedDict())
            hit = memo.get(c)
            if hit is not None:
                memo.move_to_end(c)
                return hit
        data = self._compute(ti, c)
        with self._lock:
            memo[c] = data
            while len(memo) > MEMO_CHUNKS:
                memo.popitem(last=False)
        return data

    def _compute(self, ti: int, c: int) -> np.ndarray:
        from pedalboard import HighpassFilter, PeakFilter

        t = self.project.tracks[ti]
        sr = self.sample_rate
        a = c * CHUNK
        x = self.read(ti, a - PREROLL, CHUNK + PREROLL)
        if t.highpass_hz > 0:
            for _ in range(HIGHPASS_STAGES):
                x = HighpassFilter(cutoff_frequency_hz=float(t.highpass_hz))(x, sr, reset=True)
        src = key_source(self.project, t)
        body = x[:, PREROLL:]
        if src is None or (t.duck_db <= 0 and t.presence_dip_db <= 0):
            return np.ascontiguousarray(body, dtype=np.float32)
        w = self._weights(src, t, a, CHUNK)
        mixed = body.astype(np.float64)
        if t.presence_dip_db > 0:
            dip = PeakFilter(cutoff_frequency_hz=float(t.presence_hz), gain_db=-float(t.presence_dip_db), q=PRESENCE_Q)
            dipped = dip(x, sr, reset=True)[:, PREROLL:]
            mixed += w * (dipped - mixed)
        if t.duck_db > 0:
            mixed *= 10.0 ** (-float(t.duck_db) * w / 20.0)
        return mixed.astype(np.float32)

    def _weights(self, src: int, t: Track, start: int, frames: int) -> np.ndarray:
        """Per-sample activity weight (0..1) of source track ``src`` over ``[start, start + frames)``."""
        h = self.hop
        att = max(1, math.ceil(t.duck_attack_ms / 1000.0 / HOP_S))
        rel = max(1, math.ceil(t.duck_release_ms / 1000.0 / HOP_S))
        k0 = start // h - 1
        k1 = (start + frames - 1) // h + 1
        first = k0 - rel
        raw = self.read(src, first * h, (k1 + att - first + 1) * h)
        mono = raw.astype(np.float64).mean(axis=0)
        act = source_activity(mono, hop=h, attack_frames=att, release_frames=rel)  # frames k0..k1
        centres = (np.arange(k0, k1 + 1) * h + (h - 1) / 2.0).astype(np.float64)
        return np.asarray(np.interp(np.arange(start, start + frames, dtype=np.float64), centres, act), np.float64)
