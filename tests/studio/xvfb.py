"""A real X server for studio tests that must see what a person sees: Xvfb
(not Qt's offscreen platform) with a window manager, the studio as a separate
process on it, xdotool to drive it and ImageMagick's ``import`` to look at it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ("Xvfb", "xdotool", "import")


def require_tools() -> None:
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        msg = f"needs {', '.join(missing)} (Debian: xvfb xdotool imagemagick; scripts/setup.sh installs them)"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)


@dataclass
class XServer:
    display: str
    env: dict[str, str]

    def run(self, *args: str, timeout: float = 30.0, check: bool = True) -> str:
        out = subprocess.run(list(args), env=self.env, capture_output=True, text=True, timeout=timeout)
        if check and out.returncode != 0:
            raise AssertionError(f"{args[0]} failed ({out.returncode}): {out.stderr.strip()}")
        return out.stdout

    def screenshot(self, path: Path) -> Path:
        self.run("import", "-window", "root", str(path), timeout=60)
        return path

    def find_window(self, name: str, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", name], env=self.env,
                                 capture_output=True, text=True, timeout=10)
            ids = out.stdout.split()
            if ids:
                return ids[-1]
            time.sleep(0.3)
        raise AssertionError(f"no visible window named {name!r} after {timeout:.0f} s")


@contextmanager
def xserver(size: str = "1600x1000x24") -> Iterator[XServer]:
    """Start Xvfb on a free display (``-displayfd``) with openbox when installed."""
    require_tools()
    r, w = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(w), "-screen", "0", size, "-nolisten", "tcp"],
                            pass_fds=(w,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(w)
    try:
        with os.fdopen(r) as fh:
            num = fh.readline().strip()
        if not num:
            raise AssertionError("Xvfb did not start")
        env = dict(os.environ, DISPLAY=f":{num}", QT_QPA_PLATFORM="xcb")
        wm = None
        if shutil.which("openbox"):
            wm = subprocess.Popen(["openbox"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.5)
        try:
            yield XServer(f":{num}", env)
        finally:
            if wm is not None:
                wm.terminate()
                wm.wait(10)
    finally:
        xvfb.terminate()
        try:
            xvfb.wait(10)
        except subprocess.TimeoutExpired:
            xvfb.kill()


def studio_process(x: XServer, home: Path, *args: str) -> subprocess.Popen[bytes]:
    """The studio as a person starts it (``python -m studio.app``), on the X server."""
    settings = home / "settings.ini"
    home.mkdir(parents=True, exist_ok=True)
    if not settings.exists():
        settings.write_text("[General]\nfirst_run_done=true\n")
    env = dict(x.env, MASHUPS_HOME=str(home), PYTHONFAULTHANDLER="1")
    log = open(home / "studio-stderr.txt", "wb")  # noqa: SIM115 - closed by the caller through the process
    return subprocess.Popen([sys.executable, "-m", "studio.app", "--settings", str(settings), *args], cwd=ROOT,
                            env=env, stdout=log, stderr=subprocess.STDOUT)
