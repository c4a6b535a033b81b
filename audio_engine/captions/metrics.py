"""Word error rate and line-timing errors, for tests and benchmarks."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

_PUNCT = re.compile(r"[^\w\s']")


def normalize_words(text: str) -> list[str]:
    """Lower-case words without punctuation (apostrophes kept), accents kept."""
    t = unicodedata.normalize("NFKC", text).lower()
    t = _PUNCT.sub(" ", t.replace("\u2019", "'"))
    return [w.strip("'") for w in t.split() if w.strip("'")]


def edit_distance(ref: Sequence[str], hyp: Sequence[str]) -> int:
    """Levenshtein distance between two word sequences (substitutions,
    insertions and deletions all cost 1)."""
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(S + D + I) / N over normalised words; N = words in the reference.
    An empty reference gives 0.0 for an empty hypothesis, else 1.0 per word."""
    ref = normalize_words(reference)
    hyp = normalize_words(hypothesis)
    if not ref:
        return float(len(hyp))
    return edit_distance(ref, hyp) / len(ref)
