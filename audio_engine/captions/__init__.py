"""Captions and lyrics: Whisper transcription with word timing, the caption
document and its edits, file formats, and time-stretch-aware remapping.

Qt-free. Heavy libraries (faster-whisper, CTranslate2, torch) are imported
only when a transcription runs.
"""

from audio_engine.captions.doc import (
    CaptionDoc,
    Segment,
    Word,
    delete,
    insert,
    merge,
    replace_text,
    retime,
    shift,
    split,
    split_lines,
)
from audio_engine.captions.formats import FORMATS, dumps, export, import_captions, loads
from audio_engine.captions.metrics import word_error_rate
from audio_engine.captions.models import (
    DEFAULT_MODEL,
    MODELS,
    import_model,
    install_model,
    installed_models,
    is_installed,
    resolve_model,
)
from audio_engine.captions.remap import remap, source_to_timeline, timeline_to_source
from audio_engine.captions.transcribe import (
    TranscribeOptions,
    caption_song,
    load_recognizer,
    transcribe,
    transcribe_audio,
)

__all__ = [
    "DEFAULT_MODEL",
    "FORMATS",
    "MODELS",
    "CaptionDoc",
    "Segment",
    "TranscribeOptions",
    "Word",
    "caption_song",
    "delete",
    "dumps",
    "export",
    "import_captions",
    "import_model",
    "insert",
    "install_model",
    "installed_models",
    "is_installed",
    "load_recognizer",
    "loads",
    "merge",
    "remap",
    "replace_text",
    "resolve_model",
    "retime",
    "shift",
    "source_to_timeline",
    "split",
    "split_lines",
    "timeline_to_source",
    "transcribe",
    "transcribe_audio",
    "word_error_rate",
]
