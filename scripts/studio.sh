#!/usr/bin/env bash
# Installs everything (scripts/setup.sh), then opens Mashups Studio.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
./scripts/setup.sh
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -z "${QT_QPA_PLATFORM:-}" ]; then
  echo "No display found: starting the studio on a virtual screen (xvfb-run)." >&2
  exec xvfb-run -a .venv/bin/mashups-studio "$@"
fi
exec .venv/bin/mashups-studio "$@"
