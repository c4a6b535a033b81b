"""Magic mashup: song A's vocals on song B's instrumental, beat- and
key-matched, as an editable project plus a render.

Steps: analyse both songs (cached), separate both (cached; htdemucs when
installed, else the classical fallback, said in the result), refit each beat
grid and move its phase onto the drum stem's attacks, choose the tempo (B's,
A in half/double time when closer; both meet in the middle beyond 8%; refuse
beyond ``max_stretch``), shift A by the smallest amount that makes the keys
Camelot-compatible, find A's vocal phrases (bars where the vocal stem becomes
active, or lyric lines when captions are given), and arrange: B's
instrumental from its first bar, A's vocals entering on a 4-bar phrase
boundary of B, B's outro fading out after the vocals end.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from audio_engine.analysis.structure import STRUCTURE_VERSION, Structure, find_structure
from audio_engine.app.edit import set_track_mix
from audio_engine.app.songs import track_with_clip
from audio_engine.audio import Audio
from audio_engine.cache import FileCache, JsonCache, cache_key
from audio_engine.errors import MashupsError
from audio_engine.keys import Key, describe_relation, transpose
from audio_engine.magic.arrange import arrangements
from audio_engine.magic.features import (
    DOWNBEAT_CHECK_VERSION,
    FEATURE_RATE,
    FEATURE_VERSION,
    Grid,
    SongFeatures,
    active_bars,
    check_downbeat,
    onset_envelope,
    refine_phase,
    song_features,
)
from audio_engine.magic.keycheck import sure_key
from audio_engine.magic.plan import DEFAULT_MAX_STRETCH, analysis_grid, check_pair, refusal, track_name
from audio_engine.magic.score import Mashability, mashability, plan_tempo
from audio_engine.progress import CancelToken, ProgressCallback, ProgressReporter, check
from audio_engine.project.commands import AddMarker, AddMedia, CommandStack, SetCaptions
from audio_engine.project.media import MediaStore, add_song
from audio_engine.project.model import Project, new_id
from audio_engine.project.render import RenderResult, render_project

MAGIC_VERSION = "1"
VOCALS = "vocals"


def default_model(model_dir: Path | None = None) -> str:
    """htdemucs when its weights are installed in ``model_dir``, else the
    classical fallback (also when no models folder is given)."""
    if model_dir is None:
        return "classical"
    try:
        from audio_engine.models.demucs_registry import is_installed

        if is_installed("htdemucs", model_dir=model_dir):
            return "htdemucs"
    except Exception:  # a broken model folder must not stop the fallback
        pass
    return "classical"


@dataclass
class Caches:
    """Where Magic keeps what it computes (all content-keyed)."""

    analysis: JsonCache
    features: JsonCache
    stems: FileCache
    renders: FileCache
    media: MediaStore

    @classmethod
    def under(cls, root: Path) -> Caches:
        """All of Magic's caches in one folder (tests, benchmarks); the studio
        and the CLI use :meth:`AppContext.magic_caches` instead."""
        cache = Path(root)
        media = cache / "media"
        return cls(
            analysis=JsonCache(cache / "analysis.sqlite3"),
            features=JsonCache(cache / "magic.sqlite3"),
            stems=FileCache(cache / "stems"),
            renders=FileCache(cache / "renders"),
            media=MediaStore(media),
        )


@dataclass
class PreparedSong:
    path: Path
    analysis: Any
    grid: Grid
    stems: Any  # StemSet
    title: str
    notes: list[str] = field(default_factory=list)

    @property
    def instrumental_stems(self) -> list[str]:
        return [s for s in self.stems.stems if s != VOCALS]


def _load_mono(paths: list[Path]) -> Audio:
    from audio_engine import io

    total: np.ndarray | None = None
    for p in paths:
        a = io.load(p, sample_rate=FEATURE_RATE, channels=1).samples
        if total is None:
            total = a.copy()
        else:
            n = min(total.shape[1], a.shape[1])
            total = total[:, :n] + a[:, :n]
    assert total is not None
    return Audio(total, FEATURE_RATE)


def prepare_song(
    path: str | os.PathLike[str],
    *,
    caches: Caches,
    model: str,
    model_dir: Path | None = None,
    in_worker: bool = True,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> PreparedSong:
    """Analyse (cached), separate (cached) and fit the refined beat grid."""
    from audio_engine.analysis import analyze_file
    from audio_engine.separation import separate

    p = Path(path)
    rep = ProgressReporter(progress, stage="analysing")
    sep_rep = rep.sub(0.2, 0.7, stage="separating")
    a = analyze_file(p, cache=caches.analysis, cancel=cancel)
    rep(0.2, force=True)
    check(cancel)
    stems = separate(p, model=model, model_dir=model_dir, cache=caches.stems, in_worker=in_worker,
                     progress=(lambda pr: sep_rep(pr.fraction)) if progress else None,
                     cancel=cancel)
    check(cancel)
    grid = analysis_grid(a)  # the grid the studio's preview plans with (audio_engine.magic.plan)
    src = stems.stems.get("drums")
    key = cache_key("magic-phase", FEATURE_VERSION, a.content_hash, grid=grid.to_dict(), src="drums" if src else "mix",
                    stems=stems.key, downbeat_check=DOWNBEAT_CHECK_VERSION)
    hit = caches.features.get(key)
    notes: list[str] = []
    if hit is not None:
        grid = Grid(**hit["grid"])
        notes = list(hit["notes"])
    else:
        audio = _load_mono([Path(src)]) if src else _load_mono([p])
        env, fr = onset_envelope(audio)
        grid = refine_phase(grid, env, fr)
        harmonic = [Path(f) for s, f in sorted(stems.stems.items()) if s not in ("drums", VOCALS)]
        # Only a learned separator's stems are clean enough to overrule the
        # analysis (the classical fallback's "drums" hold every instrument's attacks).
        if src and harmonic and stems.model != "classical":
            grid, note = check_downbeat(grid, audio, _load_mono(harmonic))
            notes = [note] if note else []
        caches.features.put(key, {"grid": grid.to_dict(), "notes": notes})
    rep(1.0, force=True)
    from audio_engine.library import read_tags

    return PreparedSong(p, a, grid, stems, read_tags(p)[0], notes)


def _features(song: PreparedSong, stems: list[str], caches: Caches, k: Key) -> tuple[SongFeatures, float]:
    """Features of the sum of ``stems`` (in key ``k``) and its integrated loudness (cached)."""
    from audio_engine.loudness import integrated_lufs

    key = cache_key("magic-features", FEATURE_VERSION, song.analysis.content_hash, stems=sorted(stems),
                    grid=song.grid.to_dict(), stemset=song.stems.key, key=[k.tonic, k.mode, k.confidence])
    hit = caches.features.get(key)
    if hit is not None:
        return SongFeatures.from_dict(hit["features"]), float(hit["lufs"])
    audio = _load_mono([Path(song.stems.stems[s]) for s in stems])
    f = song_features(audio, song.grid, key_tonic=k.tonic, key_mode=k.mode, key_confidence=k.confidence)
    lufs = integrated_lufs(audio)
    caches.features.put(key, {"features": f.to_dict(), "lufs": lufs})
    return f, lufs


def _structure(song: PreparedSong, caches: Caches) -> Structure:
    """Sections of ``song`` on its (refined) bar grid, from its mix (cached)."""
    key = cache_key("magic-structure", STRUCTURE_VERSION, song.analysis.content_hash, grid=song.grid.to_dict())
    hit = caches.features.get(key)
    if isinstance(hit, dict):
        return Structure.from_dict(hit)
    from audio_engine.analysis.features import SR

    edges = [song.grid.bar_time(i) for i in range(song.grid.n_bars() + 1)]
    y = _load_mono([song.path]).resample(SR).samples[0]
    st = find_structure(y, edges)
    caches.features.put(key, st.to_dict())
    return st


def memo_file_hash(caches: Caches) -> Any:
    """A file hasher memoised by (path, size, mtime): stems and songs are
    hashed once, not on every Magic run."""
    from audio_engine.io import file_hash

    def h(path: Path) -> str:
        st = path.stat()
        key = f"filehash:{path.resolve()}:{st.st_size}:{st.st_mtime_ns}"
        hit = caches.features.get(key)
        if isinstance(hit, str):
            return hit
        value = file_hash(path)
        caches.features.put(key, value)
        return value

    return h


def vocal_phrase_starts(levels_db: np.ndarray, *, min_gap_bars: int = 1) -> list[int]:
    """Bars where the vocal becomes active after at least ``min_gap_bars`` quiet bars."""
    act = active_bars(levels_db)
    starts = []
    quiet = min_gap_bars
    for i, on in enumerate(act):
        if on and quiet >= min_gap_bars:
            starts.append(i)
        quiet = 0 if on else quiet + 1
    return starts


def caption_phrase_starts(doc: Any, grid: Grid) -> list[int]:
    """Bars holding the start of each lyric line (a line starting in the last
    beat of a bar is a pickup into the next bar)."""
    out: list[int] = []
    bar_s = grid.period * grid.beats_per_bar
    for seg in doc.segments:
        t = seg.start
        bar = grid.bar_of(t)
        if t - grid.bar_time(bar) > bar_s - grid.period:
            bar += 1
        if bar >= 0 and (not out or out[-1] != bar):
            out.append(bar)
    return out


@dataclass
class MagicResult:
    project: Project
    render: RenderResult | None
    project_path: Path | None
    target_bpm: float
    target_key: str
    target_camelot: str
    key_a: str
    key_b: str
    shift_a: int
    shift_b: int
    relation: str
    ratio_a: float
    ratio_b: float
    tempo_multiple_a: float
    vocal_entry_bar: int  # 1-based bar on the timeline where A's first phrase starts
    vocal_source_bar: int  # 0-based bar of A where that phrase starts
    phrase_source: str  # "vocal activity" or "lyrics"
    score: Mashability
    separation_model: str
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    vocal_clip_id: str = ""
    instrumental_clip_ids: list[str] = field(default_factory=list)
    relation_text: str = ""  # e.g. "D minor (7A) over A minor (8A): a fifth apart ..."
    key_checks: dict[str, Any] = field(default_factory=dict)  # "a"/"b" -> SureKey.to_dict()
    arrangement: dict[str, Any] = field(default_factory=dict)  # the chosen Arrangement
    arrangements: list[dict[str, Any]] = field(default_factory=list)  # all offered, best first
    sections: dict[str, Any] = field(default_factory=dict)  # "a"/"b" -> sections of each song
    #: The vocal shift over the keys' readings: relation, hedged, relations under each reading pair.
    key_plan: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "target_bpm": round(self.target_bpm, 3),
            "target_key": self.target_key,
            "target_camelot": self.target_camelot,
            "key_a": self.key_a,
            "key_b": self.key_b,
            "shift_semitones": {"a": self.shift_a, "b": self.shift_b},
            "stretch_ratio": {"a": round(self.ratio_a, 5), "b": round(self.ratio_b, 5)},
            "tempo_multiple_a": self.tempo_multiple_a,
            "camelot_relation": self.relation,
            "camelot_relation_text": self.relation_text,
            "key_check": self.key_checks,
            "key_plan": self.key_plan,
            "arrangement": self.arrangement,
            "arrangements": self.arrangements,
            "sections": self.sections,
            "vocal_entry_bar": self.vocal_entry_bar,
            "vocal_source_bar": self.vocal_source_bar,
            "phrase_source": self.phrase_source,
            "score": self.score.to_dict(),
            "separation_model": self.separation_model,
            "notes": self.notes,
            "seconds": round(self.seconds, 2),
            "project": str(self.project_path) if self.project_path else None,
        }
        if self.render is not None:
            d["output"] = str(self.render.path) if self.render.path else None
            d["duration_s"] = round(self.render.duration, 3)
            if self.render.master is not None:
                d["lufs"] = round(self.render.master.output_lufs, 2)
                d["true_peak_db"] = round(self.render.master.true_peak_db, 2)
        return d


#: Magic's mix, per instrumental stem: (ducking dB, presence dip dB) while the vocal sings.
MIX_BY_STEM = {"drums": (2.0, 2.0), "bass": (2.0, 0.0)}
MIX_OTHER = (3.0, 3.0)
VOCAL_HIGHPASS_HZ = 100.0


def magic_mix(vocal_track: str, inst_tracks: list[tuple[str, str]]) -> dict[str, dict[str, object]]:
    """The track settings of a produced Magic mix: the vocal high-passed at
    100 Hz (no rumble or bleed under it); each instrumental stem ducked under
    the vocal (2-3 dB, 30 ms look-ahead, 300 ms release) and, except the bass,
    dipped around 2 kHz where the voice carries its words. Every value is an
    ordinary track setting the person can change in the Mix panel."""
    out: dict[str, dict[str, object]] = {vocal_track: {"highpass_hz": VOCAL_HIGHPASS_HZ}}
    for stem, tid in inst_tracks:
        duck, dip = MIX_BY_STEM.get(stem, MIX_OTHER)
        out[tid] = {"duck_source": vocal_track, "duck_db": duck, "presence_dip_db": dip}
    return out


def magic_mashup(
    song_a: str | os.PathLike[str],
    song_b: str | os.PathLike[str],
    *,
    out: str | os.PathLike[str] | None = None,
    project_path: str | os.PathLike[str] | None = None,
    model: str | None = None,
    model_dir: Path | None = None,
    caches: Caches,
    captions_a: Any = None,
    max_stretch: float = DEFAULT_MAX_STRETCH,
    max_shift: int = 6,
    intro_bars: int = 4,
    outro_bars: int = 2,
    render: bool = True,
    quality: str = "fast",
    target_lufs: float = -14.0,
    in_worker: bool = True,
    title: str | None = None,
    title_a: str | None = None,
    title_b: str | None = None,
    arrangement: str | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> MagicResult:
    """Make a mashup of A's vocals over B's instrumental (see the module doc).

    ``captions_a``: a CaptionDoc of A (source seconds) used for phrase starts
    and added as a caption lane that follows the vocal clip. Raises
    :class:`StretchLimitError` when the tempos cannot meet within
    ``max_stretch`` (0.2 = 20%), before anything is separated.
    ``title_a``/``title_b`` name the tracks ("Title — vocals"; default: the
    files' title tags, else their names). ``arrangement``: the name of one
    of :func:`audio_engine.magic.arrange.arrangements` ("strongest section",
    "from the top", "natural voice", "another section"); default: the best
    fitting one. The alternatives are in the result (``arrangements``)."""
    t0 = time.perf_counter()
    from audio_engine.analysis import analyze_file

    # Refuse before any work: the plan from the (cached) analyses is the one used below.
    check_pair(analyze_file(song_a, cache=caches.analysis, cancel=cancel),
               analyze_file(song_b, cache=caches.analysis, cancel=cancel),
               max_stretch=max_stretch, name_a=Path(song_a).name, name_b=Path(song_b).name)
    mdl = model or default_model(model_dir)
    notes: list[str] = []
    if mdl == "classical":
        notes.append("stems from the classical (HPSS/REPET) fallback: htdemucs is not installed")
    rep = ProgressReporter(progress, stage="preparing")
    rep_a, rep_b, rep_r = rep.sub(0.0, 0.3, stage="song A"), rep.sub(0.3, 0.3, stage="song B"), rep.sub(0.7, 0.3, stage="rendering")
    a = prepare_song(song_a, caches=caches, model=mdl, model_dir=model_dir, in_worker=in_worker,
                     progress=(lambda p: rep_a(p.fraction)) if progress else None, cancel=cancel)
    b = prepare_song(song_b, caches=caches, model=mdl, model_dir=model_dir, in_worker=in_worker,
                     progress=(lambda p: rep_b(p.fraction)) if progress else None, cancel=cancel)
    a.title, b.title = title_a or a.title, title_b or b.title
    if VOCALS not in a.stems.stems:
        raise MashupsError(f"The separation of {a.path.name} has no vocal stem.")
    rep(0.62, stage="planning", force=True)
    check(cancel)
    if a.analysis.bpm <= 0 or b.analysis.bpm <= 0:
        raise MashupsError("One of the songs has no steady beat; Magic mashup needs two songs with a beat.")
    tp = plan_tempo(a.grid.bpm, b.grid.bpm, max_stretch=max_stretch)
    err = refusal(tp, name_a=a.path.name, name_b=b.path.name, bpm_a=a.grid.bpm, bpm_b=b.grid.bpm)
    if err is not None:
        raise err
    if tp.note:
        notes.append(tp.note)
    for song in (a, b):
        notes.extend(f"{song.path.name}: {n}" for n in song.notes)
    # The vocal votes on its own key only from a learned separator: the
    # classical fallback's "vocals" (REPET-SIM residual) also hold every
    # non-repeating instrument line, so they do not speak for the singer.
    sure_a = sure_key(a.analysis, a.stems.stems, mix=a.path, with_vocal=a.stems.model != "classical",
                      cache=caches.features)
    sure_b = sure_key(b.analysis, b.stems.stems, mix=b.path, with_vocal=False, cache=caches.features)
    for name, sk in ((a.path.name, sure_a), (b.path.name, sure_b)):
        if sk.checked:
            notes.append(f"{name}: {sk.note}")
    key_a, key_b = sure_a.key, sure_b.key
    fa, lufs_voc = _features(a, [VOCALS], caches, key_a)
    fb, lufs_inst = _features(b, b.instrumental_stems, caches, key_b)
    # Hedge the vocal shift over the other reading of an uncertain key (the
    # close-neighbour runner-up): safe whichever reading is right, when such a shift exists.
    alts_a, alts_b = sure_a.readings[1:], sure_b.readings[1:]
    score = mashability(fa, fb, max_stretch=max_stretch, max_shift=max_shift, alternatives_a=alts_a,
                        alternatives_b=alts_b)
    shift_a, relation = score.shift_a, score.relation
    key_plan = _key_plan_report(sure_a.readings, sure_b.readings, shift_a, relation, score.hedged)
    if key_a.confidence <= 0 or key_b.confidence <= 0:
        notes.append("no clear key in one song: no pitch shift")
    elif alts_a or alts_b:
        notes.append(key_plan["text"])
    # -- vocal phrases ------------------------------------------------------
    levels = np.asarray(fa.bar_rms_db)
    phrase_source = "vocal activity"
    starts: list[int] = []
    if captions_a is not None and getattr(captions_a, "segments", None):
        starts = caption_phrase_starts(captions_a, a.grid)
        phrase_source = "lyrics"
    if not starts:
        starts = vocal_phrase_starts(levels)
        phrase_source = "vocal activity"
    if not starts:
        raise MashupsError(f"No vocals were found in {a.path.name}; pick a song with singing as song A.")
    act = active_bars(levels)
    last_voc_bar = int(np.nonzero(act)[0][-1]) if act.any() else starts[0]
    # -- arrangement (all in project beats) ---------------------------------
    tempo = tp.target_bpm
    bpb = b.grid.beats_per_bar
    bar_s = bpb * 60.0 / tempo
    if b.grid.n_bars() < 4:
        raise MashupsError(f"{b.path.name} is too short for a mashup ({b.grid.n_bars()} bars).")
    # Vocals enter on a phrase boundary of B: 4 bars in (2 or 1 for very short songs).
    intro_default = intro_bars if b.grid.n_bars() >= 4 * intro_bars else (2 if b.grid.n_bars() >= 8 else 1)
    a_struct, b_struct = _structure(a, caches), _structure(b, caches)
    options = arrangements(a_structure=a_struct, b_structure=b_struct, vocal_levels=levels, phrase_starts=starts,
                           shift_a=shift_a, intro_bars=intro_default, n_bars_b=b.grid.n_bars())
    if arrangement is None:
        arr = options[0]
    else:
        named = [o for o in options if o.name == arrangement]
        if not named:
            raise MashupsError(f"No arrangement {arrangement!r} for this pair; there are: "
                               + ", ".join(o.name for o in options) + ".")
        arr = named[0]
    src_bar, shift_a, shift_b = arr.src_bar, arr.shift_a, arr.shift_b
    b_in = b.grid.bar_time(arr.b_start_bar)
    b_bars = b.grid.n_bars() - arr.b_start_bar
    b_len_tl = (b.grid.bar_time(b.grid.n_bars()) - b_in) / tp.ratio_b
    entry_bar = arr.intro_bars  # 0-based timeline bar where the first phrase lands (phrase boundary of B)
    a_bar_beats = a.grid.beats_per_bar * tp.multiple  # project beats per bar of A
    pickup = 1 if src_bar >= 1 else 0
    a_in = a.grid.bar_time(src_bar - pickup)
    pos_a_beats = entry_bar * bpb - pickup * a_bar_beats
    if pos_a_beats < 0:
        pickup, a_in, pos_a_beats = 0, a.grid.bar_time(src_bar), float(entry_bar * bpb)
    a_in = max(0.0, a_in)
    a_out = min(a.analysis.duration, a.grid.bar_time(max(last_voc_bar, src_bar) + 1))
    pos_a_s = pos_a_beats * 60.0 / tempo
    latest_end = b_len_tl - outro_bars * bar_s
    if pos_a_s + (a_out - a_in) / tp.ratio_a > latest_end:
        a_bar_s = a.grid.period * a.grid.beats_per_bar
        room = (latest_end - pos_a_s) * tp.ratio_a
        a_out = a_in + max(a_bar_s, math.floor(room / a_bar_s + 1e-9) * a_bar_s)
        notes.append("A's vocals were cut to fit B's length")
    a_end_tl = pos_a_s + (a_out - a_in) / tp.ratio_a
    end_bar = min(b_bars, int(math.ceil(a_end_tl / bar_s - 1e-6)) + outro_bars)
    b_out = min(b.analysis.duration, b_in + end_bar * bar_s * tp.ratio_b)
    vocal_gain = float(np.clip(lufs_inst - lufs_voc, -12.0, 12.0)) if lufs_voc > -69 and lufs_inst > -69 else 0.0
    # -- build the project with commands (the same path the UI takes) ---------
    project = Project(title=title or f"{a.title} x {b.title}", artist="Mashups Studio", tempo=tempo,
                      key=key_b.name if key_b.confidence > 0 else None, time_signature=(bpb, 4))
    stack = CommandStack(project)
    store = MediaStore(Path(project_path) / "media") if project_path else caches.media
    hasher = memo_file_hash(caches)
    ref_a = add_song(store, a.path, stems={VOCALS: Path(a.stems.stems[VOCALS])}, bpm=a.grid.bpm, key=key_a.name,
                     separation_model=a.stems.model, hasher=hasher)
    ref_b = add_song(store, b.path, stems={s: Path(b.stems.stems[s]) for s in b.instrumental_stems},
                     bpm=b.grid.bpm, key=key_b.name, separation_model=b.stems.model, hasher=hasher)
    stack.push(AddMedia(media=ref_a.__dict__.copy()))
    stack.push(AddMedia(media=ref_b.__dict__.copy()))
    # tracks and clips through the application layer's one songs-to-commands path
    cmds, vocal_track, vocal_clip = track_with_clip(name=track_name(a.title, VOCALS), clip={
        "media": ref_a.hash, "stem": VOCALS, "source_in": a_in, "source_out": a_out,
        "position": pos_a_beats, "stretch_mode": "tempo", "source_bpm": a.grid.bpm * tp.multiple,
        "pitch": float(shift_a), "gain_db": vocal_gain, "fade_in": 0.005, "fade_out": 0.05})
    for c in cmds:
        stack.push(c)
    inst_ids = []
    inst_tracks: list[tuple[str, str]] = []
    for s in b.instrumental_stems:
        cmds, tid, cid = track_with_clip(name=track_name(b.title, s), clip={
            "media": ref_b.hash, "stem": s, "source_in": b_in, "source_out": b_out, "position": 0.0,
            "stretch_mode": "tempo", "source_bpm": b.grid.bpm, "pitch": float(shift_b), "gain_db": 0.0,
            "fade_in": 0.005, "fade_out": min(outro_bars * bar_s, (b_out - b_in) / tp.ratio_b / 2)})
        for c in cmds:
            stack.push(c)
        inst_ids.append(cid)
        inst_tracks.append((s, tid))
    # A produced mix as editable track settings (audio_engine.project.trackmix).
    for tid, values in magic_mix(vocal_track, inst_tracks).items():
        mix_cmd = set_track_mix(project, tid, **values)
        if mix_cmd is not None:
            stack.push(mix_cmd)
    stack.push(AddMarker(marker_id=new_id("marker"), position=0.0, name="Intro"))
    stack.push(AddMarker(marker_id=new_id("marker"), position=float(entry_bar * bpb), name="Vocals in"))
    stack.push(AddMarker(marker_id=new_id("marker"), position=float(max(0, end_bar - outro_bars) * bpb), name="Outro"))
    # B's sections, where they fall on the timeline (the instrumental plays from its bar arr.b_start_bar).
    for sec in b_struct.sections:
        at = sec.start_bar - arr.b_start_bar
        if 0 < at < end_bar:
            stack.push(AddMarker(marker_id=new_id("marker"), position=float(at * bpb),
                                 name=f"{sec.name.capitalize()} {sec.label}"))
    if captions_a is not None:
        stack.push(SetCaptions(lane_id=new_id("captions"), doc=captions_a.to_dict(), clip_id=vocal_clip,
                               name=f"{a.title} lyrics"))
    project.notes = list(notes)
    check(cancel)
    out_path: Path | None = None
    if project_path:
        from audio_engine.project.fileformat import save_project

        out_path = save_project(project, project_path, media_sources=[store])
    rendered = None
    if render:
        rendered = render_project(
            project, media=[store], out=out, quality="high" if quality == "high" else "fast",
            cache=caches.renders, target_lufs=target_lufs,
            progress=(lambda p: rep_r(p.fraction)) if progress else None,
            cancel=cancel,
        )
    rep(1.0, stage="done", force=True)
    return MagicResult(
        project=project, render=rendered, project_path=out_path, target_bpm=tempo,
        target_key=key_b.name, target_camelot=key_b.camelot, key_a=key_a.name, key_b=key_b.name,
        shift_a=shift_a, shift_b=shift_b, relation=relation, ratio_a=tp.ratio_a, ratio_b=tp.ratio_b,
        tempo_multiple_a=tp.multiple, vocal_entry_bar=entry_bar + 1, vocal_source_bar=src_bar,
        phrase_source=phrase_source, score=score, separation_model=mdl, notes=notes,
        seconds=time.perf_counter() - t0, vocal_clip_id=vocal_clip, instrumental_clip_ids=inst_ids,
        relation_text=describe_relation(transpose(key_b, shift_b), transpose(key_a, shift_a)),
        arrangement=arr.to_dict(), arrangements=[o.to_dict() for o in options],
        sections={"a": a_struct.to_dict()["sections"], "b": b_struct.to_dict()["sections"]},
        key_checks={"a": sure_a.to_dict(), "b": sure_b.to_dict()}, key_plan=key_plan,
    )


def _key_plan_report(readings_a: list[Key], readings_b: list[Key], shift_a: int, relation: str,
                     hedged: bool) -> dict[str, Any]:
    """How the vocal shift was chosen: the readings of both keys, the
    relation under each pair of readings after the shift, and whether it was
    hedged (layers well whichever reading is right)."""
    from audio_engine.keys import camelot_relation

    under = {f"{v.name} over {i.name}": camelot_relation(i, transpose(v, shift_a))
             for i in readings_b for v in readings_a}
    alts = len(readings_a) + len(readings_b) > 2
    if hedged:
        text = (f"key plan hedged: the vocal shift of {shift_a:+d} layers well whichever reading is right "
                f"(A: {' or '.join(k.name for k in readings_a)}; B: {' or '.join(k.name for k in readings_b)})")
    elif alts:
        text = (f"key plan not hedged: no vocal shift layers well under every reading "
                f"(A: {' or '.join(k.name for k in readings_a)}; B: {' or '.join(k.name for k in readings_b)}); "
                f"planned on the most likely keys")
    else:
        text = "key plan on sure keys"
    return {"shift_a": shift_a, "relation": relation, "hedged": hedged, "readings_a": [k.name for k in readings_a],
            "readings_b": [k.name for k in readings_b], "relations": under, "text": text}
