-- Issue 15: "Talk" voice rooms of a project's live session (Daily.co).
-- The voice service (backend/voice, service role) creates the Daily room with
-- an expiry and stores it here; clients never write these columns. A room of
-- a project is readable only by the project's owner and active
-- collaborators (rooms without a project keep the old rule).

alter table public.voice_rooms
  add column project_id uuid references public.projects (id) on delete cascade,
  add column daily_name text check (daily_name is null or daily_name ~ '^[A-Za-z0-9_-]{1,128}$'),
  add column url text check (url is null or (length(url) <= 500 and url ~ '^https://')),
  add column expires_at timestamptz;
create unique index voice_rooms_one_live_per_project on public.voice_rooms (project_id)
  where is_live and project_id is not null;

drop policy rooms_read on public.voice_rooms;
create policy rooms_read on public.voice_rooms for select to authenticated
  using (host_id = (select auth.uid())
         or (project_id is null and is_live)
         or (project_id is not null and private.project_access(project_id, (select auth.uid())) is not null));
