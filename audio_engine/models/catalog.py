"""One model catalog for every kind of model the studio uses.

Separation (Demucs) and captions (Whisper) models are two implementations of
one interface, :class:`ModelKind`: list with size and status, download with
progress/resume/checksum (the shared downloader), import from disk, remove.
Every implementation is given its folder: the catalog is built from the
models folder the application chose (Settings, ``--model-dir``), never a
folder picked here. The CLI's ``mashups models --kind`` and the studio's
Models page both work through :class:`ModelCatalog`, without branching on
the kind.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from audio_engine.errors import MashupsError
from audio_engine.progress import CancelToken, ProgressCallback


@dataclass(frozen=True)
class ModelEntry:
    """One model as the catalog lists it."""

    kind: str  # "separation" or "captions"
    name: str
    title: str
    description: str
    installed: bool
    #: Bytes on disk now (partial downloads included).
    size_bytes: int
    #: Download size (approximate where the publisher gives none).
    approx_bytes: int
    #: False for models found in the folder that the registry does not know.
    registered: bool = True
    #: Part of the program (nothing to download, import or remove).
    builtin: bool = False
    #: Offered as a download (False: its files have no pinned checksums; import it from disk).
    downloadable: bool = True

    @property
    def status(self) -> str:
        if self.builtin:
            return "built in"
        if self.installed:
            return "installed"
        if self.size_bytes:
            return "partial"
        return "not installed" if self.downloadable else "import only"


class ModelKind(Protocol):
    kind: str
    label: str
    #: What "import" takes: "files" (weight files) or "folder" (a model folder).
    import_takes: str

    def list(self) -> builtins.list[ModelEntry]: ...

    def download(self, name: str, *, progress: ProgressCallback | None = None,
                 cancel: CancelToken | None = None, mirror: str | None = None) -> Path: ...

    def import_from(self, sources: Sequence[Path], *, name: str | None = None) -> Path: ...

    def remove(self, name: str) -> int: ...


class DemucsModels:
    """Separation models in ``<models>/demucs`` (or a folder of ``.th`` files)."""

    kind = "separation"
    label = "Separation (Demucs)"
    import_takes = "files"

    def __init__(self, models_dir: Path) -> None:
        self.models_dir = Path(models_dir)

    def list(self) -> builtins.list[ModelEntry]:
        from audio_engine.models import demucs_registry as reg

        builtin = ModelEntry(self.kind, "classical", "Classical (built in)",
                             "No download: harmonic/percussive + vocal masking (drums, bass, other, vocals). Rough, "
                             "but works offline on any computer.", True, 0, 0, builtin=True)
        return [builtin] + [
            ModelEntry(self.kind, m.name, m.title, f"{m.description} ({', '.join(m.sources)})" if m.sources else m.description,
                       m.installed, m.installed_bytes, m.approx_bytes, m.registered)
            for m in reg.list_models(model_dir=self.models_dir)]

    def download(self, name: str, *, progress: ProgressCallback | None = None,
                 cancel: CancelToken | None = None, mirror: str | None = None) -> Path:
        from audio_engine.models import demucs_registry as reg

        return reg.download_model(name, model_dir=self.models_dir, progress=progress, cancel=cancel, base_url=mirror)

    def import_from(self, sources: Sequence[Path], *, name: str | None = None) -> Path:
        from audio_engine.models import demucs_registry as reg

        if not name:
            raise MashupsError("Say which separation model the files are (e.g. htdemucs).")
        reg.import_model(name, list(sources), model_dir=self.models_dir)
        return reg.repo_dir(self.models_dir)

    def remove(self, name: str) -> int:
        from audio_engine.models import demucs_registry as reg

        return reg.remove_model(name, model_dir=self.models_dir)


def _folder_bytes(d: Path) -> int:
    return sum(f.stat().st_size for f in d.rglob("*") if f.is_file()) if d.is_dir() else 0


class WhisperModels:
    """Caption models (CTranslate2 Whisper folders) in ``<models>/whisper``."""

    kind = "captions"
    label = "Captions (Whisper)"
    import_takes = "folder"

    def __init__(self, models_dir: Path) -> None:
        self.models_dir = Path(models_dir)

    def list(self) -> builtins.list[ModelEntry]:
        from audio_engine.captions import models as wm

        root = wm.models_root(self.models_dir)
        out = []
        for spec in wm.MODELS.values():
            d = root / spec.name
            partial = root / f".{spec.name}.download"
            desc = spec.description if spec.downloadable else (
                f"{spec.description}. No pinned checksums, so not downloaded here: import its folder")
            out.append(ModelEntry(self.kind, spec.name, spec.name, desc,
                                  wm.is_installed(spec.name, root=self.models_dir),
                                  _folder_bytes(d) or _folder_bytes(partial), spec.approx_mb << 20,
                                  downloadable=spec.downloadable))
        for name in wm.installed_models(root=self.models_dir):
            if name not in wm.MODELS:
                size = _folder_bytes(root / name)
                out.append(ModelEntry(self.kind, name, name, "Imported model folder.", True, size, size, False))
        return out

    def download(self, name: str, *, progress: ProgressCallback | None = None,
                 cancel: CancelToken | None = None, mirror: str | None = None) -> Path:
        from audio_engine.captions import models as wm

        return wm.install_model(name, progress=progress, cancel=cancel, root=self.models_dir,
                                **({"base_url": mirror} if mirror else {}))

    def import_from(self, sources: Sequence[Path], *, name: str | None = None) -> Path:
        from audio_engine.captions import models as wm

        if len(sources) != 1:
            raise MashupsError("Import one Whisper model folder at a time.")
        return wm.import_model(sources[0], name=name, root=self.models_dir)

    def remove(self, name: str) -> int:
        import shutil

        from audio_engine.captions import models as wm
        from audio_engine.errors import ModelNotInstalledError

        root = wm.models_root(self.models_dir)
        n = wm.canonical_name(name)
        if not n or n.startswith(".") or "/" in n or "\\" in n:
            raise MashupsError(f"Bad model name {name!r}.")
        targets = [p for p in (root / n, root / f".{n}.download") if p.exists()]
        if not targets:
            raise ModelNotInstalledError(f"The caption model '{n}' is not installed in {root}.", model=n)
        freed = sum(_folder_bytes(p) for p in targets)
        for p in targets:
            shutil.rmtree(p)
        return freed


class ModelCatalog:
    """Every model kind, over one models folder."""

    def folder(self, kind: str) -> Path:
        """Where the models of ``kind`` live."""
        if kind == "separation":
            from audio_engine.models.demucs_registry import repo_dir

            return repo_dir(self.models_dir)
        from audio_engine.captions.models import models_root

        return models_root(self.models_dir)

    def __init__(self, models_dir: Path) -> None:
        self.models_dir = Path(models_dir)
        self.kinds: dict[str, ModelKind] = {k.kind: k for k in (DemucsModels(self.models_dir),
                                                                WhisperModels(self.models_dir))}

    def kind(self, kind: str) -> ModelKind:
        try:
            return self.kinds[kind]
        except KeyError:
            raise MashupsError(f"Unknown model kind {kind!r}: use {', '.join(self.kinds)}.") from None

    def list(self, kind: str | None = None) -> builtins.list[ModelEntry]:
        kinds = [self.kind(kind)] if kind else list(self.kinds.values())
        return [e for k in kinds for e in k.list()]

    def find(self, name: str, kind: str | None = None) -> ModelKind:
        """The kind that has a model called ``name`` (``kind`` decides when both do)."""
        if kind:
            return self.kind(kind)
        having = [k for k in self.kinds.values() if any(e.name == name for e in k.list())]
        if not having:
            raise MashupsError(f"No model called {name!r}. `mashups models list` shows them all.")
        if len(having) > 1:
            raise MashupsError(f"Both {' and '.join(k.kind for k in having)} have a model {name!r}: give --kind.")
        return having[0]
