"""Development/test backend (never shipped, never imported by the app):
a throwaway PostgreSQL with the Supabase stand-in bootstrap and the project's
migrations (:mod:`backend.devserver.pg`) and a Supabase-compatible HTTP
gateway over it (:mod:`backend.devserver.gateway`). ``scripts/local-backend.sh``
starts both (``python -m backend.devserver``)."""
