from __future__ import annotations

import json
from pathlib import Path

import pytest

from audio_engine.cli.main import main
from tests.corpus import Song


def test_analyze_json_lines_and_bad_files(
    songs: list[Song], studio_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    rc = main(["analyze", str(songs[0].mix), str(bad), str(tmp_path / "missing.mp3"), str(songs[1].mix), "--json"])
    out, err = capsys.readouterr()
    assert rc == 1  # some files failed, the others were still analysed
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) == 4
    good = [d for d in lines if "error" not in d]
    assert [d["path"] for d in good] == [str(songs[0].mix), str(songs[1].mix)]
    for d, song in zip(good, songs[:2], strict=True):
        for k in ("path", "duration", "sample_rate", "bpm", "beats", "downbeats", "key", "camelot", "lufs", "true_peak_db"):
            assert k in d
        assert abs(d["bpm"] - song.truth["bpm"]) < 0.1
        assert d["camelot"].endswith(("A", "B"))
    errors = [d for d in lines if "error" in d]
    assert {Path(d["path"]).name for d in errors} == {"broken.wav", "missing.mp3"}
    assert "broken.wav" in err and "missing.mp3" in err
    # The results were cached in the private studio home.
    assert (studio_home / "cache" / "analysis.sqlite3").is_file()


def test_analyze_table(songs: list[Song], studio_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", str(songs[2].mix)]) == 0
    out = capsys.readouterr().out
    header, row = out.splitlines()[:2]
    assert "BPM" in header and "key" in header
    assert abs(float(row.split()[0]) - songs[2].truth["bpm"]) < 0.1
    assert songs[2].truth["key"]["camelot"] in row.split()


def test_help_lists_analyze(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "mashups analyze song.flac --json" in capsys.readouterr().out


def test_bad_tempo_range_is_a_usage_error(songs: list[Song], studio_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", str(songs[0].mix), "--tempo-range", "100", "150"]) == 2
    assert "tempo-range" in capsys.readouterr().err
