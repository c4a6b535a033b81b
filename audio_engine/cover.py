"""Cover art for published mashups and exports (Pillow).

Inputs (:class:`CoverSpec`): the title, the artists' line, the mix waveform
(peaks), up to two source artworks (PNG/JPEG bytes, e.g. a song's embedded
picture, :func:`embedded_artwork`) and two colours. Styles:

* ``split``  : the two artworks (or colour fields) side by side on a diagonal;
* ``blend``  : the artworks cross-faded left to right over a colour gradient;
* ``waveform``: a gradient with the waveform only.

Every style draws the waveform band and the title text. Output is a pure
function of the inputs (no clock, no randomness, Pillow's bundled font), so
the same inputs give the same pixels: the tests compare hashes.
"""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from audio_engine.errors import MashupsError

if TYPE_CHECKING:
    from PIL import Image as PILImage

STYLES: tuple[str, ...] = ("split", "blend", "waveform")
SIZES: dict[str, tuple[int, int]] = {"square": (1080, 1080), "wide": (1280, 720)}
PEAK_POINTS = 512
MAX_ARTWORK_BYTES = 20 << 20


class CoverError(MashupsError):
    """Bad cover input (unknown style, unreadable artwork, bad colour)."""


def _rgb(what: str, v: str) -> tuple[int, int, int]:
    s = v.strip().lstrip("#")
    if len(s) != 6 or any(c not in "0123456789abcdefABCDEF" for c in s):
        raise CoverError(f"The {what} colour must be #RRGGBB, not {v!r}.")
    return int(s[0:2], 16), int(s[2:4], 16), int(s[4:6], 16)


@dataclass(frozen=True)
class CoverSpec:
    title: str
    artists: str = ""
    style: str = "split"
    size: tuple[int, int] = SIZES["square"]
    primary: str = "#1e2a78"
    secondary: str = "#e0457b"
    text_colour: str = "#ffffff"
    peaks: tuple[float, ...] = ()
    artworks: tuple[bytes, ...] = field(default=(), repr=False)

    def check(self) -> None:
        if self.style not in STYLES:
            raise CoverError(f"Unknown cover style {self.style!r} (styles: {', '.join(STYLES)}).")
        if self.size not in SIZES.values():
            raise CoverError(f"Covers are {' or '.join(f'{w}x{h}' for w, h in SIZES.values())}, not {self.size}.")
        for what, c in (("primary", self.primary), ("secondary", self.secondary), ("text", self.text_colour)):
            _rgb(what, c)
        if len(self.title) > 200 or len(self.artists) > 400:
            raise CoverError("The cover title is limited to 200 characters and the artists to 400.")
        if len(self.artworks) > 2 or any(len(a) > MAX_ARTWORK_BYTES for a in self.artworks):
            raise CoverError("A cover uses at most two artworks of at most 20 MB each.")


def waveform_peaks(samples: np.ndarray, points: int = PEAK_POINTS) -> tuple[float, ...]:
    """Peak envelope (0-1) of a (channels, frames) or (frames,) signal in ``points`` bins."""
    x = np.abs(np.asarray(samples, dtype=np.float32))
    if x.ndim == 2:
        x = x.max(axis=0)
    if x.size == 0:
        return ()
    edges = np.linspace(0, x.size, points + 1).astype(np.int64)
    peaks = np.array([x[a:max(b, a + 1)].max() if a < x.size else 0.0 for a, b in zip(edges[:-1], edges[1:], strict=True)])
    top = float(peaks.max()) or 1.0
    return tuple(round(float(p) / top, 4) for p in peaks)


def embedded_artwork(path: str | os.PathLike[str]) -> bytes | None:
    """The first embedded picture of a song file (ID3 APIC, FLAC picture, MP4 covr), or None."""
    try:
        import mutagen

        f = mutagen.File(str(path))
    except Exception:  # unreadable tags: no artwork
        return None
    if f is None:
        return None
    pics = getattr(f, "pictures", None)
    if pics:
        return bytes(pics[0].data)
    tags = getattr(f, "tags", None)
    if tags is None:
        return None
    try:
        for k in tags.keys():
            if str(k).startswith("APIC"):
                return bytes(tags[k].data)
        covr = tags.get("covr") if hasattr(tags, "get") else None
        if covr:
            return bytes(covr[0])
    except Exception:  # odd tag containers: no artwork
        return None
    return None


def _artwork(data: bytes, size: tuple[int, int]) -> PILImage.Image:
    from PIL import Image, ImageOps

    try:
        im = Image.open(io.BytesIO(data))
        im.load()
    except Exception as e:  # Pillow raises many types for bad images
        raise CoverError(f"A source artwork could not be read: {e}") from e
    return ImageOps.fit(im.convert("RGB"), size, method=Image.Resampling.LANCZOS)


def _gradient(size: tuple[int, int], a: tuple[int, int, int], b: tuple[int, int, int]) -> PILImage.Image:
    from PIL import Image

    w, h = size
    t = (np.arange(w)[None, :] / max(1, w - 1) * 0.6 + np.arange(h)[:, None] / max(1, h - 1) * 0.4)[..., None]
    arr = (np.array(a)[None, None, :] * (1 - t) + np.array(b)[None, None, :] * t).round().astype(np.uint8)
    return Image.fromarray(arr, "RGB")


def _font(px: int) -> Any:
    from PIL import ImageFont

    return ImageFont.load_default(size=px)


def _fit_text(draw: Any, text: str, max_w: int, px: int) -> tuple[Any, str]:
    while px > 14:
        f = _font(px)
        if draw.textlength(text, font=f) <= max_w:
            return f, text
        px = int(px * 0.88)
    f = _font(px)
    while text and draw.textlength(text + "…", font=f) > max_w:
        text = text[:-1]
    return f, text + "…"


def render(spec: CoverSpec) -> PILImage.Image:
    """The cover as an RGB image."""
    from PIL import Image, ImageDraw

    spec.check()
    w, h = spec.size
    a, b, ink = _rgb("primary", spec.primary), _rgb("secondary", spec.secondary), _rgb("text", spec.text_colour)
    base = _gradient(spec.size, a, b)
    arts = [_artwork(d, spec.size) for d in spec.artworks]
    if spec.style == "split":
        left = arts[0] if arts else Image.new("RGB", spec.size, a)
        right = arts[1] if len(arts) > 1 else Image.new("RGB", spec.size, b)
        mask = Image.new("L", spec.size, 0)
        ImageDraw.Draw(mask).polygon([(int(w * 0.6), 0), (w, 0), (w, h), (int(w * 0.4), h)], fill=255)
        base = Image.composite(right, left, mask)
    elif spec.style == "blend" and arts:
        other = arts[1] if len(arts) > 1 else base
        ramp = np.tile(np.linspace(0, 255, w, dtype=np.float64).round().astype(np.uint8), (h, 1))
        mix = Image.composite(other, arts[0], Image.fromarray(ramp, "L"))
        base = Image.blend(base, mix, 0.75)
    # Darken the lower band so the waveform and text read on any artwork.
    shade = np.zeros((h, w), np.uint8)
    top = int(h * 0.55)
    shade[top:, :] = np.linspace(0, 170, h - top).round().astype(np.uint8)[:, None]
    base = Image.composite(Image.new("RGB", spec.size, (0, 0, 0)), base, Image.fromarray(shade, "L"))
    draw = ImageDraw.Draw(base)
    if spec.peaks:
        band_mid, band_h = int(h * 0.66), int(h * 0.14)
        n = len(spec.peaks)
        bar = max(1.0, (w * 0.88) / n)
        x0 = w * 0.06
        for i, p in enumerate(spec.peaks):
            half = max(1, int(min(1.0, max(0.0, p)) * band_h / 2))
            x = int(x0 + i * bar)
            draw.rectangle([x, band_mid - half, x + max(0, int(bar) - 1), band_mid + half], fill=ink)
    margin = int(w * 0.06)
    tf, title = _fit_text(draw, spec.title or "Untitled mashup", w - 2 * margin, int(h * 0.085))
    draw.text((margin, int(h * 0.78)), title, font=tf, fill=ink)
    if spec.artists:
        af, artists = _fit_text(draw, spec.artists, w - 2 * margin, int(h * 0.042))
        draw.text((margin, int(h * 0.78) + int(h * 0.1)), artists, font=af, fill=ink)
    return base


def encode(image: PILImage.Image, fmt: str) -> bytes:
    """PNG or JPEG bytes, without time stamps or other varying metadata."""
    buf = io.BytesIO()
    f = fmt.lower().lstrip(".")
    if f == "png":
        image.save(buf, "PNG", optimize=False)
    elif f in ("jpg", "jpeg"):
        image.save(buf, "JPEG", quality=92, subsampling=0)
    else:
        raise CoverError(f"Covers are PNG or JPEG, not {fmt!r}.")
    return buf.getvalue()


def pixel_hash(image: PILImage.Image) -> str:
    return hashlib.sha256(image.tobytes()).hexdigest()


def save(spec: CoverSpec, out: str | os.PathLike[str]) -> Path:
    from audio_engine.atomic import atomic_write_bytes

    p = Path(out)
    atomic_write_bytes(p, encode(render(spec), p.suffix or ".png"))
    return p


def spec_for_project(project: Any, media: Any, *, style: str = "split", size: tuple[int, int] = SIZES["square"],
                     **colours: str) -> CoverSpec:
    """A cover spec from a project: its title, the artists of the songs its
    clips use, their embedded artworks (first two that have one) and the
    waveform of the longest used source (decoded at 8 kHz mono)."""
    from audio_engine.credits import project_credits
    from audio_engine.project.media import as_resolver

    resolver = as_resolver(media)
    credits = project_credits(project)
    arts: list[bytes] = []
    longest: tuple[float, Path] | None = None
    for s in credits.sources:
        ref = project.media[s.hash]
        try:
            path = resolver.find(ref.hash, ref.ext)
        except MashupsError:
            continue
        art = embedded_artwork(path)
        if art is not None and len(arts) < 2:
            arts.append(art)
        if longest is None or ref.duration > longest[0]:
            longest = (ref.duration, path)
    peaks: tuple[float, ...] = ()
    if longest is not None:
        from audio_engine.io import load

        peaks = waveform_peaks(load(longest[1], sample_rate=8000, channels=1).samples)
    artists = ", ".join(dict.fromkeys(s.artist for s in credits.sources if s.artist))
    return CoverSpec(title=project.title, artists=artists, style=style, size=size, peaks=peaks,
                     artworks=tuple(arts), **colours)
