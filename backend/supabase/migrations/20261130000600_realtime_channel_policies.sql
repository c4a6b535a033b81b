-- Issue 15: who may use a project's live channel on Supabase Realtime.
--
-- The studio joins the private channel `project:<project id>` (Broadcast for
-- the edit commands, Presence for who is there). With "Allow public access"
-- off in the Realtime settings, Realtime authorises private channels by RLS
-- on realtime.messages (https://supabase.com/docs/guides/realtime/authorization):
-- on join it inserts a broadcast and a presence row for the topic as its own
-- role and selects them as the user (read = receive broadcasts / presence
-- sync); for sending it inserts as the user (write = broadcast / track). All
-- of it is rolled back.
--
--   read  (select): the project's owner and its active editors and viewers
--   write (insert): broadcast only by the owner and active editors;
--                   presence by everyone who may read (viewers are seen too)
--
-- Removed, left, declined and invited people, strangers and anon get nothing
-- (private.project_access counts only 'active' participants of an open
-- session). The policies look at the row's own topic, which is the channel's
-- topic (realtime.topic()) in Realtime's checks: a user who sets the
-- realtime.topic setting by hand still reads only rows of their own projects.
--
-- Role changes and removals are pushed into the channel from the database
-- (Realtime's "broadcast from the database", realtime.send): event
-- `members`, whose payload the clients do not trust; they re-read the
-- members with collab_members and switch read-only on or off. Realtime
-- computes a socket's permissions when it joins (and when its token is
-- refreshed), so the clients also re-check every received edit's sender
-- against the database's roles; a removed person's pulls and pushes end in
-- the same transaction as the removal (sync RLS).

create function private.realtime_channel_access(p_topic text) returns text
language sql stable set search_path = pg_catalog, pg_temp as $$
  select case
    when p_topic ~ '^project:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
    then private.project_access(substr(p_topic, 9)::uuid, auth.uid())
  end
$$;
revoke all on function private.realtime_channel_access(text) from public, anon;
grant execute on function private.realtime_channel_access(text) to authenticated, service_role;

create policy "project people receive the project's live channel" on realtime.messages
  for select to authenticated
  using (extension in ('broadcast', 'presence')
         and private.realtime_channel_access(topic) is not null);

create policy "owners and editors broadcast, project people show presence" on realtime.messages
  for insert to authenticated
  with check ((extension = 'broadcast' and private.realtime_channel_access(topic) in ('owner', 'editor'))
              or (extension = 'presence' and private.realtime_channel_access(topic) is not null));

-- ---------------------------------------------------------------- pushed member changes
create function private.collab_announce_members() returns trigger
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_project uuid;
begin
  if new.role is not distinct from old.role and new.status is not distinct from old.status then
    return null;
  end if;
  select cs.project_id into v_project from public.collaboration_sessions cs where cs.id = new.session_id;
  if v_project is null then
    return null;
  end if;
  begin
    perform realtime.send(jsonb_build_object('user_id', new.user_id), 'members', 'project:' || v_project::text,
                          true);
  exception when undefined_function or invalid_schema_name then
    null;  -- a database without Supabase Realtime: the clients still re-read members on their next join
  end;
  return null;
end
$$;
revoke all on function private.collab_announce_members() from public, anon, authenticated;

create trigger collaboration_participants_announce after update of role, status on public.collaboration_participants
  for each row execute function private.collab_announce_members();
