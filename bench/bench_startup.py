"""Start-up time of Mashups Studio to a shown main window, in a fresh process.

    .venv/bin/python bench/bench_startup.py [--runs 5]

Each run starts a new Python process (offscreen Qt), builds the services
through the composition root, shows the main window, processes events until
it is exposed, and prints a marker; the time is measured by the parent from
process start to the marker. The child also asserts that torch was NOT
imported. References in the same run: a bare PySide6 QMainWindow (the floor
Qt itself sets) and `import torch` alone (what a non-lazy app would add).
Target: < 2 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

STUDIO = r"""
import sys, time
sys.path.insert(0, {repo!r})
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
from studio.services import build_services
from studio.main_window import MainWindow
services = build_services()
services.theme.apply(app)
w = MainWindow(services, first_run_prompt=False)
w.show()
while not w.isVisible() or w.windowHandle() is None or not w.windowHandle().isExposed():
    app.processEvents()
app.processEvents()
assert "torch" not in sys.modules, "torch was imported at start-up"
print("SHOWN", flush=True)
services.close()
"""

BARE = r"""
import sys
from PySide6.QtWidgets import QApplication, QMainWindow, QLabel
app = QApplication(sys.argv[:1])
w = QMainWindow(); w.setCentralWidget(QLabel("hello")); w.resize(1360, 840); w.show()
while w.windowHandle() is None or not w.windowHandle().isExposed():
    app.processEvents()
print("SHOWN", flush=True)
"""

TORCH = r"""
import torch
print("SHOWN", flush=True)
"""


def run_once(code: str, env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert p.stdout is not None
    for line in p.stdout:
        if line.strip() == "SHOWN":
            dt = time.perf_counter() - t0
            break
    else:
        err = p.stderr.read() if p.stderr else ""
        raise RuntimeError(f"child failed: {err[-2000:]}")
    p.wait(timeout=60)
    if p.returncode != 0:
        raise RuntimeError(f"child exited {p.returncode}: {p.stderr.read() if p.stderr else ''}")
    return dt


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    home = tempfile.mkdtemp(prefix="mashups-bench-startup-")
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"), MASHUPS_HOME=home)
    cases = [
        ("Mashups Studio main window (services + all pages)", STUDIO.format(repo=str(REPO))),
        ("reference: bare PySide6 QMainWindow", BARE),
        ("reference: `import torch` alone", TORCH),
    ]
    run_once(cases[0][1], env)  # warm the OS file cache once (first launch after install is slower)
    rows = []
    for name, code in cases:
        times = [run_once(code, env) for _ in range(args.runs)]
        rows.append((name, statistics.median(times), min(times), max(times)))
    print(f"Start-up to a shown window, fresh process each run ({args.runs} runs, offscreen Qt, {os.cpu_count()} cores)\n")
    print("| case | median s | min s | max s |")
    print("|---|---|---|---|")
    for name, med, lo, hi in rows:
        print(f"| {name} | {med:.2f} | {lo:.2f} | {hi:.2f} |")
    studio = rows[0][1]
    print(f"\nTarget < 2 s: {'met' if studio < 2.0 else 'NOT met'}; torch not imported at start-up (asserted in the child).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
