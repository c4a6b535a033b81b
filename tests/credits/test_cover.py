"""Cover generator: fixed inputs give fixed pixels (hash compared), every
style and size, artwork and colours matter, bad input is refused clearly."""

from __future__ import annotations

import io as pyio
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from audio_engine.cover import (
    SIZES,
    STYLES,
    CoverError,
    CoverSpec,
    embedded_artwork,
    encode,
    pixel_hash,
    render,
    waveform_peaks,
)

PEAKS = waveform_peaks(np.sin(np.linspace(0, 60, 44100)) * np.linspace(0, 1, 44100))

#: sha256 of the RGB pixels for SPEC in each style at 1080x1080, recorded with
#: pillow==13.0.0 (constraints.txt): another Pillow/FreeType may draw text differently.
EXPECTED = {
    "split": "cd3990a47c837809",
    "blend": "c6f63ddbb485636a",
    "waveform": "ffb7ad81600f0eb2",
}


def art(rgb: tuple[int, int, int]) -> bytes:
    b = pyio.BytesIO()
    Image.new("RGB", (64, 48), rgb).save(b, "PNG")
    return b.getvalue()


def spec(**kw: object) -> CoverSpec:
    base: dict[str, object] = dict(title="Night Drive x Glass", artists="Band A, Singer B", peaks=PEAKS,
                                   artworks=(art((200, 30, 30)), art((30, 200, 30))))
    base.update(kw)
    return CoverSpec(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize("style", STYLES)
def test_fixed_inputs_give_the_recorded_image(style: str) -> None:
    im = render(spec(style=style))
    assert im.size == (1080, 1080) and im.mode == "RGB"
    assert pixel_hash(im)[:16] == EXPECTED[style]
    assert encode(im, "png") == encode(render(spec(style=style)), "png")  # byte-identical files too


def test_sizes_styles_artwork_and_colours_all_change_the_picture() -> None:
    hashes = {pixel_hash(render(spec(style=s, size=z))) for s in STYLES for z in SIZES.values()}
    assert len(hashes) == len(STYLES) * len(SIZES)
    wide = render(spec(size=(1280, 720)))
    assert wide.size == (1280, 720)
    left = render(spec()).getpixel((50, 50))
    assert left == (200, 30, 30)  # the first artwork fills the left part of "split"
    assert render(spec(artworks=())).getpixel((50, 50)) != left
    assert pixel_hash(render(spec(primary="#000000", artworks=()))) != pixel_hash(render(spec(artworks=())))
    assert pixel_hash(render(spec(title="Other title"))) != pixel_hash(render(spec()))
    jpg = encode(wide, "jpg")
    assert jpg[:2] == b"\xff\xd8" and Image.open(pyio.BytesIO(jpg)).size == (1280, 720)


@pytest.mark.parametrize("kw, message", [
    ({"style": "glitter"}, "Unknown cover style"),
    ({"size": (500, 500)}, "1080x1080 or 1280x720"),
    ({"primary": "red"}, "#RRGGBB"),
    ({"artworks": (b"not an image",)}, "could not be read"),
])
def test_bad_input_is_refused(kw: dict[str, object], message: str) -> None:
    with pytest.raises(CoverError, match=message):
        render(spec(**kw))


def test_embedded_artwork_is_found(songs: list, tmp_path: Path) -> None:  # type: ignore[type-arg]
    import shutil

    from mutagen.flac import FLAC, Picture

    f = tmp_path / "a.flac"
    shutil.copyfile(songs[0].mix, f)
    assert embedded_artwork(f) is None
    pic = Picture()
    pic.type, pic.mime, pic.data = 3, "image/png", art((1, 2, 3))
    t = FLAC(str(f))
    t.add_picture(pic)
    t.save()
    assert embedded_artwork(f) == art((1, 2, 3))


def test_cli_cover_draws_the_same_file_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from audio_engine.cli.main import main
    from audio_engine.project import Clip, save_project
    from tests.project.helpers import simple_project

    monkeypatch.setenv("MASHUPS_HOME", str(tmp_path / "home"))
    p, store, ref = simple_project(tmp_path)
    p.tracks[0].clips.append(Clip("c", ref.hash, None, 0.0, 3.0, source_bpm=120.0))
    saved = save_project(p, tmp_path / "P.mashup", media_sources=store)
    outs = [tmp_path / "a.png", tmp_path / "b.png"]
    for o in outs:
        assert main(["cover", str(saved), "-o", str(o), "--style", "waveform", "--size", "wide"]) == 0
    assert outs[0].read_bytes() == outs[1].read_bytes()
    assert Image.open(outs[0]).size == (1280, 720)
    assert main(["cover", str(saved), "-o", str(tmp_path / "c.gif")]) == 1  # clear error, nothing written
    assert not (tmp_path / "c.gif").exists()
