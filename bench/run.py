"""Run every benchmark (or the named ones) and print their tables:

    .venv/bin/python bench/run.py               # all
    .venv/bin/python bench/run.py transform analysis
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    names = sys.argv[1:] or sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))
    rc = 0
    for name in names:
        script = HERE / f"bench_{name}.py"
        print(f"\n## {name}\n", flush=True)
        rc |= subprocess.call([sys.executable, str(script)], cwd=HERE.parent)
    return rc


if __name__ == "__main__":
    sys.exit(main())
