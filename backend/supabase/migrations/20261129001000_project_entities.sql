-- Per-entity project sync (issue 11).
--
-- A project syncs at the grain people edit it: its entities (props, media,
-- tracks, clips, markers, caption lanes), each field last-writer-wins by the
-- hybrid clock, deletions as tombstones (the Figma multiplayer model). The
-- cloud copy holds the same thing as the .mashup file
-- (audio_engine/project/entities.py defines the mapping; this file's
-- private.entity_fields must list the same fields).
--
-- * Changes arrive through sync_push like every other change:
--   {key, kind: <entity kind>, project: <project uuid>, id: <entity id>,
--    op: upsert|delete, fields, clock}. private.apply_change dispatches them to
--   private.apply_entity_change (SECURITY DEFINER: clients have no write
--   grant on project_entities, so clock columns are written only here).
-- * sync_pull_entities(cursor) pages entity rows like sync_pull pages projects.
-- * The old whole-timeline JSON (projects.timeline) is upgraded into entity
--   rows and no longer accepted from clients.

-- ---------------------------------------------------------------- field catalogue
create table private.entity_fields (
  kind text not null,
  field text not null,
  jtypes text[] not null,          -- allowed jsonb_typeof() of the value
  max_bytes int not null,          -- bound on octet_length(value::text)
  primary key (kind, field)
);
revoke all on private.entity_fields from public, anon, authenticated;
grant select on private.entity_fields to service_role;

insert into private.entity_fields (kind, field, jtypes, max_bytes) values
  ('props', 'title', '{string}', 1000), ('props', 'artist', '{string}', 1000),
  ('props', 'tempo', '{number}', 40), ('props', 'key', '{string,null}', 40),
  ('props', 'time_signature', '{array}', 40), ('props', 'sample_rate', '{number}', 40),
  ('props', 'notes', '{array}', 20000), ('props', 'model_id', '{string}', 140),
  ('media', 'name', '{string}', 1000), ('media', 'ext', '{string}', 20),
  ('media', 'stems', '{object}', 4000), ('media', 'stem_exts', '{object}', 2000),
  ('media', 'bpm', '{number,null}', 40), ('media', 'key', '{string,null}', 40),
  ('media', 'duration', '{number}', 40), ('media', 'title', '{string}', 1000),
  ('media', 'artist', '{string}', 1000), ('media', 'separation_model', '{string}', 140),
  ('track', 'name', '{string}', 1000), ('track', 'gain_db', '{number}', 40),
  ('track', 'pan', '{number}', 40), ('track', 'mute', '{boolean}', 10),
  ('track', 'solo', '{boolean}', 10), ('track', 'order', '{number}', 40),
  ('clip', 'track_id', '{string}', 140), ('clip', 'media', '{string}', 140),
  ('clip', 'stem', '{string,null}', 70), ('clip', 'source_in', '{number}', 40),
  ('clip', 'source_out', '{number}', 40), ('clip', 'position', '{number}', 40),
  ('clip', 'stretch_mode', '{string}', 20), ('clip', 'stretch_ratio', '{number}', 40),
  ('clip', 'source_bpm', '{number,null}', 40), ('clip', 'pitch', '{number}', 40),
  ('clip', 'gain_db', '{number}', 40), ('clip', 'fade_in', '{number}', 40),
  ('clip', 'fade_out', '{number}', 40), ('clip', 'name', '{string}', 1000),
  ('marker', 'position', '{number}', 40), ('marker', 'name', '{string}', 1000),
  ('caption', 'name', '{string}', 1000), ('caption', 'clip_id', '{string,null}', 140),
  ('caption', 'doc', '{object}', 1000000);

-- ---------------------------------------------------------------- table
create table public.project_entities (
  project_id uuid not null references public.projects (id) on delete cascade,
  kind text not null check (kind in ('props', 'media', 'track', 'clip', 'marker', 'caption')),
  entity_id text not null check (entity_id ~ '^[A-Za-z0-9_.-]{1,128}$'),
  owner_id uuid not null references auth.users (id) on delete cascade,
  fields jsonb not null default '{}'
    check (jsonb_typeof(fields) = 'object' and pg_column_size(fields) <= 1100000),
  deleted boolean not null default false,
  field_clock jsonb not null default '{}'
    check (jsonb_typeof(field_clock) = 'object' and pg_column_size(field_clock) <= 8000),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  change_xid xid8 not null default pg_current_xact_id(),
  primary key (project_id, kind, entity_id)
);
create index project_entities_change on public.project_entities (change_xid, project_id, kind, entity_id);

create trigger project_entities_stamp before insert or update on public.project_entities
  for each row execute function private.stamp_change();

alter table public.project_entities enable row level security;
revoke all on public.project_entities from public, anon, authenticated;
grant all on public.project_entities to service_role;
-- Read-only for clients: every write goes through sync_push.
grant select on public.project_entities to authenticated;
create policy entities_select on public.project_entities for select to authenticated
  using (owner_id = (select auth.uid()) or private.project_access(project_id, (select auth.uid())) is not null);

-- Most entities one project may hold (a 3-hour mashup has a few hundred).
create function private.max_entities() returns int language sql immutable set search_path = pg_catalog, pg_temp
  as $$ select 20000 $$;

-- ---------------------------------------------------------------- apply one entity change
create function private.apply_entity_change(p_change jsonb) returns text
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_uid uuid := auth.uid();
  v_project uuid;
  v_kind text := p_change ->> 'kind';
  v_id text := p_change ->> 'id';
  v_op text := coalesce(p_change ->> 'op', 'upsert');
  v_fields jsonb := coalesce(p_change -> 'fields', '{}');
  v_clock text := p_change ->> 'clock';
  v_access text;
  v_owner uuid;
  v_old record;
  v_allowed text[];
  v_merge jsonb;
  a jsonb;
  k text;
  spec record;
  v_count int;
  v_exists boolean;
begin
  if v_uid is null then
    raise exception 'sign in required' using errcode = 'MS002';
  end if;
  begin
    v_project := (p_change ->> 'project')::uuid;
  exception when others then
    raise exception 'bad project id' using errcode = 'MS003';
  end;
  if v_project is null then
    raise exception 'project required' using errcode = 'MS003';
  end if;
  if v_id is null or v_id !~ '^[A-Za-z0-9_.-]{1,128}$' then
    raise exception 'bad entity id' using errcode = 'MS003';
  end if;
  if v_op = 'delete' then
    v_fields := jsonb_build_object('deleted', true);
  elsif v_op <> 'upsert' then
    raise exception 'unknown op %', left(v_op, 20) using errcode = 'MS003';
  end if;
  if jsonb_typeof(v_fields) is distinct from 'object' then
    raise exception 'fields must be an object' using errcode = 'MS003';
  end if;
  v_access := private.project_access(v_project, v_uid);
  if v_access is null or v_access not in ('owner', 'editor') then
    raise exception 'not allowed to edit this project' using errcode = '42501';
  end if;
  select array_agg(f.field) || array['deleted'] into v_allowed from private.entity_fields f where f.kind = v_kind;
  if v_allowed is null or array_length(v_allowed, 1) = 1 then
    raise exception 'unknown kind %', left(v_kind, 20) using errcode = 'MS003';
  end if;
  for k in select jsonb_object_keys(v_fields) loop
    if k = 'deleted' then
      if jsonb_typeof(v_fields -> k) <> 'boolean' then
        raise exception 'deleted must be true or false' using errcode = 'MS003';
      end if;
      continue;
    end if;
    select * into spec from private.entity_fields f where f.kind = v_kind and f.field = k;
    if not found then
      raise exception 'unknown field %.%', v_kind, left(k, 40) using errcode = 'MS003';
    end if;
    if not (jsonb_typeof(v_fields -> k) = any (spec.jtypes)) then
      raise exception '%.% must be %', v_kind, k, array_to_string(spec.jtypes, ' or ') using errcode = 'MS003';
    end if;
    if octet_length((v_fields -> k)::text) > spec.max_bytes then
      raise exception '%.% is too large (limit % bytes)', v_kind, k, spec.max_bytes using errcode = 'MS003';
    end if;
  end loop;

  select e.fields, e.field_clock, e.deleted into v_old from public.project_entities e
   where e.project_id = v_project and e.kind = v_kind and e.entity_id = v_id for update;
  v_exists := found;
  v_merge := private.lww(case when v_exists then v_old.field_clock end, v_fields, v_clock, v_allowed);
  a := v_merge -> 'apply';
  if not v_exists then
    select p.owner_id into v_owner from public.projects p where p.id = v_project;
    perform pg_advisory_xact_lock(hashtextextended('entities:' || v_project::text, 0));
    select count(*) into v_count from public.project_entities e where e.project_id = v_project;
    if v_count >= private.max_entities() then
      raise exception 'a project holds at most % entities', private.max_entities() using errcode = 'MS003';
    end if;
    insert into public.project_entities (project_id, kind, entity_id, owner_id, fields, deleted, field_clock)
    values (v_project, v_kind, v_id, v_owner, a - 'deleted', coalesce((a ->> 'deleted')::boolean, false),
            v_merge -> 'clock');
  elsif a <> '{}' then
    update public.project_entities e set
      fields = e.fields || (a - 'deleted'),
      deleted = case when a ? 'deleted' then (a ->> 'deleted')::boolean else e.deleted end,
      field_clock = v_merge -> 'clock'
    where e.project_id = v_project and e.kind = v_kind and e.entity_id = v_id;
  end if;
  return 'accepted';
end
$$;
revoke all on function private.apply_entity_change(jsonb) from public, anon;
grant execute on function private.apply_entity_change(jsonb) to authenticated, service_role;

-- ---------------------------------------------------------------- dispatch in sync_push
-- sync_push calls private.apply_change(c) by name for each change: keep the
-- existing function (whatever earlier migrations made of it) under a new name
-- and dispatch entity kinds in front of it.
alter function private.apply_change(jsonb) rename to apply_change_rows;

create function private.apply_change(p_change jsonb) returns text
language plpgsql set search_path = pg_catalog, pg_temp as $$
begin
  if (p_change ->> 'kind') in ('props', 'media', 'track', 'clip', 'marker', 'caption') then
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
grant execute on function private.apply_change(jsonb), private.apply_change_rows(jsonb)
  to authenticated, service_role;

-- ---------------------------------------------------------------- pull
-- Cursor: '' or '<xid>:<project uuid>:<kind>:<entity id>' (entity ids have no ':').
create function public.sync_pull_entities(p_cursor text default '', p_limit int default 500) returns jsonb
language plpgsql stable set search_path = pg_catalog, pg_temp as $$
declare
  v_uid uuid := private.require_uid();
  v_xid xid8 := '0'::xid8;
  v_project uuid := '00000000-0000-0000-0000-000000000000';
  v_kind text := '';
  v_id text := '';
  v_horizon xid8 := pg_snapshot_xmin(pg_current_snapshot());
  v_rows jsonb;
  v_n int;
begin
  if p_limit is null or p_limit < 1 or p_limit > 1000 then
    raise exception 'p_limit must be 1..1000' using errcode = 'MS003';
  end if;
  if length(coalesce(p_cursor, '')) > 300 then
    raise exception 'bad cursor' using errcode = 'MS003';
  end if;
  if coalesce(p_cursor, '') <> '' then
    begin
      v_xid := split_part(p_cursor, ':', 1)::xid8;
      v_project := split_part(p_cursor, ':', 2)::uuid;
      v_kind := split_part(p_cursor, ':', 3);
      v_id := split_part(p_cursor, ':', 4);
    exception when others then
      raise exception 'bad cursor' using errcode = 'MS003';
    end;
  end if;
  with page as (
    select e.* from public.project_entities e
     where e.change_xid < v_horizon
       and (e.change_xid, e.project_id, e.kind, e.entity_id) > (v_xid, v_project, v_kind, v_id)
     order by e.change_xid, e.project_id, e.kind, e.entity_id
     limit p_limit
  )
  select coalesce(jsonb_agg(jsonb_build_object(
           'kind', kind, 'project', project_id, 'id', entity_id, 'deleted', deleted,
           'row', jsonb_build_object('fields', fields, 'field_clock', field_clock, 'deleted', deleted,
                                     'owner_id', owner_id),
           'pos', change_xid::text || ':' || project_id::text || ':' || kind || ':' || entity_id)
         order by change_xid, project_id, kind, entity_id), '[]'), count(*)
    into v_rows, v_n from page;
  if v_n > 0 then
    p_cursor := v_rows -> (v_n - 1) ->> 'pos';
  end if;
  return jsonb_build_object('changes', v_rows, 'cursor', coalesce(p_cursor, ''), 'has_more', v_n = p_limit,
                            'user', v_uid);
end
$$;
revoke all on function public.sync_pull_entities(text, int) from public, anon;
grant execute on function public.sync_pull_entities(text, int) to authenticated, service_role;

-- ---------------------------------------------------------------- upgrade existing rows
-- projects.timeline held a whole Project.to_dict() (tracks with their clips,
-- markers, caption_lanes, media, properties). Split each into entity rows
-- that carry the timeline field's clock, then empty the column.
do $$
declare
  p record;
  t jsonb;
  c jsonb;
  m jsonb;
  h text;
  i int;
  v_clock text;
  v_tl jsonb;
  ins text := 'insert into public.project_entities (project_id, kind, entity_id, owner_id, fields, field_clock) '
              'values ($1, $2, $3, $4, $5, $6) on conflict do nothing';
begin
  for p in select * from public.projects where timeline <> '{}'::jsonb loop
    v_tl := p.timeline;
    v_clock := coalesce(p.field_clock ->> 'timeline', '0000000000000-00000-upgrade');
    execute ins using p.id, 'props', 'project', p.owner_id,
      jsonb_strip_nulls(jsonb_build_object(
        'title', v_tl -> 'title', 'artist', v_tl -> 'artist', 'tempo', v_tl -> 'tempo',
        'time_signature', v_tl -> 'time_signature', 'sample_rate', v_tl -> 'sample_rate',
        'notes', v_tl -> 'notes', 'model_id', v_tl -> 'id')) || jsonb_build_object('key', v_tl -> 'key'),
      (select jsonb_object_agg(f.field, v_clock) from private.entity_fields f where f.kind = 'props');
    i := 0;
    for t in select value from jsonb_array_elements(coalesce(v_tl -> 'tracks', '[]')) loop
      execute ins using p.id, 'track', t ->> 'id', p.owner_id,
        (t - 'id' - 'clips') || jsonb_build_object('order', i),
        (select jsonb_object_agg(f.field, v_clock) from private.entity_fields f where f.kind = 'track');
      for c in select value from jsonb_array_elements(coalesce(t -> 'clips', '[]')) loop
        execute ins using p.id, 'clip', c ->> 'id', p.owner_id,
          (c - 'id') || jsonb_build_object('track_id', t ->> 'id'),
          (select jsonb_object_agg(f.field, v_clock) from private.entity_fields f where f.kind = 'clip');
      end loop;
      i := i + 1;
    end loop;
    for m in select value from jsonb_array_elements(coalesce(v_tl -> 'markers', '[]')) loop
      execute ins using p.id, 'marker', m ->> 'id', p.owner_id, m - 'id',
        (select jsonb_object_agg(f.field, v_clock) from private.entity_fields f where f.kind = 'marker');
    end loop;
    for m in select value from jsonb_array_elements(coalesce(v_tl -> 'caption_lanes', '[]')) loop
      execute ins using p.id, 'caption', m ->> 'id', p.owner_id, m - 'id',
        (select jsonb_object_agg(f.field, v_clock) from private.entity_fields f where f.kind = 'caption');
    end loop;
    for h, m in select key, value from jsonb_each(coalesce(v_tl -> 'media', '{}')) loop
      execute ins using p.id, 'media', h, p.owner_id, m - 'hash',
        (select jsonb_object_agg(f.field, v_clock) from private.entity_fields f where f.kind = 'media');
    end loop;
    update public.projects set timeline = '{}'::jsonb, field_clock = field_clock - 'timeline' where id = p.id;
  end loop;
end
$$;
