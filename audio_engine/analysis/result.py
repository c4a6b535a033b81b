"""The :class:`Analysis` result and its JSON form."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from audio_engine.errors import MashupsError
from audio_engine.keys import Key


class AnalysisRecordError(MashupsError, ValueError):
    """A stored analysis record is malformed."""


@dataclass(frozen=True)
class Analysis:
    """What the analyser found in one track.

    ``bpm`` is the tempo of the fitted constant-tempo grid (hundredths of a
    BPM; 0.0 when no steady pulse was found); ``bpm_alternative`` the
    half/double reading; ``beats`` the fitted grid (seconds), ``downbeats``
    the bar starts (a subset of ``beats``; bar 1 need not be at 0 s). ``key``
    has ``confidence`` 0.0 when the audio has no tonal content. ``lufs`` is
    integrated loudness (-70.0 for silence) and ``true_peak_db`` dBTP.
    ``content_hash`` is :func:`audio_engine.io.audio_hash` for
    :func:`analyze`, :func:`audio_engine.io.file_hash` for ``analyze_file``.
    """

    path: str | None
    content_hash: str
    analyzer_version: str
    duration: float
    sample_rate: int
    bpm: float
    bpm_alternative: float
    bpm_confidence: float
    beats: list[float] = field(default_factory=list)
    downbeats: list[float] = field(default_factory=list)
    beats_per_bar: int = 4
    key: Key = field(default_factory=lambda: Key(0, "major", 0.0))
    lufs: float = -70.0
    true_peak_db: float = -120.0
    #: The runner-up key (its ``confidence``: how strong a rival it is).
    key_alternative: Key | None = None
    #: Low confidence, or the runner-up is a relative/parallel/fifth neighbour:
    #: Magic settles such keys on the separated harmonic stems.
    key_uncertain: bool = False
    #: The fitted beat grid (seconds per beat, first beat's time; 0 when
    #: unknown, e.g. a record cached before it was kept).
    beat_period: float = 0.0
    beat_phase: float = 0.0

    @property
    def camelot(self) -> str:
        return self.key.camelot

    def with_path(self, path: str | None) -> Analysis:
        return replace(self, path=path)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe, flat: ``key`` is the name ("A minor") with ``camelot``,
        ``key_tonic``, ``key_mode`` and ``key_confidence`` beside it."""
        return {
            "path": self.path,
            "content_hash": self.content_hash,
            "analyzer_version": self.analyzer_version,
            "duration": round(self.duration, 4),
            "sample_rate": self.sample_rate,
            "bpm": self.bpm,
            "bpm_alternative": self.bpm_alternative,
            "bpm_confidence": self.bpm_confidence,
            "beats_per_bar": self.beats_per_bar,
            "key": self.key.name,
            "camelot": self.key.camelot,
            "key_tonic": self.key.tonic,
            "key_mode": self.key.mode,
            "key_confidence": self.key.confidence,
            "key_alternative": self.key_alternative.name if self.key_alternative else None,
            "key_alternative_camelot": self.key_alternative.camelot if self.key_alternative else None,
            "key_alternative_confidence": self.key_alternative.confidence if self.key_alternative else None,
            "key_uncertain": self.key_uncertain,
            "lufs": round(self.lufs, 2),
            "true_peak_db": round(self.true_peak_db, 2),
            "beats": list(self.beats),
            "downbeats": list(self.downbeats),
            "beat_period": self.beat_period,
            "beat_phase": self.beat_phase,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Analysis:
        try:
            mode = d["key_mode"]
            if mode not in ("major", "minor"):
                raise ValueError(f"bad key mode {mode!r}")
            key = Key(int(d["key_tonic"]), mode, float(d["key_confidence"]))
            alt = None
            if d.get("key_alternative"):
                from audio_engine.keys import parse_key

                name = parse_key(str(d["key_alternative"]))
                alt = Key(name.tonic, name.mode, float(d.get("key_alternative_confidence") or 0.0))
            return cls(
                path=d.get("path"),
                content_hash=str(d["content_hash"]),
                analyzer_version=str(d["analyzer_version"]),
                duration=float(d["duration"]),
                sample_rate=int(d["sample_rate"]),
                bpm=float(d["bpm"]),
                bpm_alternative=float(d["bpm_alternative"]),
                bpm_confidence=float(d["bpm_confidence"]),
                beats=[float(t) for t in d["beats"]],
                downbeats=[float(t) for t in d["downbeats"]],
                beats_per_bar=int(d["beats_per_bar"]),
                key=key,
                lufs=float(d["lufs"]),
                true_peak_db=float(d["true_peak_db"]),
                key_alternative=alt,
                key_uncertain=bool(d.get("key_uncertain", False)),
                beat_period=float(d.get("beat_period") or 0.0),
                beat_phase=float(d.get("beat_phase") or 0.0),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise AnalysisRecordError(f"Not a valid analysis record ({e}).") from e
