#!/usr/bin/env bash
# A fresh build environment on a release runner (Linux, Windows with Git Bash, macOS):
# .venv with CPU torch (MPS on macOS), the pinned packages and PyInstaller.
#
#   packaging/install-build-env.sh [python]      (default: python3, or python on Windows)
#
# FLAVOUR=nvidia installs the CUDA build of torch instead (see packaging/README.md).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYBIN=${1:-$(command -v python3 || command -v python)}
"$PYBIN" -m venv .venv
if [ -x .venv/Scripts/python.exe ]; then PY=.venv/Scripts/python.exe; else PY=.venv/bin/python; fi
"$PY" -m pip install -q --upgrade pip
case "$(uname -s)-${FLAVOUR:-cpu}" in
    Darwin-*) "$PY" -m pip install -q "torch==2.13.0" ;;                  # CPU + MPS wheel from PyPI
    *-nvidia) "$PY" -m pip install -q "torch==2.13.0" --index-url https://download.pytorch.org/whl/cu130 ;;
    *)        "$PY" -m pip install -q "torch==2.13.0" --index-url https://download.pytorch.org/whl/cpu ;;
esac
# constraints.txt pins torch==2.13.0, which the +cpu/+cu128 local versions satisfy.
"$PY" -m pip install -q -c constraints.txt -e ".[dev]"
"$PY" -m pip check
echo "$PY"
