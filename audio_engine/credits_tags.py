"""Credits inside rendered files and beside them.

* MP3: ID3 ``TXXX:MASHUPS_CREDITS`` (the credits JSON) and a ``COMM`` comment
  ``MASHUPS_CREDITS`` with the readable summary;
* FLAC: Vorbis comments ``MASHUPS_CREDITS`` (JSON) and ``CREDITS`` (summary);
* WAV: the ID3 chunk as for MP3, a RIFF ``LIST/INFO`` chunk (``INAM``
  title, ``IART`` artist, ``ICMT`` the sources, ``ISFT`` software) for
  players that only read INFO, and the sidecar;
* every format: the sidecar ``<file>.credits.json`` (:func:`sidecar_path`).

:func:`read_credits` reads them back (embedded first, then the sidecar).
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

from audio_engine.atomic import atomic_write_bytes
from audio_engine.credits import Credits
from audio_engine.errors import MashupsError, ProjectFileError

TAG = "MASHUPS_CREDITS"
SIDECAR_SUFFIX = ".credits.json"
#: Longest INFO text written (players show short fields).
INFO_MAX = 2000


def sidecar_path(path: str | os.PathLike[str]) -> Path:
    p = Path(path)
    return p.with_name(p.name + SIDECAR_SUFFIX)


def write_sidecar(path: str | os.PathLike[str], credits: Credits) -> Path:
    side = sidecar_path(path)
    atomic_write_bytes(side, (credits.to_json(indent=2) + "\n").encode())
    return side


def _sources_line(credits: Credits) -> str:
    return "Mashup of: " + "; ".join(s.label() for s in credits.sources) if credits.sources else ""


def embed(path: str | os.PathLike[str], credits: Credits) -> None:
    """Write ``credits`` into the tags of the file (by extension); other
    formats keep only the sidecar."""
    p = Path(path)
    ext = p.suffix.lower()
    data = credits.to_json()
    if ext == ".flac":
        from mutagen.flac import FLAC

        f = FLAC(str(p))
        f[TAG] = data
        f["CREDITS"] = credits.summary()
        f.save()
    elif ext in (".mp3", ".wav"):
        from mutagen import id3

        if ext == ".mp3":
            from mutagen.mp3 import MP3

            audio: object = MP3(str(p))
        else:
            from mutagen.wave import WAVE

            audio = WAVE(str(p))
        if getattr(audio, "tags", None) is None:
            audio.add_tags()  # type: ignore[attr-defined]
        t = audio.tags  # type: ignore[attr-defined]
        t.add(id3.TXXX(encoding=3, desc=TAG, text=data))
        t.add(id3.COMM(encoding=3, lang="eng", desc=TAG, text=credits.summary()))
        audio.save()  # type: ignore[attr-defined]
        if ext == ".wav":
            write_riff_info(p, {"INAM": credits.title, "IART": credits.artist, "ICMT": _sources_line(credits),
                                "ISFT": "Mashups Studio"})


def read_embedded(path: str | os.PathLike[str]) -> Credits | None:
    p = Path(path)
    ext = p.suffix.lower()
    text: str | None = None
    try:
        if ext == ".flac":
            from mutagen.flac import FLAC

            v = FLAC(str(p)).get(TAG)
            text = v[0] if v else None
        elif ext in (".mp3", ".wav"):
            import mutagen

            f = mutagen.File(str(p))
            tags = getattr(f, "tags", None)
            frame = tags.get(f"TXXX:{TAG}") if tags is not None else None
            text = str(frame.text[0]) if frame is not None and frame.text else None
    except MashupsError:
        raise
    except Exception as e:  # mutagen raises many types
        raise MashupsError(f"The tags of {p.name} could not be read: {e}") from e
    return Credits.from_json(text) if text else None


def read_credits(path: str | os.PathLike[str]) -> Credits | None:
    """The credits of a rendered file: from its tags, else from its sidecar,
    else None."""
    c = read_embedded(path)
    if c is not None:
        return c
    side = sidecar_path(path)
    if side.is_file():
        return Credits.from_json(side.read_text(encoding="utf-8"))
    return None


# -- RIFF INFO ---------------------------------------------------------------
def _chunks(f: object, size: int) -> list[tuple[bytes, int, int]]:
    """(id, offset of the chunk header, data size) of the RIFF file's top-level chunks."""
    out: list[tuple[bytes, int, int]] = []
    pos = 12
    while pos + 8 <= size:
        f.seek(pos)  # type: ignore[attr-defined]
        head = f.read(8)  # type: ignore[attr-defined]
        cid, n = head[:4], struct.unpack("<I", head[4:])[0]
        out.append((cid, pos, n))
        pos += 8 + n + (n & 1)
    return out


def _info_chunk(fields: dict[str, str]) -> bytes:
    body = b"INFO"
    for k, v in fields.items():
        if not v:
            continue
        raw = v[:INFO_MAX].encode("utf-8") + b"\0"
        body += k.encode("ascii") + struct.pack("<I", len(raw)) + raw + (b"\0" if len(raw) & 1 else b"")
    return b"LIST" + struct.pack("<I", len(body)) + body


def write_riff_info(path: Path, fields: dict[str, str]) -> None:
    """Replace the WAV file's ``LIST/INFO`` chunk with ``fields`` (UTF-8).
    The chunk is appended at the end (an old one there is cut off first;
    one elsewhere is turned into a ``JUNK`` chunk), and the RIFF size fixed."""
    size = path.stat().st_size
    with open(path, "r+b") as f:
        head = f.read(12)
        if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise ProjectFileError(f"{path.name} is not a RIFF WAVE file (RF64 files keep only the sidecar).")
        end = size
        for cid, off, n in _chunks(f, size):
            if cid != b"LIST":
                continue
            f.seek(off + 8)
            if f.read(4) != b"INFO":
                continue
            if off + 8 + n + (n & 1) >= size:
                end = off  # the last chunk: cut it off
            else:
                f.seek(off)
                f.write(b"JUNK")
        new = _info_chunk(fields)
        if end + len(new) - 8 > 0xFFFFFFFF:
            raise ProjectFileError(f"{path.name} is too large for RIFF INFO.")
        f.seek(end)
        f.write(new)
        f.truncate()
        f.seek(4)
        f.write(struct.pack("<I", end + len(new) - 8))


def read_riff_info(path: str | os.PathLike[str]) -> dict[str, str]:
    p = Path(path)
    size = p.stat().st_size
    out: dict[str, str] = {}
    with open(p, "rb") as f:
        head = f.read(12)
        if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return out
        for cid, off, n in _chunks(f, size):
            f.seek(off + 8)
            if cid != b"LIST" or f.read(4) != b"INFO":
                continue
            body = f.read(n - 4)
            pos = 0
            while pos + 8 <= len(body):
                k, m = body[pos:pos + 4], struct.unpack("<I", body[pos + 4:pos + 8])[0]
                out[k.decode("ascii", "replace")] = body[pos + 8:pos + 8 + m].rstrip(b"\0").decode("utf-8", "replace")
                pos += 8 + m + (m & 1)
    return out
