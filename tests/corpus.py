"""Labelled test songs from ../shared/corpus/make_corpus.py, rendered once and
kept in a cache folder keyed by the generator's arguments (and its bytes)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def make_corpus_script() -> Path:
    env = os.environ.get("MASHUPS_MAKE_CORPUS")
    candidates = [Path(env)] if env else []
    candidates += [REPO.parent / "shared" / "corpus" / "make_corpus.py", REPO / ".." / ".." / "shared" / "corpus" / "make_corpus.py"]
    for c in candidates:
        if c.is_file():
            return c.resolve()
    raise RuntimeError(
        "make_corpus.py not found: the tests need ../shared/corpus/make_corpus.py beside the checkout "
        "(or MASHUPS_MAKE_CORPUS pointing at it)."
    )


@dataclass(frozen=True)
class Song:
    dir: Path
    truth: dict[str, Any]

    @property
    def name(self) -> str:
        return self.dir.name

    @property
    def mix(self) -> Path:
        return self.dir / "mix.flac"

    def stem(self, name: str) -> Path:
        return self.dir / f"{name}.flac"


def corpus(songs: int = 6, seed: int = 1, seconds: float = 30.0, soundfont: str | None = None) -> list[Song]:
    """Render (or reuse) ``songs`` songs and return them in order."""
    script = make_corpus_script()
    digest = hashlib.blake2b(script.read_bytes(), digest_size=6).hexdigest()
    sf_tag = Path(soundfont).stem if soundfont else "default"
    root = Path(os.environ.get("MASHUPS_TEST_CACHE", Path.home() / ".cache" / "mashups-tests"))
    out = root / f"corpus-{digest}-n{songs}-s{seed}-{seconds:g}s-{sf_tag}"
    if not (out / "index.json").is_file():
        tmp = root / f".tmp-{uuid.uuid4().hex}"
        cmd = [sys.executable, str(script), "--out", str(tmp), "--songs", str(songs), "--seed", str(seed), "--seconds", str(seconds)]
        if soundfont:
            cmd += ["--soundfont", soundfont]
        subprocess.run(cmd, check=True, capture_output=True)
        try:
            os.replace(tmp, out)
        except OSError:  # another process made it first
            shutil.rmtree(tmp, ignore_errors=True)
    index = json.loads((out / "index.json").read_text())
    return [Song(out / e["name"], json.loads((out / e["name"] / "truth.json").read_text())) for e in index]
