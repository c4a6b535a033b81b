"""Adversarial tests of the backend (issue 10): attacks as anon, a stranger, a
collaborator (editor) and a viewer against the tables and RPCs PostgREST
exposes, with concurrent requests on separate connections."""
