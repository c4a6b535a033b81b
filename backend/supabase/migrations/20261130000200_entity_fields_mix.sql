-- Track mix settings (issue 17: the produced mix as editable track settings,
-- audio_engine.project.model.TRACK_MIX_FIELDS): the client's
-- audio_engine.project.entities.FIELDS and this catalogue must list the same
-- fields (tests/cloud/test_entities_sql.py checks it), or every change carrying
-- one is refused as "unknown field". Values are bounded by the client's model
-- on load (Track.validate); here by type and size like every entity field.
insert into private.entity_fields (kind, field, jtypes, max_bytes) values
  ('track', 'duck_source', '{string,null}', 140),
  ('track', 'duck_db', '{number}', 40),
  ('track', 'duck_attack_ms', '{number}', 40),
  ('track', 'duck_release_ms', '{number}', 40),
  ('track', 'presence_dip_db', '{number}', 40),
  ('track', 'presence_hz', '{number}', 40),
  ('track', 'highpass_hz', '{number}', 40)
on conflict (kind, field) do nothing;
