"""Key certainty: runner-up key, the "uncertain" flag, and settling an
uncertain key on the harmonic stems (audio_engine.magic.keycheck)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from audio_engine import io
from audio_engine.analysis import analyze_file
from audio_engine.analysis.result import Analysis
from audio_engine.analysis.tonality import PROFILES, decide_key, estimate_key
from audio_engine.audio import Audio
from audio_engine.cache import JsonCache
from audio_engine.keys import Key, neighbour_relation, parse_key
from audio_engine.magic.keycheck import sure_key


def _profile(key: str) -> np.ndarray:
    k = parse_key(key)
    return np.roll(np.asarray(PROFILES["albrecht"][0 if k.mode == "major" else 1]), k.tonic)


def test_neighbour_relations() -> None:
    assert neighbour_relation(parse_key("A minor"), parse_key("C major")) == "relative"
    assert neighbour_relation(parse_key("A minor"), parse_key("A major")) == "parallel"
    assert neighbour_relation(parse_key("C major"), parse_key("G major")) == "fifth"
    assert neighbour_relation(parse_key("C major"), parse_key("F major")) == "fifth"
    assert neighbour_relation(parse_key("C major"), parse_key("D major")) is None
    assert neighbour_relation(parse_key("C major"), parse_key("C major")) is None


def test_estimate_reports_runner_up_and_uncertainty() -> None:
    clear = estimate_key(_profile("E minor"))
    assert clear.key.same_key(parse_key("E minor")) and clear.alternative is not None
    assert clear.key.confidence > clear.alternative.confidence
    # A blend of C major and its relative A minor: the two top candidates are neighbours.
    blend = estimate_key(0.55 * _profile("C major") + 0.45 * _profile("A minor"))
    assert {blend.key.name, blend.alternative.name if blend.alternative else ""} == {"C major", "A minor"}
    assert blend.neighbour == "relative" and blend.uncertain
    # No tonal content: confidence 0 and uncertain.
    flat = estimate_key(np.ones(12))
    assert flat.key.confidence == 0.0 and flat.uncertain


def test_decide_key_follows_the_harmonic_stems() -> None:
    mix = 0.55 * _profile("C major") + 0.45 * _profile("A minor")  # the mix leans to C major
    est = estimate_key(mix)
    assert est.key.name == "C major"
    d = decide_key(est, mix, _profile("A minor"))  # bass + other say A minor
    assert d.key.name == "A minor" and d.changed and "C major" in d.reason
    assert set(d.candidates) >= {"C major", "A minor"}
    same = decide_key(est, mix, _profile("C major"))
    assert same.key.name == "C major" and not same.changed
    # A tonal vocal adds its vote; a flat (spoken) one does not change anything.
    weak_h = 0.5 * _profile("C major") + 0.5 * _profile("A minor")
    assert decide_key(est, mix, weak_h, vocal_pcp=_profile("A minor")).key.name == "A minor"
    assert decide_key(est, mix, weak_h, vocal_pcp=np.ones(12)).key.name == "C major"


def test_analysis_json_carries_confidence_and_alternative(songs: list[Any], tmp_path: Path) -> None:
    a = analyze_file(songs[0].mix, cache=JsonCache(tmp_path / "a.sqlite3"))
    d = a.to_dict()
    assert d["key_alternative"] and d["key_alternative_camelot"]
    assert 0.0 <= d["key_alternative_confidence"] <= d["key_confidence"] <= 1.0
    assert isinstance(d["key_uncertain"], bool)
    back = Analysis.from_dict(d)
    assert back == a
    # Records written before the alternative existed still load.
    old = {k: v for k, v in d.items() if not k.startswith("key_alt") and k != "key_uncertain"}
    assert Analysis.from_dict(old).key_alternative is None


def test_sure_key_settles_a_wrong_reading_on_real_stems(songs: list[Any], tmp_path: Path) -> None:
    song = songs[0]
    truth = parse_key(song.truth["key"]["name"])
    a = analyze_file(song.mix)
    stems = {s: song.stem(s) for s in ("drums", "bass", "other", "vocals")}
    # A song whose mix is dominated by an unpitched part and a voice in the
    # relative key: the harmonic stems still name the true key.
    drums = io.load(song.stem("drums"))
    other = io.load(song.stem("other"))
    bass = io.load(song.stem("bass"))
    mix = Audio((drums.samples * 1.0 + 0.6 * (other.samples + bass.samples)).astype(np.float32), drums.sample_rate)
    io.save(mix, tmp_path / "mix.wav")
    wrong = Key(truth.relative.tonic, truth.relative.mode, 0.3)
    fake = Analysis(**{**a.__dict__, "key": wrong, "key_alternative": truth, "key_uncertain": True})
    cache = JsonCache(tmp_path / "k.sqlite3")
    sk = sure_key(fake, stems, mix=tmp_path / "mix.wav", with_vocal=False, cache=cache)
    assert sk.checked and sk.key.same_key(truth)
    assert sk.analysed.same_key(wrong) and sk.changed
    again = sure_key(fake, stems, mix=tmp_path / "mix.wav", with_vocal=False, cache=cache)  # from the cache
    assert again == sk
    # A clear reading is used as it is; no stems are read.
    clear = Analysis(**{**a.__dict__, "key_uncertain": False})
    assert not sure_key(clear, {}, mix=tmp_path / "missing.wav", with_vocal=True).checked


@pytest.mark.parametrize("voc", [False, True])
def test_sure_key_confirms_true_key_with_true_stems(songs: list[Any], voc: bool) -> None:
    song = songs[2]
    a = analyze_file(song.mix)
    stems = {s: song.stem(s) for s in ("drums", "bass", "other", "vocals")}
    sk = sure_key(a, stems, mix=song.mix, with_vocal=voc)
    assert sk.key.same_key(parse_key(song.truth["key"]["name"]))
