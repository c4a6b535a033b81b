"""The command line's composition root: each command builds its one
:class:`~audio_engine.app.context.AppContext` here (the per-user folders,
moved by ``MASHUPS_HOME`` and friends, and ``--model-dir`` where the command
has it) and passes its caches and folders to the engine, which never picks a
folder by itself."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from audio_engine.app.context import AppContext
from audio_engine.paths import default_paths


def cli_context(model_dir: Path | None = None) -> AppContext:
    paths = default_paths()
    if model_dir is not None:
        paths = replace(paths, models=Path(model_dir))
    return AppContext.open(paths)
