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


def align(ref: Sequence[str], hyp: Sequence[str]) -> list[tuple[int | None, int | None]]:
    """Minimum-edit alignment as (ref index, hyp index) pairs; None marks an
    insertion (no ref word) or a deletion (no hyp word)."""
    n, m = len(ref), len(hyp)
    d = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        d[i][0] = i
    for j in range(m + 1):
        d[0][j] = j
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (ref[i - 1] != hyp[j - 1]))
    out: list[tuple[int | None, int | None]] = []
    i, j = n, m
    while i > 0 or j > 0:
        if i > 0 and j > 0 and d[i][j] == d[i - 1][j - 1] + (ref[i - 1] != hyp[j - 1]):
            out.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif i > 0 and d[i][j] == d[i - 1][j] + 1:
            out.append((i - 1, None))
            i -= 1
        else:
            out.append((None, j - 1))
            j -= 1
    out.reverse()
    return out


def line_start_errors(lines: Sequence[tuple[float, str]], words: Sequence[tuple[float, str]]) -> list[float | None]:
    """For each reference line ``(start, text)``: the recognised start of its
    first word minus the line's start, or None when that word was not
    recognised (deleted). ``words`` are recognised ``(start, text)`` pairs;
    the two word sequences are aligned by minimum edit distance, so a
    misheard first word (a substitution) still counts with its time."""
    ref: list[str] = []
    first_of_line: dict[int, int] = {}
    for li, (_, text) in enumerate(lines):
        toks = normalize_words(text)
        if toks:
            first_of_line[li] = len(ref)
        ref.extend(toks)
    hyp_times: list[float] = []
    hyp: list[str] = []
    for t, text in words:
        for tok in normalize_words(text):
            hyp.append(tok)
            hyp_times.append(t)
    matched: dict[int, int] = {ri: hj for ri, hj in align(ref, hyp) if ri is not None and hj is not None}
    out: list[float | None] = []
    for li, (start, _) in enumerate(lines):
        ri = first_of_line.get(li)
        hj = matched.get(ri) if ri is not None else None
        out.append(None if hj is None else hyp_times[hj] - start)
    return out
