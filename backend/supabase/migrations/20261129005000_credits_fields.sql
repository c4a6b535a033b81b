-- Issue 16: credits travel with synced projects. Project format 4 adds, per
-- media entry, album, ISRC and the Chromaprint fingerprint, and the
-- project's lineage (the works it derives from, audio_engine/credits.py).
-- private.apply_entity_change only accepts catalogued fields with their
-- JSON type and size bound, so they are catalogued here (the client's
-- audio_engine.project.entities.FIELDS lists the same names).
insert into private.entity_fields (kind, field, jtypes, max_bytes) values
  ('media', 'album', '{string}', 1000),
  ('media', 'isrc', '{string}', 40),
  ('media', 'fingerprint', '{string}', 16100),
  ('props', 'lineage', '{array}', 400000)
on conflict (kind, field) do nothing;
