#!/usr/bin/env bash
# A local cloud backend for development, demos and the cloud tests' manual
# counterpart: a throwaway PostgreSQL (Debian postgresql-15) with the Supabase
# stand-in bootstrap and the project's migrations, plus the Supabase-compatible
# HTTP gateway on 127.0.0.1. Prints SUPABASE_URL=... and SUPABASE_ANON_KEY=...
# and runs until Ctrl-C (then everything is deleted). Never part of the app.
#
#   ./scripts/local-backend.sh              # port 54321
#   ./scripts/local-backend.sh --port 0     # any free port
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=.venv/bin/python
if [ ! -x "$PY" ]; then
  echo "no .venv yet: run ./scripts/studio.sh or ./scripts/test.sh once first" >&2
  exit 1
fi
exec "$PY" -m backend.devserver "$@"
