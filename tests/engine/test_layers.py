"""audio_engine and sync must import with Qt absent (ARCHITECTURE: only studio/ imports Qt)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import importlib, pkgutil, sys
class NoQt:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('PySide6', 'PyQt5', 'PyQt6', 'shiboken6'):
            raise ImportError('Qt is not available in this test: ' + name)
        return None
sys.meta_path.insert(0, NoQt())
count = 0
for pkg_name in ('audio_engine', 'sync'):
    pkg = importlib.import_module(pkg_name)
    for m in pkgutil.walk_packages(pkg.__path__, pkg_name + '.'):
        importlib.import_module(m.name)
        count += 1
assert not [m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))]
print(count)
"""


def test_engine_and_sync_import_without_qt():
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.strip().splitlines()[-1]) >= 10


def test_cli_help_lists_every_subcommand():
    from audio_engine.cli import main

    out = subprocess.run([sys.executable, "-m", "audio_engine.cli.main", "--help"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    for mod in main.COMMANDS:
        assert f" {mod.rsplit('.', 1)[1]}" in out.stdout
    assert "examples:" in out.stdout
