"""Typed errors of the engine. Every message is written for a person: it says
what went wrong and, where possible, what to do about it."""

from __future__ import annotations


class MashupsError(Exception):
    """Base class of every error the engine raises on purpose."""

    #: A short hint for the UI ("Download the model", "Choose another file").
    hint: str = ""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint

    def __reduce__(self) -> tuple[object, ...]:
        # Keep errors picklable across the worker-process boundary.
        return (_rebuild_error, (type(self), str(self), self.hint))


def _rebuild_error(cls: type[MashupsError], message: str, hint: str) -> MashupsError:
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.hint = hint
    return err


class AudioDecodeError(MashupsError):
    """The file could not be read as audio (empty, truncated, corrupt, unknown format)."""

    hint = "Check that the file is a complete audio file (WAV, FLAC, OGG, MP3, M4A)."


class InvalidAudioError(MashupsError):
    """Audio data is unusable: NaN/inf samples, absurd sample rate or channel count."""


class AudioTooLargeError(MashupsError):
    """Loading the file whole would need more memory than allowed."""

    hint = "Use a shorter file, or a streamed read (audio_engine.io.stream)."


class UnsupportedFormatError(MashupsError):
    """The requested output format is not supported."""


class ModelNotInstalledError(MashupsError):
    """A model is needed that is not installed locally. Nothing is downloaded silently."""

    hint = "Download the model (Models page or `mashups models download NAME`) or import it from disk."

    def __init__(self, message: str, *, model: str = "", hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.model = model

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_model_error, (type(self), str(self), self.hint, self.model))


def _rebuild_model_error(
    cls: type[ModelNotInstalledError], message: str, hint: str, model: str
) -> ModelNotInstalledError:
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.hint = hint
    err.model = model
    return err


class ChecksumError(MashupsError):
    """A downloaded or imported file does not match its expected checksum."""


class DownloadError(MashupsError):
    """A download failed (network loss, server error)."""

    hint = "Check the internet connection and try again; the download resumes where it stopped."


class Cancelled(MashupsError):
    """The user cancelled the operation."""

    def __init__(self, message: str = "Cancelled", *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)


class WorkerCrashedError(MashupsError):
    """The worker process died without a result (crash, out of memory, killed)."""

    hint = "Try again; if it keeps happening, try a smaller model or the CPU device."


class ProjectFileError(MashupsError):
    """A project file is unreadable, from a newer version, or inconsistent."""


class CaptionFormatError(MashupsError):
    """A caption/lyrics file (SRT, VTT, LRC, ASS, JSON) is malformed or in an unknown format."""

    hint = "Check the file: it should be SRT, WebVTT, LRC, ASS or Mashups caption JSON, in UTF-8."


class ProjectEditError(MashupsError):
    """An edit command cannot be applied (unknown clip or track, a value out of range)."""


class StretchLimitError(MashupsError):
    """Two songs' tempos are too far apart to match without audible damage."""

    hint = "Pick songs with closer tempos, or raise the limit (--max-stretch) and accept the artefacts."


class DeviceUnavailableError(MashupsError):
    """An explicitly requested compute device (cuda, mps) is not available."""

    hint = "Choose --device auto or cpu."
