"""The application layer: the named operations the studio, the CLI and Magic
call (the way Anki's UI calls ``pylib``), so that widgets only connect
controls to operations and no mechanism is written twice.

* :mod:`audio_engine.app.context` -- one explicit paths/caches object, built
  at start-up and passed in (no engine function picks a folder by itself).
* :mod:`audio_engine.app.songs` -- songs to project commands (the editor's
  "add songs" and Magic's tracks).
* :mod:`audio_engine.app.render` -- one per-track/clip render used by export
  and playback (whole buffers or bounded blocks).
* :mod:`audio_engine.app.fits` -- partner ranking ("what fits with this").
* :mod:`audio_engine.app.models` -- one model catalog (Demucs and Whisper).
"""
