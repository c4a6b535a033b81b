-- Collaborators may read the media blobs of projects shared with them.
-- Blob objects live at '<owner id>/blobs/<sha256>/...' in bucket 'media'; a
-- reader needs a live project_media row of that owner with that hash on a
-- project they can access (owner, editor or viewer of an open session).

create function private.can_read_blob(p_name text, p_user uuid) returns boolean
language plpgsql stable security definer set search_path = '' as $$
declare
  parts text[] := storage.foldername(p_name);
  v_owner uuid;
begin
  if p_user is null or coalesce(array_length(parts, 1), 0) < 3 or parts[2] <> 'blobs'
     or parts[3] !~ '^[0-9a-f]{64}$' or parts[1] !~ '^[0-9a-f-]{36}$' then
    return false;
  end if;
  v_owner := parts[1]::uuid;
  return exists (
    select 1 from public.project_media m
     where m.owner_id = v_owner and m.sha256 = parts[3] and not m.deleted
       and private.project_access(m.project_id, p_user) is not null);
end
$$;
revoke all on function private.can_read_blob(text, uuid) from public, anon;
grant execute on function private.can_read_blob(text, uuid) to authenticated, service_role;

create policy media_shared_select on storage.objects for select to authenticated
  using (bucket_id = 'media' and private.can_read_blob(name, (select auth.uid())));
