-- Issue 10, class 3: writes that bypassed the rules.
--
-- Project and project-media rows carry a rule in every column: each field is
-- paired with its hybrid-logical clock in field_clock and merged last-writer-
-- wins by private.apply_change (reached through sync_push). Direct table
-- grants let a collaborator write field_clock (a clock far in the future
-- freezes the project against every later fix of its owner) or write a field
-- without its clock. Clients now have no INSERT/UPDATE on these tables at all:
--
--  * role ms_sync (no login; a member of authenticated, so the same row level
--    security policies apply to it with the caller's auth.uid()) holds the
--    column grants the clients had;
--  * sync_push and private.apply_change run as ms_sync (SECURITY DEFINER owned
--    by it; their bodies are unchanged): the merge rules run, RLS still
--    decides what the caller may touch;
--  * sync receipts (the stored answer a replay gets) are likewise written only
--    by sync_push: a client could otherwise store an "accepted" answer for a
--    change that was never applied.
-- Functions added later that must write these tables follow the same pattern
-- (owned by ms_sync, SECURITY DEFINER, search_path pinned).
--
-- Every other INSERT/UPDATE grant to the API roles was reviewed (THREATS.md,
-- "write paths"); the columns that carry rules there (counters, owners, XP,
-- votes, entitlements, job state) were already not client-writable.

do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'ms_sync') then
    create role ms_sync nologin inherit;
  end if;
end
$$;
grant authenticated to ms_sync;
grant usage on schema public, private to ms_sync;
-- On hosted Supabase the migration role is not a superuser: it must be a member
-- of ms_sync to hand it the function, and ms_sync must be able to own objects
-- in schema private.
do $$
begin
  if not (select rolsuper from pg_roles where rolname = current_user) then
    execute format('grant ms_sync to %I', current_user);
    grant create on schema public, private to ms_sync;
  end if;
end
$$;

revoke insert, update on public.projects, public.project_media from authenticated;
revoke insert (id, title, bpm, musical_key, duration_s, timeline, deleted, field_clock),
  update (title, bpm, musical_key, duration_s, timeline, deleted, field_clock) on public.projects from authenticated;
revoke insert (id, project_id, role, name, sha256, size_bytes, mime, storage_path, deleted, field_clock),
  update (role, name, sha256, size_bytes, mime, storage_path, deleted, field_clock)
  on public.project_media from authenticated;

grant select on public.projects, public.project_media to ms_sync;
grant insert (id, title, bpm, musical_key, duration_s, timeline, deleted, field_clock)
  on public.projects to ms_sync;
grant update (title, bpm, musical_key, duration_s, timeline, deleted, field_clock)
  on public.projects to ms_sync;
grant insert (id, project_id, role, name, sha256, size_bytes, mime, storage_path, deleted, field_clock)
  on public.project_media to ms_sync;
grant update (role, name, sha256, size_bytes, mime, storage_path, deleted, field_clock)
  on public.project_media to ms_sync;

revoke insert, update on public.sync_receipts from authenticated;
revoke insert (idempotency_key, result), update (result) on public.sync_receipts from authenticated;
grant select, insert (idempotency_key, result), update (result) on public.sync_receipts to ms_sync;

alter function public.sync_push(jsonb) security definer;
alter function public.sync_push(jsonb) owner to ms_sync;
alter function public.sync_push(jsonb) set search_path = pg_catalog, pg_temp;
revoke all on function public.sync_push(jsonb) from public, anon;
grant execute on function public.sync_push(jsonb) to authenticated, service_role;

alter function private.apply_change(jsonb) security definer;
alter function private.apply_change(jsonb) owner to ms_sync;
alter function private.apply_change(jsonb) set search_path = pg_catalog, pg_temp;
revoke all on function private.apply_change(jsonb) from public, anon;
grant execute on function private.apply_change(jsonb) to authenticated, service_role;
