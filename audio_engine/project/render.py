"""Offline render of a project: per-clip stretch/pitch (Rubber Band), fades,
track gain/pan, mute/solo, sample-accurate placement (beats -> samples from
the project tempo), a master limiter with loudness normalisation, and tagged
WAV/FLAC/MP3 export.

Each clip's stretched/pitched audio is cached by (media hash, stem, source
range, ratio, pitch, rate, quality, direction): re-rendering after an edit recomputes
only the clips whose sound changed. Gain, fades and placement are cheap and
applied after the cache.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from audio_engine.audio import Audio
from audio_engine.cache import FileCache, cache_key
from audio_engine.credits import Credits, project_credits
from audio_engine.errors import MashupsError, ProjectFileError
from audio_engine.master import MasterReport, master
from audio_engine.mixer import Placement, mix
from audio_engine.progress import CancelToken, ProgressCallback, ProgressReporter, check
from audio_engine.project.media import MediaResolver, MediaStore, as_resolver
from audio_engine.project.model import Clip, Project, Track
from audio_engine.project.trackmix import key_source, mix_active
from audio_engine.transform import Quality, fade, fit_length, stretched_length, time_stretch

RENDER_VERSION = "1"
#: Rubber Band's R2 ("fast") engine keeps time exactly; pedalboard's R3
#: ("high") engine drifts by up to ~0.2% of the clip length (measured: 45 ms
#: late after 26 s at ratio 0.9, 15 ms early at 1.06), which would pull a
#: 3-minute vocal off the beat. Beat-accurate placement needs "fast" until
#: that is fixed; "high" stays available for short clips.
DEFAULT_QUALITY: Quality = "fast"
TAIL_SECONDS = 0.0
#: Peak memory of a render per output frame (stereo bus, its mastered copy
#: and the limiter's and loudness meter's working arrays), measured: ~81 MB
#: per minute at 44.1 kHz.
RENDER_BYTES_PER_FRAME = 32
#: Default memory a render held in memory may use; longer mixes are refused
#: up front unless they are written to a file (then they are streamed).
DEFAULT_RENDER_MAX_BYTES = 4 << 30
#: Mixes that would need more than this are mastered and written in blocks
#: (memory set by the block, not by the mix's length).
STREAM_ABOVE_BYTES = 512 << 20


@dataclass(frozen=True)
class RenderResult:
    audio: Audio
    path: Path | None
    master: MasterReport | None
    clips_rendered: int
    clips_cached: int
    seconds: float
    tags: dict[str, str] = field(default_factory=dict)
    #: Frames of the mix: ``audio`` is empty when a long mix was mastered and
    #: written in blocks (``streamed``) instead of being held in memory.
    frames: int = -1
    streamed: bool = False

    @property
    def duration(self) -> float:
        n = self.audio.frames if self.frames < 0 else self.frames
        return n / self.audio.sample_rate

    @property
    def realtime_factor(self) -> float:
        return self.duration / self.seconds if self.seconds > 0 else float("inf")


def clip_source_frames(clip: Clip, sample_rate: int) -> tuple[int, int]:
    """First frame and frame count of the clip's source range at ``sample_rate``."""
    a = int(round(clip.source_in * sample_rate))
    b = int(round(clip.source_out * sample_rate))
    return a, b - a


def clip_cache_key(project: Project, clip: Clip, *, sample_rate: int, quality: Quality) -> str:
    ref = project.media[clip.media]
    # Only a reversed clip names the direction: forward clips keep the keys (and cached renders) they had.
    direction: dict[str, object] = {"reversed": True} if clip.reversed else {}
    return cache_key(
        "clip-render",
        RENDER_VERSION,
        ref.file_hash(clip.stem),
        stem=clip.stem,
        src=clip_source_frames(clip, sample_rate),
        ratio=round(clip.ratio(project.tempo), 12),
        pitch=round(clip.pitch, 9),
        rate=sample_rate,
        quality=clip.quality or quality,
        **direction,
    )


def render_clip(
    project: Project,
    clip: Clip,
    *,
    media: MediaResolver,
    sample_rate: int,
    quality: Quality = DEFAULT_QUALITY,
    cache: FileCache | None = None,
    split: int = 1,
) -> tuple[Audio, bool]:
    """The clip's stretched and pitched stereo audio (before gain and fades;
    a reversed clip's source range played backwards) and whether it came from the cache. ``split`` > 1 lets a long clip be
    stretched in that many pieces in parallel, cut only at silences. A clip
    with a ``quality`` of its own is rendered with it, whatever ``quality`` says."""

    quality = clip.quality or quality
    key = clip_cache_key(project, clip, sample_rate=sample_rate, quality=quality)
    if cache is None:
        return _render_clip_audio(project, clip, media=media, sample_rate=sample_rate, quality=quality, split=split), False
    hit = _cached_clip(cache, key, sample_rate)
    if hit is not None:
        return hit, True
    # Many copies of one clip render in parallel: one builds, the others wait and share.
    with cache.lock(key):
        hit = _cached_clip(cache, key, sample_rate)
        if hit is not None:
            return hit, True
        out = _render_clip_audio(project, clip, media=media, sample_rate=sample_rate, quality=quality, split=split)
        with cache.build(key) as tmp:
            np.save(tmp / "clip.npy", np.ascontiguousarray(out.samples), allow_pickle=False)
    return out, False


def _cached_clip(cache: FileCache, key: str, sample_rate: int) -> Audio | None:
    hit = cache.get(key)
    if hit is not None and (hit / "clip.npy").is_file():
        try:
            data = np.load(hit / "clip.npy", allow_pickle=False)
            if data.dtype == np.float32 and data.ndim == 2:
                return Audio(data, sample_rate)
        except (OSError, ValueError):
            cache.remove(key)  # damaged entry: render again
    return None


def _render_clip_audio(project: Project, clip: Clip, *, media: MediaResolver, sample_rate: int, quality: Quality,
                       split: int) -> Audio:
    from audio_engine.io import load

    ref = project.media[clip.media]
    path = media.find(ref.file_hash(clip.stem), ref.file_ext(clip.stem))
    _, n = clip_source_frames(clip, sample_rate)
    src = load(path, sample_rate=sample_rate, channels=2, offset=clip.source_in, duration=clip.source_out - clip.source_in)
    samples = fit_length(src.samples, n)
    if clip.reversed:  # the source range backwards; stretch, pitch, fades and gain then apply in timeline order
        samples = np.ascontiguousarray(samples[:, ::-1])
    src = Audio(samples, sample_rate)
    ratio = clip.ratio(project.tempo)
    out = stretch_split(src, ratio=ratio, semitones=clip.pitch, quality=quality, parts=split)
    assert out.frames == stretched_length(n, ratio)
    return out


def clip_placement(project: Project, clip: Clip, audio: Audio, *, sample_rate: int, track_gain_db: float = 0.0,
                   pan: float = 0.0) -> Placement:
    """The clip as it sounds on the timeline: its stretched audio (from
    :func:`render_clip`) with its fades, its gain (plus ``track_gain_db``)
    and ``pan``, at its sample position. The one placement both export
    (track gain and pan baked in) and playback (0 dB, centre: the transport
    applies them live) use."""
    audio = fade(audio, fade_in_s=clip.fade_in, fade_out_s=clip.fade_out)
    return Placement(audio, project.beats_to_samples(clip.position, sample_rate), clip.gain_db + track_gain_db, pan)


SPLIT_MIN_SECONDS = 20.0
SILENCE_DBFS = -55.0


def silent_cuts(audio: Audio, parts: int, *, window_s: float = 0.05) -> list[int]:
    """Up to ``parts - 1`` cut points (frames), each the quietest 50 ms window
    within the middle half of its piece, kept only where it is silent
    (below ``SILENCE_DBFS``): a cut there cannot be heard."""
    if parts <= 1 or audio.duration < SPLIT_MIN_SECONDS * parts / 2:
        return []
    x = audio.mono().samples[0].astype(np.float64)
    w = max(1, int(window_s * audio.sample_rate))
    nwin = x.size // w
    if nwin < 4 * parts:
        return []
    rms_db = 10 * np.log10(np.maximum((x[: nwin * w].reshape(nwin, w) ** 2).mean(axis=1), 1e-20))
    cuts = []
    for k in range(1, parts):
        centre = k * nwin // parts
        lo, hi = max(1, centre - nwin // (4 * parts)), min(nwin - 1, centre + nwin // (4 * parts))
        i = lo + int(np.argmin(rms_db[lo:hi]))
        if rms_db[i] <= SILENCE_DBFS:
            cuts.append(i * w + w // 2)
    return sorted(set(cuts))


def stretch_split(audio: Audio, *, ratio: float, semitones: float, quality: Quality, parts: int = 1) -> Audio:
    """:func:`time_stretch`, in parallel pieces cut at silences when
    ``parts`` > 1 (Rubber Band releases the GIL). The output has exactly
    ``stretched_length(frames, ratio)`` frames; each piece starts at the
    rounded stretched position of its cut, so timing is kept to half a sample."""
    cuts = silent_cuts(audio, parts) if (ratio != 1.0 or semitones != 0.0) else []
    if not cuts:
        return time_stretch(audio, ratio=ratio, semitones=semitones, quality=quality)
    from concurrent.futures import ThreadPoolExecutor

    bounds = [0, *cuts, audio.frames]
    pieces = [Audio(audio.samples[:, a:b], audio.sample_rate) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    with ThreadPoolExecutor(max_workers=len(pieces)) as ex:
        outs = list(ex.map(lambda p: time_stretch(p, ratio=ratio, semitones=semitones, quality=quality), pieces))
    total = stretched_length(audio.frames, ratio)
    out = np.zeros((audio.channels, total), dtype=np.float32)
    for a, piece in zip(bounds[:-1], outs, strict=True):
        start = stretched_length(a, ratio)
        m = min(piece.frames, total - start)
        out[:, start : start + m] = piece.samples[:, :m]
    return Audio(out, audio.sample_rate)


def _tags(project: Project) -> dict[str, str]:
    sources = []
    for ref in project.media.values():
        used = any(c.media == ref.hash for c in project.clips())
        if used:
            who = f"{ref.artist} - " if ref.artist else ""
            sources.append(f"{who}{ref.title or ref.name}")
    tags = {
        "title": project.title,
        "artist": project.artist or "Mashups Studio",
        "bpm": f"{project.tempo:.2f}".rstrip("0").rstrip("."),
        "key": project.key or "",
        "sources": "; ".join(sources),
        "comment": "Mashup of: " + "; ".join(sources) if sources else "",
        "encoder": "Mashups Studio",
        "credits": project_credits(project).to_json(),
    }
    return {k: v for k, v in tags.items() if v}


def write_tags(path: Path, tags: dict[str, str]) -> None:
    """Title, artist, BPM, key and source attribution into WAV (ID3 chunk),
    FLAC (Vorbis comments) or MP3 (ID3v2) with mutagen; the full credits
    (``tags["credits"]``, JSON) as audio_engine.credits_tags writes them."""
    _write_basic_tags(path, tags)
    if tags.get("credits"):
        from audio_engine.credits_tags import embed

        embed(path, Credits.from_json(tags["credits"]))


def _write_credits_sidecar(out: Path, tags: dict[str, str]) -> None:
    if tags.get("credits"):
        from audio_engine.credits_tags import write_sidecar

        write_sidecar(out, Credits.from_json(tags["credits"]))


def _write_basic_tags(path: Path, tags: dict[str, str]) -> None:
    ext = path.suffix.lower()
    if ext == ".flac":
        from mutagen.flac import FLAC

        f = FLAC(str(path))
        f["TITLE"] = tags.get("title", "")
        f["ARTIST"] = tags.get("artist", "")
        f["BPM"] = tags.get("bpm", "")
        if "key" in tags:
            f["INITIALKEY"] = tags["key"]
        if "sources" in tags:
            f["SOURCES"] = tags["sources"]
            f["COMMENT"] = tags["comment"]
        f["ENCODER"] = tags.get("encoder", "")
        f.save()
        return
    if ext in (".mp3", ".wav"):
        from mutagen import id3

        if ext == ".mp3":
            from mutagen.mp3 import MP3

            audio: object = MP3(str(path))
        else:
            from mutagen.wave import WAVE

            audio = WAVE(str(path))
        if getattr(audio, "tags", None) is None:
            audio.add_tags()  # type: ignore[attr-defined]
        t = audio.tags  # type: ignore[attr-defined]
        t.add(id3.TIT2(encoding=3, text=tags.get("title", "")))
        t.add(id3.TPE1(encoding=3, text=tags.get("artist", "")))
        t.add(id3.TBPM(encoding=3, text=str(int(round(float(tags.get("bpm", "0") or 0))))))
        if "key" in tags:
            t.add(id3.TKEY(encoding=3, text=tags["key"]))
        if "sources" in tags:
            t.add(id3.TXXX(encoding=3, desc="SOURCES", text=tags["sources"]))
            t.add(id3.COMM(encoding=3, lang="eng", desc="", text=tags["comment"]))
        t.add(id3.TXXX(encoding=3, desc="BPM_EXACT", text=tags.get("bpm", "")))
        t.add(id3.TSSE(encoding=3, text=tags.get("encoder", "")))
        audio.save()  # type: ignore[attr-defined]
        return
    # Other formats (OGG/AIFF) keep no tags.


def check_render_memory(project: Project, jobs: list[tuple[Track, Clip]], *, sample_rate: int, max_bytes: int) -> None:
    """Refuse, before anything is decoded, a mix whose length would need more
    than ``max_bytes`` (mastering holds the whole mix), naming the clip that
    makes it that long."""
    last = max((c for _, c in jobs), key=lambda c: project.clip_start_seconds(c) + c.length_seconds(project.tempo))
    end = project.clip_start_seconds(last) + last.length_seconds(project.tempo)
    need = int(end * sample_rate) * RENDER_BYTES_PER_FRAME
    if need > max_bytes:
        from audio_engine.errors import AudioTooLargeError

        raise AudioTooLargeError(
            f"The mix would be {end / 60:.0f} minutes long (because {last.label()} ends there) and would need "
            f"about {need / 1024**3:.1f} GiB to render; the limit is {max_bytes / 1024**3:.1f} GiB.",
            hint="Move the clip earlier, or shorten the project.",
        )


class _Bus:
    """The mix bus over any range: the placed clips of plain tracks plus the
    processed sound of tracks with mix settings (audio_engine.project.trackmix),
    each with its track's gain and pan. With no mix settings it is exactly
    the mixer's sum of the placed clips."""

    def __init__(self, project: Project, placements: list[Placement], raw: dict[int, list[Placement]],
                 mixed: list[int], *, sample_rate: int) -> None:
        from audio_engine.mixer import mix_into
        from audio_engine.project.trackmix import TrackProcessor

        self.project, self.placements, self.mixed, self.sample_rate = project, placements, mixed, sample_rate
        self.processor = TrackProcessor(
            project, lambda ti, start, n: mix_into(raw.get(ti, []), np.zeros((2, n), np.float32), start),
            sample_rate=sample_rate)
        ends = [p.start + p.audio.frames for p in placements]
        ends += [p.start + p.audio.frames for ti in mixed for p in raw.get(ti, [])]
        self.total = max(ends, default=0)

    def add_mixed(self, out: np.ndarray, start: int) -> np.ndarray:
        """Add the processed tracks' ``[start, start + out frames)`` into ``out``."""
        from audio_engine.mixer import mix_into

        for ti in self.mixed:
            t = self.project.tracks[ti]
            blk = Audio(self.processor.block(ti, start, out.shape[1]), self.sample_rate)
            mix_into([Placement(blk, start, t.gain_db, t.pan)], out, start)
        return out

    def read(self, start: int, n: int) -> np.ndarray:
        from audio_engine.mixer import mix_into

        return self.add_mixed(mix_into(self.placements, np.zeros((2, n), np.float32), start), start)

    def whole(self) -> Audio:
        if not self.mixed:
            return mix(self.placements, sample_rate=self.sample_rate, channels=2)
        bus = mix(self.placements, sample_rate=self.sample_rate, channels=2, length=self.total)
        from audio_engine.project.trackmix import CHUNK

        for a in range(0, self.total, CHUNK):
            self.add_mixed(bus.samples[:, a : a + CHUNK], a)
        return bus


def _master_to_file(bus: _Bus, out: Path, *, sample_rate: int, target_lufs: float | None,
                    ceiling_db: float, bit_depth: int, tags: dict[str, str] | None, progress: ProgressReporter,
                    cancel: CancelToken | None, max_iterations: int = 5,
                    tolerance_lu: float = 0.1) -> tuple[Path, MasterReport, int]:
    """:func:`audio_engine.master.master` and the export, in blocks: the mix
    is read block by block from the placed clips (never held whole), measured,
    limited (the gain iterated to the target as ``master`` does) and written."""
    from audio_engine.atomic import atomic_path
    from audio_engine.io import open_writer
    from audio_engine.loudness import SILENCE_LUFS
    from audio_engine.master_stream import BLOCK, LoudnessMeter, limited_blocks, true_peak_db_blocks

    total = bus.total
    read = bus.read

    def measured(blocks: Iterator[np.ndarray], meter: LoudnessMeter) -> Iterator[np.ndarray]:
        for b in blocks:
            check(cancel)
            meter.feed(b)
            yield b

    meter_in = LoudnessMeter(sample_rate, 2)
    for a in range(0, total, BLOCK):
        check(cancel)
        meter_in.feed(read(a, min(BLOCK, total - a)))
    lufs_in = meter_in.lufs()
    gain_db = target_lufs - lufs_in if target_lufs is not None and lufs_in > SILENCE_LUFS else 0.0
    tp = 0.0
    for i in range(max_iterations):
        meter = LoudnessMeter(sample_rate, 2)
        tp = true_peak_db_blocks(measured(limited_blocks(read, total, sample_rate=sample_rate, gain_db=gain_db,
                                                         ceiling_db=ceiling_db - 0.05), meter))
        progress((i + 1) / (max_iterations + 1))
        if target_lufs is None or lufs_in <= SILENCE_LUFS:
            break
        achieved = meter.lufs()
        if abs(achieved - target_lufs) <= tolerance_lu:
            break
        gain_db += target_lufs - achieved
    post = np.float32(10 ** ((ceiling_db - tp - 0.02) / 20.0)) if tp > ceiling_db else np.float32(1.0)
    meter_out = LoudnessMeter(sample_rate, 2)

    def final() -> Iterator[np.ndarray]:
        for b in limited_blocks(read, total, sample_rate=sample_rate, gain_db=gain_db, ceiling_db=ceiling_db - 0.05):
            yield b * post if post != 1.0 else b

    with atomic_path(out) as tmp:
        with open_writer(tmp, sample_rate=sample_rate, channels=2, bit_depth=bit_depth) as w:
            def written() -> Iterator[np.ndarray]:
                for b in measured(final(), meter_out):
                    w.write(b)
                    yield b

            tp_out = true_peak_db_blocks(written())
        if tags is not None:
            try:
                write_tags(tmp, tags)
            except Exception as e:  # mutagen raises many types
                raise MashupsError(f"Tagging the rendered mix failed: {e}") from e
    progress(1.0, force=True)
    return out, MasterReport(lufs_in, meter_out.lufs(), tp_out, gain_db if math.isfinite(gain_db) else 0.0), total


def render_project(
    project: Project,
    *,
    media: MediaResolver | MediaStore | list[MediaStore],
    out: str | os.PathLike[str] | None = None,
    sample_rate: int | None = None,
    target_lufs: float | None = -14.0,
    ceiling_db: float = -1.0,
    quality: Quality = DEFAULT_QUALITY,
    cache: FileCache | None = None,
    tag: bool = True,
    bit_depth: int = 24,
    workers: int | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    max_bytes: int = DEFAULT_RENDER_MAX_BYTES,
    stream_above_bytes: int = STREAM_ABOVE_BYTES,
) -> RenderResult:
    """Render the audible tracks to one stereo mix, master it (limiter to
    ``ceiling_db`` dBTP and, unless ``target_lufs`` is None, normalise to
    that loudness) and, when ``out`` is given, write it (format from the
    extension: .wav/.flac/.mp3) with tags. Clips render on ``workers``
    threads (default: the CPU count, at most 4); a long clip is also cut at
    silences into pieces stretched in parallel."""
    t0 = time.perf_counter()
    project.validate()
    resolver = as_resolver(media)
    sr = sample_rate or project.sample_rate
    rep = ProgressReporter(progress, stage="rendering")
    tracks = project.audible_tracks()
    jobs = [(t, c) for t in tracks for c in t.clips]
    # Tracks with mix settings are processed whole (before their gain and pan); the
    # tracks that key their ducking are rendered for that even when they are not heard.
    index = {t.id: i for i, t in enumerate(project.tracks)}
    mixed = [index[t.id] for t in tracks if mix_active(project, t)]
    keys = {k for ti in mixed if (k := key_source(project, project.tracks[ti])) is not None}
    heard = {t.id for t in tracks}
    key_jobs = [(project.tracks[k], c) for k in sorted(keys) if project.tracks[k].id not in heard
                for c in project.tracks[k].clips]
    if not jobs:
        raise ProjectFileError("Nothing to render: the project has no audible clips.", hint="Unmute a track or add clips.")
    last = max(project.clip_start_seconds(c) + c.length_seconds(project.tempo) for _, c in jobs)
    stream = out is not None and int(last * sr) * RENDER_BYTES_PER_FRAME > stream_above_bytes
    if not stream:
        check_render_memory(project, jobs, sample_rate=sr, max_bytes=max_bytes)
    placements: list[Placement] = []
    rendered = cached = 0
    clip_rep = rep.sub(0.0, 0.8)
    n_workers = max(1, workers if workers is not None else min(4, os.cpu_count() or 1))
    # Clips that need Rubber Band share the threads; the rest are just decoded.
    heavy = sum(1 for _, c in jobs if c.ratio(project.tempo) != 1.0 or c.pitch != 0.0)
    split = max(1, n_workers // heavy) if 0 < heavy < n_workers else 1

    def one(job: tuple[Track, Clip]) -> tuple[Audio, bool]:
        check(cancel)
        return render_clip(project, job[1], media=resolver, sample_rate=sr, quality=quality, cache=cache, split=split)

    from concurrent.futures import ThreadPoolExecutor

    raw: dict[int, list[Placement]] = {}  # the clips of mixed and key tracks as placed, before track gain/pan
    keep_raw = set(mixed) | keys
    every = jobs + key_jobs
    with ThreadPoolExecutor(max_workers=n_workers) as ex:
        futures = [ex.submit(one, j) for j in every]
        try:
            for i, ((t, c), fut) in enumerate(zip(every, futures, strict=True)):
                audio, hit = fut.result()
                cached += int(hit)
                rendered += int(not hit)
                ti = index[t.id]
                if ti in keep_raw:
                    raw.setdefault(ti, []).append(clip_placement(project, c, audio, sample_rate=sr))
                if t.id in heard and ti not in mixed:
                    placements.append(clip_placement(project, c, audio, sample_rate=sr, track_gain_db=t.gain_db,
                                                     pan=t.pan))
                clip_rep((i + 1) / len(every), message=c.name or c.id)
        finally:
            for f in futures:
                f.cancel()
    check(cancel)
    tags = _tags(project)
    bus_source = _Bus(project, placements, raw, mixed, sample_rate=sr)
    if stream:
        assert out is not None
        master_rep = rep.sub(0.82, 0.17, stage="mastering")
        written, streamed_report, total = _master_to_file(
            bus_source, Path(out), sample_rate=sr, target_lufs=target_lufs, ceiling_db=ceiling_db,
            bit_depth=bit_depth, tags=tags if tag else None, progress=master_rep, cancel=cancel)
        if tag:
            _write_credits_sidecar(written, tags)
        rep(1.0, stage="done", force=True)
        return RenderResult(Audio(np.zeros((2, 0), np.float32), sr), written, streamed_report, rendered, cached,
                            time.perf_counter() - t0, tags, frames=total, streamed=True)
    rep(0.82, stage="mixing", force=True)
    bus = bus_source.whole()
    check(cancel)
    master_rep = rep.sub(0.84, 0.14, stage="mastering")
    mastered, report = master(
        bus,
        target_lufs=target_lufs,
        ceiling_db=ceiling_db,
        progress=(lambda p: master_rep(p.fraction)) if progress else None,
        cancel=cancel,
    )
    path: Path | None = None
    if out is not None:
        check(cancel)
        from audio_engine.atomic import atomic_path
        from audio_engine.io import save

        path = Path(out)
        # Write and tag under a temporary name, then move into place: the
        # target is never seen half-written or untagged.
        with atomic_path(path) as tmp:
            save(mastered, tmp, bit_depth=bit_depth)
            if tag:
                try:
                    write_tags(tmp, tags)
                except Exception as e:  # mutagen raises many types
                    raise MashupsError(f"Tagging the rendered mix failed: {e}") from e
        if tag:
            _write_credits_sidecar(path, tags)
    rep(1.0, stage="done", force=True)
    return RenderResult(mastered, path, report, rendered, cached, time.perf_counter() - t0, tags)
