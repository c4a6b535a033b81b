"""Cloud commands of the ``mashups`` CLI, registered through the
``mashups.commands`` entry-point group (see docs/architecture.md): the engine's
CLI discovers them, so audio_engine never imports sync."""
