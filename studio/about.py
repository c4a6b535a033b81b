"""What Help → About shows: version, licence and third-party notices.

The notices come from the installed packages' own metadata (name, version,
declared licence, and the licence files each wheel ships). A frozen bundle
carries them pre-generated (``resources/THIRD-PARTY-NOTICES.txt``, written by
the PyInstaller spec from exactly the packages it collected); a checkout
generates them from every installed distribution on demand. Qt-free.
"""

from __future__ import annotations

import importlib.metadata as md
from collections.abc import Iterable
from pathlib import Path

import audio_engine
from studio.resources import resource_path, resources_dir

LICENCE_ID = "GPL-3.0-or-later"
LICENCE_SUMMARY = (
    "Mashups Studio is free software: you can redistribute it and/or modify it under the terms of the "
    "GNU General Public License as published by the Free Software Foundation, either version 3 of the "
    "License, or (at your option) any later version. It bundles pedalboard (GPLv3) with Rubber Band "
    "(GPLv2+), Qt for Python (LGPLv3) and the other packages listed in the third-party notices."
)

#: Native libraries inside wheels whose licence their Python package's metadata does not name.
BUNDLED_NATIVE = {
    "pedalboard": "bundles Rubber Band Library (GPL-2.0-or-later), JUCE (GPL-3.0 option), libmp3lame (LGPL-2.0)",
    "PySide6_Essentials": "Qt 6 libraries (LGPL-3.0-only)",
    "soundfile": "libsndfile (LGPL-2.1-or-later) on Windows/macOS/Linux wheels",
    "sounddevice": "PortAudio (MIT) on Windows/macOS wheels; the system's libportaudio2 on Linux",
    "av": "FFmpeg libraries (LGPL-2.1-or-later)",
    "torch": "LLVM OpenMP / GNU libgomp runtime and the third-party code listed in torch's own notices",
    "ctranslate2": "oneDNN (Apache-2.0), Intel OpenMP / libgomp runtime",
}

_LICENCE_FILE_NAMES = ("license", "licence", "copying", "notice", "authors")


def app_version() -> str:
    return audio_engine.__version__


def licence_text() -> str:
    """The GPL text: from the bundle's resources, else the checkout's LICENSE."""
    for p in (resources_dir() / "LICENSE.txt", resources_dir().parent / "LICENSE"):
        if p.is_file():
            return p.read_text(encoding="utf-8")
    return LICENCE_SUMMARY


def _licence_of(dist: md.Distribution) -> str:
    meta = dist.metadata
    expr = meta.get("License-Expression")
    if expr:
        return str(expr)
    classifiers = [c.split("::")[-1].strip() for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    lic = (meta.get("License") or "").strip()
    if lic and len(lic) < 120 and "\n" not in lic:
        return lic + (f" ({'; '.join(classifiers)})" if classifiers else "")
    if classifiers:
        return "; ".join(classifiers)
    return "see the licence text below" if lic else "not declared in the package metadata"


def _licence_files(dist: md.Distribution) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for f in dist.files or []:
        name = f.name.lower()
        if not any(name.startswith(n) for n in _LICENCE_FILE_NAMES):
            continue
        if ".dist-info" not in str(f) and f.parent.name.lower() not in ("licenses", "licences"):
            continue
        try:
            text = Path(str(dist.locate_file(f))).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        out.append((str(f), text.strip()))
    if not out:
        lic = (dist.metadata.get("License") or "").strip()
        if len(lic) >= 120 or "\n" in lic:
            out.append(("License (metadata)", lic))
    return out


def notices_for(dist_names: Iterable[str]) -> str:
    """Third-party notices for the named distributions: a summary table, then
    each package's licence files. Unknown names are skipped."""
    dists: dict[str, md.Distribution] = {}
    for name in dist_names:
        try:
            d = md.distribution(name)
        except md.PackageNotFoundError:
            continue
        key = (d.metadata.get("Name") or name).lower()
        if key != "mashups-studio":
            dists.setdefault(key, d)
    ordered = sorted(dists.values(), key=lambda d: (d.metadata.get("Name") or "").lower())
    lines = [
        f"Mashups Studio {app_version()} — third-party notices",
        "",
        "This program bundles the packages below. Each keeps its own licence; the full texts follow.",
        "",
    ]
    for d in ordered:
        name = d.metadata.get("Name") or "?"
        lines.append(f"  {name} {d.version}: {_licence_of(d)}")
        native = BUNDLED_NATIVE.get(name) or BUNDLED_NATIVE.get(name.replace("-", "_"))
        if native:
            lines.append(f"      also: {native}")
    for d in ordered:
        name = d.metadata.get("Name") or "?"
        home = d.metadata.get("Home-page") or ""
        lines += ["", "=" * 78, f"{name} {d.version}  {home}".rstrip(), f"Licence: {_licence_of(d)}", "=" * 78]
        for fname, text in _licence_files(d):
            lines += ["", f"--- {fname} ---", text]
    return "\n".join(lines) + "\n"


def installed_distribution_names() -> list[str]:
    return sorted({d.metadata.get("Name") or "" for d in md.distributions()} - {""})


def third_party_notices() -> str:
    """The bundle's notices file when frozen; otherwise generated from every
    installed distribution (a checkout's environment holds dev tools too)."""
    try:
        return resource_path("THIRD-PARTY-NOTICES.txt").read_text(encoding="utf-8")
    except FileNotFoundError:
        return notices_for(installed_distribution_names())
