"""The mashup project (timeline) model: plain, Qt-free, JSON-serialisable data.

Times on the timeline are in *beats* of the project tempo (so a tempo change
keeps every clip on its bar); source ranges are in *seconds* of the clip's
media. A clip's media is named by the content hash of the song it came from
(:class:`MediaRef`) plus an optional stem name ("vocals", "drums", ...; None =
the full mix); the media store keeps each file once under its hash.

Stretch: a clip in ``stretch_mode="tempo"`` follows the project tempo from its
``source_bpm`` (ratio = project tempo / source bpm, > 1 = faster, the
pedalboard/Rubber Band convention); ``"fixed"`` uses ``stretch_ratio``.
"""

from __future__ import annotations

import hashlib
import math
import re
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from audio_engine.errors import ProjectFileError

StretchMode = Literal["tempo", "fixed"]
#: A clip's stretch/pitch quality (Rubber Band R2 "fast" or R3 "high", :mod:`audio_engine.transform`);
#: None: the render's own (export and playback default to "fast").
ClipQuality = Literal["high", "fast"]
#: Colours of clips and tracks: ``#rrggbb`` (None: the default, by stem type in the studio).
COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")

MIN_BPM = 20.0
MAX_BPM = 400.0

# Limits no real project reaches; everything loaded is checked against them
# before it is used (a position of 1e9 beats would ask numpy for TiBs).
#: Latest end of any clip or marker on the timeline (3 hours).
MAX_TIMELINE_SECONDS = 3 * 3600.0
#: Longest media a clip can come from (the loader's own cap).
MAX_SOURCE_SECONDS = 24 * 3600.0
MIN_GAIN_DB = -150.0
MAX_GAIN_DB = 24.0
MAX_FADE_SECONDS = 600.0
MAX_TRACKS = 256
MAX_CLIPS = 10_000
MAX_MARKERS = 10_000
MAX_MEDIA = 2_000
MAX_CAPTION_LANES = 256
MAX_TEXT = 1_000
# Mix settings of a track (audio_engine.project.trackmix): bounds checked on load.
MAX_DUCK_DB = 24.0
ATTACK_MS = (1.0, 1000.0)
RELEASE_MS = (10.0, 3000.0)
MAX_DIP_DB = 18.0
PRESENCE_HZ = (500.0, 8000.0)
HIGHPASS_HZ = (20.0, 1000.0)
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
#: Ids that sync as entity ids (the server's project_entities.entity_id check).
ENTITY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def _finite(name: str, v: float) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ProjectFileError(f"{name} must be a finite number, not {v!r}.")
    return float(v)


def _within(what: str, v: float, lo: float, hi: float, unit: str) -> float:
    x = _finite(what, v)
    if not lo <= x <= hi:
        raise ProjectFileError(f"{what} is {x:g} {unit}; it must be between {lo:g} and {hi:g} {unit}.")
    return x


def _short_text(what: str, v: object) -> None:
    if not isinstance(v, str) or len(v) > MAX_TEXT:
        raise ProjectFileError(f"{what} must be text of at most {MAX_TEXT} characters.")


def check_color(what: str, v: object) -> None:
    if v is not None and not (isinstance(v, str) and COLOR.match(v)):
        raise ProjectFileError(f"{what} must be a colour written #rrggbb (or none), not {str(v)[:40]!r}.")


def check_stem_name(what: str, v: object) -> str:
    """Stem names become parts of file and cache names: letters, digits, _ and - only."""
    if not isinstance(v, str) or not 1 <= len(v) <= 32 or not set(v) <= _NAME_CHARS:
        raise ProjectFileError(f"{what}: {v!r} is not a stem name (letters, digits, _ and - only).")
    return v


@dataclass
class MediaRef:
    """One source song in the project. ``hash`` is the content hash of the
    song file; ``stems`` maps stem names to the content hashes of the stem
    files (the separation result). ``bpm`` and ``key`` are the analysis
    (the clip's default source tempo); ``title``/``artist`` are kept for
    attribution in exported tags."""

    hash: str
    name: str
    ext: str = ".flac"
    stems: dict[str, str] = field(default_factory=dict)
    stem_exts: dict[str, str] = field(default_factory=dict)
    bpm: float | None = None
    key: str | None = None
    duration: float = 0.0
    title: str = ""
    artist: str = ""
    separation_model: str = ""
    album: str = ""
    isrc: str = ""
    #: Chromaprint fingerprint (compressed, as AcoustID takes it); "" = unknown.
    fingerprint: str = ""

    def file_hash(self, stem: str | None) -> str:
        if stem is None:
            return self.hash
        if stem not in self.stems:
            raise ProjectFileError(f"Song {self.name!r} has no stem {stem!r} (has: {', '.join(sorted(self.stems)) or 'none'}).")
        return self.stems[stem]

    def file_ext(self, stem: str | None) -> str:
        return self.ext if stem is None else self.stem_exts.get(stem, ".flac")

    def validate(self, key: str) -> None:
        """Names that reach the file system are checked here, on load: a
        ``../`` in a hash, an extension or a stem name never gets further."""
        from audio_engine.project.media import check_ext, check_hash_name

        who = f"Media {self.name!r}" if isinstance(self.name, str) else "Media"
        check_hash_name(self.hash)
        if key != self.hash:
            raise ProjectFileError(f"{who}: listed under {key[:16]!r} but its hash is {self.hash[:16]!r}.")
        check_ext(self.ext)
        if not isinstance(self.stems, dict) or not isinstance(self.stem_exts, dict) or len(self.stems) > 16:
            raise ProjectFileError(f"{who}: stems must be a small map of stem name to content hash.")
        for stem, h in self.stems.items():
            check_stem_name(who, stem)
            check_hash_name(h)
        for stem, e in self.stem_exts.items():
            check_stem_name(who, stem)
            check_ext(e)
        for label, text in (("name", self.name), ("title", self.title), ("artist", self.artist),
                            ("separation model", self.separation_model)):
            _short_text(f"{who} {label}", text)
        if self.key is not None:
            _short_text(f"{who} key", self.key)
        _short_text(f"{who} album", self.album)
        if not isinstance(self.isrc, str) or len(self.isrc) > 20:
            raise ProjectFileError(f"{who}: the ISRC must be text of at most 20 characters.")
        if not isinstance(self.fingerprint, str) or len(self.fingerprint) > 16_000:
            raise ProjectFileError(f"{who}: the fingerprint must be text of at most 16000 characters.")
        _within(f"{who} duration", self.duration, 0.0, MAX_SOURCE_SECONDS, "s")
        if self.bpm is not None:
            _within(f"{who} tempo", self.bpm, MIN_BPM, MAX_BPM, "BPM")


@dataclass
class Clip:
    id: str
    media: str
    stem: str | None = None
    source_in: float = 0.0
    source_out: float = 0.0
    position: float = 0.0  # beats on the timeline
    stretch_mode: StretchMode = "tempo"
    stretch_ratio: float = 1.0  # used when stretch_mode == "fixed"
    source_bpm: float | None = None  # used when stretch_mode == "tempo"
    pitch: float = 0.0  # semitones
    gain_db: float = 0.0
    fade_in: float = 0.0  # seconds on the timeline
    fade_out: float = 0.0
    name: str = ""
    color: str | None = None  # "#rrggbb"; None: the track's, else the stem type's (studio)
    quality: ClipQuality | None = None  # stretch/pitch quality; None: the render's
    #: Played backwards: the source range from its end to its start (format 7);
    #: fades, gain and placement stay in timeline order.
    reversed: bool = False

    def ratio(self, project_tempo: float) -> float:
        """The Rubber Band stretch factor (> 1 faster) this clip plays at."""
        if self.stretch_mode == "tempo" and self.source_bpm:
            return project_tempo / self.source_bpm
        if self.stretch_mode == "tempo":
            return 1.0
        return self.stretch_ratio

    def length_seconds(self, project_tempo: float) -> float:
        """Length on the timeline in seconds."""
        return (self.source_out - self.source_in) / self.ratio(project_tempo)

    def source_at(self, offset_s: float, project_tempo: float) -> float:
        """The source second that plays ``offset_s`` seconds into the clip on
        the timeline (a reversed clip starts at its source end)."""
        d = offset_s * self.ratio(project_tempo)
        return self.source_out - d if self.reversed else self.source_in + d

    def trimmed_range(self, edge: Literal["start", "end"], length: float) -> tuple[float, float]:
        """The source range once the clip's timeline ``edge`` is dragged so it
        plays ``length`` source seconds; the other edge keeps its sound (a
        reversed clip's timeline end plays its source start)."""
        if (edge == "end") != self.reversed:
            return self.source_in, self.source_in + length
        return max(0.0, self.source_out - length), self.source_out

    def label(self) -> str:
        return f"Clip {self.name!r} ({self.id})" if self.name else f"Clip {self.id}"

    def validate(self) -> None:
        if not isinstance(self.id, str) or not 1 <= len(self.id) <= 100:
            raise ProjectFileError(f"Clip id {self.id!r} must be text of 1-100 characters.")
        _short_text(f"Clip {self.id} name", self.name)
        who = self.label()
        for n in ("source_in", "source_out", "position", "stretch_ratio", "pitch", "gain_db", "fade_in", "fade_out"):
            _finite(f"{who} {n}", getattr(self, n))
        if self.stem is not None:
            check_stem_name(who, self.stem)
        _within(f"{who} source end", self.source_out, 0.0, MAX_SOURCE_SECONDS, "s")
        _within(f"{who} gain", self.gain_db, MIN_GAIN_DB, MAX_GAIN_DB, "dB")
        _within(f"{who} fade-in", self.fade_in, 0.0, MAX_FADE_SECONDS, "s")
        _within(f"{who} fade-out", self.fade_out, 0.0, MAX_FADE_SECONDS, "s")
        if self.source_in < 0 or self.source_out <= self.source_in:
            raise ProjectFileError(f"Clip {self.id}: source range {self.source_in}-{self.source_out} s is empty or negative.")
        if self.position < 0:
            raise ProjectFileError(f"Clip {self.id}: position {self.position} beats is before the start.")
        if self.stretch_mode not in ("tempo", "fixed"):
            raise ProjectFileError(f"Clip {self.id}: stretch mode must be 'tempo' or 'fixed', not {self.stretch_mode!r}.")
        if not 0.25 <= self.stretch_ratio <= 4.0:
            raise ProjectFileError(f"Clip {self.id}: stretch ratio {self.stretch_ratio} is outside 0.25-4.")
        if self.source_bpm is not None and not MIN_BPM <= _finite("Clip source_bpm", self.source_bpm) <= MAX_BPM:
            raise ProjectFileError(f"Clip {self.id}: source tempo {self.source_bpm} BPM is outside {MIN_BPM:g}-{MAX_BPM:g}.")
        if abs(self.pitch) > 24:
            raise ProjectFileError(f"Clip {self.id}: pitch shift {self.pitch} is outside +/-24 semitones.")
        if self.fade_in < 0 or self.fade_out < 0:
            raise ProjectFileError(f"Clip {self.id}: fades must be >= 0 s.")
        check_color(f"{who} colour", self.color)
        if self.quality not in (None, "fast", "high"):
            raise ProjectFileError(f"{who}: stretch quality must be 'fast', 'high' or none, not {str(self.quality)[:40]!r}.")
        if not isinstance(self.reversed, bool):
            raise ProjectFileError(f"{who}: reversed must be true or false, not {str(self.reversed)[:40]!r}.")


@dataclass
class Track:
    id: str
    name: str = ""
    gain_db: float = 0.0
    pan: float = 0.0
    mute: bool = False
    solo: bool = False
    clips: list[Clip] = field(default_factory=list)
    color: str | None = None  # "#rrggbb" for its clips without a colour of their own; None: by stem type
    # -- the produced mix (audio_engine.project.trackmix); the defaults are off --
    #: The track whose sound ducks this one and dips its presence band (the
    #: vocal), by id; None, or a track that no longer exists: neither happens.
    duck_source: str | None = None
    duck_db: float = 0.0  # how far this track goes down while the source sounds
    duck_attack_ms: float = 30.0  # the duck is fully down when the source starts
    duck_release_ms: float = 300.0  # ... and back up this long after it stops
    presence_dip_db: float = 0.0  # cut around presence_hz while the source sounds
    presence_hz: float = 2000.0  # centre of the dip (two octaves wide: ~1-4 kHz at 2 kHz)
    highpass_hz: float = 0.0  # 0: off; else a 24 dB/octave high-pass at this frequency

    def validate(self) -> None:
        if not isinstance(self.id, str) or not 1 <= len(self.id) <= 100:
            raise ProjectFileError(f"Track id {self.id!r} must be text of 1-100 characters.")
        _short_text(f"Track {self.id} name", self.name)
        who = f"Track {self.name or self.id}"
        check_color(f"{who} colour", self.color)
        _within(f"{who} gain", self.gain_db, MIN_GAIN_DB, MAX_GAIN_DB, "dB")
        if not -1.0 <= _finite("Track pan", self.pan) <= 1.0:
            raise ProjectFileError(f"{who}: pan must be between -1 and 1.")
        if self.duck_source is not None and (not isinstance(self.duck_source, str)
                                             or not 1 <= len(self.duck_source) <= 100):
            raise ProjectFileError(f"{who}: the ducking source must be a track id (1-100 characters) or none.")
        _within(f"{who} ducking amount", self.duck_db, 0.0, MAX_DUCK_DB, "dB")
        _within(f"{who} ducking attack", self.duck_attack_ms, *ATTACK_MS, "ms")
        _within(f"{who} ducking release", self.duck_release_ms, *RELEASE_MS, "ms")
        _within(f"{who} presence dip", self.presence_dip_db, 0.0, MAX_DIP_DB, "dB")
        _within(f"{who} presence frequency", self.presence_hz, *PRESENCE_HZ, "Hz")
        if _finite(f"{who} high-pass", self.highpass_hz) != 0.0:
            _within(f"{who} high-pass", self.highpass_hz, *HIGHPASS_HZ, "Hz (or 0: off)")


#: The track's mix settings (all optional, off by default): what the Mix panel edits and sync carries.
TRACK_MIX_FIELDS: tuple[str, ...] = ("duck_source", "duck_db", "duck_attack_ms", "duck_release_ms",
                                     "presence_dip_db", "presence_hz", "highpass_hz")


@dataclass
class Marker:
    id: str
    position: float  # beats
    name: str = ""
    color: str | None = None  # "#rrggbb"; None: the theme's marker colour


def line_id(lane_id: str, index: int, attempt: int = 0) -> str:
    """The id a caption line without one gets: derived from its lane and its
    place in it, so every computer that opens the same old project gives its
    lines the same ids (the server's upgrade of synced lanes, migration
    20261130000300_caption_lines.sql, computes the same)."""
    key = f"{lane_id}/{index}" if attempt == 0 else f"{lane_id}/{index}/{attempt}"
    return "ln-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def with_line_ids(lane_id: str, doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` (a CaptionDoc dict) with an ``id`` on every line (segment):
    lines that have one keep it, the others get :func:`line_id`."""
    segs = doc.get("segments")
    if not isinstance(segs, list) or all(isinstance(s, dict) and s.get("id") for s in segs):
        return doc
    taken = {s.get("id") for s in segs if isinstance(s, dict) and s.get("id")}
    out: list[Any] = []
    for i, s in enumerate(segs):
        if isinstance(s, dict) and not s.get("id"):
            attempt = 0
            lid = line_id(lane_id, i)
            while lid in taken:
                attempt += 1
                lid = line_id(lane_id, i, attempt)
            taken.add(lid)
            s = {"id": lid, **s}
        out.append(s)
    return {**doc, "segments": out}


@dataclass
class CaptionLane:
    """Captions that follow a clip: ``doc`` is a CaptionDoc dict in the clip
    media's *source* seconds; the timeline view comes from
    :meth:`Project.timeline_captions` (audio_engine.captions.remap). Each
    line (``doc["segments"][i]``) carries a stable ``id``, unique in the
    project: lines sync and are edited one by one."""

    id: str
    name: str = ""
    clip_id: str | None = None
    doc: dict[str, Any] = field(default_factory=dict)

    def lines(self) -> list[dict[str, Any]]:
        segs = self.doc.get("segments")
        return [s for s in segs if isinstance(s, dict)] if isinstance(segs, list) else []

    def validate(self, line_ids: set[str]) -> None:
        """Lines are dicts with an id that can sync (unique across lanes: ``line_ids`` collects them)."""
        segs = self.doc.get("segments", [])
        if not isinstance(segs, list):
            raise ProjectFileError(f"Caption lane {self.name or self.id}: its lines must be a list.")
        for s in segs:
            lid = s.get("id") if isinstance(s, dict) else None
            if not isinstance(lid, str) or not ENTITY_ID.match(lid):
                raise ProjectFileError(f"Caption lane {self.name or self.id}: a line has no valid id ({lid!r}).")
            if lid in line_ids:
                raise ProjectFileError(f"Caption lane {self.name or self.id}: duplicate line id {lid!r}.")
            line_ids.add(lid)


@dataclass
class Project:
    title: str = "Untitled mashup"
    artist: str = ""
    tempo: float = 120.0
    key: str | None = None
    time_signature: tuple[int, int] = (4, 4)
    sample_rate: int = 44100
    tracks: list[Track] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    caption_lanes: list[CaptionLane] = field(default_factory=list)
    media: dict[str, MediaRef] = field(default_factory=dict)
    id: str = field(default_factory=lambda: new_id("project"))
    notes: list[str] = field(default_factory=list)
    #: Works this one derives from (remixed mashups, loaded packs), nearest
    #: first: audio_engine.credits.Work dicts.
    lineage: list[dict[str, Any]] = field(default_factory=list)

    # -- time -------------------------------------------------------------
    @property
    def beats_per_bar(self) -> int:
        return int(self.time_signature[0])

    def beats_to_seconds(self, beats: float) -> float:
        return beats * 60.0 / self.tempo

    def seconds_to_beats(self, seconds: float) -> float:
        return seconds * self.tempo / 60.0

    def beats_to_samples(self, beats: float, sample_rate: int | None = None) -> int:
        """Sample index of a beat position (rounded once, from the exact product,
        so placement does not drift with the number of clips)."""
        sr = self.sample_rate if sample_rate is None else sample_rate
        return int(round(beats * 60.0 * sr / self.tempo))

    def clip_start_seconds(self, clip: Clip) -> float:
        return self.beats_to_seconds(clip.position)

    def source_to_timeline(self, clip: Clip, t_src: float) -> float:
        """Where source second ``t_src`` of ``clip`` plays on the timeline (s)."""
        into = (clip.source_out - t_src) if clip.reversed else (t_src - clip.source_in)
        return self.clip_start_seconds(clip) + into / clip.ratio(self.tempo)

    def end_seconds(self) -> float:
        return max(
            (self.clip_start_seconds(c) + c.length_seconds(self.tempo) for t in self.tracks for c in t.clips),
            default=0.0,
        )

    # -- lookup -----------------------------------------------------------
    def track(self, track_id: str) -> Track:
        for t in self.tracks:
            if t.id == track_id:
                return t
        raise KeyError(f"No track {track_id!r}")

    def find_clip(self, clip_id: str) -> tuple[Track, int, Clip]:
        for t in self.tracks:
            for i, c in enumerate(t.clips):
                if c.id == clip_id:
                    return t, i, c
        raise KeyError(f"No clip {clip_id!r}")

    def clip(self, clip_id: str) -> Clip:
        return self.find_clip(clip_id)[2]

    def clips(self) -> list[Clip]:
        return [c for t in self.tracks for c in t.clips]

    def audible_tracks(self) -> list[Track]:
        """Tracks that sound: soloed ones if any track is soloed, else every unmuted one."""
        soloed = [t for t in self.tracks if t.solo]
        if soloed:
            return [t for t in soloed if not t.mute]
        return [t for t in self.tracks if not t.mute]

    def timeline_captions(self, lane_id: str) -> Any:
        """The lane's captions moved onto the timeline (a CaptionDoc). A lane
        that follows a reversed clip has no lines there: its words are not
        sung forwards anywhere on the timeline (they come back when the clip
        plays forwards again)."""
        from dataclasses import replace

        from audio_engine.captions.doc import CaptionDoc
        from audio_engine.captions.remap import remap

        lane = next((x for x in self.caption_lanes if x.id == lane_id), None)
        if lane is None:
            raise KeyError(f"No caption lane {lane_id!r}")
        doc = CaptionDoc.from_dict(lane.doc)
        if lane.clip_id is None:
            return doc
        clip = self.clip(lane.clip_id)
        if clip.reversed:
            return replace(doc, segments=[])
        return remap(
            doc,
            source_start=clip.source_in,
            source_end=clip.source_out,
            timeline_start=self.clip_start_seconds(clip),
            stretch_ratio=clip.ratio(self.tempo),
        )

    # -- checks & (de)serialisation -----------------------------------------
    def validate(self) -> None:
        if not MIN_BPM <= _finite("Project tempo", self.tempo) <= MAX_BPM:
            raise ProjectFileError(f"Project tempo {self.tempo} BPM is outside {MIN_BPM:g}-{MAX_BPM:g}.")
        num, den = self.time_signature
        if not (1 <= num <= 32 and den in (1, 2, 4, 8, 16, 32)):
            raise ProjectFileError(f"Time signature {num}/{den} is not supported.")
        if not 8000 <= self.sample_rate <= 192000:
            raise ProjectFileError(f"Project sample rate {self.sample_rate} Hz is outside 8000-192000.")
        _short_text("Project title", self.title)
        _short_text("Project artist", self.artist)
        for what, items, cap in (("tracks", self.tracks, MAX_TRACKS), ("clips", self.clips(), MAX_CLIPS),
                                 ("markers", self.markers, MAX_MARKERS), ("media", self.media, MAX_MEDIA),
                                 ("caption lanes", self.caption_lanes, MAX_CAPTION_LANES)):
            if len(items) > cap:
                raise ProjectFileError(f"The project has {len(items)} {what}; at most {cap} are supported.")
        for key, ref in self.media.items():
            ref.validate(key)
        from audio_engine.credits import check_lineage

        check_lineage(self.lineage)
        max_beats = self.seconds_to_beats(MAX_TIMELINE_SECONDS)
        for m in self.markers:
            _within(f"Marker {m.name or m.id}", m.position, 0.0, max_beats, "beats")
            check_color(f"Marker {m.name or m.id} colour", m.color)
        line_ids: set[str] = set()
        for ln in self.caption_lanes:
            ln.validate(line_ids)
        ids: set[str] = set()
        for t in self.tracks:
            t.validate()
            if t.id in ids:
                raise ProjectFileError(f"Duplicate id {t.id!r}.")
            ids.add(t.id)
            for c in t.clips:
                c.validate()
                if c.id in ids:
                    raise ProjectFileError(f"Duplicate id {c.id!r}.")
                ids.add(c.id)
                if c.media not in self.media:
                    raise ProjectFileError(f"Clip {c.id} refers to media {str(c.media)[:12]} that the project does not list.")
                ref = self.media[c.media]
                ref.file_hash(c.stem)
                _within(f"{c.label()} position", c.position, 0.0, max_beats, "beats")
                end = self.clip_start_seconds(c) + c.length_seconds(self.tempo)
                if end > MAX_TIMELINE_SECONDS:
                    raise ProjectFileError(
                        f"{c.label()} ends {end / 3600:.1f} hours into the timeline; projects are limited to "
                        f"{MAX_TIMELINE_SECONDS / 3600:g} hours."
                    )
                if ref.duration > 0 and c.source_out > ref.duration + 1.0:
                    raise ProjectFileError(
                        f"{c.label()} plays its source up to {c.source_out:.1f} s but {ref.name!r} is only "
                        f"{ref.duration:.1f} s long."
                    )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["time_signature"] = list(self.time_signature)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Project:
        try:
            p = cls(
                title=str(d.get("title", "Untitled mashup")),
                artist=str(d.get("artist", "")),
                tempo=float(d["tempo"]),
                key=d.get("key"),
                time_signature=(int(d.get("time_signature", [4, 4])[0]), int(d.get("time_signature", [4, 4])[1])),
                sample_rate=int(d.get("sample_rate", 44100)),
                tracks=[track_from_dict(t) for t in d.get("tracks", [])],
                markers=[Marker(**m) for m in d.get("markers", [])],
                caption_lanes=[_lane_from_dict(c) for c in d.get("caption_lanes", [])],
                media={k: MediaRef(**v) for k, v in d.get("media", {}).items()},
                id=str(d.get("id") or new_id("project")),
                notes=[str(n) for n in d.get("notes", [])],
                lineage=d.get("lineage", []),
            )
        except ProjectFileError:
            raise
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as e:
            raise ProjectFileError(f"The project data is malformed: {e!s}") from e
        p.validate()
        return p

    def copy(self) -> Project:
        return Project.from_dict(self.to_dict())


def _lane_from_dict(d: dict[str, Any]) -> CaptionLane:
    """A lane as saved; lines saved before they had ids get them here (:func:`with_line_ids`)."""
    lane = CaptionLane(**d)
    if not isinstance(lane.doc, dict):
        raise ProjectFileError(f"Caption lane {lane.id!r}: its captions must be an object.")
    lane.doc = with_line_ids(str(lane.id), lane.doc)
    return lane


def clip_from_dict(d: dict[str, Any]) -> Clip:
    return Clip(**d)


def track_from_dict(d: dict[str, Any]) -> Track:
    d = dict(d)
    clips = [clip_from_dict(c) for c in d.pop("clips", [])]
    return Track(**d, clips=clips)
