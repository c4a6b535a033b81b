"""Damaged and hostile audio files are refused by the loader itself (so the
CLI, the library and the studio all refuse them), with a message that says
exactly what is wrong."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from audio_engine import io
from audio_engine.audio import Audio
from audio_engine.cli.main import main as cli_main
from audio_engine.errors import AudioDecodeError
from audio_engine.formats import AUDIO_EXTENSIONS, check_content
from audio_engine.library import Library


def _tone(seconds: float, rate: int = 44100) -> Audio:
    t = np.arange(int(seconds * rate)) / rate
    return Audio(np.tile((0.4 * np.sin(2 * np.pi * 330 * t)).astype(np.float32), (2, 1)), rate)


@pytest.fixture(scope="module")
def mp3_10s(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return io.save(_tone(10.0), tmp_path_factory.mktemp("mp3") / "whole.mp3")


def test_truncated_mp3_refused_before_decoding(tmp_path: Path, mp3_10s: Path) -> None:
    data = mp3_10s.read_bytes()
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(data[: len(data) * 4 // 10])
    # info() is what analysis, separation (streamed reads) and the library use.
    with pytest.raises(AudioDecodeError, match=r"truncated: the MP3 header declares 10\.0 s .* about 4\.0 s"):
        io.info(cut)
    with pytest.raises(AudioDecodeError, match="truncated"):
        list(io.stream(cut, block_seconds=1.0))
    assert io.info(mp3_10s).duration == pytest.approx(10.0, abs=0.1)


@pytest.mark.parametrize("ext", [".flac", ".mp3", ".wav", ".ogg", ".m4a"])
@pytest.mark.parametrize("seed", range(6))
def test_random_bytes_are_not_audio_whatever_their_name(tmp_path: Path, ext: str, seed: int) -> None:
    p = tmp_path / f"noise{ext}"
    p.write_bytes(np.random.default_rng(seed).bytes(50_000))
    with pytest.raises(AudioDecodeError, match="not audio of any supported format|not a readable audio file"):
        io.info(p)
    with pytest.raises(AudioDecodeError):
        list(io.stream(p))


def test_seed_that_decoders_accepted_as_loud_mpeg(tmp_path: Path) -> None:
    # These bytes start with an MPEG-2.5 frame sync: pedalboard decoded them
    # as ~0.5 s of audio peaking far above full scale.
    p = tmp_path / "x.flac"
    p.write_bytes(np.random.default_rng(1).bytes(50_000))
    with pytest.raises(AudioDecodeError, match="random or damaged bytes"):
        io.load(p)


@pytest.mark.parametrize(
    "args,name",
    [
        (["-ac", "1", "-ar", "16000", "-b:a", "32k"], "mono-mpeg2.mp3"),
        (["-ac", "1", "-ar", "8000", "-b:a", "8k"], "mpeg25.mp3"),
        (["-c:a", "aac"], "adts.aac"),
        (["-c:a", "aac"], "mp4.m4a"),
        (["-c:a", "libopus"], "opus.opus"),
        (["-c:a", "mp2"], "layer2.mp2"),
    ],
)
def test_real_streams_of_every_kind_still_load(tmp_path: Path, args: list[str], name: str) -> None:
    out = tmp_path / name
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=f=440:d=2", *args, str(out)], check=True)
    assert io.load(out).duration == pytest.approx(2.0, abs=0.1)


def test_mp3_with_large_id3_tag_and_flac_named_mp3(tmp_path: Path, mp3_10s: Path) -> None:
    from mutagen import id3
    from mutagen.mp3 import MP3

    tagged = tmp_path / "tagged.mp3"
    tagged.write_bytes(mp3_10s.read_bytes())
    m = MP3(str(tagged))
    m.add_tags()
    assert m.tags is not None
    m.tags.add(id3.APIC(encoding=3, mime="image/png", type=3, desc="cover", data=os.urandom(300_000)))
    m.save()
    assert check_content(tagged) == "mpeg"
    assert io.load(tagged).duration == pytest.approx(10.0, abs=0.1)


def _load_error_as_nobody(path: Path) -> str:
    """Root reads everything, so check as an ordinary user: a forked child
    drops to uid 65534 and reports the loader's message through a pipe."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(r)
        try:
            os.setgid(65534)
            os.setuid(65534)
            try:
                io.load(path)
                msg = "loaded"
            except AudioDecodeError as e:
                msg = str(e)
            os.write(w, msg.encode())
        finally:
            os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        out = f.read().decode()
    os.waitpid(pid, 0)
    return out


def test_permission_denied_is_said_not_corrupt(tmp_path: Path, mp3_10s: Path) -> None:
    folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"mashups-perm-{os.getpid()}"
    folder.mkdir(exist_ok=True)
    try:
        folder.chmod(0o755)
        locked = folder / "locked.mp3"
        locked.write_bytes(mp3_10s.read_bytes())
        locked.chmod(0o000)
        if os.geteuid() == 0:
            message = _load_error_as_nobody(locked)
        else:
            with pytest.raises(AudioDecodeError) as err:
                io.load(locked)
            message = str(err.value)
        assert "permission denied" in message and "corrupt" in message  # "... (it is not corrupt)"
        assert "not a readable audio file" not in message
    finally:
        for f in folder.iterdir():
            f.unlink()
        folder.rmdir()


def test_cli_and_library_refuse_noise_and_keep_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    noise = tmp_path / "noise.flac"
    noise.write_bytes(np.random.default_rng(1).bytes(50_000))
    assert cli_main(["analyze", str(noise)]) == 1
    err = capsys.readouterr().err
    assert "noise.flac: the content is not audio" in err and "Traceback" not in err
    lib = Library(tmp_path / "library.sqlite3")
    with pytest.raises(AudioDecodeError, match="not audio"):
        lib.add(noise)
    assert len(lib) == 0
    lib.close()


def test_one_extension_list() -> None:
    from audio_engine import library
    from audio_engine.magic import fits

    assert library.AUDIO_EXTENSIONS is AUDIO_EXTENSIONS
    assert fits.AUDIO_EXTS is AUDIO_EXTENSIONS
