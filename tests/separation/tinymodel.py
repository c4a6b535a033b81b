"""A tiny HTDemucs built with Demucs' own classes and saved the way Demucs
saves models (the package dict of ``demucs.states.serialize_model`` written
by ``demucs.states.save_with_checksum`` as ``<sig>-<sha256[:8]>.th``, plus a
``<name>.yaml`` bag file), so the engine loads it through Demucs' normal
local-repository path."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

SOURCES = ["drums", "bass", "other", "vocals"]


def build_tiny_model(
    model_dir: Path,
    *,
    name: str = "tiny",
    sig: str = "7e57c0de",
    samplerate: int = 44100,
    segment: Fraction = Fraction(2, 1),
    seed: int = 0,
) -> Path:
    """Save a tiny random-weight HTDemucs into ``model_dir/demucs`` (the
    engine's repository folder for ``model_dir``); returns the .th path."""
    import torch
    from demucs.htdemucs import HTDemucs
    from demucs.states import get_state, save_with_checksum

    torch.manual_seed(seed)
    model = HTDemucs(
        sources=SOURCES, samplerate=samplerate, segment=segment, audio_channels=2,
        channels=8, depth=4, t_layers=1, t_heads=2, nfft=1024, bottom_channels=0,
        dconv_mode=1, dconv_comp=4,
    )
    args, kwargs = model._init_args_kwargs
    package = {
        "klass": HTDemucs,
        "args": args,
        "kwargs": kwargs,
        "state": get_state(model, None, half=False),
        "training_args": {},
    }
    repo = model_dir / "demucs"
    repo.mkdir(parents=True, exist_ok=True)
    save_with_checksum(package, repo / f"{sig}.th")
    (repo / f"{name}.yaml").write_text(f"models: ['{sig}']\n")
    (th,) = repo.glob(f"{sig}-*.th")
    return th
