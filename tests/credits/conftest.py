"""The credits tests that need the server use the cloud tests' real PostgreSQL."""

from tests.cloud.conftest import db, fresh_db, fresh_gw, pg_server, template_db

__all__ = ["db", "fresh_db", "fresh_gw", "pg_server", "template_db"]
