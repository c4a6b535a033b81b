"""Colours of clips on the timeline: a clip's own colour, else its track's,
else the colour of its stem type (vocals, drums, bass, ...), else none (the
theme's clip colour). Colours are ``#rrggbb`` text, as the project stores them."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QColor

#: Default colour per stem type (Demucs' 4 and 6 stem names and a few common aliases).
STEM_COLORS: dict[str, str] = {
    "vocals": "#e0607e", "vocal": "#e0607e", "voice": "#e0607e",
    "drums": "#e39a3b", "percussion": "#e39a3b",
    "bass": "#4f86e8",
    "other": "#3fae84", "instrumental": "#3fae84", "accompaniment": "#3fae84",
    "guitar": "#a979e0",
    "piano": "#2fb3c6", "keys": "#2fb3c6",
}

#: The swatches the inspector offers (the stem colours first, then a few more).
PALETTE: tuple[str, ...] = ("#e0607e", "#e39a3b", "#4f86e8", "#3fae84", "#a979e0", "#2fb3c6",
                            "#d4c13a", "#8a8f98")


def stem_color(stem: str | None) -> str | None:
    return STEM_COLORS.get(stem.lower()) if stem else None


def display_color(project: Any, clip: Any) -> str | None:
    """The colour the timeline fills ``clip`` with (None: the theme's clip colour)."""
    own = getattr(clip, "color", None)
    if own:
        return str(own)
    try:
        track, _, _ = project.find_clip(clip.id)
    except KeyError:  # a clip no longer in the project (a rebuilt scene): its own colours only
        track = None
    if track is not None and getattr(track, "color", None):
        return str(track.color)
    return stem_color(clip.stem)


def clip_fill(theme_clip: str, color: str | None) -> QColor:
    """The fill of a clip: the theme's clip colour, tinted 65 % towards ``color``
    (so the waveform and the label stay readable in both themes)."""
    base = QColor(theme_clip)
    if not color or not QColor.isValidColor(color):
        return base
    c = QColor(color)
    k = 0.65
    return QColor(round(base.red() + (c.red() - base.red()) * k), round(base.green() + (c.green() - base.green()) * k),
                  round(base.blue() + (c.blue() - base.blue()) * k))
