"""The community tests run on the cloud tests' real PostgreSQL (tests/cloud/conftest.py)."""

from tests.cloud.conftest import db, fresh_db, pg_server, template_db

__all__ = ["db", "fresh_db", "pg_server", "template_db"]
