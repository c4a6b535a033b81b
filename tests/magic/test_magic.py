from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from audio_engine import io
from audio_engine.captions.doc import CaptionDoc, Segment
from audio_engine.errors import StretchLimitError
from audio_engine.keys import COMPATIBLE, camelot_relation, hedged_shift, parse_key, transpose
from audio_engine.loudness import integrated_lufs, true_peak_db
from audio_engine.magic import Caches, magic_mashup
from audio_engine.progress import Progress
from audio_engine.project import load_project
from audio_engine.project.media import MediaStore
from audio_engine.project.render import render_project

# (vocals from, instrumental from): corpus songs 5.8% apart in tempo, keys
# three Camelot steps apart (a shift is needed); both directions, so the two
# songs are analysed and separated once.
PAIRS = [(1, 2), (2, 1)]


def _lyrics(song: Any) -> CaptionDoc:
    return CaptionDoc([Segment(float(x["start"]), float(x["end"]), str(x["text"])) for x in song.truth["lyrics"]])


@pytest.fixture(scope="module")
def results(songs: list[Any], magic_caches: Caches, tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[int, int], Any]:
    out = {}
    for ia, ib in PAIRS:
        d = tmp_path_factory.mktemp(f"magic{ia}{ib}")
        seen: list[Progress] = []
        r = magic_mashup(songs[ia].mix, songs[ib].mix, out=d / "mix.wav", project_path=d / "mix.mashup",
                         model="classical", caches=magic_caches, captions_a=_lyrics(songs[ia]), progress=seen.append)
        out[(ia, ib)] = (r, seen, d)
    return out


@pytest.mark.parametrize("pair", PAIRS)
def test_vocal_beats_land_on_instrumental_beats(songs: list[Any], results: dict[Any, Any], pair: tuple[int, int]) -> None:
    r, _, _ = results[pair]
    a, b = songs[pair[0]], songs[pair[1]]
    p = r.project
    voc = p.clip(r.vocal_clip_id)
    inst = p.clip(r.instrumental_clip_ids[0])
    tb = np.array([p.source_to_timeline(inst, t) for t in b.truth["beats"] if inst.source_in <= t < inst.source_out])
    ta = [p.source_to_timeline(voc, t) for t in a.truth["beats"] if voc.source_in <= t < voc.source_out]
    assert len(ta) >= 16
    err = np.array([np.min(np.abs(tb - x)) for x in ta])
    assert float(np.median(err)) <= 0.010, err
    # Bars line up too: A's true downbeats land on the instrumental's true downbeats.
    db = np.array([p.source_to_timeline(inst, t) for t in b.truth["downbeats"]])
    da = [p.source_to_timeline(voc, t) for t in a.truth["downbeats"] if voc.source_in <= t < voc.source_out]
    assert float(np.median([np.min(np.abs(db - x)) for x in da])) <= 0.010
    # The instrumental plays at the project tempo: its beats fall on the project's beat grid.
    grid = np.array([p.beats_to_seconds(k) for k in range(200)])
    assert float(np.median([np.min(np.abs(grid - x)) for x in tb])) <= 0.010


@pytest.mark.parametrize("pair", PAIRS)
def test_keys_are_camelot_compatible(songs: list[Any], results: dict[Any, Any], pair: tuple[int, int]) -> None:
    r, _, _ = results[pair]
    ka = parse_key(songs[pair[0]].truth["key"]["name"])
    kb = parse_key(songs[pair[1]].truth["key"]["name"])
    assert camelot_relation(kb, transpose(ka, r.shift_a)) in COMPATIBLE
    assert r.relation == camelot_relation(parse_key(r.key_b), transpose(parse_key(r.key_a), r.shift_a))
    assert r.project.clip(r.vocal_clip_id).pitch == r.shift_a
    # The key plan says how the shift was chosen over each song's readings (issue 17): both
    # songs' keys are uncertain (a fifth neighbour runs close), so the vocal goes 3 semitones
    # (the same key under either reading) rather than 2 (a fifth under one, a clash under the other).
    kp = r.to_json()["key_plan"]
    plan = hedged_shift([parse_key(k) for k in kp["readings_b"]], [parse_key(k) for k in kp["readings_a"]])
    assert r.shift_a == plan.shift and abs(r.shift_a) <= 3
    assert kp["shift_a"] == r.shift_a and kp["relation"] == r.relation
    assert kp["readings_a"][0] == r.key_a and kp["readings_b"][0] == r.key_b
    assert kp["readings_a"] == r.key_checks["a"]["readings"] and kp["readings_b"] == r.key_checks["b"]["readings"]
    assert len(kp["relations"]) == len(kp["readings_a"]) * len(kp["readings_b"])
    for pair_text, rel in kp["relations"].items():
        v, i = (parse_key(x) for x in pair_text.split(" over "))
        assert rel == camelot_relation(i, transpose(v, r.shift_a))
    assert kp["hedged"] == (len(kp["relations"]) > 1 and all(x in COMPATIBLE for x in kp["relations"].values()))


@pytest.mark.parametrize("pair", PAIRS)
def test_render_loudness_and_project(songs: list[Any], results: dict[Any, Any], pair: tuple[int, int],
                                     magic_caches: Caches) -> None:
    r, seen, d = results[pair]
    mix = io.load(d / "mix.wav")
    assert integrated_lufs(mix) == pytest.approx(-14.0, abs=0.5)
    assert true_peak_db(mix) <= -1.0 + 0.05  # 24-bit quantisation of the file
    assert mix.duration == pytest.approx(r.project.end_seconds(), abs=0.01)
    fr = [s.fraction for s in seen]
    assert fr == sorted(fr) and fr[-1] == 1.0
    # The saved project is complete (media inside) and renders the same mix again, from the clip cache.
    proj = load_project(d / "mix.mashup")
    assert proj.to_dict() == r.project.to_dict()
    if pair == PAIRS[0]:
        again = render_project(proj, media=MediaStore(d / "mix.mashup" / "media"), cache=magic_caches.renders)
        assert again.clips_rendered == 0 and again.clips_cached == len(proj.clips())
        assert again.audio.frames == mix.frames
        assert np.allclose(again.audio.samples, mix.samples, atol=1e-4)  # 24-bit file vs float
    # Arrangement: the instrumental starts the song alone (intro), the vocals come in later, B fades out.
    voc = proj.clip(r.vocal_clip_id)
    assert proj.beats_to_seconds(voc.position) > 1.0
    assert [m.name for m in proj.markers][:3] == ["Intro", "Vocals in", "Outro"]
    # B's sections after the start are markers too (issue 17), named like "Chorus B".
    names = {s["name"].capitalize() for s in r.sections["b"]}
    assert all(m.name.split(" ")[0] in names for m in proj.markers[3:])
    js = json.loads(json.dumps(r.to_json()))
    for k in ("target_bpm", "target_key", "shift_semitones", "stretch_ratio", "camelot_relation", "vocal_entry_bar",
              "score", "separation_model"):
        assert k in js
    assert js["separation_model"] == "classical" and "classical" in " ".join(js["notes"])
    assert js["stretch_ratio"]["a"] == pytest.approx(r.target_bpm / songs[pair[0]].truth["bpm"], rel=0.002)


@pytest.mark.parametrize("pair", PAIRS)
def test_captions_remapped_and_vocals_enter_on_a_phrase(songs: list[Any], results: dict[Any, Any], pair: tuple[int, int]) -> None:
    r, _, _ = results[pair]
    p = r.project
    voc = p.clip(r.vocal_clip_id)
    assert r.phrase_source == "lyrics"
    lane = p.caption_lanes[0]
    assert lane.clip_id == voc.id
    tl = p.timeline_captions(lane.id)
    src = [x for x in songs[pair[0]].truth["lyrics"] if voc.source_in <= x["start"] < voc.source_out]
    assert len(tl.segments) >= len(src) >= 2
    starts = [s.start for s in tl.segments]
    for x in src:
        want = p.source_to_timeline(voc, x["start"])
        assert min(abs(s - want) for s in starts) < 1e-6
    # The first sung line starts at the downbeat of the bar where the vocals
    # enter (a pickup may start up to a beat early), not somewhere mid-bar.
    first = p.source_to_timeline(voc, src[0]["start"])
    entry = p.beats_to_seconds((r.vocal_entry_bar - 1) * p.beats_per_bar)
    assert -p.beats_to_seconds(1.0) <= first - entry < 0.25 * p.beats_to_seconds(p.beats_per_bar)


def test_stretch_limit_is_refused(songs: list[Any], magic_caches: Caches, tmp_path: Path) -> None:
    # Songs 1 and 2 are 5.8% apart; with a 2% limit the pair is refused with a reason.
    with pytest.raises(StretchLimitError, match="limit"):
        magic_mashup(songs[1].mix, songs[2].mix, out=tmp_path / "x.wav", model="classical", caches=magic_caches,
                     max_stretch=0.02)
    assert not (tmp_path / "x.wav").exists()


def test_magic_sets_a_produced_mix_as_track_settings(results: dict[Any, Any]) -> None:
    """Issue 17: the vocal high-passed, every instrumental stem ducked under it
    (and all but the bass dipped in its presence band): saved, editable track
    settings that the render applies, not audio baked into the stems."""
    from audio_engine.project.trackmix import mix_active

    r, _, d = results[PAIRS[0]]
    p = load_project(d / "mix.mashup")
    voc = p.find_clip(r.vocal_clip_id)[0]
    assert voc.highpass_hz == 100.0 and voc.duck_db == 0.0
    inst = [p.find_clip(c)[0] for c in r.instrumental_clip_ids]
    assert inst and all(t.duck_source == voc.id and 2.0 <= t.duck_db <= 3.0 for t in inst)
    assert all(t.presence_dip_db == (0.0 if t.name.endswith("bass") else t.duck_db) for t in inst)
    assert all(mix_active(p, t) for t in [voc, *inst])
