-- Issue 10, class 6: existence oracles and quiet bugs.
--
--  * A user-chosen id pointing at another user's row is refused *before* the
--    foreign key is checked, with the same error (MS004 "... not found") as an
--    id that does not exist: mashups.project_id, captions.project_id and
--    captions.mashup_id must name the caller's own rows. (Events and
--    recommendation events on invisible mashups: migration ..0300.)
--  * A split's recipients can read the split that pays them (the policy
--    compared a column of the recipients table with itself).
--  * Storage keys are plain relative paths: no '..' or '.' segment, no empty
--    segment, no leading '/', no backslash, no control character, at most
--    1024 bytes. Checked on project_media.storage_path, mashups.audio_path and,
--    by a RESTRICTIVE policy, on every object written to Storage.

create function private.safe_storage_key(p text) returns boolean
language sql immutable set search_path = pg_catalog, pg_temp as $$
  select p is not null and octet_length(p) between 1 and 1024
     and p !~ '(^|/)\.{1,2}(/|$)' and p !~ '^/' and p !~ '//' and p !~ '\\' and p !~ '[[:cntrl:]]'
$$;
grant execute on function private.safe_storage_key(text) to authenticated, service_role;

do $$
declare
  c record;
begin
  for c in select * from (values
      ('public.project_media', 'project_media_storage_path_safe', 'storage_path is null or private.safe_storage_key(storage_path)'),
      ('public.mashups', 'mashups_audio_path_safe', 'audio_path is null or private.safe_storage_key(audio_path)'))
      as t(tbl, name, chk)
  loop
    execute format('alter table %s add constraint %I check (%s) not valid', c.tbl, c.name, c.chk);
    begin
      execute format('alter table %s validate constraint %I', c.tbl, c.name);
    exception when check_violation then
      raise notice 'existing rows of % break %: kept, new writes are checked', c.tbl, c.name;
    end;
  end loop;
end
$$;

create policy objects_safe_key_insert on storage.objects as restrictive for insert to authenticated
  with check (private.safe_storage_key(name));
create policy objects_safe_key_update on storage.objects as restrictive for update to authenticated
  using (true) with check (private.safe_storage_key(name));

-- ---------------------------------------------------------------- id references
create function private.mashup_refs_guard() returns trigger
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
begin
  if new.project_id is not null
     and (tg_op = 'INSERT' or new.project_id is distinct from old.project_id)
     and private.project_access(new.project_id, new.owner_id) is distinct from 'owner' then
    raise exception 'project not found' using errcode = 'MS004';
  end if;
  return new;
end
$$;
create trigger mashups_refs_guard before insert or update of project_id on public.mashups
  for each row execute function private.mashup_refs_guard();

create function private.caption_refs_guard() returns trigger
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
begin
  if new.project_id is not null
     and (tg_op = 'INSERT' or new.project_id is distinct from old.project_id)
     and private.project_access(new.project_id, new.owner_id) is distinct from 'owner' then
    raise exception 'project not found' using errcode = 'MS004';
  end if;
  if new.mashup_id is not null
     and (tg_op = 'INSERT' or new.mashup_id is distinct from old.mashup_id)
     and not exists (select 1 from public.mashups m where m.id = new.mashup_id and m.owner_id = new.owner_id) then
    raise exception 'mashup not found' using errcode = 'MS004';
  end if;
  return new;
end
$$;
create trigger captions_refs_guard before insert or update on public.captions
  for each row execute function private.caption_refs_guard();

-- ---------------------------------------------------------------- split recipients
create function private.is_split_recipient(p_split uuid, p_user uuid) returns boolean
language sql stable security definer set search_path = pg_catalog, pg_temp as $$
  select p_user is not null and exists (
    select 1 from public.revenue_split_recipients r where r.split_id = p_split and r.recipient_id = p_user)
$$;
grant execute on function private.is_split_recipient(uuid, uuid) to authenticated, service_role;

drop policy splits_select on public.revenue_splits;
create policy splits_select on public.revenue_splits for select to authenticated
  using (created_by = (select auth.uid()) or private.is_split_recipient(id, (select auth.uid())));

revoke all on function private.mashup_refs_guard(), private.caption_refs_guard() from public, anon, authenticated;
