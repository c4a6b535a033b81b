-- Issue 15: sharing a cloud project and live sessions.
--
-- A project has (at most) one open collaboration session; each person it is
-- shared with is a collaboration_participants row with a status:
--   invited  -> the owner asked; no access yet (counts against the limit)
--   active   -> accepted; access as editor or viewer
--   declined -> the invitee said no
--   left     -> the collaborator left the project
--   removed  -> the owner removed them (access ends at once)
-- Only 'active' rows give access (private.project_access), so removal ends
-- reading, pulling, pushing and joining the realtime channel in the same
-- transaction. Rows inserted directly by the host (the older path, kept for
-- the existing tests) default to 'active'.
--
-- Writes go through the collab_* functions below (SECURITY DEFINER, caller
-- from auth.uid(), inputs size-bounded); the per-project collaborator limit
-- (issue 10) counts invited + active people only, on insert and on a status
-- change back to invited.

alter table public.collaboration_participants
  add column status text not null default 'active'
    check (status in ('invited', 'active', 'declined', 'left', 'removed')),
  add column invited_by uuid references auth.users (id) on delete set null,
  add column updated_at timestamptz not null default now(),
  add column last_seen_at timestamptz;

create or replace function private.project_access(p_project uuid, p_user uuid) returns text
language sql stable security definer set search_path = pg_catalog, pg_temp as $$
  select case
    when p_user is null then null
    when exists (select 1 from public.projects p where p.id = p_project and p.owner_id = p_user) then 'owner'
    else (select min(cp.role) from public.collaboration_participants cp
            join public.collaboration_sessions cs on cs.id = cp.session_id
           where cs.project_id = p_project and cs.status = 'open' and cp.user_id = p_user
             and cp.status = 'active')
  end
$$;

create or replace function private.enforce_collaborator_limit() returns trigger
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_project uuid;
  v_owner uuid;
  v_limit bigint;
  v_count bigint;
begin
  if new.status not in ('invited', 'active') then
    return new;
  end if;
  if tg_op = 'UPDATE' and old.status in ('invited', 'active') then
    return new;  -- a role change or an acceptance: same person, already counted
  end if;
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
        where cs.project_id = v_project and cp.user_id = new.user_id and cp.status in ('invited', 'active')) then
    select count(distinct cp.user_id) into v_count
      from public.collaboration_participants cp
      join public.collaboration_sessions cs on cs.id = cp.session_id
     where cs.project_id = v_project and cp.user_id <> v_owner and cp.status in ('invited', 'active');
    if v_count >= v_limit then
      raise exception 'tier limit reached: max_collaborators (limit %)', v_limit
        using errcode = 'MS001', hint = 'max_collaborators';
    end if;
  end if;
  return new;
end
$$;

create trigger collaboration_participants_limit_status before update of status on public.collaboration_participants
  for each row execute function private.enforce_collaborator_limit();

-- ---------------------------------------------------------------- helpers
create function private.collab_owned_session(p_project uuid) returns uuid
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_uid uuid := auth.uid();
  v_session uuid;
begin
  if v_uid is null then
    raise exception 'sign in required' using errcode = 'MS002';
  end if;
  if not exists (select 1 from public.projects p where p.id = p_project and p.owner_id = v_uid and not p.deleted) then
    raise exception 'only the owner of this project can share it' using errcode = '42501';
  end if;
  perform pg_advisory_xact_lock(hashtextextended('collab-session:' || p_project::text, 0));
  select cs.id into v_session from public.collaboration_sessions cs
   where cs.project_id = p_project and cs.status = 'open' order by cs.created_at limit 1;
  if v_session is null then
    insert into public.collaboration_sessions (project_id, host_id) values (p_project, v_uid) returning id into v_session;
  end if;
  return v_session;
end
$$;
revoke all on function private.collab_owned_session(uuid) from public, anon, authenticated;

create function private.collab_check_role(p_role text) returns void
language plpgsql immutable set search_path = pg_catalog, pg_temp as $$
begin
  if p_role is null or p_role not in ('editor', 'viewer') then
    raise exception 'role must be editor or viewer' using errcode = 'MS003';
  end if;
end
$$;

-- ---------------------------------------------------------------- owner: invite, role, remove
create function public.collab_invite(p_project uuid, p_who text, p_role text) returns jsonb
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_uid uuid := auth.uid();
  v_session uuid;
  v_target uuid;
  v_status text;
  v_who text := btrim(coalesce(p_who, ''));
begin
  perform private.collab_check_role(p_role);
  if length(v_who) not between 3 and 320 then
    raise exception 'give an e-mail address or a username' using errcode = 'MS003';
  end if;
  v_session := private.collab_owned_session(p_project);
  select u.id into v_target from auth.users u where lower(u.email) = lower(v_who);
  if v_target is null then
    select pr.id into v_target from public.profiles pr where pr.username = v_who;
  end if;
  if v_target is null then
    raise exception 'no account with that e-mail address or username' using errcode = 'MS003';
  end if;
  if v_target = v_uid then
    raise exception 'you own this project already' using errcode = 'MS003';
  end if;
  select cp.status into v_status from public.collaboration_participants cp
   where cp.session_id = v_session and cp.user_id = v_target for update;
  if v_status is null then
    insert into public.collaboration_participants (session_id, user_id, role, status, invited_by)
    values (v_session, v_target, p_role, 'invited', v_uid);
    v_status := 'invited';
  elsif v_status in ('invited', 'active') then
    update public.collaboration_participants set role = p_role, updated_at = now()
     where session_id = v_session and user_id = v_target;
  else
    update public.collaboration_participants set role = p_role, status = 'invited', invited_by = v_uid,
           updated_at = now()
     where session_id = v_session and user_id = v_target;
    v_status := 'invited';
  end if;
  return jsonb_build_object('user_id', v_target, 'role', p_role, 'status', v_status);
end
$$;

create function public.collab_set_role(p_project uuid, p_user uuid, p_role text) returns jsonb
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_session uuid;
begin
  perform private.collab_check_role(p_role);
  v_session := private.collab_owned_session(p_project);
  update public.collaboration_participants set role = p_role, updated_at = now()
   where session_id = v_session and user_id = p_user and status in ('invited', 'active');
  if not found then
    raise exception 'that person is not a collaborator of this project' using errcode = 'MS003';
  end if;
  return jsonb_build_object('user_id', p_user, 'role', p_role);
end
$$;

create function public.collab_remove(p_project uuid, p_user uuid) returns jsonb
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_session uuid;
begin
  v_session := private.collab_owned_session(p_project);
  update public.collaboration_participants set status = 'removed', updated_at = now()
   where session_id = v_session and user_id = p_user and status in ('invited', 'active');
  if not found then
    raise exception 'that person is not a collaborator of this project' using errcode = 'MS003';
  end if;
  return jsonb_build_object('user_id', p_user, 'status', 'removed');
end
$$;

-- ---------------------------------------------------------------- collaborator: respond, leave
create function public.collab_respond(p_project uuid, p_accept boolean) returns jsonb
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_uid uuid := auth.uid();
  v_new text := case when p_accept then 'active' else 'declined' end;
begin
  if v_uid is null then
    raise exception 'sign in required' using errcode = 'MS002';
  end if;
  if p_accept is null then
    raise exception 'accept or decline' using errcode = 'MS003';
  end if;
  update public.collaboration_participants cp set status = v_new, updated_at = now()
    from public.collaboration_sessions cs
   where cs.id = cp.session_id and cs.project_id = p_project and cs.status = 'open'
     and cp.user_id = v_uid and cp.status = 'invited';
  if not found then
    raise exception 'no pending invitation to this project' using errcode = 'MS003';
  end if;
  return jsonb_build_object('project_id', p_project, 'status', v_new);
end
$$;

create function public.collab_leave(p_project uuid) returns jsonb
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_uid uuid := auth.uid();
begin
  if v_uid is null then
    raise exception 'sign in required' using errcode = 'MS002';
  end if;
  update public.collaboration_participants cp set status = 'left', updated_at = now()
    from public.collaboration_sessions cs
   where cs.id = cp.session_id and cs.project_id = p_project and cp.user_id = v_uid
     and cp.status in ('invited', 'active');
  if not found then
    raise exception 'you are not a collaborator of this project' using errcode = 'MS003';
  end if;
  return jsonb_build_object('project_id', p_project, 'status', 'left');
end
$$;

-- ---------------------------------------------------------------- reads
-- Members of a project (owner first): visible to the owner and to active
-- collaborators; e-mail addresses only to the owner.
create function public.collab_members(p_project uuid) returns jsonb
language plpgsql stable security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_uid uuid := auth.uid();
  v_access text := private.project_access(p_project, auth.uid());
  v_owner uuid;
begin
  if v_access is null then
    raise exception 'not allowed to see this project' using errcode = '42501';
  end if;
  select p.owner_id into v_owner from public.projects p where p.id = p_project;
  return jsonb_build_object(
    'you', v_access,
    'members', coalesce((
      select jsonb_agg(m order by m.ord, m.name) from (
        select 0 ord, v_owner user_id, 'owner' role, 'active' status,
               coalesce(pr.username, '') username, coalesce(nullif(pr.display_name, ''), pr.username, '') name,
               case when v_access = 'owner' then u.email end email
          from auth.users u left join public.profiles pr on pr.id = u.id where u.id = v_owner
        union all
        select 1, cp.user_id, cp.role, cp.status, coalesce(pr.username, ''),
               coalesce(nullif(pr.display_name, ''), pr.username, ''),
               case when v_access = 'owner' then u.email end
          from public.collaboration_participants cp
          join public.collaboration_sessions cs on cs.id = cp.session_id
          join auth.users u on u.id = cp.user_id
          left join public.profiles pr on pr.id = cp.user_id
         where cs.project_id = p_project
           and (v_access = 'owner' or cp.status = 'active' or cp.user_id = v_uid)
      ) m), '[]'));
end
$$;

-- My pending invitations, with the project's title and who asked.
create function public.collab_invitations() returns jsonb
language sql stable security definer set search_path = pg_catalog, pg_temp as $$
  select coalesce(jsonb_agg(jsonb_build_object(
           'project_id', p.id, 'title', left(p.title, 200), 'role', cp.role,
           'from', coalesce(nullif(pr.display_name, ''), pr.username, ''),
           'invited_at', cp.updated_at) order by cp.updated_at desc), '[]')
    from public.collaboration_participants cp
    join public.collaboration_sessions cs on cs.id = cp.session_id and cs.status = 'open'
    join public.projects p on p.id = cs.project_id and not p.deleted
    left join public.profiles pr on pr.id = p.owner_id
   where cp.user_id = auth.uid() and cp.status = 'invited'
$$;

-- What the caller may do on the project's live channel (the realtime
-- gateway asks this as the connecting user, like a policy on
-- realtime.messages would): 'owner' | 'editor' | 'viewer' | null.
create function public.collab_channel_access(p_project uuid) returns text
language sql stable security definer set search_path = pg_catalog, pg_temp as $$
  select private.project_access(p_project, auth.uid())
$$;

-- Joining the live channel records when the collaborator was last there.
create function public.collab_seen(p_project uuid) returns text
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_access text := private.project_access(p_project, auth.uid());
begin
  if v_access is null then
    raise exception 'not allowed to join this project' using errcode = '42501';
  end if;
  update public.collaboration_participants cp set last_seen_at = now()
    from public.collaboration_sessions cs
   where cs.id = cp.session_id and cs.project_id = p_project and cp.user_id = auth.uid() and cp.status = 'active';
  return v_access;
end
$$;

revoke all on function public.collab_invite(uuid, text, text), public.collab_set_role(uuid, uuid, text),
  public.collab_remove(uuid, uuid), public.collab_respond(uuid, boolean), public.collab_leave(uuid),
  public.collab_members(uuid), public.collab_invitations(), public.collab_channel_access(uuid),
  public.collab_seen(uuid) from public, anon;
grant execute on function public.collab_invite(uuid, text, text), public.collab_set_role(uuid, uuid, text),
  public.collab_remove(uuid, uuid), public.collab_respond(uuid, boolean), public.collab_leave(uuid),
  public.collab_members(uuid), public.collab_invitations(), public.collab_channel_access(uuid),
  public.collab_seen(uuid) to authenticated, service_role;
