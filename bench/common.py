"""Small helpers shared by the benchmarks: timing and markdown tables."""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def best_of(fn: Callable[[], Any], *, repeat: int = 3) -> float:
    """Best wall time of ``repeat`` runs (seconds)."""
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def best_of_pair(a: Callable[[], Any], b: Callable[[], Any], *, repeat: int = 3) -> tuple[float, float]:
    """Best times of ``a`` and ``b``, run alternately so that load from other
    processes hits both alike."""
    ta = tb = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        a()
        ta = min(ta, time.perf_counter() - t)
        t = time.perf_counter()
        b()
        tb = min(tb, time.perf_counter() - t)
    return ta, tb


def peak_rss_mb(children: bool = False) -> float:
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss / 1024.0


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def fmt(v: Any) -> str:
        return f"{v:.3g}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(fmt(v) for v in r) + " |" for r in rows]
    return "\n".join(lines)
