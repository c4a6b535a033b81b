-- Projects, project media (metadata; audio lives in Storage), collaboration,
-- and the offline-first sync RPCs.
--
-- Sync model
--  * A change is {key, kind, id, op, fields, clock}. "key" is the client's
--    idempotency key: the first result for a key is stored in sync_receipts and
--    every replay returns that stored result without touching data again.
--  * Conflict policy for project data: last writer wins per field. Each row
--    keeps field_clock {field: clock}; a field is written only when the
--    change's clock is greater than the stored one. Clocks are hybrid logical
--    clock strings that compare as text ("<13-digit ms>-<5-digit counter>-<device>").
--    The result does not depend on the order in which changes arrive.
--  * Deletes are tombstones (deleted = true, itself a LWW field); rows are
--    never removed by clients, so a pull can tell other devices.
--  * Pull cursor: every write stamps the row with the writing transaction's id
--    (change_xid). A pull returns rows ordered by (change_xid, kind, id) whose
--    change_xid is below the oldest transaction still running, so a row can
--    never become visible behind a cursor that already passed it.

-- ---------------------------------------------------------------- tables
create table public.projects (
  id uuid primary key,
  owner_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  title text not null default '' check (length(title) <= 200),
  bpm numeric(6, 2) check (bpm is null or bpm between 20 and 400),
  musical_key text check (musical_key is null or length(musical_key) <= 8),
  duration_s numeric(10, 3) check (duration_s is null or duration_s >= 0),
  timeline jsonb not null default '{}' check (jsonb_typeof(timeline) = 'object' and pg_column_size(timeline) <= 4000000),
  deleted boolean not null default false,
  field_clock jsonb not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  change_xid xid8 not null default pg_current_xact_id()
);
create index projects_owner_change on public.projects (owner_id, change_xid);

create table public.project_media (
  id uuid primary key,
  owner_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  project_id uuid not null references public.projects (id) on delete cascade,
  role text not null default 'source' check (role in ('source', 'stem', 'render')),
  name text not null default '' check (length(name) <= 300),
  sha256 text check (sha256 is null or sha256 ~ '^[0-9a-f]{64}$'),
  size_bytes bigint not null default 0 check (size_bytes >= 0),
  mime text check (mime is null or length(mime) <= 100),
  storage_path text check (storage_path is null or length(storage_path) <= 500),
  deleted boolean not null default false,
  field_clock jsonb not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  change_xid xid8 not null default pg_current_xact_id()
);
create index project_media_owner_change on public.project_media (owner_id, change_xid);
create index project_media_project on public.project_media (project_id);

create table public.collaboration_sessions (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references public.projects (id) on delete cascade,
  host_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  status text not null default 'open' check (status in ('open', 'closed')),
  created_at timestamptz not null default now()
);
create index collaboration_sessions_project on public.collaboration_sessions (project_id);

create table public.collaboration_participants (
  session_id uuid not null references public.collaboration_sessions (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role text not null default 'editor' check (role in ('editor', 'viewer')),
  joined_at timestamptz not null default now(),
  primary key (session_id, user_id)
);
create index collaboration_participants_user on public.collaboration_participants (user_id);

create table public.sync_receipts (
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  idempotency_key text not null check (length(idempotency_key) between 8 and 100),
  result jsonb not null,
  created_at timestamptz not null default now(),
  primary key (user_id, idempotency_key)
);

-- ---------------------------------------------------------------- access helpers
-- SECURITY DEFINER so that policies on projects can look at collaboration rows
-- (and vice versa) without recursive RLS evaluation.
create function private.project_access(p_project uuid, p_user uuid) returns text
language sql stable security definer set search_path = '' as $$
  select case
    when p_user is null then null
    when exists (select 1 from public.projects p where p.id = p_project and p.owner_id = p_user) then 'owner'
    else (select min(cp.role) from public.collaboration_participants cp
            join public.collaboration_sessions cs on cs.id = cp.session_id
           where cs.project_id = p_project and cs.status = 'open' and cp.user_id = p_user)
  end
$$;

create function private.session_host(p_session uuid) returns uuid
language sql stable security definer set search_path = '' as $$
  select host_id from public.collaboration_sessions where id = p_session
$$;

grant execute on function private.project_access(uuid, uuid), private.session_host(uuid)
  to authenticated, service_role;

-- ---------------------------------------------------------------- triggers
create function private.stamp_change() returns trigger
language plpgsql set search_path = '' as $$
begin
  new.change_xid := pg_current_xact_id();
  new.updated_at := now();
  if tg_op = 'UPDATE' then
    new.owner_id := old.owner_id;      -- ownership never moves
    new.created_at := old.created_at;
  end if;
  return new;
end
$$;

create trigger projects_stamp before insert or update on public.projects
  for each row execute function private.stamp_change();
create trigger project_media_stamp before insert or update on public.project_media
  for each row execute function private.stamp_change();

-- Tier limit: live (non-deleted) projects per owner. Serialised per owner with
-- an advisory lock so concurrent inserts cannot both slip under the limit.
create function private.enforce_project_limit() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_limit bigint;
  v_count bigint;
begin
  if new.deleted then
    return new;
  end if;
  if tg_op = 'UPDATE' and not old.deleted then
    return new;
  end if;
  v_limit := private.tier_limit(new.owner_id, 'max_projects');
  if v_limit is not null then
    perform pg_advisory_xact_lock(hashtextextended('projects:' || new.owner_id::text, 0));
    select count(*) into v_count from public.projects
     where owner_id = new.owner_id and not deleted and id <> new.id;
    if v_count >= v_limit then
      raise exception 'tier limit reached: max_projects (limit %)', v_limit
        using errcode = 'MS001', hint = 'max_projects';
    end if;
  end if;
  return new;
end
$$;

create trigger projects_limit before insert or update of deleted on public.projects
  for each row execute function private.enforce_project_limit();

create function private.enforce_storage_limit() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_limit bigint;
  v_used bigint;
begin
  if new.deleted then
    return new;
  end if;
  if tg_op = 'UPDATE' and not old.deleted and new.size_bytes <= old.size_bytes then
    return new;
  end if;
  if tg_op = 'UPDATE' and new.project_id <> old.project_id then
    raise exception 'media cannot move between projects' using errcode = 'MS003';
  end if;
  if (select p.owner_id from public.projects p where p.id = new.project_id) is distinct from new.owner_id then
    raise exception 'media must belong to a project of the same owner' using errcode = 'MS002';
  end if;
  v_limit := private.tier_limit(new.owner_id, 'storage_bytes');
  if v_limit is not null then
    perform pg_advisory_xact_lock(hashtextextended('storage:' || new.owner_id::text, 0));
    select coalesce(sum(size_bytes), 0) into v_used from public.project_media
     where owner_id = new.owner_id and not deleted and id <> new.id;
    if v_used + new.size_bytes > v_limit then
      raise exception 'tier limit reached: storage_bytes (limit %)', v_limit
        using errcode = 'MS001', hint = 'storage_bytes';
    end if;
  end if;
  return new;
end
$$;

create trigger project_media_limit before insert or update on public.project_media
  for each row execute function private.enforce_storage_limit();

create function private.enforce_collaborator_limit() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  v_host uuid;
  v_limit bigint;
  v_count bigint;
begin
  select host_id into v_host from public.collaboration_sessions where id = new.session_id;
  perform pg_advisory_xact_lock(hashtextextended('collab:' || new.session_id::text, 0));
  v_limit := private.tier_limit(v_host, 'max_collaborators');
  if v_limit is not null then
    select count(*) into v_count from public.collaboration_participants where session_id = new.session_id;
    if v_count >= v_limit then
      raise exception 'tier limit reached: max_collaborators (limit %)', v_limit
        using errcode = 'MS001', hint = 'max_collaborators';
    end if;
  end if;
  return new;
end
$$;

create trigger collaboration_participants_limit before insert on public.collaboration_participants
  for each row execute function private.enforce_collaborator_limit();

-- ---------------------------------------------------------------- RLS
alter table public.projects enable row level security;
alter table public.project_media enable row level security;
alter table public.collaboration_sessions enable row level security;
alter table public.collaboration_participants enable row level security;
alter table public.sync_receipts enable row level security;

revoke all on public.projects, public.project_media, public.collaboration_sessions,
  public.collaboration_participants, public.sync_receipts from anon, authenticated;
grant all on public.projects, public.project_media, public.collaboration_sessions,
  public.collaboration_participants, public.sync_receipts to service_role;

-- Clients may insert and update their projects (deletes are tombstones: no
-- DELETE grant). Columns maintained by the server are not client-writable.
grant select on public.projects, public.project_media to authenticated;
grant insert (id, title, bpm, musical_key, duration_s, timeline, deleted, field_clock)
  on public.projects to authenticated;
grant update (title, bpm, musical_key, duration_s, timeline, deleted, field_clock)
  on public.projects to authenticated;
grant insert (id, project_id, role, name, sha256, size_bytes, mime, storage_path, deleted, field_clock)
  on public.project_media to authenticated;
grant update (role, name, sha256, size_bytes, mime, storage_path, deleted, field_clock)
  on public.project_media to authenticated;

-- The owner test comes first: it is a column comparison, while
-- project_access() runs a query (only needed for collaborators).
create policy projects_select on public.projects for select to authenticated
  using (owner_id = (select auth.uid()) or private.project_access(id, (select auth.uid())) is not null);
create policy projects_insert on public.projects for insert to authenticated
  with check (owner_id = (select auth.uid()));
create policy projects_update on public.projects for update to authenticated
  using (owner_id = (select auth.uid()) or private.project_access(id, (select auth.uid())) = 'editor')
  with check (owner_id = (select auth.uid()) or private.project_access(id, (select auth.uid())) = 'editor');

create policy media_select on public.project_media for select to authenticated
  using (owner_id = (select auth.uid())
         or private.project_access(project_id, (select auth.uid())) is not null);
create policy media_insert on public.project_media for insert to authenticated
  with check (owner_id = (select auth.uid()) and private.project_access(project_id, (select auth.uid())) = 'owner');
create policy media_update on public.project_media for update to authenticated
  using (owner_id = (select auth.uid())) with check (owner_id = (select auth.uid()));

grant select, delete on public.collaboration_sessions to authenticated;
grant insert (id, project_id, status), update (status) on public.collaboration_sessions to authenticated;
create policy collab_sessions_select on public.collaboration_sessions for select to authenticated
  using (host_id = (select auth.uid()) or private.project_access(project_id, (select auth.uid())) is not null);
create policy collab_sessions_insert on public.collaboration_sessions for insert to authenticated
  with check (host_id = (select auth.uid()) and private.project_access(project_id, (select auth.uid())) = 'owner');
create policy collab_sessions_update on public.collaboration_sessions for update to authenticated
  using (host_id = (select auth.uid())) with check (host_id = (select auth.uid()));
create policy collab_sessions_delete on public.collaboration_sessions for delete to authenticated
  using (host_id = (select auth.uid()));

grant select, delete on public.collaboration_participants to authenticated;
grant insert (session_id, user_id, role), update (role) on public.collaboration_participants to authenticated;
create policy collab_participants_select on public.collaboration_participants for select to authenticated
  using (user_id = (select auth.uid()) or private.session_host(session_id) = (select auth.uid()));
create policy collab_participants_insert on public.collaboration_participants for insert to authenticated
  with check (private.session_host(session_id) = (select auth.uid()));
create policy collab_participants_update on public.collaboration_participants for update to authenticated
  using (private.session_host(session_id) = (select auth.uid()))
  with check (private.session_host(session_id) = (select auth.uid()));
create policy collab_participants_delete on public.collaboration_participants for delete to authenticated
  using (user_id = (select auth.uid()) or private.session_host(session_id) = (select auth.uid()));

grant select, insert (idempotency_key, result) on public.sync_receipts to authenticated;
grant update (result) on public.sync_receipts to authenticated;
create policy receipts_select on public.sync_receipts for select to authenticated
  using (user_id = (select auth.uid()));
create policy receipts_insert on public.sync_receipts for insert to authenticated
  with check (user_id = (select auth.uid()));
-- update only of a receipt still being written in this transaction (result '{}')
create policy receipts_update on public.sync_receipts for update to authenticated
  using (user_id = (select auth.uid()) and result = '{}'::jsonb)
  with check (user_id = (select auth.uid()));

-- ---------------------------------------------------------------- merge helper
-- Returns {"apply": {field: value}, "clock": merged field_clock} for a change.
create function private.lww(p_clock jsonb, p_fields jsonb, p_change_clock text, p_allowed text[])
returns jsonb
language plpgsql stable set search_path = '' as $$
declare
  k text;
  v_apply jsonb := '{}';
  v_clock jsonb := coalesce(p_clock, '{}');
begin
  if p_change_clock is null or p_change_clock !~ '^[0-9]{13}-[0-9]{5}-[A-Za-z0-9_-]{1,64}$' then
    raise exception 'bad clock' using errcode = 'MS003';
  end if;
  -- A device whose clock runs far ahead would win every later conflict: refuse.
  if left(p_change_clock, 13)::bigint > (extract(epoch from now()) * 1000)::bigint + 86400000 then
    raise exception 'clock ahead of server time by more than a day: check the computer''s clock'
      using errcode = 'MS005';
  end if;
  if jsonb_typeof(p_fields) is distinct from 'object' then
    raise exception 'fields must be an object' using errcode = 'MS003';
  end if;
  for k in select jsonb_object_keys(p_fields) loop
    if not (k = any (p_allowed)) then
      raise exception 'unknown field %', k using errcode = 'MS003';
    end if;
    if v_clock ->> k is null or (v_clock ->> k) < p_change_clock then
      v_apply := v_apply || jsonb_build_object(k, p_fields -> k);
      v_clock := v_clock || jsonb_build_object(k, p_change_clock);
    end if;
  end loop;
  return jsonb_build_object('apply', v_apply, 'clock', v_clock);
end
$$;
grant execute on function private.lww(jsonb, jsonb, text, text[]) to authenticated, service_role;

-- ---------------------------------------------------------------- apply one change
-- Runs as the caller (SECURITY INVOKER): row level security decides what the
-- caller may touch. Returns 'accepted' or raises.
create function private.apply_change(p_change jsonb) returns text
language plpgsql set search_path = '' as $$
declare
  v_kind text := p_change ->> 'kind';
  v_id uuid := (p_change ->> 'id')::uuid;
  v_op text := coalesce(p_change ->> 'op', 'upsert');
  v_fields jsonb := coalesce(p_change -> 'fields', '{}');
  v_clock text := p_change ->> 'clock';
  v_merge jsonb;
  a jsonb;
  v_old_clock jsonb;
  v_n int;
begin
  if v_op = 'delete' then
    v_fields := jsonb_build_object('deleted', true);
  elsif v_op <> 'upsert' then
    raise exception 'unknown op %', v_op using errcode = 'MS003';
  end if;

  if v_kind = 'project' then
    select p.field_clock into v_old_clock from public.projects p where p.id = v_id for update;
    v_merge := private.lww(v_old_clock, v_fields,
      v_clock, array['title', 'bpm', 'musical_key', 'duration_s', 'timeline', 'deleted']);
    a := v_merge -> 'apply';
    if v_old_clock is null then
      insert into public.projects (id, title, bpm, musical_key, duration_s, timeline, deleted, field_clock)
      values (v_id, coalesce(a ->> 'title', ''), (a ->> 'bpm')::numeric, a ->> 'musical_key',
              (a ->> 'duration_s')::numeric, coalesce(a -> 'timeline', '{}'),
              coalesce((a ->> 'deleted')::boolean, false), v_merge -> 'clock');
    elsif a <> '{}' then
      update public.projects p set
        title = case when a ? 'title' then coalesce(a ->> 'title', '') else p.title end,
        bpm = case when a ? 'bpm' then (a ->> 'bpm')::numeric else p.bpm end,
        musical_key = case when a ? 'musical_key' then a ->> 'musical_key' else p.musical_key end,
        duration_s = case when a ? 'duration_s' then (a ->> 'duration_s')::numeric else p.duration_s end,
        timeline = case when a ? 'timeline' then coalesce(a -> 'timeline', '{}') else p.timeline end,
        deleted = case when a ? 'deleted' then coalesce((a ->> 'deleted')::boolean, false) else p.deleted end,
        field_clock = v_merge -> 'clock'
      where p.id = v_id;
      get diagnostics v_n = row_count;
      if v_n = 0 then
        raise exception 'not allowed' using errcode = 'MS002';
      end if;
    end if;
  elsif v_kind = 'project_media' then
    select m.field_clock into v_old_clock from public.project_media m where m.id = v_id for update;
    v_merge := private.lww(v_old_clock, v_fields, v_clock,
      array['project_id', 'role', 'name', 'sha256', 'size_bytes', 'mime', 'storage_path', 'deleted']);
    a := v_merge -> 'apply';
    if v_old_clock is null then
      if a ->> 'project_id' is null then
        raise exception 'project_id required' using errcode = 'MS003';
      end if;
      insert into public.project_media (id, project_id, role, name, sha256, size_bytes, mime,
                                        storage_path, deleted, field_clock)
      values (v_id, (a ->> 'project_id')::uuid, coalesce(a ->> 'role', 'source'), coalesce(a ->> 'name', ''),
              a ->> 'sha256', coalesce((a ->> 'size_bytes')::bigint, 0), a ->> 'mime', a ->> 'storage_path',
              coalesce((a ->> 'deleted')::boolean, false), v_merge -> 'clock');
    elsif a <> '{}' then
      if a ? 'project_id' then
        raise exception 'media cannot move between projects' using errcode = 'MS003';
      end if;
      update public.project_media m set
        role = case when a ? 'role' then coalesce(a ->> 'role', 'source') else m.role end,
        name = case when a ? 'name' then coalesce(a ->> 'name', '') else m.name end,
        sha256 = case when a ? 'sha256' then a ->> 'sha256' else m.sha256 end,
        size_bytes = case when a ? 'size_bytes' then coalesce((a ->> 'size_bytes')::bigint, 0) else m.size_bytes end,
        mime = case when a ? 'mime' then a ->> 'mime' else m.mime end,
        storage_path = case when a ? 'storage_path' then a ->> 'storage_path' else m.storage_path end,
        deleted = case when a ? 'deleted' then coalesce((a ->> 'deleted')::boolean, false) else m.deleted end,
        field_clock = v_merge -> 'clock'
      where m.id = v_id;
      get diagnostics v_n = row_count;
      if v_n = 0 then
        raise exception 'not allowed' using errcode = 'MS002';
      end if;
    end if;
  else
    raise exception 'unknown kind %', v_kind using errcode = 'MS003';
  end if;
  return 'accepted';
end
$$;
grant execute on function private.apply_change(jsonb) to authenticated, service_role;

-- ---------------------------------------------------------------- sync_push
-- p_changes: JSON array of changes (at most 500). Returns a JSON array with
-- one {key, status: accepted|rejected, reason?, detail?, replayed} per change,
-- in order. A rejected change is answered, never silently dropped; its
-- receipt is stored too, so a replay gets the same answer.
create function public.sync_push(p_changes jsonb) returns jsonb
language plpgsql set search_path = '' as $$
declare
  v_uid uuid := private.require_uid();
  c jsonb;
  v_key text;
  v_result jsonb;
  v_out jsonb[] := '{}';  -- array append is in place; jsonb || jsonb would copy (quadratic)
  v_inserted boolean;
begin
  if jsonb_typeof(p_changes) is distinct from 'array' then
    raise exception 'p_changes must be a JSON array' using errcode = 'MS003';
  end if;
  if jsonb_array_length(p_changes) > 500 then
    raise exception 'at most 500 changes per push' using errcode = 'MS003';
  end if;
  for c in select value from jsonb_array_elements(p_changes) loop
    v_key := c ->> 'key';
    if v_key is null or length(v_key) not between 8 and 100 then
      v_out := v_out || jsonb_build_object(
        'key', v_key, 'status', 'rejected', 'reason', 'invalid', 'detail', 'missing idempotency key',
        'replayed', false);
      continue;
    end if;
    -- Claim the key. A concurrent push of the same key blocks here until the
    -- other transaction ends, then sees its receipt.
    insert into public.sync_receipts (idempotency_key, result)
    values (v_key, '{}') on conflict do nothing;
    get diagnostics v_inserted = row_count;
    if not v_inserted then
      select r.result into v_result from public.sync_receipts r
       where r.user_id = v_uid and r.idempotency_key = v_key;
      v_out := v_out || (v_result || jsonb_build_object('replayed', true));
      continue;
    end if;
    begin
      perform private.apply_change(c);
      v_result := jsonb_build_object('key', v_key, 'status', 'accepted');
    exception
      when sqlstate 'MS001' then
        v_result := jsonb_build_object('key', v_key, 'status', 'rejected', 'reason', 'tier_limit',
                                       'detail', sqlerrm);
      when sqlstate 'MS005' then
        v_result := jsonb_build_object('key', v_key, 'status', 'rejected', 'reason', 'clock_ahead',
                                       'detail', sqlerrm);
      when sqlstate 'MS002' or insufficient_privilege or unique_violation or foreign_key_violation then
        v_result := jsonb_build_object('key', v_key, 'status', 'rejected', 'reason', 'forbidden',
                                       'detail', sqlerrm);
      when sqlstate 'MS003' or check_violation or not_null_violation or invalid_text_representation
           or numeric_value_out_of_range or invalid_parameter_value or data_exception then
        v_result := jsonb_build_object('key', v_key, 'status', 'rejected', 'reason', 'invalid',
                                       'detail', sqlerrm);
    end;
    update public.sync_receipts r set result = v_result
     where r.user_id = v_uid and r.idempotency_key = v_key;
    v_out := v_out || (v_result || jsonb_build_object('replayed', false));
  end loop;
  return to_jsonb(v_out);
end
$$;

-- ---------------------------------------------------------------- sync_pull
-- Cursor: '' for the start, else the opaque string returned by the last pull.
create function public.sync_pull(p_cursor text default '', p_limit int default 500) returns jsonb
language plpgsql stable set search_path = '' as $$
declare
  v_uid uuid := private.require_uid();
  v_xid xid8 := '0'::xid8;
  v_kind text := '';
  v_id uuid := '00000000-0000-0000-0000-000000000000';
  v_horizon xid8 := pg_snapshot_xmin(pg_current_snapshot());
  v_rows jsonb;
  v_last jsonb;
  v_n int;
begin
  if p_limit is null or p_limit < 1 or p_limit > 1000 then
    raise exception 'p_limit must be 1..1000' using errcode = 'MS003';
  end if;
  if coalesce(p_cursor, '') <> '' then
    begin
      v_xid := split_part(p_cursor, ':', 1)::xid8;
      v_kind := split_part(p_cursor, ':', 2);
      v_id := split_part(p_cursor, ':', 3)::uuid;
    exception when others then
      raise exception 'bad cursor' using errcode = 'MS003';
    end;
  end if;
  with changes as (
    select p.change_xid as xid, 'project'::text as kind, p.id,
           to_jsonb(p) - 'change_xid' as row
      from public.projects p
     where p.change_xid < v_horizon and (p.change_xid, 'project'::text, p.id) > (v_xid, v_kind, v_id)
    union all
    select m.change_xid, 'project_media'::text, m.id, to_jsonb(m) - 'change_xid'
      from public.project_media m
     where m.change_xid < v_horizon and (m.change_xid, 'project_media'::text, m.id) > (v_xid, v_kind, v_id)
    order by 1, 2, 3
    limit p_limit
  )
  select coalesce(jsonb_agg(jsonb_build_object('kind', kind, 'id', id, 'deleted', (row ->> 'deleted')::boolean,
                                               'row', row, 'pos', xid::text || ':' || kind || ':' || id::text)
                            order by xid, kind, id), '[]'),
         count(*)
    into v_rows, v_n
    from changes;
  if v_n > 0 then
    v_last := v_rows -> (v_n - 1);
    p_cursor := v_last ->> 'pos';
  end if;
  return jsonb_build_object('changes', v_rows, 'cursor', coalesce(p_cursor, ''), 'has_more', v_n = p_limit);
end
$$;

revoke all on function public.sync_push(jsonb), public.sync_pull(text, int) from public, anon;
grant execute on function public.sync_push(jsonb), public.sync_pull(text, int) to authenticated, service_role;
