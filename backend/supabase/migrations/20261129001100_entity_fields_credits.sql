-- Entity fields added to the project model after 20261129001000 (credits and
-- lineage): the client's audio_engine.project.entities.FIELDS and this
-- catalogue must list the same fields (tests/cloud/test_entities_sql.py checks
-- it), or every change carrying the new field is refused as "unknown field".
insert into private.entity_fields (kind, field, jtypes, max_bytes) values
  ('props', 'lineage', '{array}', 1000000),
  ('media', 'album', '{string}', 1000),
  ('media', 'isrc', '{string}', 40),
  ('media', 'fingerprint', '{string}', 17000)
on conflict (kind, field) do nothing;
