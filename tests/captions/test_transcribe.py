"""Real transcription with the real tiny.en weights (CTranslate2 int8 on CPU)."""

from __future__ import annotations

import statistics
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audio_engine.audio import Audio
from audio_engine.cache import JsonCache
from audio_engine.captions import caption_song, transcribe, word_error_rate
from audio_engine.captions.metrics import line_start_errors
from audio_engine.errors import (
    AudioDecodeError,
    Cancelled,
    InvalidAudioError,
    MashupsError,
    ModelNotInstalledError,
)
from audio_engine.progress import CancelToken, Progress
from tests.captions.conftest import SENTENCE, STORY, Speech, make_speech


def test_sentence_words_and_timing(speech: Speech, tiny_en: Path, recognizer: object) -> None:
    doc = transcribe(speech.path, model=str(tiny_en), cache=False, in_worker=False, recognizer=recognizer)
    assert doc.language == "en"
    assert doc.duration == pytest.approx(len(speech.samples) / speech.sample_rate, abs=0.01)
    assert word_error_rate(SENTENCE, doc.text) <= 0.25
    words = doc.words()
    assert len(words) >= 10
    # Speech starts 2.5 s into silence: the first word must start there, not in the silence.
    assert abs(words[0].start - speech.onset) <= 0.15
    assert abs(words[-1].end - speech.offset) <= 0.4
    for a, b in zip(words, words[1:], strict=False):
        assert a.start <= b.start
        assert a.start <= a.end
    assert all(0.0 <= w.probability <= 1.0 for w in words)
    assert all(speech.onset - 0.2 <= w.start <= speech.offset for w in words)


def test_word_onsets_placed_in_silence(tmp_path: Path, tiny_en: Path, recognizer: object) -> None:
    """Words spoken alone at known times: each recognised word starts near its onset."""
    placed = [(1.0, "yesterday"), (3.2, "mountain"), (5.1, "computer"), (7.4, "yellow"), (9.0, "garden")]
    sr = 22050
    track = np.zeros(int(11.0 * sr), np.float32)
    onsets = []
    for t, w in placed:
        s = make_speech(tmp_path, w, lead=0.0, tail=0.0, name=f"{w}.wav")
        a = int(t * sr)
        track[a : a + len(s.samples)] += s.samples
        onsets.append(t + s.onset)
    path = tmp_path / "words.wav"
    sf.write(path, track, sr, subtype="FLOAT")
    doc = transcribe(path, model=str(tiny_en), language="en", cache=False, in_worker=False, recognizer=recognizer)
    ref = " ".join(w for _, w in placed)
    assert word_error_rate(ref, doc.text) <= 0.4
    errs = line_start_errors([(on, w) for on, (_, w) in zip(onsets, placed, strict=True)],
                             [(w.start, w.text) for w in doc.words()])
    found = [e for e in errs if e is not None]
    assert len(found) >= 4
    assert max(abs(e) for e in found) <= 0.25, errs


def test_corpus_vocals_wer_and_line_starts(songs: list, tiny_en: Path, recognizer: object) -> None:
    """Corpus songs (vocals are espeak speech on downbeats): WER and line starts on the vocals stem."""
    all_errs: list[float] = []
    wers = []
    for song in songs[:3]:
        lines = [(ln["start"], ln["text"]) for ln in song.truth["lyrics"]]
        doc = caption_song(song.mix, vocals=song.stem("vocals"), model=str(tiny_en), language="en", cache=False,
                           in_worker=False, recognizer=recognizer)
        assert doc.source == "vocals"
        wer = word_error_rate(" ".join(t for _, t in lines), doc.text)
        wers.append(wer)
        assert wer <= 0.45, (song.name, doc.text)
        errs = line_start_errors(lines, [(w.start, w.text) for w in doc.words()])
        assert sum(e is not None for e in errs) >= len(lines) - 1
        all_errs += [abs(e) for e in errs if e is not None]
    assert statistics.mean(wers) <= 0.3
    assert statistics.median(all_errs) <= 0.25
    assert max(all_errs) <= 1.0


def test_mix_fallback_and_times(songs: list, tiny_en: Path, studio_home: Path, recognizer: object) -> None:
    """Without stems the mix is transcribed (source "mix"), still in song time."""
    song = songs[0]
    doc = caption_song(song.mix, model=str(tiny_en), language="en", cache=False, in_worker=False,
                       recognizer=recognizer)
    assert doc.source == "mix"
    lines = song.truth["lyrics"]
    assert word_error_rate(" ".join(ln["text"] for ln in lines), doc.text) <= 0.8
    assert doc.segments and lines[0]["start"] - 1.0 <= doc.segments[0].start <= lines[0]["start"] + 2.0


def test_worker_progress_and_cache(speech: Speech, tiny_en: Path, tmp_path: Path, recognizer: object) -> None:
    cache = JsonCache(tmp_path / "captions.sqlite3")
    seen: list[Progress] = []
    doc = transcribe(speech.path, model=str(tiny_en), cache=cache, progress=seen.append)
    fr = [p.fraction for p in seen]
    assert fr == sorted(fr) and fr[-1] == 1.0
    assert "transcribing" in {p.stage for p in seen}
    assert any(0.0 < f < 1.0 for f in fr)
    assert len(cache) == 1
    # Same audio again (here as an Audio object): served from the cache, identical.
    again: list[Progress] = []
    x, sr = sf.read(speech.path, dtype="float32")
    doc2 = transcribe(Audio(x[None, :], sr), model=str(tiny_en), cache=cache, progress=again.append)
    assert doc2 == doc
    assert "cached" in {p.stage for p in again}
    # Different settings: a different cache entry.
    transcribe(speech.path, model=str(tiny_en), cache=cache, in_worker=False, vad_filter=False,
               recognizer=recognizer)
    assert len(cache) == 2


def test_cancel_in_worker(tmp_path: Path, tiny_en: Path) -> None:
    long = make_speech(tmp_path, STORY, lead=0.5, name="long.wav")
    token = CancelToken()
    cancelled_at: list[float] = []

    def on_progress(p: Progress) -> None:
        if p.stage == "transcribing" and not token.cancelled:
            cancelled_at.append(time.monotonic())
            token.cancel()

    t = threading.Timer(30.0, token.cancel)  # safety net only
    t.start()
    try:
        with pytest.raises(Cancelled):
            transcribe(long.path, model=str(tiny_en), cache=False, progress=on_progress, cancel=token)
    finally:
        t.cancel()
    assert cancelled_at, "the worker never reported transcribing progress"
    # Hard cancel: the worker stops (or is terminated) within its grace period.
    assert time.monotonic() - cancelled_at[0] < 5.0


def test_cancel_in_process(speech: Speech, tiny_en: Path) -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        transcribe(speech.path, model=str(tiny_en), cache=False, in_worker=False, cancel=token)


def test_bad_input(tmp_path: Path, tiny_en: Path, studio_home: Path, recognizer: object) -> None:
    nan = np.zeros((1, 16000), np.float32)
    nan[0, 100] = np.nan
    with pytest.raises(InvalidAudioError):
        transcribe(Audio(nan, 16000), model=str(tiny_en), cache=False, in_worker=False)
    with pytest.raises(InvalidAudioError):
        transcribe(Audio(np.zeros((1, 0), np.float32), 16000), model=str(tiny_en), cache=False)
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot really")
    with pytest.raises(AudioDecodeError):
        transcribe(bad, model=str(tiny_en), cache=False)
    # A model that is not installed: a typed error naming it, nothing downloaded.
    with pytest.raises(ModelNotInstalledError) as e:
        transcribe(tmp_path / "x.wav", model="small", cache=False)
    assert e.value.model == "small"
    assert not (studio_home / "models" / "whisper" / "small").exists()
    with pytest.raises(ModelNotInstalledError):
        transcribe(tmp_path / "x.wav", model="no-such-model", cache=False)
    incomplete = tmp_path / "half-model"
    incomplete.mkdir()
    (incomplete / "config.json").write_text("{}")
    with pytest.raises(ModelNotInstalledError) as e2:
        transcribe(tmp_path / "x.wav", model=str(incomplete), cache=False)
    assert "model.bin" in str(e2.value)
    speech_audio = Audio(np.zeros((1, 16000), np.float32), 16000)
    with pytest.raises(MashupsError, match="English only"):
        transcribe(speech_audio, model=str(tiny_en), language="de", cache=False, in_worker=False,
                   recognizer=recognizer)
    with pytest.raises(MashupsError, match="Unknown language"):
        transcribe(speech_audio, model=str(tiny_en), language="klingon", cache=False, in_worker=False,
                   recognizer=recognizer)
    with pytest.raises(MashupsError, match="backend"):
        transcribe(speech_audio, model=str(tiny_en), backend="nope", cache=False)


def test_openai_backend_absent_is_a_typed_error(speech: Speech) -> None:
    try:
        import whisper  # noqa: F401
    except ImportError:
        from audio_engine.captions.backends import BackendNotAvailableError

        with pytest.raises(BackendNotAvailableError):
            transcribe(speech.path, backend="openai-whisper", model="tiny.en", cache=False, in_worker=False)
    else:  # installed: it must not download silently
        with pytest.raises(ModelNotInstalledError):
            transcribe(speech.path, backend="openai-whisper", model="no-such-checkpoint", cache=False,
                       in_worker=False)


def excerpt(src: Path, dst: Path, *, seconds: float) -> Path:
    """The first ``seconds`` of a song (keeps the separation steps short)."""
    from audio_engine import io

    return io.save(io.load(src, duration=seconds), dst, format="wav", bit_depth="float")


def test_separate_vocals_pipeline_with_classical_separator(songs: list, tiny_en: Path, studio_home: Path,
                                                           tmp_path: Path, recognizer: object) -> None:
    """--separate-vocals runs the separation module first (classical: no download) and
    transcribes its vocals stem; those fallback stems are not picked up unasked later."""
    song = songs[0]
    mix = excerpt(song.mix, tmp_path / "mix.wav", seconds=9.0)
    stages: list[str] = []
    from audio_engine.cache import FileCache

    stems_cache = FileCache(studio_home / "cache" / "stems")
    doc = caption_song(mix, separate=True, separation_model="classical", model=str(tiny_en), language="en",
                       cache=False, in_worker=False, recognizer=recognizer, progress=lambda p: stages.append(p.stage),
                       stems_cache=stems_cache)
    assert doc.source == "vocals"
    assert "separating" in stages and "transcribing" in stages
    assert stages.index("separating") < stages.index("transcribing")
    lines = [ln for ln in song.truth["lyrics"] if ln["end"] <= 9.0]
    assert word_error_rate(" ".join(ln["text"] for ln in lines), doc.text) <= 1.0
    assert doc.segments and doc.segments[0].start >= lines[0]["start"] - 1.0
    assert any((studio_home / "cache" / "stems").iterdir())  # the stems went into the stem cache
    again = caption_song(mix, model=str(tiny_en), language="en", cache=False, in_worker=False, stems_cache=stems_cache,
                         recognizer=recognizer)
    assert again.source == "mix"


def test_cached_model_stems_are_used(songs: list, tiny_en: Path, studio_home: Path, tmp_path: Path,
                                     recognizer: object) -> None:
    """When the stem cache holds a model's separation of the song, its vocals stem is
    what gets transcribed (no separation is run). The model here is a tiny random-weight
    HTDemucs (the separation tests' helper): the lookup is what is tested, not its quality."""
    from audio_engine.captions.transcribe import _cached_vocals
    from audio_engine.separation import separate
    from tests.separation.tinymodel import build_tiny_model

    mix = excerpt(songs[1].mix, tmp_path / "mix.wav", seconds=6.0)
    other = excerpt(songs[2].mix, tmp_path / "other.wav", seconds=6.0)
    from audio_engine.cache import FileCache

    stems_cache = FileCache(tmp_path / "stems")
    assert _cached_vocals(mix, stems_cache) is None
    build_tiny_model(tmp_path / "models")
    stems = separate(mix, model="tiny", model_dir=tmp_path / "models", two_stems="vocals", in_worker=False,
                     cache=stems_cache)
    found = _cached_vocals(mix, stems_cache)
    assert found is not None and found == stems.stems["vocals"]
    assert _cached_vocals(other, stems_cache) is None  # another song: no stems
    assert _cached_vocals(mix, None) is None  # no stem cache given: nothing is looked up elsewhere
    doc = caption_song(mix, model=str(tiny_en), language="en", cache=False, in_worker=False,
                       recognizer=recognizer, stems_cache=stems_cache)
    assert doc.source == "vocals"
