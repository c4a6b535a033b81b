-- A reversed clip (issue 18: the inspector's Reverse; project format 7): a
-- clip carries "reversed" (true: its source range plays from end to start;
-- false by default, so rows synced before it read as forward clips). The
-- client's audio_engine.project.entities.FIELDS and this catalogue must list
-- the same fields (tests/cloud/test_entities_sql.py checks it), or every clip
-- change carrying it is refused as "unknown field". Typed here as a JSON
-- boolean like a track's mute and solo; the client's model checks it on load.
insert into private.entity_fields (kind, field, jtypes, max_bytes) values
  ('clip', 'reversed', '{boolean}', 10)
on conflict (kind, field) do nothing;
