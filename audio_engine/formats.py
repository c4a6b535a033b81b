"""What an audio file really is, judged by its bytes, and the one list of
audio extensions the engine and the studio accept.

Decoders are generous: libmpg123 (inside libsndfile and pedalboard) and
ffmpeg resynchronise on anything that looks like an MPEG frame header, so
50 KB of random bytes can decode as half a second of loud noise whatever the
file is called. :func:`check_content` therefore looks at the container's
magic bytes first and, for MPEG audio (which has none), requires a chain of
consecutive, mutually consistent frame headers at the start of the stream;
it also reads the Xing/Info/VBRI header, whose byte count reveals a cut
download before anything is decoded.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from audio_engine.errors import AudioDecodeError

#: Every extension offered in file pickers and picked up from folders.
AUDIO_EXTENSIONS: frozenset[str] = frozenset(
    {".wav", ".flac", ".mp3", ".ogg", ".oga", ".opus", ".m4a", ".aac", ".aiff", ".aif", ".wma"}
)
#: For file dialogs: ``"*.wav *.flac ..."``.
AUDIO_GLOB = " ".join(f"*{e}" for e in sorted(AUDIO_EXTENSIONS))
#: Said in error messages.
SUPPORTED_WORDS = "WAV, FLAC, OGG/Opus, MP3, AIFF, and M4A/AAC/WMA where the system has a decoder"

#: How far past the start (after ID3 tags) the first MPEG frame may sit.
_MPEG_SEARCH = 4096
#: Consecutive frames that must chain for a stream to count as MPEG audio.
_MPEG_CHAIN = 4

_BITRATES = {  # kbit/s by (version is MPEG1, layer) for indices 1..14
    (True, 1): (32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (False, 3): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
_ADTS_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350)


def sniff(head: bytes) -> str | None:
    """The container named by the file's first bytes ("wav", "flac", ...),
    or None when they name none (MPEG and ADTS streams have no magic)."""
    if head[:4] in (b"RIFF", b"RIFX") and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] in (b"RF64", b"BW64"):
        return "wav"
    if head[:16] == b"riff\x2e\x91\xcf\x11\xa5\xd6\x28\xdb\x04\xc1\x00\x00":
        return "w64"
    if head[:4] == b"fLaC":
        return "flac"
    if head[:4] == b"OggS":
        return "ogg"
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "aiff"
    if head[4:8] == b"ftyp":
        return "mp4"
    if head[:4] == b"caff":
        return "caf"
    if head[:4] == b"\x30\x26\xb2\x75":
        return "asf"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "matroska"
    if head[:4] == b".snd":
        return "au"
    if head[:4] == b"wvpk":
        return "wavpack"
    return None


def _id3_end(data: bytes) -> int:
    """Offset just past any ID3v2 tags at the start."""
    pos = 0
    while data[pos : pos + 3] == b"ID3" and len(data) >= pos + 10:
        size = 0
        for b in data[pos + 6 : pos + 10]:
            size = (size << 7) | (b & 0x7F)
        footer = 10 if data[pos + 5] & 0x10 else 0
        pos += 10 + size + footer
    return pos


@dataclass(frozen=True)
class MpegFrame:
    mpeg1: bool
    version: int  # 3 = MPEG1, 2 = MPEG2, 0 = MPEG2.5
    layer: int  # 1, 2, 3
    sample_rate: int
    channels: int
    length: int  # bytes, header included

    @property
    def samples_per_frame(self) -> int:
        if self.layer == 1:
            return 384
        if self.layer == 3 and not self.mpeg1:
            return 576
        return 1152


def parse_mpeg_header(b: bytes) -> MpegFrame | None:
    """An MPEG audio frame header (4 bytes), or None when they are not one."""
    if len(b) < 4 or b[0] != 0xFF or (b[1] & 0xE0) != 0xE0:
        return None
    version = (b[1] >> 3) & 3
    layer_bits = (b[1] >> 1) & 3
    if version == 1 or layer_bits == 0:
        return None
    layer = 4 - layer_bits
    br_index = (b[2] >> 4) & 0xF
    sr_index = (b[2] >> 2) & 3
    if br_index in (0, 15) or sr_index == 3:  # free format is too rare to be worth the false positives
        return None
    if (b[3] & 3) == 2:  # reserved emphasis
        return None
    mpeg1 = version == 3
    bitrate = _BITRATES[(mpeg1, layer)][br_index - 1] * 1000
    rate = _RATES[version][sr_index]
    pad = (b[2] >> 1) & 1
    if layer == 1:
        length = (12 * bitrate // rate + pad) * 4
    elif layer == 3 and not mpeg1:
        length = 72 * bitrate // rate + pad
    else:
        length = 144 * bitrate // rate + pad
    channels = 1 if (b[3] >> 6) == 3 else 2
    return MpegFrame(mpeg1, version, layer, rate, channels, length)


def _adts_length(b: bytes) -> int | None:
    if len(b) < 7 or b[0] != 0xFF or (b[1] & 0xF6) != 0xF0:
        return None
    if ((b[2] >> 2) & 0xF) >= len(_ADTS_RATES):
        return None
    length = ((b[3] & 3) << 11) | (b[4] << 3) | (b[5] >> 5)
    return length if length >= 7 else None


def _chain(data: bytes, start: int, file_size: int, step: object) -> bool:
    """True when ``_MPEG_CHAIN`` consistent frames follow each other from
    ``start`` (or the chain runs exactly to the end of a short file)."""
    pos = start
    first: tuple[int, int, int] | None = None
    for _ in range(_MPEG_CHAIN):
        if pos >= file_size or (file_size - pos == 128 and data[pos : pos + 3] == b"TAG"):
            return first is not None
        if step == "mpeg":
            f = parse_mpeg_header(data[pos : pos + 4])
            if f is None:
                return False
            sig = (f.version, f.layer, f.sample_rate)
            n = f.length
        else:
            m = _adts_length(data[pos : pos + 7])
            if m is None:
                return False
            sig = (data[pos + 1] & 0x08, (data[pos + 2] >> 2) & 0xF, 0)
            n = m
        if first is None:
            first = sig
        elif sig != first:
            return False
        pos += n
        if pos > len(data) and pos < file_size:
            return True  # consistent as far as we read
    return True


def _find_stream(data: bytes, file_size: int) -> tuple[str, int] | None:
    for off in range(0, min(len(data) - 4, _MPEG_SEARCH)):
        if data[off] != 0xFF:
            continue
        if parse_mpeg_header(data[off : off + 4]) and _chain(data, off, file_size, "mpeg"):
            return "mpeg", off
        if _adts_length(data[off : off + 7]) and _chain(data, off, file_size, "adts"):
            return "adts", off
    return None


def _xing_check(data: bytes, off: int, file_size: int, name: str) -> None:
    """Refuse an MPEG stream whose Xing/Info/VBRI header declares more bytes
    than the file holds (a cut download: decoders would quietly stop early)."""
    f = parse_mpeg_header(data[off : off + 4])
    if f is None:
        return
    side = (32 if f.channels == 2 else 17) if f.mpeg1 else (17 if f.channels == 2 else 9)
    frames = declared = None
    x = off + 4 + side
    if data[x : x + 4] in (b"Xing", b"Info"):
        flags = int.from_bytes(data[x + 4 : x + 8], "big")
        p = x + 8
        if flags & 1:
            frames = int.from_bytes(data[p : p + 4], "big")
            p += 4
        if flags & 2:
            declared = int.from_bytes(data[p : p + 4], "big")
    elif data[off + 36 : off + 40] == b"VBRI":
        v = off + 36
        declared = int.from_bytes(data[v + 10 : v + 14], "big")
        frames = int.from_bytes(data[v + 14 : v + 18], "big")
    if not declared or not frames:
        return
    have = file_size - off
    if declared > have + max(4096, declared // 100):
        seconds = frames * f.samples_per_frame / f.sample_rate
        raise AudioDecodeError(
            f"{name}: truncated: the MP3 header declares {seconds:.1f} s of audio but the file holds "
            f"about {seconds * have / declared:.1f} s (a cut download or copy?)."
        )


def check_content(path: str | os.PathLike[str], *, head_bytes: int = 1 << 16) -> str:
    """The real format of ``path`` judged by its bytes ("wav", "mpeg", ...).

    Raises :class:`AudioDecodeError` when the bytes are no audio stream at all
    (a decoder would otherwise resynchronise on noise) or when an MPEG stream
    declares more data than the file holds."""
    p = Path(path)
    size = p.stat().st_size
    with open(p, "rb") as fh:
        data = fh.read(head_bytes)
        kind = sniff(data)
        if kind is not None:
            return kind
        base = _id3_end(data)  # album art can make ID3 tags far longer than the head we read
        if base:
            fh.seek(base)
            data = fh.read(head_bytes)
            size -= base
            kind = sniff(data)  # FLAC files sometimes carry an ID3 tag in front
            if kind is not None:
                return kind
    found = _find_stream(data, size)
    if found is None:
        raise AudioDecodeError(
            f"{p.name}: the content is not audio of any supported format (no container header and no "
            f"valid MPEG/AAC frames; random or damaged bytes?). Supported: {SUPPORTED_WORDS}."
        )
    stream, off = found
    if stream == "mpeg":
        _xing_check(data, off, size, p.name)
    return stream
