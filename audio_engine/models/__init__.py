"""Model files: the generic downloader (:mod:`.download`) and the Demucs model
registry/manager (:mod:`.demucs_registry`)."""
