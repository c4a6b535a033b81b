-- Issue 10, class 4: limits counted in the wrong place or racing.
--
--  * max_collaborators is the number of distinct people a project is shared
--    with (over all its collaboration sessions, open or closed: reopening a
--    session must not exceed it), counted against the project owner's tier.
--    It was counted per session, so a host could open many sessions.
--  * Every "check the total, then write" takes a transaction-scoped advisory
--    lock on what the total belongs to and then counts in a fresh statement
--    (VOLATILE functions see rows committed while they waited): collaborators
--    per project, Storage bytes per user, revenue shares per split. The
--    project and project-media limits already did this.

create or replace function private.enforce_collaborator_limit() returns trigger
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_project uuid;
  v_owner uuid;
  v_limit bigint;
  v_count bigint;
begin
  select cs.project_id, p.owner_id into v_project, v_owner
    from public.collaboration_sessions cs join public.projects p on p.id = cs.project_id
   where cs.id = new.session_id;
  if v_project is null then
    return new;  -- the foreign key reports the missing session
  end if;
  perform pg_advisory_xact_lock(hashtextextended('collab-project:' || v_project::text, 0));
  v_limit := private.tier_limit(v_owner, 'max_collaborators');
  if v_limit is not null and new.user_id is distinct from v_owner and not exists (
       select 1 from public.collaboration_participants cp
         join public.collaboration_sessions cs on cs.id = cp.session_id
        where cs.project_id = v_project and cp.user_id = new.user_id) then
    select count(distinct cp.user_id) into v_count
      from public.collaboration_participants cp
      join public.collaboration_sessions cs on cs.id = cp.session_id
     where cs.project_id = v_project and cp.user_id <> v_owner;
    if v_count >= v_limit then
      raise exception 'tier limit reached: max_collaborators (limit %)', v_limit
        using errcode = 'MS001', hint = 'max_collaborators';
    end if;
  end if;
  return new;
end
$$;

-- Storage: serialise a user's uploads while their stored bytes are summed.
create or replace function private.storage_within_quota(p_user uuid, p_bucket text, p_name text, p_size bigint)
returns boolean
language plpgsql volatile security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_limit bigint := private.tier_limit(p_user, 'storage_bytes');
  v_used bigint;
begin
  if v_limit is null then
    return true;
  end if;
  perform pg_advisory_xact_lock(hashtextextended('storage-objects:' || p_user::text, 0));
  select coalesce(sum(coalesce((o.metadata ->> 'size')::bigint, 0)), 0) into v_used
    from storage.objects o
   where o.owner = p_user and not (o.bucket_id = p_bucket and o.name = p_name);
  return v_used + greatest(coalesce(p_size, 0), 0) <= v_limit;
end
$$;

-- Revenue splits: shares of one split never exceed 100 %, also when
-- recipients are added concurrently.
create or replace function private.check_split_total() returns trigger
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_total bigint;
begin
  perform pg_advisory_xact_lock(hashtextextended('split:' || new.split_id::text, 0));
  select coalesce(sum(share_bps), 0) into v_total from public.revenue_split_recipients where split_id = new.split_id;
  if v_total > 10000 then
    raise exception 'revenue shares exceed 100%%' using errcode = 'MS003';
  end if;
  return null;
end
$$;
