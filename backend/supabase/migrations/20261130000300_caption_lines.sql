-- Caption lines as entities (issue 11).
--
-- A caption lane synced as one `doc` field: two people editing different
-- lines of one lane overwrote each other. Each line now has a stable id
-- (audio_engine.project.model.line_id) and syncs as its own entity,
-- kind 'caption_line' (lane_id, start, end, text, words), field by field
-- last-writer-wins like every other entity; the lane keeps name, clip_id and
-- `meta` (its caption document without the lines: language, model, ...).
--
-- THREATS.md rules: every field typed and bounded in the catalogue (a line's
-- words 200 kB, its text 20 kB, meta 4 kB; a project still holds at most
-- private.max_entities() entities, lines included), rows readable under the
-- existing project_entities RLS policy only, written only through sync_push ->
-- private.apply_entity_change (no client write grant).
--
-- Existing lanes are upgraded: their `doc` is split into line rows whose ids
-- are the ones the studio gives the same lines on load
-- ('ln-' || first 16 hex digits of sha256('<lane id>/<index>')), carrying the
-- doc field's clock, so an old local copy and the upgraded cloud copy agree.

alter table public.project_entities drop constraint project_entities_kind_check;
alter table public.project_entities add constraint project_entities_kind_check
  check (kind in ('props', 'media', 'track', 'clip', 'marker', 'caption', 'caption_line'));

insert into private.entity_fields (kind, field, jtypes, max_bytes) values
  ('caption', 'meta', '{object}', 4000),
  ('caption_line', 'lane_id', '{string}', 140),
  ('caption_line', 'start', '{number}', 40),
  ('caption_line', 'end', '{number}', 40),
  ('caption_line', 'text', '{string}', 20000),
  ('caption_line', 'words', '{array}', 200000)
on conflict (kind, field) do nothing;
delete from private.entity_fields where kind = 'caption' and field = 'doc';

-- The dispatcher of 20261129001000 with the new kind, and a clear word for an
-- older studio that still sends whole caption documents.
create or replace function private.apply_change(p_change jsonb) returns text
language plpgsql set search_path = pg_catalog, pg_temp as $$
begin
  if (p_change ->> 'kind') = 'caption' and jsonb_typeof(p_change -> 'fields') = 'object'
     and (p_change -> 'fields') ? 'doc' then
    raise exception 'caption lines sync one by one now: update Mashups Studio' using errcode = 'MS003';
  end if;
  if (p_change ->> 'kind') in ('props', 'media', 'track', 'clip', 'marker', 'caption', 'caption_line') then
    return private.apply_entity_change(p_change);
  end if;
  if (p_change ->> 'kind') = 'project' and jsonb_typeof(p_change -> 'fields') = 'object'
     and (p_change -> 'fields') ? 'timeline' then
    raise exception 'the whole-timeline field was replaced by per-entity sync: update Mashups Studio'
      using errcode = 'MS003';
  end if;
  return private.apply_change_rows(p_change);
end
$$;
revoke all on function private.apply_change(jsonb) from public, anon;
grant execute on function private.apply_change(jsonb) to authenticated, service_role;

-- ---------------------------------------------------------------- upgrade existing lanes
do $$
declare
  r record;
  s jsonb;
  i int;
  v_clock text;
  v_fields jsonb;
begin
  for r in select * from public.project_entities where kind = 'caption' and fields ? 'doc' loop
    v_clock := coalesce(r.field_clock ->> 'doc', '0000000000000-00000-upgrade');
    i := 0;
    if jsonb_typeof(r.fields -> 'doc' -> 'segments') = 'array' then
      for s in select value from jsonb_array_elements(r.fields -> 'doc' -> 'segments') loop
        if jsonb_typeof(s) = 'object' then
          v_fields := jsonb_build_object('lane_id', r.entity_id, 'start', coalesce(s -> 'start', '0'),
                                         'end', coalesce(s -> 'end', '0'), 'text', coalesce(s -> 'text', '""'),
                                         'words', coalesce(s -> 'words', '[]'));
          insert into public.project_entities (project_id, kind, entity_id, owner_id, fields, field_clock)
          values (r.project_id, 'caption_line',
                  'ln-' || left(encode(sha256(convert_to(r.entity_id || '/' || i, 'UTF8')), 'hex'), 16),
                  r.owner_id, v_fields,
                  (select jsonb_object_agg(k, v_clock) from jsonb_object_keys(v_fields) k))
          on conflict do nothing;
        end if;
        i := i + 1;
      end loop;
    end if;
    update public.project_entities e
       set fields = (e.fields - 'doc')
                    || jsonb_build_object('meta', case when jsonb_typeof(e.fields -> 'doc') = 'object'
                                                       then (e.fields -> 'doc') - 'segments' else '{}' end),
           field_clock = (e.field_clock - 'doc') || jsonb_build_object('meta', v_clock)
     where e.project_id = r.project_id and e.kind = 'caption' and e.entity_id = r.entity_id;
  end loop;
end
$$;
