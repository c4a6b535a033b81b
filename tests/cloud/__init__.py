"""Cloud backend and sync tests (real PostgreSQL)."""
