"""Which compute device separation will use, and why.

The detection runs in a worker process (torch is never imported in the UI
process); the explanation follows the engine's own rule
(``audio_engine.separation.demucs_backend.pick_device``: auto = CUDA, then
Apple MPS, then CPU).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLabel

from audio_engine.progress import CancelToken
from studio.services import Services

NVIDIA_HINT = ("NVIDIA users: install the NVIDIA build of Mashups Studio (it carries CUDA PyTorch) "
               "to separate 20-50x faster.")


def device_report() -> dict[str, Any]:
    """Runs in the worker process: what torch sees, and how it was built."""
    info: dict[str, Any] = {"cuda": False, "mps": False, "names": [], "torch_cuda": None}
    try:
        import torch

        info["torch_cuda"] = getattr(torch.version, "cuda", None)
        info["cuda"] = bool(torch.cuda.is_available())
        if info["cuda"]:
            info["names"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        info["mps"] = bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
    except Exception as e:  # noqa: BLE001 - reported to the user as the reason
        info["error"] = str(e)
    return info


def device_target(*, progress: Any, cancel: Any) -> dict[str, Any]:
    return device_report()


def explain(preference: str, info: dict[str, Any]) -> tuple[str, str]:
    """(device, reason) for a device preference ("auto", "cpu", "cuda", "mps")
    and a :func:`device_report`."""
    if info.get("error"):
        return "cpu", f"PyTorch could not be loaded ({info['error']}); separation cannot use a GPU."
    names = ", ".join(info.get("names") or []) or "NVIDIA GPU"
    cpu_only = info.get("torch_cuda") is None
    if preference == "cpu":
        return "cpu", "CPU, because Settings → Models asks for the CPU."
    if preference == "cuda" or preference.startswith("cuda:"):
        if info.get("cuda"):
            return "cuda", f"CUDA on {names}, as chosen on the Models page."
        why = "this installation's PyTorch is CPU-only" if cpu_only else "no usable NVIDIA GPU/driver was found"
        return "none", f"CUDA was chosen but {why}: separation will fail until you choose Auto or CPU."
    if preference == "mps":
        if info.get("mps"):
            return "mps", "Apple GPU (Metal), as chosen on the Models page."
        return "none", "Apple Metal (MPS) was chosen but is not available here: choose Auto or CPU."
    if info.get("cuda"):
        return "cuda", f"CUDA on {names}: Auto prefers an NVIDIA GPU."
    if info.get("mps"):
        return "mps", "Apple GPU (Metal): Auto uses it when there is no NVIDIA GPU."
    if cpu_only:
        return "cpu", f"CPU: this installation's PyTorch is built without CUDA. {NVIDIA_HINT}"
    return "cpu", "CPU: PyTorch has CUDA support but found no NVIDIA GPU or driver."


class SeparationDeviceLabel(QLabel):
    """Settings line: detects once (worker process) when first shown, and
    re-explains against the current device preference each time it is shown."""

    def __init__(self, services: Services) -> None:
        super().__init__("Detecting…")
        self.s = services
        self.setObjectName("Muted")
        self.setWordWrap(True)
        self.info: dict[str, Any] | None = None
        self._started = False

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.info is not None:
            self.refresh()
        elif not self._started:
            self._started = True

            def fn(progress: Any, cancel: CancelToken) -> dict[str, Any]:
                from audio_engine.worker import run_in_worker

                return run_in_worker(device_target, progress=progress, cancel=cancel)

            self.s.jobs.submit("Detect GPU", "io", fn, on_result=self.set_info, background=True)

    def set_info(self, info: dict[str, Any]) -> None:
        self.info = info
        self.refresh()

    def refresh(self) -> None:
        if self.info is None:
            return
        device, reason = explain(self.s.settings.str("models/device") or "auto", self.info)
        self.setText(f"{device.upper()} — {reason}" if device != "none" else reason)
