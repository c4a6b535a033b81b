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
