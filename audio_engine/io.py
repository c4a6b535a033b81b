"""Reading and writing audio files.

Every input file is untrusted: sizes the header declares are checked against
the real file, channels/rate/duration are capped before anything is
allocated, NaN/inf samples are rejected, and every failure is a typed error
with a readable message. Long files can be read in bounded memory with
:func:`stream`.

Decoders, in order: soundfile (libsndfile: WAV, FLAC, OGG/Vorbis/Opus, MP3,
AIFF, ...), pedalboard.io (adds the platform decoders: M4A/AAC on macOS and
Windows), then ffmpeg when it is on PATH (M4A/AAC on Linux).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from audio_engine.atomic import atomic_path
from audio_engine.audio import MAX_CHANNELS, MAX_SAMPLE_RATE, MIN_SAMPLE_RATE, Audio, check_sample_rate
from audio_engine.errors import (
    AudioDecodeError,
    AudioTooLargeError,
    InvalidAudioError,
    UnsupportedFormatError,
)
from audio_engine.formats import SUPPORTED_WORDS, check_content

#: Default cap on the memory one whole-file load may use (decoded float32).
DEFAULT_MAX_BYTES = 2 * 1024**3
#: Files longer than this are refused outright (24 hours).
MAX_DURATION_S = 24 * 3600.0
#: Block size for reading (frames).
BLOCK_FRAMES = 1 << 18

_PCM_BYTES = {"PCM_S8": 1, "PCM_U8": 1, "PCM_16": 2, "PCM_24": 3, "PCM_32": 4, "FLOAT": 4, "DOUBLE": 8}
_WRITE_FORMATS = {".wav": "WAV", ".flac": "FLAC", ".mp3": "MP3", ".ogg": "OGG", ".aiff": "AIFF", ".aif": "AIFF"}


@dataclass(frozen=True)
class AudioInfo:
    path: str
    sample_rate: int
    channels: int
    frames: int
    format: str
    subtype: str
    decoder: str

    @property
    def duration(self) -> float:
        return self.frames / float(self.sample_rate)


def _check_file(path: str | os.PathLike[str]) -> Path:
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise AudioDecodeError(f"{p}: file not found.") from None
    except PermissionError:
        raise AudioDecodeError(
            f"{p}: permission denied: this account may not open the folder it is in.",
            hint="Change the file's permissions, or copy it somewhere you can read.",
        ) from None
    except OSError as e:
        raise AudioDecodeError(f"{p}: cannot be read ({e.strerror or e}).") from e
    if p.is_dir():
        raise AudioDecodeError(f"{p}: is a folder, not an audio file.")
    if st.st_size == 0:
        raise AudioDecodeError(f"{p.name}: the file is empty (0 bytes).")
    try:
        with open(p, "rb"):
            pass
    except PermissionError:
        raise AudioDecodeError(
            f"{p.name}: permission denied: this account may not read the file (it is not corrupt).",
            hint="Change the file's permissions, or copy it somewhere you can read.",
        ) from None
    except OSError as e:
        raise AudioDecodeError(f"{p.name}: cannot be read ({e.strerror or e}).") from e
    return p


def _validate_info(info: AudioInfo) -> AudioInfo:
    name = Path(info.path).name
    if not MIN_SAMPLE_RATE <= info.sample_rate <= MAX_SAMPLE_RATE:
        raise InvalidAudioError(
            f"{name}: declares a sample rate of {info.sample_rate} Hz, outside "
            f"{MIN_SAMPLE_RATE}-{MAX_SAMPLE_RATE} Hz; the file is corrupt or not a music file."
        )
    if not 1 <= info.channels <= MAX_CHANNELS:
        raise InvalidAudioError(f"{name}: declares {info.channels} channels; at most {MAX_CHANNELS} are supported.")
    if info.frames <= 0:
        raise AudioDecodeError(f"{name}: contains no audio samples.")
    if info.duration > MAX_DURATION_S:
        raise AudioTooLargeError(
            f"{name}: declares {info.duration / 3600:.1f} hours of audio; files over "
            f"{MAX_DURATION_S / 3600:.0f} hours are not supported."
        )
    if info.decoder == "soundfile" and info.format in {"WAV", "WAVEX"}:
        _check_riff_data_size(Path(info.path), info)
    subtype_bytes = _PCM_BYTES.get(info.subtype)
    if info.decoder == "soundfile" and subtype_bytes and info.format in {"WAV", "WAVEX", "AIFF", "RF64", "W64", "CAF"}:
        needed = info.frames * info.channels * subtype_bytes
        actual = Path(info.path).stat().st_size
        if needed > actual + 64:
            have_s = max(0, actual - 44) / (info.channels * subtype_bytes * info.sample_rate)
            raise AudioDecodeError(
                f"{name}: the header declares {info.duration:.1f} s of audio but the file holds at most "
                f"{have_s:.1f} s; it is truncated or its header is wrong."
            )
    return info


def _check_riff_data_size(p: Path, info: AudioInfo) -> None:
    """Compare the RIFF 'data' chunk's declared size with the bytes really in
    the file (libsndfile quietly clamps, which would hide a cut download)."""
    size = p.stat().st_size
    with open(p, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return
        pos = 12
        for _ in range(64):  # bounded chunk walk
            f.seek(pos)
            hdr = f.read(8)
            if len(hdr) < 8:
                return
            cid, clen = hdr[:4], int.from_bytes(hdr[4:], "little")
            if cid == b"data":
                if clen in (0, 0xFFFFFFFF):  # streaming writers: size unknown
                    return
                have = size - (pos + 8)
                if clen > have:
                    rate_bytes = max(1, info.sample_rate * info.channels * _PCM_BYTES.get(info.subtype, 2))
                    raise AudioDecodeError(
                        f"{p.name}: truncated: the header declares {clen / rate_bytes:.2f} s of audio but the "
                        f"file holds {have / rate_bytes:.2f} s (a cut download or copy?)."
                    )
                return
            pos += 8 + clen + (clen & 1)


def _soundfile_info(p: Path) -> AudioInfo | None:
    import soundfile as sf

    try:
        i = sf.info(str(p))
    except Exception:
        return None
    return AudioInfo(str(p), int(i.samplerate), int(i.channels), int(i.frames), str(i.format), str(i.subtype), "soundfile")


def _pedalboard_info(p: Path) -> AudioInfo | None:
    try:
        from pedalboard.io import AudioFile

        with AudioFile(str(p)) as f:
            return AudioInfo(str(p), int(f.samplerate), int(f.num_channels), int(f.frames), p.suffix.lstrip(".").upper(), "", "pedalboard")
    except Exception:
        return None


def _ffmpeg_info(p: Path) -> AudioInfo | None:
    if shutil.which("ffprobe") is None:
        return None
    try:
        out = subprocess.run(
            ["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries",
             "stream=sample_rate,channels,duration,codec_name:format=duration", "-of", "json", str(p)],
            capture_output=True, timeout=30, check=True,
        ).stdout
        data: dict[str, Any] = json.loads(out)
        st = data["streams"][0]
        dur = float(st.get("duration") or data.get("format", {}).get("duration") or 0.0)
        rate = int(st["sample_rate"])
        return AudioInfo(str(p), rate, int(st["channels"]), int(round(dur * rate)), str(st.get("codec_name", "")).upper(), "", "ffmpeg")
    except Exception:
        return None


def info(path: str | os.PathLike[str]) -> AudioInfo:
    """Read and validate a file's header without decoding the audio. The
    bytes must be a real audio stream (:func:`formats.check_content`): the
    decoders would otherwise resynchronise on noise."""
    p = _check_file(path)
    check_content(p)
    for probe in (_soundfile_info, _pedalboard_info, _ffmpeg_info):
        i = probe(p)
        if i is not None:
            return _validate_info(i)
    raise AudioDecodeError(f"{p.name}: not a readable audio file (unknown format, or corrupt). Supported: {SUPPORTED_WORDS}.")


def _blocks(i: AudioInfo, start: int, stop: int, block: int) -> Iterator[np.ndarray]:
    """Yield float32 (channels, n) blocks of the file between frames [start, stop)."""
    name = Path(i.path).name
    if i.decoder == "soundfile":
        import soundfile as sf

        try:
            with sf.SoundFile(i.path) as f:
                if start:
                    f.seek(start)
                pos = start
                while pos < stop:
                    data = f.read(min(block, stop - pos), dtype="float32", always_2d=True)
                    if data.shape[0] == 0:
                        break
                    pos += data.shape[0]
                    yield np.ascontiguousarray(data.T)
        except (RuntimeError, sf.LibsndfileError) as e:
            raise AudioDecodeError(f"{name}: the audio data is corrupt ({e}).") from e
    elif i.decoder == "pedalboard":
        from pedalboard.io import AudioFile

        try:
            with AudioFile(i.path) as f:
                if start:
                    f.seek(start)
                pos = start
                while pos < stop:
                    data = f.read(min(block, stop - pos))
                    if data.shape[1] == 0:
                        break
                    pos += data.shape[1]
                    yield np.asarray(data, dtype=np.float32)
        except Exception as e:
            raise AudioDecodeError(f"{name}: the audio data is corrupt ({e}).") from e
    else:
        yield from _ffmpeg_blocks(i, start, stop, block)


def _ffmpeg_blocks(i: AudioInfo, start: int, stop: int, block: int) -> Iterator[np.ndarray]:
    cmd = ["ffmpeg", "-v", "error", "-nostdin"]
    if start:
        cmd += ["-ss", f"{start / i.sample_rate:.6f}"]
    cmd += ["-i", i.path, "-map", "0:a:0", "-f", "f32le", "-acodec", "pcm_f32le", "-ac", str(i.channels), "-ar", str(i.sample_rate), "-"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    remaining = stop - start
    frame_bytes = 4 * i.channels
    try:
        while remaining > 0:
            raw = proc.stdout.read(min(block, remaining) * frame_bytes)
            if not raw:
                break
            n = len(raw) // frame_bytes
            data = np.frombuffer(raw[: n * frame_bytes], dtype=np.float32).reshape(n, i.channels)
            remaining -= n
            yield np.ascontiguousarray(data.T)
    finally:
        proc.kill()
        proc.wait(timeout=10)


def _check_block(block: np.ndarray, name: str, at_frame: int, rate: int) -> None:
    if not np.isfinite(block).all():
        bad = np.argwhere(~np.isfinite(block))[0]
        raise InvalidAudioError(
            f"{name}: contains NaN or infinite samples (first at {(at_frame + int(bad[1])) / rate:.3f} s); "
            "the file is corrupt."
        )


def _check_shortfall(i: AudioInfo, got: int, wanted: int) -> None:
    """Compressed formats estimate their length; accept a small shortfall,
    refuse a cut file (exact formats must deliver every declared frame)."""
    if got >= wanted:
        return
    exact = i.decoder == "soundfile" and i.subtype in _PCM_BYTES
    if exact or got < 0.9 * wanted - i.sample_rate:
        raise AudioDecodeError(
            f"{Path(i.path).name}: truncated: only {got / i.sample_rate:.2f} s of the declared "
            f"{wanted / i.sample_rate:.2f} s could be decoded."
        )


def load(
    path: str | os.PathLike[str],
    *,
    sample_rate: int | None = None,
    channels: int | None = None,
    offset: float = 0.0,
    duration: float | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Audio:
    """Decode a file (or the part ``[offset, offset+duration)`` seconds of it)
    to float32 ``(channels, samples)``, resampled with soxr to ``sample_rate``
    when given, and converted to ``channels`` when given.

    Raises :class:`AudioDecodeError` (unreadable, empty, truncated),
    :class:`InvalidAudioError` (NaN/inf, absurd rate or channels) or
    :class:`AudioTooLargeError` (would need more than ``max_bytes``: use
    :func:`stream`)."""
    if sample_rate is not None:
        check_sample_rate(sample_rate)
    i = info(path)
    name = Path(i.path).name
    start = max(0, int(round(offset * i.sample_rate)))
    stop = i.frames if duration is None else min(i.frames, start + int(round(duration * i.sample_rate)))
    if start >= i.frames:
        raise AudioDecodeError(f"{name}: offset {offset:.2f} s is past the end ({i.duration:.2f} s).")
    n = stop - start
    out_rate = sample_rate or i.sample_rate
    out_ch = channels or i.channels
    need = 4 * max(i.channels, out_ch) * (n + int(n * out_rate / i.sample_rate))
    if need > max_bytes:
        raise AudioTooLargeError(
            f"{name}: {n / i.sample_rate / 60:.0f} minutes of {i.channels}-channel audio would need "
            f"{need / 1024**3:.1f} GiB to load whole (limit {max_bytes / 1024**3:.1f} GiB)."
        )
    buf = np.empty((i.channels, n), dtype=np.float32)
    pos = 0
    for block in _blocks(i, start, stop, BLOCK_FRAMES):
        m = min(block.shape[1], n - pos)
        _check_block(block[:, :m], name, start + pos, i.sample_rate)
        buf[:, pos : pos + m] = block[:, :m]
        pos += m
        if pos >= n:
            break
    if pos == 0:
        raise AudioDecodeError(f"{name}: no audio could be decoded; the file is corrupt.")
    if pos < n:
        _check_shortfall(i, pos, n)
        buf = buf[:, :pos]
    audio = Audio(buf, i.sample_rate)
    if channels is not None:
        audio = audio.to_channels(channels)
    if sample_rate is not None:
        audio = audio.resample(sample_rate)
    return audio


def stream(
    path: str | os.PathLike[str],
    *,
    block_seconds: float = 30.0,
    sample_rate: int | None = None,
    channels: int | None = None,
) -> Iterator[Audio]:
    """Read a file of any length in blocks, in bounded memory. Blocks are
    contiguous; when ``sample_rate`` is given they are resampled with a
    streaming soxr resampler (no seams)."""
    i = info(path)
    name = Path(i.path).name
    block = max(1024, int(block_seconds * i.sample_rate))
    resampler = None
    if sample_rate is not None and check_sample_rate(sample_rate) != i.sample_rate:
        import soxr

        resampler = soxr.ResampleStream(i.sample_rate, sample_rate, i.channels, dtype="float32", quality="HQ")
    out_rate = sample_rate or i.sample_rate
    pos = 0
    blocks = _blocks(i, 0, i.frames, block)
    pending = next(blocks, None)
    while pending is not None:
        nxt = next(blocks, None)
        _check_block(pending, name, pos, i.sample_rate)
        pos += pending.shape[1]
        data = pending
        if resampler is not None:
            data = np.ascontiguousarray(resampler.resample_chunk(pending.T, last=nxt is None).T)
        if data.shape[1]:
            a = Audio(data, out_rate)
            yield a.to_channels(channels) if channels else a
        pending = nxt
    if pos == 0:
        raise AudioDecodeError(f"{name}: no audio could be decoded; the file is corrupt.")
    _check_shortfall(i, pos, i.frames)


def _write_settings(p: Path, format: str | None, channels: int, bit_depth: int | str) -> tuple[str, str]:
    fmt = (format or _WRITE_FORMATS.get(p.suffix.lower(), "")).upper()
    if fmt not in set(_WRITE_FORMATS.values()):
        raise UnsupportedFormatError(
            f"Cannot write '{p.suffix or format}': choose .wav, .flac, .mp3, .ogg or .aiff."
        )
    if channels > 2 and fmt == "MP3":
        raise UnsupportedFormatError("MP3 holds at most 2 channels.")
    if fmt == "MP3":
        subtype = "MPEG_LAYER_III"
    elif fmt == "OGG":
        subtype = "VORBIS"
    elif bit_depth == "float" and fmt == "WAV":
        subtype = "FLOAT"
    elif bit_depth in (16, "16"):
        subtype = "PCM_16"
    elif bit_depth in (24, "24"):
        subtype = "PCM_24"
    else:
        raise UnsupportedFormatError(f"Bit depth {bit_depth!r} is not supported for {fmt}.")
    return fmt, subtype


class AudioWriter:
    """Blocks of ``(channels, n)`` float32 written to a file opened by
    :func:`open_writer` (clipped to full scale unless the file is float)."""

    def __init__(self, f: Any, clip: bool) -> None:
        self._f = f
        self._clip = clip

    def write(self, block: np.ndarray) -> None:
        data = block.T
        if self._clip:
            data = np.clip(data, -1.0, 1.0)
        self._f.write(data)


@contextmanager
def open_writer(
    path: str | os.PathLike[str],
    *,
    sample_rate: int,
    channels: int,
    format: str | None = None,
    bit_depth: int | str = 24,
    mp3_bitrate_kbps: int = 320,
) -> Iterator[AudioWriter]:
    """Write a file block by block (bounded memory) with the same formats
    and atomicity as :func:`save`: the file appears under its name only
    when the ``with`` block ends without an error."""
    import soundfile as sf

    p = Path(path)
    fmt, subtype = _write_settings(p, format, channels, bit_depth)
    with atomic_path(p) as tmp:
        with sf.SoundFile(str(tmp), "w", samplerate=sample_rate, channels=channels, format=fmt, subtype=subtype) as f:
            if fmt == "MP3":
                try:
                    f.compression_level = max(0.0, min(1.0, 1.0 - (mp3_bitrate_kbps - 32) / (320 - 32)))
                except Exception:
                    pass
            yield AudioWriter(f, clip=fmt != "WAV" or subtype != "FLOAT")


def save(
    audio: Audio,
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    bit_depth: int | str = 24,
    mp3_bitrate_kbps: int = 320,
) -> Path:
    """Write WAV, FLAC or MP3 (also OGG, AIFF), chosen by ``format`` or the
    file extension. WAV takes ``bit_depth`` 16, 24 or "float"; FLAC 16 or 24.
    The file is written to a temporary name beside the target and moved into
    place, so a crash never leaves a half-written file under the real name."""
    p = Path(path)
    _write_settings(p, format, audio.channels, bit_depth)  # refuse before checking the samples
    audio.check_finite()
    with open_writer(p, sample_rate=audio.sample_rate, channels=audio.channels, format=format, bit_depth=bit_depth,
                     mp3_bitrate_kbps=mp3_bitrate_kbps) as w:
        w.write(audio.samples)
    return p


def audio_hash(audio: Audio) -> str:
    """Content hash of decoded audio (samples and rate): the key of every cache."""
    h = hashlib.blake2b(digest_size=20)
    h.update(f"{audio.sample_rate}:{audio.channels}:{audio.frames}:".encode())
    h.update(np.ascontiguousarray(audio.samples).tobytes())
    return h.hexdigest()


def file_hash(path: str | os.PathLike[str], *, chunk: int = 1 << 20) -> str:
    """The content hash of a file's bytes: SHA-256, lowercase hex, streamed.
    The one media hash of projects, the media store, the library, cloud
    Storage paths and the sync tables (audio_engine/project/hashes.py says why)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while b := f.read(chunk):
            h.update(b)
    return h.hexdigest()
