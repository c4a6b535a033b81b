"""Mashups Studio audio engine: Qt-free audio I/O, analysis, separation, captions,
transforms, projects and rendering.

Importing this package is cheap: heavy libraries (librosa, torch, demucs,
faster-whisper) are imported inside the functions that need them.
"""

from audio_engine.audio import Audio
from audio_engine.errors import (
    AudioDecodeError,
    AudioTooLargeError,
    Cancelled,
    InvalidAudioError,
    MashupsError,
    ModelNotInstalledError,
)
from audio_engine.progress import CancelToken, Progress

__all__ = [
    "Audio",
    "AudioDecodeError",
    "AudioTooLargeError",
    "Cancelled",
    "CancelToken",
    "InvalidAudioError",
    "MashupsError",
    "ModelNotInstalledError",
    "Progress",
]

__version__ = "0.1.0"
