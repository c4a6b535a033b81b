"""Errors shown in the studio never point at a command-line flag (issue 19)."""

from __future__ import annotations

from audio_engine.errors import (
    DeviceUnavailableError,
    MashupsError,
    ModelNotInstalledError,
    StretchLimitError,
)
from studio.jobs import describe_error


def test_engine_hints_are_reworded_for_the_studio() -> None:
    cases = [
        ModelNotInstalledError("The Whisper model 'tiny.en' is not installed.", model="tiny.en",
                               hint="Download it (`mashups caption --download-model tiny.en` or the Models page)."),
        StretchLimitError("The tempos are 26 % apart."),
        DeviceUnavailableError("CUDA is not available."),
        MashupsError("Something failed.", hint="Run again with --verbose."),
    ]
    for e in cases:
        msg, hint = describe_error(e)
        assert "--" not in hint and "`" not in hint and "mashups " not in hint, hint
        assert msg
    assert "Models page" in describe_error(cases[0])[1]
    assert "stretch limit" in describe_error(cases[1])[1]


def test_plain_hints_pass_through() -> None:
    e = MashupsError("The file is empty.", hint="Choose another file.")
    assert describe_error(e) == ("The file is empty.", "Choose another file.")
