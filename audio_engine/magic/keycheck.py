"""Make a song's key sure before Magic layers it on another.

The analyser reads the key from the whole mix; when that reading is
uncertain (low confidence, or the runner-up is a relative, parallel or fifth
neighbour: see :class:`audio_engine.analysis.tonality.KeyEstimate`), Magic
settles it on the separated stems it has anyway: the harmonic stems (bass +
other, without drums and vocals) and, for the song whose vocals are used,
the vocal's own pitch-class distribution (:func:`decide_key`). Cached by the
song's content hash and the stem set.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from audio_engine.analysis.features import SR, chroma_features
from audio_engine.analysis.tonality import (
    UNSURE_CONFIDENCE,
    KeyEstimate,
    decide_key,
    estimate_key,
    pitch_class_profile,
    vocal_profile,
)
from audio_engine.cache import JsonCache, cache_key
from audio_engine.keys import Key, neighbour_relation

KEYCHECK_VERSION = "2"  # 2: the alternative is the check's own runner-up
VOCALS = "vocals"
#: Stems that carry no harmony (drums) or are judged apart (vocals).
NOT_HARMONIC = ("drums", VOCALS)


@dataclass(frozen=True)
class SureKey:
    """The key Magic uses, the analyser's reading, and what was done.

    ``alternative``: the runner-up reading (the check's own when the key was
    checked on the stems, else the analyser's); ``uncertain``: whether that
    reading still stands against the key. Magic hedges its vocal shift over
    :attr:`readings` (:func:`audio_engine.keys.hedged_shift`)."""

    key: Key
    analysed: Key
    alternative: Key | None
    checked: bool  # settled on the stems (the reading was uncertain)
    changed: bool
    note: str
    uncertain: bool = False

    @property
    def readings(self) -> list[Key]:
        """The keys this song may be in, the most likely first: the key, and
        the runner-up when the reading is uncertain and the runner-up is a
        close neighbour (relative, parallel or a fifth: the confusions that
        make a mashup clash)."""
        alt = self.alternative
        if self.uncertain and alt is not None and neighbour_relation(self.key, alt) is not None:
            return [self.key, alt]
        return [self.key]

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key.name, "camelot": self.key.camelot, "confidence": self.key.confidence,
                "analysed": self.analysed.name, "alternative": self.alternative.name if self.alternative else None,
                "checked": self.checked, "changed": self.changed, "note": self.note, "uncertain": self.uncertain,
                "readings": [k.name for k in self.readings]}


def _mono(paths: list[Path]) -> np.ndarray:
    from audio_engine import io

    total: np.ndarray | None = None
    for p in paths:
        a = io.load(p, sample_rate=SR, channels=1).samples[0]
        if total is None:
            total = a.astype(np.float32).copy()
        else:
            n = min(total.size, a.size)
            total = total[:n] + a[:n]
    return total if total is not None else np.zeros(0, dtype=np.float32)


def sure_key(analysis: Any, stems: dict[str, str | Path], *, mix: str | Path, with_vocal: bool,
             cache: JsonCache | None = None) -> SureKey:
    """The key to use for a song (see the module doc). ``stems``: stem name ->
    file; ``mix``: the song's file (its profile is recomputed, cheaply, so
    the decision sees the same numbers the analyser saw)."""
    k = analysis.key
    alt = getattr(analysis, "key_alternative", None)
    if k.confidence <= 0:
        return SureKey(k, k, alt, False, False, "no tonal content")
    if not getattr(analysis, "key_uncertain", False):
        return SureKey(k, k, alt, False, False, f"{k.name}: clear in the mix")
    harmonic = sorted(s for s in stems if s not in NOT_HARMONIC)
    if not harmonic:
        return SureKey(k, k, alt, False, False, f"{k.name}: uncertain, but no harmonic stems to check on", True)
    ck = cache_key("magic-keycheck", KEYCHECK_VERSION, analysis.content_hash, stems=harmonic, vocal=with_vocal,
                   files=[str(stems[s]) for s in harmonic] + ([str(stems[VOCALS])] if with_vocal and VOCALS in stems else []))
    hit = cache.get(ck) if cache is not None else None
    if isinstance(hit, dict):
        return _from_dict(hit, analysis)
    mix_pcp = pitch_class_profile(chroma_features(_mono([Path(mix)])))
    est: KeyEstimate = estimate_key(mix_pcp)
    h_pcp = pitch_class_profile(chroma_features(_mono([Path(stems[s]) for s in harmonic])))
    v_pcp = None
    if with_vocal and VOCALS in stems:
        v_pcp = vocal_profile(chroma_features(_mono([Path(stems[VOCALS])])))
    d = decide_key(est, mix_pcp, h_pcp, vocal_pcp=v_pcp)
    # Still uncertain after the check: a weak margin, or a close-neighbour runner-up.
    still = d.key.confidence < UNSURE_CONFIDENCE or (
        d.alternative is not None and neighbour_relation(d.key, d.alternative) is not None)
    out = SureKey(d.key, k, d.alternative, True, not d.key.same_key(k), d.reason, still)
    if cache is not None:
        extra = {"alt_tonic": d.alternative.tonic, "alt_mode": d.alternative.mode} if d.alternative else {}
        cache.put(ck, out.to_dict() | {"tonic": d.key.tonic, "mode": d.key.mode} | extra)
    return out


def _from_dict(d: dict[str, Any], analysis: Any) -> SureKey:
    key = Key(int(d["tonic"]), d["mode"], float(d["confidence"]))
    alt = Key(int(d["alt_tonic"]), d["alt_mode"]) if d.get("alt_mode") else None
    return SureKey(key, analysis.key, alt, bool(d["checked"]), bool(d["changed"]), str(d["note"]),
                   bool(d.get("uncertain", False)))
