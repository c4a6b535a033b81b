"""The frozen bundle against the checkout: sizes, start-up, analysis speed.

    .venv/bin/python bench/bench_bundle.py [--bundle DIR] [--runs 5]

The bundle is DIR, else $MASHUPS_BUNDLE, else the newest one in the build
cache (~/.cache/mashups-build, written by packaging/bundle.sh), else
dist/mashups; without one the benchmark says so and exits 0.

Prints: the installed size and the ten biggest parts of the bundle; the
installers in dist/ (compressed size, and the .deb's declared installed size);
start-up of `mashups-studio` to a shown window (offscreen Qt; the app prints
SHOWN when its window is exposed, MASHUPS_PRINT_SHOWN=1) frozen vs
`.venv/bin/mashups-studio`; and `mashups analyze` of both demo songs
(--no-cache, a fresh process each run) frozen vs `.venv/bin/mashups`. Frozen and
checkout runs alternate, so machine load hits both alike. Goals (issue 14):
CPU build < 450 MB compressed, < 1.3 GB installed, start-up < 3 s.
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
VENV_BIN = REPO / ".venv" / ("Scripts" if os.name == "nt" else "bin")


def find_bundle(explicit: str | None) -> Path | None:
    cands: list[Path] = []
    if explicit:
        cands.append(Path(explicit))
    if os.environ.get("MASHUPS_BUNDLE"):
        cands.append(Path(os.environ["MASHUPS_BUNDLE"]))
    cache = Path(os.environ.get("MASHUPS_BUILD_CACHE", Path.home() / ".cache" / "mashups-build"))
    if cache.is_dir():
        cands += sorted((p / "mashups" for p in cache.iterdir() if (p / "mashups" / "mashups").exists()),
                        key=lambda p: p.stat().st_mtime, reverse=True)
    cands.append(REPO / "dist" / "mashups")
    return next((c for c in cands if (c / "mashups").exists() or (c / "mashups.exe").exists()), None)


def tree_size(p: Path) -> int:
    if p.is_file() or p.is_symlink():
        return p.lstat().st_size
    return sum(f.lstat().st_size for f in p.rglob("*") if f.is_file() and not f.is_symlink())


def mb(n: float) -> str:
    return f"{n / 1e6:,.0f}"


def sizes(bundle: Path) -> None:
    internal = bundle / "_internal"
    total = tree_size(bundle)
    parts = [(tree_size(p), p.name + ("/" if p.is_dir() else "")) for p in internal.iterdir()]
    parts.sort(reverse=True)
    print(f"Bundle {bundle}: {mb(total)} MB installed, {sum(1 for _ in bundle.rglob('*'))} files\n")
    print("| biggest parts of the bundle | MB | share |")
    print("|---|---|---|")
    for n, name in parts[:10]:
        print(f"| {name} | {mb(n)} | {100 * n / total:.0f} % |")
    rest = total - sum(n for n, _ in parts[:10])
    print(f"| everything else ({len(parts) - 10} entries) | {mb(rest)} | {100 * rest / total:.0f} % |")
    arts = sorted(p for p in (REPO / "dist").glob("*") if p.suffix in (".gz", ".deb", ".exe", ".dmg", ".zip"))
    if arts:
        print("\n| installer (dist/) | compressed MB | installed MB |")
        print("|---|---|---|")
        for a in arts:
            inst = ""
            if a.suffix == ".deb":
                kb = subprocess.run(["dpkg-deb", "-f", str(a), "Installed-Size"], capture_output=True, text=True)
                inst = mb(int(kb.stdout.strip() or 0) * 1024) if kb.returncode == 0 else "?"
            elif a.suffix == ".gz":
                inst = mb(total)
            print(f"| {a.name} | {mb(a.stat().st_size)} | {inst} |")
    else:
        print("\n(no installers in dist/: scripts/build-installer.sh makes them)")


def time_to_marker(cmd: list[str], env: dict[str, str], marker: str = "SHOWN") -> float:
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert p.stdout is not None
    for line in p.stdout:
        if line.strip() == marker:
            dt = time.perf_counter() - t0
            break
    else:
        raise RuntimeError(f"{cmd[0]} printed no {marker}: {(p.stderr.read() if p.stderr else '')[-1500:]}")
    p.wait(timeout=60)
    return dt


def time_run(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {p.stderr[-1500:]}")
    return time.perf_counter() - t0


def compare(title: str, frozen: list[str], checkout: list[str], runs: int, env: dict[str, str], fn) -> None:  # type: ignore[no-untyped-def]
    fn(frozen, env)  # warm the OS file cache for both (a first launch after install reads from disk)
    fn(checkout, env)
    f, c = [], []
    for _ in range(runs):
        f.append(fn(frozen, env))
        c.append(fn(checkout, env))
    mf, mc = statistics.median(f), statistics.median(c)
    print(f"\n{title} ({runs} runs each, alternating, {os.cpu_count()} cores)\n")
    print("| build | median s | min s | max s |")
    print("|---|---|---|---|")
    print(f"| frozen bundle | {mf:.2f} | {min(f):.2f} | {max(f):.2f} |")
    print(f"| checkout (.venv) | {mc:.2f} | {min(c):.2f} | {max(c):.2f} |")
    print(f"\nfrozen / checkout: {mf / mc:.2f}x")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bundle", default=None)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    bundle = find_bundle(args.bundle)
    if bundle is None:
        print("skipped: no frozen bundle found (build one with packaging/bundle.sh or scripts/build-installer.sh)")
        return 0
    sizes(bundle)
    home = tempfile.mkdtemp(prefix="mashups-bench-bundle-")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", MASHUPS_HOME=home, MASHUPS_PRINT_SHOWN="1")
    ext = ".exe" if os.name == "nt" else ""
    compare("Start-up of mashups-studio to a shown window", [str(bundle / f"mashups-studio{ext}")],
            [str(VENV_BIN / f"mashups-studio{ext}")], args.runs, env, time_to_marker)
    demos = [str(REPO / "resources" / "demo" / n) for n in ("demo1.flac", "demo2.flac")]
    an = ["analyze", *demos, "--json", "--no-cache"]
    compare("`mashups analyze` of both demo songs (24 s each), fresh process, no cache",
            [str(bundle / f"mashups{ext}"), *an], [str(VENV_BIN / f"mashups{ext}"), *an], args.runs, env, time_run)
    print("\nGoals: < 450 MB compressed, < 1.3 GB installed, start-up < 3 s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
