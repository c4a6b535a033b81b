"""Speech-recognition backends behind one interface.

* ``faster-whisper`` (default): CTranslate2, int8 on CPU and float16 on CUDA,
  Silero voice-activity filter, word timestamps; segments arrive one by one,
  which gives progress and a cancel check between segments.
* ``openai-whisper`` (optional extra ``mashups-studio[openai-whisper]``):
  imported only when chosen; it uses its own ``.pt`` checkpoints and has no
  voice-activity filter.

Both return the engine's own :class:`Segment`/:class:`Word` values.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from audio_engine.captions.doc import Segment, Word
from audio_engine.errors import MashupsError, ModelNotInstalledError
from audio_engine.progress import CancelToken, check

SAMPLE_RATE = 16_000
BACKENDS: tuple[str, ...] = ("faster-whisper", "openai-whisper")


class BackendNotAvailableError(MashupsError):
    """The chosen recognition backend's package is not installed."""

    hint = "Install the optional extra: pip install 'mashups-studio[openai-whisper]', or use faster-whisper."


@dataclass(frozen=True)
class RawTranscript:
    segments: list[Segment]
    language: str
    language_probability: float
    device: str
    compute_type: str


class Backend(Protocol):
    name: str
    device: str
    compute_type: str

    def transcribe(
        self,
        samples: npt.NDArray[np.float32],
        *,
        language: str | None,
        vad_filter: bool,
        beam_size: int,
        on_segment: Callable[[Segment], None],
        cancel: CancelToken | None,
    ) -> RawTranscript: ...


def _clean_words(words: list[Word]) -> list[Word]:
    return [w for w in words if w.text]


def check_language(language: str | None, *, multilingual: bool, model: str) -> str | None:
    """Normalise and check a language code against Whisper's list."""
    if language is None or language.strip().lower() in ("", "auto"):
        return None
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    code = language.strip().lower()
    if code not in _LANGUAGE_CODES:
        raise MashupsError(
            f"Unknown language code {language!r} for Whisper.",
            hint="Use an ISO 639-1 code such as en, de, fr, es, ja; or leave it out to detect the language.",
        )
    if not multilingual and code != "en":
        raise MashupsError(
            f"The model {model} understands English only, but language {code!r} was asked for.",
            hint="Use a multilingual model (tiny, base, small, medium, large-v3, turbo).",
        )
    return code


class FasterWhisperBackend:
    """faster-whisper on CTranslate2. ``device`` "auto" picks CUDA when a GPU
    is usable; ``compute_type`` "auto" is float16 on CUDA and int8 on CPU."""

    name = "faster-whisper"

    def __init__(self, model_path: Path, *, model_name: str, device: str = "auto", compute_type: str = "auto",
                 cpu_threads: int | None = None, log: Callable[[str], None] | None = None) -> None:
        import ctranslate2
        from faster_whisper import WhisperModel

        if device not in ("auto", "cpu", "cuda"):
            raise MashupsError(f"Unknown device {device!r}; use auto, cpu or cuda.")
        cuda = ctranslate2.get_cuda_device_count() > 0
        if device == "cuda" and not cuda:
            raise MashupsError("No CUDA GPU is usable here.", hint="Use --device cpu (or auto).")
        dev = "cuda" if (device == "cuda" or (device == "auto" and cuda)) else "cpu"
        ctype = compute_type if compute_type != "auto" else ("float16" if dev == "cuda" else "int8")
        threads = cpu_threads if cpu_threads is not None else min(8, os.cpu_count() or 4)
        try:
            self._model = WhisperModel(str(model_path), device=dev, compute_type=ctype, cpu_threads=threads)
        except RuntimeError as e:
            if dev != "cuda" or device == "cuda":
                raise ModelNotInstalledError(
                    f"The Whisper model at {model_path} could not be loaded: {e}", model=model_name,
                    hint="The folder may be corrupt or from another converter; download or import it again.",
                ) from e
            if log is not None:
                log(f"CUDA could not load the model ({e}); using the CPU.")
            dev, ctype = "cpu", "int8"
            self._model = WhisperModel(str(model_path), device=dev, compute_type=ctype, cpu_threads=threads)
        self.device = dev
        self.compute_type = ctype
        self.model_name = model_name

    @property
    def multilingual(self) -> bool:
        return bool(self._model.model.is_multilingual)

    def transcribe(
        self,
        samples: npt.NDArray[np.float32],
        *,
        language: str | None,
        vad_filter: bool,
        beam_size: int,
        on_segment: Callable[[Segment], None],
        cancel: CancelToken | None,
    ) -> RawTranscript:
        lang = check_language(language, multilingual=self.multilingual, model=self.model_name)
        it, info = self._model.transcribe(
            samples,
            language=lang,
            beam_size=beam_size,
            word_timestamps=True,
            vad_filter=vad_filter,
            # Lyrics repeat: conditioning on the previous text makes Whisper loop on them.
            condition_on_previous_text=False,
        )
        segs: list[Segment] = []
        for s in it:
            check(cancel)
            words = _clean_words(
                [Word(float(w.start), float(w.end), w.word.strip(), float(w.probability)) for w in (s.words or [])]
            )
            text = s.text.strip()
            if not text and not words:
                continue
            seg = Segment(float(s.start), float(s.end), text, words)
            segs.append(seg)
            on_segment(seg)
        return RawTranscript(segs, info.language, float(info.language_probability), self.device, self.compute_type)


def openai_model_path(name: str, *, models_dir: Path) -> Path:
    """Where the openai-whisper checkpoint ``name`` is installed: ``<models>/whisper-openai/NAME.pt``."""
    return Path(models_dir) / "whisper-openai" / f"{name}.pt"


class OpenAIWhisperBackend:
    """The reference openai-whisper implementation (PyTorch), if installed.
    ``model`` is a checkpoint file or a name whose ``NAME.pt`` is installed
    under ``<models_dir>/whisper-openai`` (it is never downloaded here;
    without a ``models_dir`` only a checkpoint file is accepted)."""

    name = "openai-whisper"

    def __init__(self, model: str, *, models_dir: Path | None, device: str = "auto") -> None:
        try:
            import whisper
        except ImportError as e:
            raise BackendNotAvailableError("The openai-whisper backend is not installed.") from e
        import torch

        p = Path(model).expanduser()
        if not p.is_file() and models_dir is not None:
            p = openai_model_path(model, models_dir=models_dir)
        if not p.is_file():
            raise ModelNotInstalledError(
                f"The openai-whisper checkpoint {model!r} is not installed (looked for {p}).", model=model,
                hint="Put the model's .pt file there, or give its path; it is not downloaded automatically.",
            )
        dev = "cuda" if (device in ("auto", "cuda") and torch.cuda.is_available()) else "cpu"
        self._whisper: Any = whisper
        self._model: Any = whisper.load_model(str(p), device=dev)
        self.device = dev
        self.compute_type = "float16" if dev == "cuda" else "float32"
        self.model_name = model

    def transcribe(
        self,
        samples: npt.NDArray[np.float32],
        *,
        language: str | None,
        vad_filter: bool,
        beam_size: int,
        on_segment: Callable[[Segment], None],
        cancel: CancelToken | None,
    ) -> RawTranscript:
        lang = check_language(language, multilingual=bool(self._model.is_multilingual), model=self.model_name)
        check(cancel)
        result = self._model.transcribe(
            samples, language=lang, word_timestamps=True, beam_size=beam_size, fp16=self.device == "cuda",
            condition_on_previous_text=False, verbose=None,
        )
        segs = []
        for s in result.get("segments", []):
            check(cancel)
            words = _clean_words([
                Word(float(w["start"]), float(w["end"]), str(w["word"]).strip(), float(w.get("probability", 1.0)))
                for w in s.get("words", [])
            ])
            seg = Segment(float(s["start"]), float(s["end"]), str(s["text"]).strip(), words)
            segs.append(seg)
            on_segment(seg)
        return RawTranscript(segs, str(result.get("language", lang or "")), 1.0, self.device, self.compute_type)
