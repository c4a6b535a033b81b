"""Musical keys, the Camelot wheel and key compatibility for mixing.

A :class:`Key` is a tonic pitch class (0 = C ... 11 = B) and a mode
("major" or "minor"). The Camelot wheel numbers keys so that neighbours mix
well: the same number with the other letter is the relative key (8A = A minor,
8B = C major), one step round the wheel is a fifth away (8A <-> 9A), and two
steps up in the same letter is the "energy boost" DJs use (8A -> 10A).

Two kinds of rules use the wheel and must not be confused. For parts that
sound at the same time (a vocal over an instrumental) only the *layering*
relations hold: the same key, the relative key, or one step round the wheel
(a fifth). The energy boost and semitone lifts are *transition* moves, for
going from one song to the next; layered, they clash.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from audio_engine.errors import MashupsError

Mode = Literal["major", "minor"]

NOTE_NAMES: tuple[str, ...] = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_ALIASES = {
    "C": 0, "B#": 0, "C#": 1, "DB": 1, "D": 2, "D#": 3, "EB": 3, "E": 4, "FB": 4, "E#": 5, "F": 5,
    "F#": 6, "GB": 6, "G": 7, "G#": 8, "AB": 8, "A": 9, "A#": 10, "BB": 10, "B": 11, "CB": 11,
}
# Camelot number of each tonic. Major (B): C=8, then +1 per fifth (+7 semitones).
_CAMELOT_MAJOR = {(7 * i) % 12: (8 + i - 1) % 12 + 1 for i in range(12)}
# Minor (A): A minor = 8A, the relative minor of C major.
_CAMELOT_MINOR = {(9 + 7 * i) % 12: (8 + i - 1) % 12 + 1 for i in range(12)}

Relation = Literal["same", "relative", "adjacent", "energy-boost", "clash"]
#: Relations under which two parts can sound at the same time, best first.
LAYERING: tuple[str, ...] = ("same", "relative", "adjacent")
#: What "compatible" means everywhere in the engine: the layering relations.
COMPATIBLE: tuple[str, ...] = LAYERING
#: DJ transition moves: fine between consecutive songs, a clash when layered.
TRANSITIONS: tuple[str, ...] = ("energy-boost",)


class KeyParseError(MashupsError, ValueError):
    """A key name or Camelot code could not be understood."""

    hint = 'Write a key like "A minor", "F# major", "Am", "Bbm" or a Camelot code like "8A".'


@dataclass(frozen=True)
class Key:
    """A musical key: ``tonic`` pitch class 0-11 (0 = C), ``mode``, and the
    detector's ``confidence`` (0-1; 1.0 for keys given by a person)."""

    tonic: int
    mode: Mode
    confidence: float = 1.0

    def __post_init__(self) -> None:
        if isinstance(self.tonic, bool) or not isinstance(self.tonic, int) or not 0 <= self.tonic <= 11:
            raise KeyParseError(f"Key tonic must be a pitch class 0-11, not {self.tonic!r}.")
        if self.mode not in ("major", "minor"):
            raise KeyParseError(f'Key mode must be "major" or "minor", not {self.mode!r}.')

    @property
    def name(self) -> str:
        """Like "A minor" or "F# major" (sharps, as the Camelot charts)."""
        return f"{NOTE_NAMES[self.tonic]} {self.mode}"

    @property
    def camelot_number(self) -> int:
        return (_CAMELOT_MAJOR if self.mode == "major" else _CAMELOT_MINOR)[self.tonic]

    @property
    def camelot(self) -> str:
        """Camelot code, like "8A" (A minor) or "8B" (C major)."""
        return f"{self.camelot_number}{'B' if self.mode == 'major' else 'A'}"

    @property
    def relative(self) -> Key:
        """The relative key (same notes, other mode): A minor <-> C major."""
        if self.mode == "minor":
            return Key((self.tonic + 3) % 12, "major", self.confidence)
        return Key((self.tonic + 9) % 12, "minor", self.confidence)

    def same_key(self, other: Key) -> bool:
        """True when both name the same key (confidence ignored)."""
        return self.tonic == other.tonic and self.mode == other.mode

    def __str__(self) -> str:
        return self.name


def from_camelot(code: str) -> Key:
    """Parse a Camelot code such as "8A" or "12b"."""
    m = re.fullmatch(r"\s*(\d{1,2})\s*([ABab])\s*", code)
    if not m or not 1 <= int(m.group(1)) <= 12:
        raise KeyParseError(f"{code!r} is not a Camelot code (1A-12A, 1B-12B).")
    number, letter = int(m.group(1)), m.group(2).upper()
    table = _CAMELOT_MAJOR if letter == "B" else _CAMELOT_MINOR
    tonic = next(t for t, n in table.items() if n == number)
    return Key(tonic, "major" if letter == "B" else "minor")


def parse_key(text: str) -> Key:
    """Parse "A minor", "A min", "Am", "a", "F# major", "Bb", "Ebm", "8A", "8B".

    A bare note name is major. Raises :class:`KeyParseError` (a ValueError)."""
    if not isinstance(text, str):
        raise KeyParseError(f"Expected a key name, not {type(text).__name__}.")
    s = text.strip()
    if re.fullmatch(r"\d{1,2}\s*[ABab]", s):
        return from_camelot(s)
    m = re.fullmatch(r"([A-Ga-g])\s*([#♯b♭]?)\s*(.*)", s)
    if not m:
        raise KeyParseError(f"{text!r} is not a key name.")
    letter, accidental, rest = m.group(1).upper(), m.group(2), m.group(3).strip().lower()
    accidental = {"♯": "#", "♭": "B", "b": "B"}.get(accidental, accidental)
    note = letter + accidental
    if note not in _ALIASES:
        raise KeyParseError(f"{text!r}: unknown note {note!r}.")
    if rest in ("", "maj", "major", "dur"):
        mode: Mode = "major"
    elif rest in ("m", "min", "minor", "moll", "-"):
        mode = "minor"
    else:
        raise KeyParseError(f"{text!r}: the mode must be major or minor.")
    return Key(_ALIASES[note], mode)


def transpose(key: Key, semitones: int) -> Key:
    """The key ``semitones`` up (negative: down), same mode and confidence."""
    return Key((key.tonic + int(semitones)) % 12, key.mode, key.confidence)


def camelot_relation(a: Key, b: Key) -> Relation:
    """How key ``b`` mixes with key ``a`` on the Camelot wheel:

    - "same": the same key;
    - "relative": same number, other letter (A minor / C major);
    - "adjacent": same letter, one step round the wheel (a fifth apart);
    - "energy-boost": same letter, two steps round the wheel (a whole tone
      apart; DJs use it to lift energy, a "two-step" move);
    - "clash": anything else.
    """
    na, nb = a.camelot_number, b.camelot_number
    step = min((na - nb) % 12, (nb - na) % 12)
    if a.mode == b.mode:
        if step == 0:
            return "same"
        if step == 1:
            return "adjacent"
        if step == 2:
            return "energy-boost"
        return "clash"
    return "relative" if step == 0 else "clash"


Neighbour = Literal["relative", "parallel", "fifth"]


def neighbour_relation(a: Key, b: Key) -> Neighbour | None:
    """How two *different* keys that a detector can confuse relate: the
    relative key (same notes), the parallel key (same tonic, other mode) or a
    fifth (same mode, one step round the wheel); ``None`` otherwise."""
    if a.same_key(b):
        return None
    if a.mode != b.mode and a.relative.same_key(b):
        return "relative"
    if a.tonic == b.tonic:
        return "parallel"
    if a.mode == b.mode and (a.tonic - b.tonic) % 12 in (5, 7):
        return "fifth"
    return None


def layers_well(a: Key, b: Key) -> bool:
    """True when ``a`` and ``b`` can sound at the same time (see :data:`LAYERING`)."""
    return camelot_relation(a, b) in LAYERING


def describe_relation(a: Key, b: Key) -> str:
    """A sentence for people: how ``b`` sits against ``a`` when layered."""
    rel = camelot_relation(a, b)
    text = {
        "same": "the same key",
        "relative": "relative keys (the same notes)",
        "adjacent": "a fifth apart (one step round the Camelot wheel)",
        "energy-boost": "two steps round the Camelot wheel: a transition move, it clashes when layered",
        "clash": "keys that clash",
    }[rel]
    return f"{b.name} ({b.camelot}) over {a.name} ({a.camelot}): {text}"


def compatible_shift(a: Key, b: Key, *, max_shift: int = 6) -> tuple[int, Relation]:
    """The smallest pitch shift of ``b`` (semitones, -max_shift..+max_shift)
    that lets it sound together with ``a``, and the relation it reaches.

    Only the layering relations count (:data:`LAYERING`: same, relative,
    one step round the wheel); transition moves such as the energy boost do
    not. A smaller shift wins over a better relation, because each semitone
    of pitch shift (``b`` is the vocal in Magic) costs audio quality; at equal
    size "same" beats "relative" beats "adjacent", and ties between +n and -n
    prefer shifting down. Returns ``(0, "clash")`` only if no shift within
    ``max_shift`` helps (never for ``max_shift >= 6``). One reading of each
    key: :func:`hedged_shift` with a single candidate each."""
    plan = hedged_shift([a], [b], max_shift=max_shift)
    return plan.shift, plan.relation


@dataclass(frozen=True)
class ShiftPlan:
    """The vocal shift chosen over every candidate reading of both keys.

    ``relation``: under the most likely readings (the first of each list);
    ``worst``: the worst relation over all reading pairs; ``covered`` of
    ``pairs`` reading pairs layer well; ``hedged``: there was more than one
    reading and the shift layers well under every one of them."""

    shift: int
    relation: Relation
    worst: Relation
    covered: int
    pairs: int

    @property
    def hedged(self) -> bool:
        return self.pairs > 1 and self.covered == self.pairs


def hedged_shift(instrumental: Sequence[Key], vocal: Sequence[Key], *, max_shift: int = 6) -> ShiftPlan:
    """The vocal shift that is safe whichever reading of an uncertain key is
    right (robust, max-min planning over the candidate keys).

    ``instrumental`` and ``vocal`` are each song's candidate keys, the most
    likely first (the detector's key, then e.g. its close-neighbour
    runner-up). Only shifts under which the most likely readings layer well
    are eligible (never worse than planning on them alone); among those, the
    one that layers well under the most reading pairs wins (all of them, the
    max-min, when such a shift exists), then the least shift, then the best
    relation, then shifting down. With one reading each this is exactly
    :func:`compatible_shift`. A song read as D major or A major (a fifth
    apart) under a G major vocal: shift 0 gives G over D (adjacent) but G over
    A (two steps: a clash); +2 gives A, adjacent to D and the same as A."""
    if max_shift < 0:
        raise ValueError("max_shift must be >= 0")
    if not instrumental or not vocal:
        raise ValueError("hedged_shift needs at least one reading of each key")
    rank = {r: i for i, r in enumerate(LAYERING)}
    order = {r: i for i, r in enumerate((*LAYERING, *TRANSITIONS, "clash"))}
    best: tuple[tuple[int, int, int, int], ShiftPlan] | None = None
    for shift in range(-max_shift, max_shift + 1):
        rels = [camelot_relation(i, transpose(v, shift)) for i in instrumental for v in vocal]
        if rels[0] not in rank:
            continue
        covered = sum(r in rank for r in rels)
        plan = ShiftPlan(shift, rels[0], max(rels, key=lambda r: order[r]), covered, len(rels))
        cand = (-covered, abs(shift), rank[rels[0]], 0 if shift <= 0 else 1)
        if best is None or cand < best[0]:
            best = (cand, plan)
    if best is None:
        return ShiftPlan(0, "clash", "clash", 0, len(instrumental) * len(vocal))
    return best[1]
