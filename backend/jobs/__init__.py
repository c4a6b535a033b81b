"""Scheduled backend jobs (``python -m backend.jobs NAME``)."""
