-- Tier storage quota enforced on Storage itself: an object may be written to
-- the caller's folders only while the bytes they store (all buckets, as
-- recorded in storage.objects.metadata.size) stay within their tier's
-- storage_bytes. Storage checks the policy with the object's metadata when it
-- records the upload; a row without a size yet counts as 0 bytes.

create function private.storage_within_quota(p_user uuid, p_bucket text, p_name text, p_size bigint)
returns boolean
language plpgsql stable security definer set search_path = '' as $$
declare
  v_limit bigint := private.tier_limit(p_user, 'storage_bytes');
  v_used bigint;
begin
  if v_limit is null then
    return true;
  end if;
  select coalesce(sum(coalesce((o.metadata ->> 'size')::bigint, 0)), 0) into v_used
    from storage.objects o
   where o.owner = p_user and not (o.bucket_id = p_bucket and o.name = p_name);
  return v_used + greatest(coalesce(p_size, 0), 0) <= v_limit;
end
$$;
revoke all on function private.storage_within_quota(uuid, text, text, bigint) from public, anon;
grant execute on function private.storage_within_quota(uuid, text, text, bigint) to authenticated, service_role;

drop policy media_owner_insert on storage.objects;
drop policy media_owner_update on storage.objects;
drop policy published_owner_insert on storage.objects;

create policy media_owner_insert on storage.objects for insert to authenticated
  with check (bucket_id = 'media' and (storage.foldername(name))[1] = (select auth.uid())::text
              and private.storage_within_quota((select auth.uid()), bucket_id, name,
                                               (metadata ->> 'size')::bigint));
create policy media_owner_update on storage.objects for update to authenticated
  using (bucket_id = 'media' and (storage.foldername(name))[1] = (select auth.uid())::text)
  with check (bucket_id = 'media' and (storage.foldername(name))[1] = (select auth.uid())::text
              and private.storage_within_quota((select auth.uid()), bucket_id, name,
                                               (metadata ->> 'size')::bigint));
create policy published_owner_insert on storage.objects for insert to authenticated
  with check (bucket_id = 'published' and (storage.foldername(name))[1] = (select auth.uid())::text
              and private.storage_within_quota((select auth.uid()), bucket_id, name,
                                               (metadata ->> 'size')::bigint));
