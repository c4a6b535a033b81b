-- Issue 16: "Remix this". A published mashup whose owner allowed remixing
-- (mashups.remix_licence, set by the owner with set_remix_licence) can be
-- copied by another user into a new project of their own with
-- remix_mashup: the project row (counted against the caller's max_projects by
-- the existing projects_limit trigger, serialised per owner), every live
-- entity of the published project (tracks, clips, captions, media entries),
-- a lineage row (public.project_remixes) and read grants on exactly the media
-- blobs the published project holds (private.remix_media_grants, checked by
-- the storage policy media_remix_select below). The client then downloads
-- those blobs, re-uploads them into its own folder (its storage quota, the
-- existing storage triggers) and writes the remix's title, artist and lineage
-- as ordinary entity changes (sync/remix.py).
--
-- Only public mashups with a licence and a cloud project can be remixed.
-- Every refusal (no such mashup, private, unlisted, no licence, project gone)
-- is the same error, so the RPC is no existence oracle.

alter table public.mashups
  add column remix_licence text
    check (remix_licence is null or remix_licence in ('remix-with-credit', 'non-commercial'));

-- ---------------------------------------------------------------- lineage and grants
create table public.project_remixes (
  project_id uuid primary key references public.projects (id) on delete cascade,
  mashup_id uuid references public.mashups (id) on delete set null,
  parent_project uuid references public.projects (id) on delete set null,
  parent_owner uuid references auth.users (id) on delete set null,
  remixer uuid not null references auth.users (id) on delete cascade,
  licence text not null check (licence in ('remix-with-credit', 'non-commercial')),
  created_at timestamptz not null default now()
);
create index project_remixes_mashup on public.project_remixes (mashup_id);
alter table public.project_remixes enable row level security;
revoke all on public.project_remixes from public, anon, authenticated;
grant select on public.project_remixes to authenticated;
grant all on public.project_remixes to service_role;
create policy project_remixes_read on public.project_remixes for select to authenticated
  using (remixer = (select auth.uid()) or parent_owner = (select auth.uid()));

create table private.remix_media_grants (
  project_id uuid not null references public.projects (id) on delete cascade,
  grantee uuid not null references auth.users (id) on delete cascade,
  owner_id uuid not null references auth.users (id) on delete cascade,
  sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  primary key (grantee, owner_id, sha256, project_id)
);
revoke all on private.remix_media_grants from public, anon, authenticated;
grant all on private.remix_media_grants to service_role;

-- A blob '<owner>/blobs/<sha256>/...' of bucket 'media' is readable by a user
-- holding a grant for it from a remix project of theirs that is still live.
create function private.can_read_remixed_blob(p_name text, p_user uuid) returns boolean
language plpgsql stable security definer set search_path = pg_catalog, pg_temp as $$
declare
  parts text[] := storage.foldername(p_name);
begin
  if p_user is null or coalesce(array_length(parts, 1), 0) < 3 or parts[2] <> 'blobs'
     or parts[3] !~ '^[0-9a-f]{64}$' or parts[1] !~ '^[0-9a-f-]{36}$' then
    return false;
  end if;
  return exists (
    select 1 from private.remix_media_grants g join public.projects p on p.id = g.project_id
     where g.grantee = p_user and g.owner_id = parts[1]::uuid and g.sha256 = parts[3]
       and p.owner_id = p_user and not p.deleted);
end
$$;
revoke all on function private.can_read_remixed_blob(text, uuid) from public, anon;
grant execute on function private.can_read_remixed_blob(text, uuid) to authenticated, service_role;

create policy media_remix_select on storage.objects for select to authenticated
  using (bucket_id = 'media' and private.can_read_remixed_blob(name, (select auth.uid())));

-- ---------------------------------------------------------------- the owner's switch
create function public.set_remix_licence(p_mashup uuid, p_licence text) returns jsonb
language plpgsql volatile security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_uid uuid := private.require_uid();
  v_project uuid;
begin
  if p_licence is not null and p_licence not in ('remix-with-credit', 'non-commercial') then
    raise exception 'licence must be remix-with-credit or non-commercial (or none)' using errcode = 'MS003';
  end if;
  select m.project_id into v_project from public.mashups m where m.id = p_mashup and m.owner_id = v_uid for update;
  if not found then
    raise exception 'mashup not found' using errcode = 'MS004';
  end if;
  if p_licence is not null and v_project is null then
    raise exception 'save the project to the cloud and publish it with its project to allow remixes'
      using errcode = 'MS003';
  end if;
  update public.mashups set remix_licence = p_licence where id = p_mashup;
  return jsonb_build_object('mashup_id', p_mashup, 'remix_licence', p_licence);
end
$$;

-- ---------------------------------------------------------------- remix
create function public.remix_mashup(p_mashup uuid, p_project uuid default null) returns jsonb
language plpgsql volatile security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_uid uuid := private.require_uid();
  v_new uuid := coalesce(p_project, gen_random_uuid());
  v_title text;
  v_owner uuid;
  v_src uuid;
  v_licence text;
  v_prev public.project_remixes;
  v_row public.projects;
  v_media jsonb;
begin
  select m.title, m.owner_id, m.project_id, m.remix_licence into v_title, v_owner, v_src, v_licence
    from public.mashups m
   where m.id = p_mashup and m.visibility = 'public' and m.remix_licence is not null and m.project_id is not null
   for share;
  if v_src is not null then
    select * into v_row from public.projects p where p.id = v_src and not p.deleted and p.owner_id = v_owner
      for share;
  end if;
  if v_src is null or v_row.id is null then
    raise exception 'mashup not found or not open to remixes' using errcode = 'MS004';
  end if;
  -- a retry of the same call (same project id) answers again, copying nothing twice
  select * into v_prev from public.project_remixes r where r.project_id = v_new;
  if found then
    if v_prev.remixer <> v_uid or v_prev.mashup_id is distinct from p_mashup then
      raise exception 'this project id is taken' using errcode = 'MS003';
    end if;
  else
    if exists (select 1 from public.projects p where p.id = v_new) then
      raise exception 'this project id is taken' using errcode = 'MS003';
    end if;
    -- projects_limit (private.enforce_project_limit) counts this against the caller's plan
    insert into public.projects (id, owner_id, title, bpm, musical_key, duration_s)
    values (v_new, v_uid, left(v_title, 192) || ' (remix)', v_row.bpm, v_row.musical_key, v_row.duration_s);
    insert into public.project_entities (project_id, kind, entity_id, owner_id, fields, deleted, field_clock)
    select v_new, e.kind, e.entity_id, v_uid, e.fields, false, e.field_clock
      from public.project_entities e where e.project_id = v_src and not e.deleted;
    insert into public.project_remixes (project_id, mashup_id, parent_project, parent_owner, remixer, licence)
    values (v_new, p_mashup, v_src, v_owner, v_uid, v_licence);
    insert into private.remix_media_grants (project_id, grantee, owner_id, sha256)
    select distinct v_new, v_uid, pm.owner_id, pm.sha256 from public.project_media pm
     where pm.project_id = v_src and not pm.deleted and pm.sha256 is not null
    on conflict do nothing;
  end if;
  select coalesce(jsonb_agg(jsonb_build_object('sha256', x.sha256, 'size_bytes', x.size_bytes)
                            order by x.sha256), '[]') into v_media
    from (select distinct on (pm.sha256) pm.sha256, pm.size_bytes from public.project_media pm
           where pm.project_id = v_src and not pm.deleted and pm.sha256 is not null
           order by pm.sha256, pm.size_bytes desc) x;
  return jsonb_build_object('project_id', v_new, 'mashup_id', p_mashup, 'source_owner', v_owner,
                            'licence', v_licence, 'title', v_title, 'media', v_media);
end
$$;

revoke all on function public.set_remix_licence(uuid, text), public.remix_mashup(uuid, uuid)
  from public, anon, authenticated;
grant execute on function public.set_remix_licence(uuid, text), public.remix_mashup(uuid, uuid) to authenticated;

-- ---------------------------------------------------------------- the licence where mashups are shown
-- Wrap whatever private.mashup_json is by now (the community pages build on
-- it) and add the licence, so battle entries, trending and profile lists can
-- offer "Remix this" only where it will be accepted.
alter function private.mashup_json(uuid) rename to mashup_json_before_remix;

create function private.mashup_json(p_mashup uuid) returns jsonb
language sql stable security definer set search_path = pg_catalog, pg_temp as $$
  select private.mashup_json_before_remix(p_mashup)
         || jsonb_build_object('remix_licence', (select m.remix_licence from public.mashups m where m.id = p_mashup
                                                   and m.visibility = 'public' and m.project_id is not null))
$$;
-- the same privileges as before: only the definer functions that build the pages call it
revoke all on function private.mashup_json(uuid), private.mashup_json_before_remix(uuid)
  from public, anon, authenticated;
