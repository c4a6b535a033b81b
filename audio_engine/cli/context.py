"""The command line's composition root: each command builds its folders
(:func:`cli_paths`: the per-user folders, moved by ``MASHUPS_HOME`` and
friends, and ``--model-dir`` where the command has it) or its one
:class:`~audio_engine.app.context.AppContext` (:func:`cli_context`) here, and
passes its caches and folders to the engine, which never picks a folder by
itself. This module is the only place the CLI calls
:func:`~audio_engine.paths.default_paths`."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from audio_engine.app.context import AppContext
from audio_engine.paths import StudioPaths, default_paths


def cli_paths(model_dir: Path | None = None) -> StudioPaths:
    """The folders of this command, ``model_dir`` replacing the models folder when given (nothing is created)."""
    paths = default_paths()
    if model_dir is not None:
        paths = replace(paths, models=Path(model_dir))
    return paths


def cli_context(model_dir: Path | None = None) -> AppContext:
    return AppContext.open(cli_paths(model_dir))
