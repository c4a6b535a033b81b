"""Compressed Chromaprint fingerprints decoded to their raw values (what
published mashups carry), and recordings grouped by them: the same song as
FLAC and as an MP3 rip under another title is one recording, other songs are
not. Real corpus songs and the real fpcalc."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path
from typing import Any

import pytest

from audio_engine import io
from audio_engine.fingerprint import FingerprintError, compute, decode, group_recordings, same_compressed
from tests.corpus import Song

pytestmark = pytest.mark.skipif(shutil.which("fpcalc") is None, reason="fpcalc (libchromaprint-tools) not installed")


def test_decoded_compressed_fingerprint_is_fpcalcs_raw(recordings: dict[str, Any], songs: list[Song],
                                                       tmp_path: Path) -> None:
    for name in ("hit", "hit_rip", "other", "third"):
        fp = recordings[name]
        assert decode(fp.compressed) == fp.raw  # bit for bit what `fpcalc -raw` prints
    short = tmp_path / "short.wav"
    io.save(io.load(songs[0].mix).slice(0.0, 4.0), short)  # a short clip: few values, small header
    fp = compute(short)
    assert decode(fp.compressed) == fp.raw


@pytest.mark.parametrize("bad", ["", "   ", "!!!!", base64.urlsafe_b64encode(b"\x01\x00\x00").decode(),
                                 base64.urlsafe_b64encode(b"\x01\x00\x00\x09\x00").decode().rstrip("="),
                                 "A" * 16001])
def test_garbage_is_refused_with_a_clear_error(bad: str) -> None:
    with pytest.raises(FingerprintError):
        decode(bad)


def test_same_recording_under_other_titles_is_one_group(recordings: dict[str, Any]) -> None:
    a, a_rip, b, c = (recordings[k] for k in ("hit", "hit_rip", "other", "third"))
    assert a.compressed != a_rip.compressed and same_compressed(a.compressed, a_rip.compressed)
    assert not same_compressed(a.compressed, b.compressed)
    groups = group_recordings([("x:Hit", a.compressed, a.duration), ("y:Other", b.compressed, b.duration),
                               ("z:Hit (radio rip)", a_rip.compressed, a_rip.duration),
                               ("w:Third", c.compressed, c.duration), ("v:broken", "!!!", None)])  # broken: no group
    assert groups == {"x:Hit": "x:Hit", "y:Other": "y:Other", "z:Hit (radio rip)": "x:Hit", "w:Third": "w:Third"}
    # durations far apart are not compared at all (a 30 s song is not a 3-minute one)
    assert group_recordings([("p", a.compressed, 30.0), ("q", a_rip.compressed, 180.0)]) == {"p": "p", "q": "q"}


def test_steady_tones_never_group_by_fingerprint(tmp_path: Path) -> None:
    """Two different pure tones agree on most fingerprint bits (one repeated frame
    each): they identify no recording, so they are left to the title grouping."""
    from audio_engine.fingerprint import fingerprint_file, informative, similarity
    from tests.cloud.test_project_sync import tone

    a = fingerprint_file(tone(tmp_path / "a.flac", seconds=6.0, freq=330.0))
    b = fingerprint_file(tone(tmp_path / "b.flac", seconds=6.0, freq=550.0))
    ra, rb = decode(a.compressed), decode(b.compressed)
    assert similarity(ra, rb) >= 0.8  # what grouped them before
    assert not informative(ra) and not informative(rb)
    assert group_recordings([("a", a.compressed, 6.0), ("b", b.compressed, 6.0)]) == {}
