"""Three arrangements with previews and scores; sections as markers; the
pitch shift moved to the instrumental in the "natural voice" variation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from audio_engine import io
from audio_engine.errors import MashupsError
from audio_engine.keys import layers_well, parse_key, transpose
from audio_engine.magic import Caches
from audio_engine.magic.variations import excerpt, magic_variations


@pytest.fixture(scope="module")
def variations(songs: list[Any], magic_caches: Caches, tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    return magic_variations(songs[1].mix, songs[2].mix, out_dir=tmp_path_factory.mktemp("vars"), model="classical",
                            caches=magic_caches)


def test_three_scored_variations_with_previews(variations: list[Any], songs: list[Any]) -> None:
    assert 2 <= len(variations) <= 3
    names = [v.name for v in variations]
    assert len(set(names)) == len(names)
    assert [v.score for v in variations] == sorted((v.score for v in variations), reverse=True)
    ka, kb = parse_key(songs[1].truth["key"]["name"]), parse_key(songs[2].truth["key"]["name"])
    for v in variations:
        assert 0.0 <= v.score <= 1.0 and v.description
        assert v.preview is not None and v.preview.is_file()
        audio = io.load(v.preview)
        assert 5.0 <= audio.duration <= 20.05 and float(np.abs(audio.samples).max()) > 0.01
        r = v.result
        # Harmony holds against the songs' true keys whichever part carries the shift.
        assert layers_well(transpose(kb, r.shift_b), transpose(ka, r.shift_a))
        voc = r.project.clip(r.vocal_clip_id)
        assert voc.pitch == r.shift_a
        assert all(r.project.clip(c).pitch == r.shift_b for c in r.instrumental_clip_ids)
        assert r.render is None  # editable, not rendered
        json = v.to_json()
        assert json["name"] == v.name and json["arrangement"]["name"] == v.name


def test_natural_voice_moves_the_shift_to_the_instrumental(variations: list[Any]) -> None:
    by = {v.name: v for v in variations}
    assert "natural voice" in by  # this pair needs a shift (see test_magic.PAIRS)
    nat = by["natural voice"].result
    other = next(v.result for v in variations if v.name != "natural voice" and v.result.shift_a != 0)
    assert nat.shift_a == 0 and nat.shift_b == -other.shift_a


def test_sections_are_markers_and_previews_are_excerpts(variations: list[Any]) -> None:
    r = variations[0].result
    names = [m.name for m in r.project.markers]
    assert names[:3] == ["Intro", "Vocals in", "Outro"]
    assert r.sections["a"] and r.sections["b"]
    p = r.project
    ex = excerpt(p, 2.0, 5.0)
    assert not ex.markers and ex.end_seconds() == pytest.approx(5.0, abs=0.02)
    for c in ex.clips():
        assert c.fade_in >= 0.01 and c.fade_out >= 0.01


def test_variations_refuse_render_options(songs: list[Any], magic_caches: Caches, tmp_path: Path) -> None:
    with pytest.raises(MashupsError, match="previews"):
        magic_variations(songs[1].mix, songs[2].mix, caches=magic_caches, out=tmp_path / "x.wav")
