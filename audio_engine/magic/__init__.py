"""Magic mashup (two songs -> an editable, beat- and key-matched project and
a render), the mashability score, and "what fits with this"."""

from audio_engine.magic.core import Caches, MagicResult, default_model, magic_mashup, prepare_song
from audio_engine.magic.fits import Fit, magic_with_library, what_fits
from audio_engine.magic.plan import (
    DEFAULT_MAX_STRETCH,
    QuickFit,
    check_pair,
    pair_plan,
    quick_fits,
    track_name,
)
from audio_engine.magic.score import Mashability, TempoPlan, mashability, plan_tempo
from audio_engine.magic.variations import Variation, magic_variations

__all__ = [
    "DEFAULT_MAX_STRETCH", "QuickFit", "check_pair", "pair_plan", "quick_fits", "track_name",
    "Caches", "Fit", "MagicResult", "Mashability", "TempoPlan", "default_model", "magic_mashup", "magic_with_library", "mashability",
    "plan_tempo", "prepare_song", "what_fits", "Variation", "magic_variations",
]
