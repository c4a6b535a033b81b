"""Chromaprint acoustic fingerprints of songs (``fpcalc`` from libchromaprint-tools).

A :class:`Fingerprint` keeps both forms fpcalc gives:

* ``compressed``: the base64 string AcoustID looks up and projects record
  in their credits (a few KB for two minutes of audio);
* ``raw``: the 32-bit sub-fingerprints (one per ~0.124 s), used here to
  compare two recordings (:func:`similarity`).

Fingerprints depend only on the decoded audio, so the same song as WAV, FLAC
or MP3 gives near-identical ones; they are cached by the file's content hash
(:func:`fingerprint_file` with the analysis :class:`~audio_engine.cache.JsonCache`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audio_engine.errors import MashupsError

#: Bump when the way fingerprints are computed changes (cache keys carry it).
VERSION = "fpcalc-1"
#: Seconds of audio fingerprinted (fpcalc's default; what AcoustID expects).
DEFAULT_LENGTH_S = 120
#: Sub-fingerprint period: chromaprint's default algorithm hops 4096/3 samples at 11025 Hz.
FRAME_S = 4096 / 3 / 11025
#: Two recordings match when at least this share of fingerprint bits agree at
#: their best alignment (the same song re-encoded: ~0.9+; unrelated: ~0.5-0.65).
MATCH_THRESHOLD = 0.8
#: Alignments tried when comparing: +/- this many frames (~6 s).
MAX_OFFSET_FRAMES = 48
#: Longest compressed fingerprint a project keeps (about 10 minutes of audio).
MAX_COMPRESSED_CHARS = 16_000


class FingerprintError(MashupsError):
    """fpcalc is missing or could not fingerprint the file."""


@dataclass(frozen=True)
class Fingerprint:
    duration: float
    compressed: str
    raw: tuple[int, ...] = field(default=(), repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"duration": self.duration, "compressed": self.compressed, "raw": list(self.raw)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Fingerprint:
        return cls(float(d["duration"]), str(d["compressed"]), tuple(int(x) for x in d.get("raw", [])))


def fpcalc_path() -> str:
    exe = os.environ.get("MASHUPS_FPCALC") or shutil.which("fpcalc")
    if not exe:
        raise FingerprintError("The fpcalc tool is not installed, so songs cannot be fingerprinted.",
                               hint="Install libchromaprint-tools (Debian/Ubuntu) or chromaprint (Homebrew).")
    return exe


def _run_fpcalc(path: Path, *, raw: bool, length_s: int) -> dict[str, Any]:
    cmd = [fpcalc_path(), "-json", "-length", str(length_s)] + (["-raw"] if raw else []) + [str(path)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise FingerprintError(f"fpcalc could not run on {path.name}: {e}") from e
    # fpcalc exits 3 when the decoder hit the end of the file early but still
    # printed a fingerprint: the output decides, not the status alone.
    try:
        out = json.loads(proc.stdout) if proc.stdout.strip() else None
    except json.JSONDecodeError:
        out = None
    if not isinstance(out, dict) or not out.get("fingerprint"):
        why = (proc.stderr.strip().splitlines() or ["no output"])[-1].removeprefix("ERROR: ")
        raise FingerprintError(f"{path.name} could not be fingerprinted: {why}.")
    return out


def compute(path: str | os.PathLike[str], *, length_s: int = DEFAULT_LENGTH_S) -> Fingerprint:
    """Fingerprint an audio file (any format ffmpeg decodes)."""
    p = Path(path)
    if not p.is_file():
        raise FingerprintError(f"{p} is not a file.")
    comp = _run_fpcalc(p, raw=False, length_s=length_s)
    raw = _run_fpcalc(p, raw=True, length_s=length_s)
    values = raw["fingerprint"]
    if not isinstance(values, list) or not all(isinstance(v, int) for v in values):
        raise FingerprintError(f"fpcalc gave an unreadable raw fingerprint for {p.name}.")
    text = str(comp["fingerprint"])
    if len(text) > MAX_COMPRESSED_CHARS:
        raise FingerprintError(f"The fingerprint of {p.name} is unexpectedly long ({len(text)} characters).")
    return Fingerprint(float(comp.get("duration", 0.0)), text, tuple(v & 0xFFFFFFFF for v in values))


def fingerprint_file(path: str | os.PathLike[str], *, cache: Any | None = None, content_hash: str | None = None,
                     length_s: int = DEFAULT_LENGTH_S) -> Fingerprint:
    """:func:`compute`, cached under the file's content hash in ``cache`` (a
    :class:`~audio_engine.cache.JsonCache`, usually the analysis cache)."""
    if cache is None:
        return compute(path, length_s=length_s)
    from audio_engine.cache import cache_key

    if content_hash is None:
        from audio_engine.io import file_hash

        content_hash = file_hash(Path(path))
    key = cache_key("fingerprint", VERSION, content_hash, length=length_s)
    hit = cache.get(key)
    if isinstance(hit, dict):
        try:
            return Fingerprint.from_dict(hit)
        except (KeyError, TypeError, ValueError):
            pass  # a damaged entry is recomputed
    fp = compute(path, length_s=length_s)
    cache.put(key, fp.to_dict())
    return fp


def similarity(a: Fingerprint | tuple[int, ...], b: Fingerprint | tuple[int, ...], *,
               max_offset: int = MAX_OFFSET_FRAMES) -> float:
    """Share (0-1) of fingerprint bits that agree at the best alignment of the
    two raw fingerprints (shifts of up to ``max_offset`` frames, at least half
    of the shorter one overlapping). 1.0 = identical."""
    import numpy as np

    ra = np.asarray(a.raw if isinstance(a, Fingerprint) else a, dtype=np.uint32)
    rb = np.asarray(b.raw if isinstance(b, Fingerprint) else b, dtype=np.uint32)
    if ra.size == 0 or rb.size == 0:
        raise FingerprintError("A fingerprint without its raw values cannot be compared.")
    need = max(1, min(ra.size, rb.size) // 2)
    best = 0.0
    for off in range(-max_offset, max_offset + 1):
        xa = ra[max(0, off):]
        xb = rb[max(0, -off):]
        n = min(xa.size, xb.size)
        if n < need:
            continue
        x = np.bitwise_xor(xa[:n], xb[:n])
        errors = int(np.unpackbits(x.view(np.uint8)).sum())
        best = max(best, 1.0 - errors / (32.0 * n))
    return best


def same_recording(a: Fingerprint, b: Fingerprint, *, threshold: float = MATCH_THRESHOLD) -> bool:
    return similarity(a, b) >= threshold


def _unpack(data: bytes, width: int, count: int | None = None) -> list[int]:
    """Chromaprint's little-endian packing of ``width``-bit integers."""
    import numpy as np

    bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8), bitorder="little")
    n = bits.size // width if count is None else min(count, bits.size // width)
    groups = bits[: n * width].reshape(n, width).astype(np.int64)
    return (groups << np.arange(width)).sum(axis=1).tolist()  # type: ignore[no-any-return]


def decode(compressed: str) -> tuple[int, ...]:
    """The raw sub-fingerprints of a compressed fingerprint (the inverse of
    chromaprint's ``FingerprintCompressor``: URL-safe base64 without padding;
    a 4-byte header: algorithm, 24-bit big-endian count; the XOR deltas of
    consecutive values as bit positions, packed 3 bits each, with values of 7 or
    more continued in a 5-bit stream). Published fingerprints carry only this
    form, so trending and library matching compare what this returns."""
    import base64
    import binascii

    text = compressed.strip()
    if not text or len(text) > MAX_COMPRESSED_CHARS:
        raise FingerprintError("A compressed fingerprint must be 1-16000 characters.")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as e:
        raise FingerprintError(f"Not a compressed fingerprint: {e}.") from e
    if len(data) < 4:
        raise FingerprintError("Not a compressed fingerprint: it is too short.")
    count = (data[1] << 16) | (data[2] << 8) | data[3]
    normal = _unpack(data[4:], 3)
    ends = 0
    used = 0
    for i, v in enumerate(normal):
        if v == 0:
            ends += 1
            if ends == count:
                used = i + 1
                break
    if ends < count:
        raise FingerprintError("The compressed fingerprint is truncated.")
    normal = normal[:used]
    offset = 4 + (used * 3 + 7) // 8
    n_exc = sum(1 for v in normal if v == 7)
    exceptional = _unpack(data[offset:], 5, n_exc)
    if len(exceptional) < n_exc:
        raise FingerprintError("The compressed fingerprint is truncated.")
    out: list[int] = []
    value = last = j = 0
    for v in normal:
        if v == 7:
            v += exceptional[j]
            j += 1
        if v == 0:
            out.append(value ^ out[-1] if out else value)
            value = last = 0
            continue
        last += v
        if last > 32:
            raise FingerprintError("The compressed fingerprint is corrupt.")
        value |= 1 << (last - 1)
    return tuple(out)


def same_compressed(a: str, b: str, *, threshold: float = MATCH_THRESHOLD) -> bool:
    """Whether two compressed fingerprints are the same recording (:func:`similarity` of their raw values)."""
    return similarity(decode(a), decode(b)) >= threshold


#: A fingerprint with fewer distinct frames than this (a steady tone, silence,
#: a click track) says nothing about which recording it is: any two of them
#: agree on most bits, so they never group by fingerprint.
MIN_DISTINCT_FRAMES = 8


def informative(raw: tuple[int, ...]) -> bool:
    """Whether a raw fingerprint can identify a recording (see :data:`MIN_DISTINCT_FRAMES`)."""
    return len(set(raw)) >= MIN_DISTINCT_FRAMES


def group_recordings(items: list[tuple[str, str, float | None]], *,
                     threshold: float = MATCH_THRESHOLD) -> dict[str, str]:
    """Group ``(key, compressed fingerprint, duration or None)`` items by
    recording: each key maps to the key of its group's first item (items in
    the order given; an item joins the first group whose first item matches).
    Durations, when both are known, must be within 10 % (10 s at least) before
    fingerprints are compared. Items whose fingerprint cannot be decoded or
    is not :func:`informative` are left out of the result (they belong to no
    known recording; callers group them by artist and title)."""
    reps: list[tuple[str, tuple[int, ...], float | None]] = []
    out: dict[str, str] = {}
    for key, comp, dur in items:
        try:
            raw = decode(comp)
        except FingerprintError:
            continue
        if not informative(raw):
            continue
        for rkey, rraw, rdur in reps:
            if dur is not None and rdur is not None and abs(dur - rdur) > max(10.0, 0.1 * max(dur, rdur)):
                continue
            if raw and rraw and similarity(raw, rraw) >= threshold:
                out[key] = rkey
                break
        else:
            reps.append((key, raw, dur))
            out[key] = key
    return out
