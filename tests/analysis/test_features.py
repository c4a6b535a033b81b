"""The numpy features match librosa's own functions (they replace them only
to avoid librosa's numba compilation at start-up)."""

from __future__ import annotations

import librosa
import numpy as np
import pytest

from audio_engine.analysis import features as F
from audio_engine.analysis.rhythm import track_beats
from tests.analysis.synth import pulse_song


@pytest.fixture(scope="module")
def signal() -> np.ndarray:
    audio, _, _ = pulse_song(117.0, 20.0, first_downbeat=0.3, sub_level=0.4)
    return audio.mono().samples[0]


def test_mel_filterbank_matches_librosa() -> None:
    ours = F.mel_filterbank(sr=F.SR, n_fft=F.N_FFT, n_mels=F.N_MELS)
    ref = librosa.filters.mel(sr=F.SR, n_fft=F.N_FFT, n_mels=F.N_MELS)
    assert ours.shape == ref.shape
    np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-7)


def test_stft_power_matches_librosa(signal: np.ndarray) -> None:
    ours = np.concatenate(list(F.stft_power_chunks(signal, n_fft=F.N_FFT, hop=F.HOP)), axis=1)
    ref = np.abs(librosa.stft(signal, n_fft=F.N_FFT, hop_length=F.HOP, center=True, pad_mode="constant")) ** 2
    assert ours.shape == ref.shape
    np.testing.assert_allclose(ours, ref, rtol=1e-3, atol=1e-3 * float(ref.max()))


def test_onset_strength_matches_librosa(signal: np.ndarray) -> None:
    ours = F.rhythm_features(signal).onset
    ref = librosa.onset.onset_strength(y=signal, sr=F.SR, hop_length=F.HOP, n_fft=F.N_FFT, aggregate=np.median)
    assert ours.shape == ref.shape
    assert np.corrcoef(ours, ref)[0, 1] > 0.999
    np.testing.assert_allclose(ours, ref, atol=0.05 * float(ref.max()))


def test_beat_tracker_matches_librosa(signal: np.ndarray) -> None:
    onset = F.rhythm_features(signal).onset
    ours = track_beats(onset, 117.0, 100.0)
    _, ref = librosa.beat.beat_track(onset_envelope=onset, sr=F.SR, hop_length=F.HOP, bpm=117.0, units="frames")
    assert len(ours) >= 0.9 * len(ref)
    # Nearly every librosa beat has one of ours within a frame.
    near = [np.min(np.abs(ours - r)) <= 1 for r in ref]
    assert np.mean(near) >= 0.95


def test_features_are_chunk_invariant(monkeypatch: pytest.MonkeyPatch, signal: np.ndarray) -> None:
    whole = F.rhythm_features(signal)
    monkeypatch.setattr(F, "_CHUNK_FRAMES", 97)
    chunked = F.rhythm_features(signal)
    np.testing.assert_allclose(chunked.onset, whole.onset, atol=1e-5)
    np.testing.assert_allclose(chunked.energy_db, whole.energy_db, atol=1e-4)
