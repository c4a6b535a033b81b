"""The Demucs model registry and manager.

The registry is read from Demucs' own repository metadata shipped inside the
installed ``demucs`` package (``demucs/remote/files.txt`` for the weight
files and their download location, ``demucs/remote/<name>.yaml`` for which
weight files make up a named model). Demucs names each weight file
``<signature>-<sha256 prefix>.th``, so the checksum of every file is known
before it is downloaded.

A model is *installed* in a local model repository folder
(``<models>/demucs``, where ``<models>`` is the folder the caller passes:
the studio's Settings, or the CLI's ``--model-dir`` / ``MASHUPS_MODEL_DIR``) when its ``<name>.yaml`` and all
its ``.th`` files are there. That folder is exactly what Demucs' own local
repository loader reads (``demucs.pretrained.get_model(name, repo=folder)``
with ``LocalRepo``/``BagOnlyRepo``), so loading goes through Demucs' normal
path, checksum check included. The yaml is written last, atomically, so a
half-finished download never looks installed.

Nothing here downloads anything unless :func:`download_model` is called.
"""

from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audio_engine.errors import ChecksumError, MashupsError, ModelNotInstalledError
from audio_engine.models.download import RemoteFile, download_file, import_file, sha256_file
from audio_engine.progress import CancelToken, Progress, ProgressCallback, ProgressReporter, check

#: Where Demucs' legacy model repository lives (same as ``demucs.pretrained.ROOT_URL``).
ROOT_URL = "https://dl.fbaipublicfiles.com/demucs/"

DEFAULT_MODEL = "htdemucs"


@dataclass(frozen=True)
class _Meta:
    title: str
    sources: tuple[str, ...]
    #: Approximate download size (Demucs' metadata carries no sizes; the exact
    #: size comes from the server's Content-Length and the checksum is exact).
    approx_mb: int
    description: str


_KNOWN: dict[str, _Meta] = {
    "htdemucs": _Meta(
        "Hybrid Transformer Demucs", ("drums", "bass", "other", "vocals"), 80,
        "Default. Good quality, about 1.5x the song's duration on a CPU.",
    ),
    "htdemucs_ft": _Meta(
        "Hybrid Transformer Demucs, fine-tuned", ("drums", "bass", "other", "vocals"), 320,
        "Best quality (4 fine-tuned models, one per stem); about 4x slower than htdemucs.",
    ),
    "htdemucs_6s": _Meta(
        "Hybrid Transformer Demucs, 6 stems", ("drums", "bass", "other", "vocals", "guitar", "piano"), 55,
        "Adds guitar and piano stems (piano is experimental).",
    ),
    "mdx_extra": _Meta(
        "Hybrid Demucs v3 (MDX, extra data)", ("drums", "bass", "other", "vocals"), 560,
        "Demucs v3 bag of 4 models trained with extra data (MDX 2021).",
    ),
}

MODEL_NAMES: tuple[str, ...] = tuple(_KNOWN)


@dataclass(frozen=True)
class DemucsModel:
    """One named model of the registry."""

    name: str
    title: str
    description: str
    sources: tuple[str, ...]
    files: tuple[RemoteFile, ...]
    #: Text of Demucs' bag file ``<name>.yaml`` (which signatures, weights, segment).
    bag_yaml: str
    approx_bytes: int


@dataclass(frozen=True)
class ModelStatus:
    name: str
    title: str
    description: str
    sources: tuple[str, ...]
    installed: bool
    #: Bytes on disk of the files present (all of them once installed).
    installed_bytes: int
    approx_bytes: int
    missing_files: tuple[str, ...] = field(default_factory=tuple)
    #: False for models found in the folder that are not in the registry.
    registered: bool = True


def _demucs_remote_dir() -> Path:
    spec = importlib.util.find_spec("demucs")
    if spec is None or not spec.submodule_search_locations:
        raise MashupsError("The demucs package is not installed; separation models are unavailable.")
    return Path(next(iter(spec.submodule_search_locations))) / "remote"


def _parse_files_txt(text: str) -> dict[str, RemoteFile]:
    """Same parsing as ``demucs.pretrained._parse_remote_files``, keeping the
    file name and the sha256 prefix of each signature."""
    root = ""
    out: dict[str, RemoteFile] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("root:"):
            root = line.split(":", 1)[1].strip()
            continue
        stem = line.rsplit(".", 1)[0]
        sig, _, checksum = stem.partition("-")
        out[sig] = RemoteFile(url=ROOT_URL + root + line, filename=line, sha256=checksum or None)
    return out


def _yaml_models(text: str) -> list[str]:
    import yaml

    data: Any = yaml.safe_load(text)
    if not isinstance(data, dict) or not isinstance(data.get("models"), list):
        raise MashupsError("Malformed Demucs bag file: no 'models' list.")
    return [str(s) for s in data["models"]]


def registry() -> dict[str, DemucsModel]:
    """The registered models, read from the installed Demucs package's metadata."""
    remote = _demucs_remote_dir()
    files = _parse_files_txt((remote / "files.txt").read_text())
    out: dict[str, DemucsModel] = {}
    for name, meta in _KNOWN.items():
        bag = (remote / f"{name}.yaml").read_text()
        sigs = _yaml_models(bag)
        out[name] = DemucsModel(
            name=name, title=meta.title, description=meta.description, sources=meta.sources,
            files=tuple(files[s] for s in sigs), bag_yaml=bag, approx_bytes=meta.approx_mb * 1_000_000,
        )
    return out


def get_entry(name: str) -> DemucsModel:
    reg = registry()
    if name not in reg:
        raise MashupsError(
            f"Unknown model {name!r}. Available: {', '.join(reg)} (or 'classical', which needs no download)."
        )
    return reg[name]


def repo_dir(model_dir: Path) -> Path:
    """The local Demucs repository folder: ``<model_dir>/demucs``, or
    ``model_dir`` itself when it directly holds Demucs ``.th``/``.yaml``
    files (what demucs' own ``--repo`` accepts). The models folder is always
    the caller's (the studio's Settings, the CLI's ``--model-dir``)."""
    base = Path(model_dir)
    if base.is_dir() and not (base / "demucs").is_dir():
        if any(f.suffix in (".th", ".yaml") and not f.name.startswith(".") for f in base.iterdir()):
            return base
    return base / "demucs"


def _local_th_files(repo: Path) -> dict[str, Path]:
    """Signature -> file, like ``demucs.repo.LocalRepo.scan`` (partial downloads are dot-files ending .part)."""
    out: dict[str, Path] = {}
    if not repo.is_dir():
        return out
    for f in repo.iterdir():
        if f.suffix == ".th" and not f.name.startswith("."):
            out[f.stem.rsplit("-", 1)[0] if "-" in f.stem else f.stem] = f
    return out


def _bag_files(name: str, repo: Path) -> tuple[list[str], dict[str, Path]]:
    yaml_path = repo / f"{name}.yaml"
    local = _local_th_files(repo)
    if yaml_path.is_file():
        sigs = _yaml_models(yaml_path.read_text())
    elif name in local:
        sigs = [name]
    else:
        sigs = []
    return sigs, local


def is_installed(name: str, *, model_dir: Path) -> bool:
    repo = repo_dir(model_dir)
    sigs, local = _bag_files(name, repo)
    if name in _KNOWN and not (repo / f"{name}.yaml").is_file():
        return False
    return bool(sigs) and all(s in local for s in sigs)


def require_installed(name: str, *, model_dir: Path) -> Path:
    """The repository folder holding ``name``, or :class:`ModelNotInstalledError`."""
    repo = repo_dir(model_dir)
    if not is_installed(name, model_dir=model_dir):
        size = f" (about {_KNOWN[name].approx_mb} MB)" if name in _KNOWN else ""
        raise ModelNotInstalledError(
            f"The separation model '{name}' is not installed in {repo}{size}.", model=name
        )
    return repo


def model_fingerprint(name: str, *, model_dir: Path) -> str:
    """A short id of the installed model's exact weights, for cache keys: the
    bag file text plus the weight files' names (which embed their sha256
    prefix) or, for files without one, their size and mtime."""
    repo = require_installed(name, model_dir=model_dir)
    sigs, local = _bag_files(name, repo)
    h = hashlib.blake2b(digest_size=8)
    yaml_path = repo / f"{name}.yaml"
    if yaml_path.is_file():
        h.update(yaml_path.read_bytes())
    for s in sigs:
        f = local[s]
        h.update(f.name.encode())
        if "-" not in f.stem:
            st = f.stat()
            h.update(f"{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()


def list_models(*, model_dir: Path) -> list[ModelStatus]:
    """Every registered model with its installed state, then any other
    (custom) model found in the folder."""
    repo = repo_dir(model_dir)
    local = _local_th_files(repo)
    out: list[ModelStatus] = []
    for m in registry().values():
        present = [local[f.filename.split("-")[0]] for f in m.files if f.filename.split("-")[0] in local]
        missing = tuple(f.filename for f in m.files if f.filename.split("-")[0] not in local)
        installed = not missing and (repo / f"{m.name}.yaml").is_file()
        out.append(ModelStatus(
            m.name, m.title, m.description, m.sources, installed,
            sum(p.stat().st_size for p in present), m.approx_bytes, missing,
        ))
    if repo.is_dir():
        for y in sorted(repo.glob("*.yaml")):
            if y.stem in _KNOWN:
                continue
            try:
                sigs = _yaml_models(y.read_text())
            except Exception:
                continue
            have = [local[s] for s in sigs if s in local]
            miss = tuple(s for s in sigs if s not in local)
            size = sum(p.stat().st_size for p in have)
            out.append(ModelStatus(y.stem, y.stem, "Custom model found in the model folder.", (),
                                   not miss, size, size, miss, registered=False))
        # Weight files without a bag file load by their signature (as demucs' --repo does).
        known = {f.filename.split("-")[0] for m in registry().values() for f in m.files}
        listed = {st.name for st in out}
        for y in repo.glob("*.yaml"):
            try:
                known.update(_yaml_models(y.read_text()))
            except Exception:
                continue
        for sig, f in sorted(local.items()):
            if sig in known or sig in listed:
                continue
            size = f.stat().st_size
            out.append(ModelStatus(sig, sig, "Weight file found in the model folder.", (), True, size, size,
                                   registered=False))
    return out


def _write_atomic(path: Path, text: str) -> None:
    from audio_engine.atomic import atomic_write_text

    atomic_write_text(path, text)


def download_model(
    name: str,
    *,
    model_dir: Path,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    timeout: float = 30.0,
    retries: int = 3,
    base_url: str | None = None,
    entry: DemucsModel | None = None,
) -> Path:
    """Download and install ``name`` (each weight file with resume and
    checksum, then its bag file). Returns the repository folder.
    ``base_url`` replaces Demucs' server (a mirror); ``entry`` installs a
    model described outside the registry (a custom or newer model)."""
    entry = entry if entry is not None else get_entry(name)
    repo = repo_dir(model_dir)
    repo.mkdir(parents=True, exist_ok=True)
    n = len(entry.files)
    rep = ProgressReporter(progress, stage="downloading")
    for i, f in enumerate(entry.files):
        check(cancel)
        remote = f
        if base_url is not None:
            remote = RemoteFile(base_url.rstrip("/") + "/" + f.filename, f.filename, f.size, f.sha256)
        sub = rep.sub(i / n, 1 / n)

        def fwd(p: Progress, sub: ProgressReporter = sub) -> None:
            sub(p.fraction, message=p.message)

        download_file(remote, repo, progress=fwd, cancel=cancel, timeout=timeout, retries=retries)
    _write_atomic(repo / f"{name}.yaml", entry.bag_yaml)
    rep(1.0, message=f"{name} installed", force=True)
    return repo


def import_model(
    name: str, sources: list[Path], *, model_dir: Path, entry: DemucsModel | None = None
) -> list[Path]:
    """Offline import: install ``name`` from weight files the user already
    has (files, or folders searched for ``*.th``). Each file is matched to
    the registry by its sha256 (so its name does not matter), verified and
    copied atomically under Demucs' file name. The model counts as
    installed once all its files are there. Returns the imported paths.
    ``entry`` describes a model outside the registry."""
    entry = entry if entry is not None else get_entry(name)
    repo = repo_dir(model_dir)
    candidates: list[Path] = []
    for s in sources:
        s = Path(s)
        if s.is_dir():
            candidates.extend(sorted(p for p in s.iterdir() if p.suffix == ".th"))
        elif s.is_file():
            candidates.append(s)
        else:
            raise MashupsError(f"{s}: no such file or folder to import.")
    wanted = {f.sha256 or "": f for f in entry.files}
    imported: list[Path] = []
    rejected: list[str] = []
    for c in candidates:
        digest = sha256_file(c)
        match = next((f for prefix, f in wanted.items() if prefix and digest.startswith(prefix)), None)
        if match is None:
            rejected.append(c.name)
            continue
        imported.append(import_file(c, repo, sha256=match.sha256, filename=match.filename))
    local = _local_th_files(repo)
    missing = [f.filename for f in entry.files if f.filename.split("-")[0] not in local]
    if not imported and rejected:
        raise ChecksumError(
            f"None of {', '.join(rejected)} is a weight file of '{name}' (checksums do not match); nothing imported.",
            hint=f"'{name}' needs: {', '.join(f.filename for f in entry.files)}.",
        )
    if missing:
        raise ModelNotInstalledError(
            f"Imported {len(imported)} file(s), but '{name}' still needs: {', '.join(missing)}.",
            model=name,
        )
    _write_atomic(repo / f"{name}.yaml", entry.bag_yaml)
    return imported


def remove_model(name: str, *, model_dir: Path) -> int:
    """Uninstall ``name``: its bag file first (so it stops counting as
    installed), then the weight files no other installed model uses, and
    any partial download. Returns the bytes freed."""
    repo = repo_dir(model_dir)
    sigs, local = _bag_files(name, repo)
    if name in _KNOWN:
        sigs = [f.filename.split("-")[0] for f in get_entry(name).files]
    if not sigs or not any(s in local for s in sigs) and not (repo / f"{name}.yaml").exists():
        raise ModelNotInstalledError(f"The model '{name}' is not installed in {repo}.", model=name)
    keep: set[str] = set()
    for y in repo.glob("*.yaml"):
        if y.stem != name:
            try:
                keep.update(_yaml_models(y.read_text()))
            except Exception:
                pass
    freed = 0
    (repo / f"{name}.yaml").unlink(missing_ok=True)
    for s in sigs:
        if s in local and s not in keep:
            freed += local[s].stat().st_size
            local[s].unlink()
    for f in get_entry(name).files if name in _KNOWN else ():
        part = repo / f".{f.filename}.part"
        if part.exists():
            freed += part.stat().st_size
            part.unlink()
    return freed


def load_model(name: str, *, model_dir: Path) -> Any:
    """Load an installed model through Demucs' own loader (local repository,
    checksums verified by Demucs). Never downloads: a missing model raises
    :class:`ModelNotInstalledError`."""
    repo = require_installed(name, model_dir=model_dir)
    from demucs.pretrained import get_model
    from demucs.repo import ModelLoadingError

    try:
        return get_model(name, repo=repo)
    except ModelLoadingError as e:
        raise ChecksumError(
            f"The installed model '{name}' could not be loaded: {e}",
            hint=f"Remove it and download it again: `mashups models remove {name}`.",
        ) from e
