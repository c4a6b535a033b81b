"""Track analysis: tempo (constant-tempo beat grid), beats, downbeats, key,
loudness and true peak. See :func:`analyze` and :func:`analyze_file`."""

from audio_engine.analysis.core import (
    ANALYZER_VERSION,
    DEFAULT_TEMPO_RANGE,
    MAX_ANALYSIS_SECONDS,
    analyze,
    analyze_file,
)
from audio_engine.analysis.result import Analysis, AnalysisRecordError

__all__ = [
    "ANALYZER_VERSION",
    "DEFAULT_TEMPO_RANGE",
    "MAX_ANALYSIS_SECONDS",
    "Analysis",
    "AnalysisRecordError",
    "analyze",
    "analyze_file",
]
