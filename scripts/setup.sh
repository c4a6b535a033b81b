#!/usr/bin/env bash
# Installs everything Mashups Studio needs on a Debian/Ubuntu machine:
# Debian packages (when missing), a .venv in the repository root, and the
# Python packages pinned in constraints.txt. Idempotent: a second run only
# checks and returns.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DEB_PACKAGES=(
  python3-venv ffmpeg libsndfile1 libportaudio2
  espeak-ng fluidsynth timgm6mb-soundfont fluid-soundfont-gm
  libchromaprint-tools postgresql-15 xvfb xdotool openbox imagemagick
  libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libxcb-randr0
  libxcb-render-util0 libxcb-image0
)

if command -v dpkg-query >/dev/null 2>&1; then
  missing=()
  for p in "${DEB_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
else
  echo "setup: not a Debian-like system; install ffmpeg, libsndfile, portaudio, espeak-ng and fluidsynth yourself." >&2
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PY" -m venv .venv
fi

stamp_now=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat .venv/.setup-stamp 2>/dev/null || true)" != "$stamp_now" ]; then
  echo "setup: installing Python packages into .venv (first run takes a few minutes)"
  # torch first and pinned, so the CPU wheel is used and nothing pulls CUDA packages.
  .venv/bin/pip install -q --disable-pip-version-check "torch==2.13.0"
  .venv/bin/pip install -q --disable-pip-version-check -c constraints.txt -e ".[dev]"
  echo "$stamp_now" > .venv/.setup-stamp
fi
