-- Colours and a clip's stretch quality (issue 18: the editor's inspector;
-- project format 6): tracks, clips and markers carry an optional colour "#rrggbb", a
-- clip an optional stretch quality ("fast"/"high"). The client's
-- audio_engine.project.entities.FIELDS and this catalogue must list the same
-- fields (tests/cloud/test_entities_sql.py checks it), or every change
-- carrying one is refused as "unknown field". Values are checked by the
-- client's model on load (check_color, Clip.validate); here by type and size.
insert into private.entity_fields (kind, field, jtypes, max_bytes) values
  ('track', 'color', '{string,null}', 20),
  ('clip', 'color', '{string,null}', 20),
  ('clip', 'quality', '{string,null}', 20),
  ('marker', 'color', '{string,null}', 20)
on conflict (kind, field) do nothing;
