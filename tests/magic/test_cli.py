"""The three subcommands, run through argparse exactly as ``mashups`` runs them."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from audio_engine.cli import fits, magic, render
from audio_engine.errors import MashupsError


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="mashups")
    sub = parser.add_subparsers(dest="command")
    for mod in (magic, render, fits):
        mod.register(sub)
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_cli_magic_render_fits(songs: list[Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str], magic_caches: Any) -> None:
    # The CLI uses the studio's default folders: point them at the session cache (songs already separated).
    root = magic_caches.stems.root.parent
    monkeypatch.setenv("MASHUPS_CACHE_DIR", str(root))
    monkeypatch.setenv("MASHUPS_DATA_DIR", str(tmp_path / "data"))
    out = tmp_path / "m.flac"
    rc = _run(["magic", str(songs[1].mix), str(songs[2].mix), "-o", str(out), "--project", str(tmp_path / "m.mashup"),
               "--json", "--model", "classical", "--quiet"])
    assert rc == 0
    d = json.loads(capsys.readouterr().out)
    assert d["target_bpm"] == pytest.approx(songs[2].truth["bpm"], abs=0.05)
    assert set(d["shift_semitones"]) == {"a", "b"} and set(d["stretch_ratio"]) == {"a", "b"}
    assert d["camelot_relation"] in ("same", "relative", "adjacent")
    assert isinstance(d["vocal_entry_bar"], int) and 0 < d["score"]["total"] <= 1
    assert out.is_file() and d["lufs"] == pytest.approx(-14.0, abs=0.5)

    rc = _run(["render", str(tmp_path / "m.mashup"), "-o", str(tmp_path / "again.mp3"), "--json", "--quiet"])
    assert rc == 0
    r = json.loads(capsys.readouterr().out)
    assert r["clips_cached"] >= 1 and r["clips_rendered"] == 0  # reused from the magic run
    assert r["lufs"] == pytest.approx(-14.0, abs=0.5) and r["true_peak_db"] <= -1.0
    assert r["tags"]["bpm"] and "sources" in r["tags"]

    lib = tmp_path / "lib"
    lib.mkdir()
    for i in (1, 2, 3):
        (lib / f"s{i}.flac").write_bytes(songs[i].mix.read_bytes())
    rc = _run(["fits", str(songs[2].mix), "--library", str(lib), "--json"])
    assert rc == 0
    f = json.loads(capsys.readouterr().out)
    assert [Path(x["path"]).name for x in f["fits"]][0] == "s2.flac"  # itself (a copy) fits best
    assert all("shift_semitones" in x and "stretch_ratio_vocals" in x for x in f["fits"])

    # One song and the library: the partner is chosen by score (never a copy of the song itself).
    rc = _run(["magic", str(lib / "s1.flac"), "--library", str(lib), "-o", str(tmp_path / "lib.wav"), "--json",
               "--model", "classical", "--quiet"])
    assert rc == 0
    d = json.loads(capsys.readouterr().out)
    assert any("partner chosen from the library: s2.flac" in n for n in d["notes"])
    assert d["target_bpm"] == pytest.approx(songs[2].truth["bpm"], abs=0.05)


def test_cli_errors_are_typed(tmp_path: Path) -> None:
    with pytest.raises(MashupsError):
        _run(["render", str(tmp_path / "nothing.mashup"), "-o", str(tmp_path / "x.wav")])
    with pytest.raises(MashupsError):
        _run(["fits", str(tmp_path / "a.wav"), "--library", str(tmp_path / "nope")])
