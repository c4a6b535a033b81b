-- Issue 16: remix packs. A creator uploads the stems of a song they own to
-- the public "published" bucket under <uid>/packs/<pack id>/<sha256><ext>
-- (the bucket's existing policies: own folder, quota) and then publishes the
-- pack's manifest (sync/remix_packs.py: title, artist, licence, tempo, key,
-- stems, credited sources) with publish_pack. The catalogue is readable by
-- everyone; rows are written only by publish_pack / delete_pack (SECURITY
-- DEFINER, search_path pinned), which check that every stem is an object the
-- publisher uploaded at that exact path.

create table public.remix_packs (
  id uuid primary key,
  owner_id uuid not null references auth.users (id) on delete cascade,
  title text not null check (char_length(title) between 1 and 200),
  artist text not null default '' check (char_length(artist) <= 200),
  licence text not null check (licence in ('remix-with-credit', 'non-commercial')),
  tempo numeric not null check (tempo between 20 and 400),
  key text check (key is null or char_length(key) <= 40),
  manifest jsonb not null check (jsonb_typeof(manifest) = 'object' and pg_column_size(manifest) <= 65536),
  storage_prefix text not null check (char_length(storage_prefix) <= 200),
  created_at timestamptz not null default now()
);
create index remix_packs_recent on public.remix_packs (created_at desc);
alter table public.remix_packs enable row level security;
revoke all on public.remix_packs from anon, authenticated;
grant select on public.remix_packs to anon, authenticated;
grant all on public.remix_packs to service_role;
create policy remix_packs_read on public.remix_packs for select to anon, authenticated using (true);

create function public.publish_pack(p_id uuid, p_manifest jsonb) returns uuid
language plpgsql volatile security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_uid uuid := auth.uid();
  v_prefix text;
  s jsonb;
  v_names text[] := '{}';
begin
  if v_uid is null then
    raise exception 'sign in first' using errcode = '42501';
  end if;
  if jsonb_typeof(p_manifest) is distinct from 'object' or pg_column_size(p_manifest) > 65536
     or jsonb_typeof(p_manifest -> 'stems') is distinct from 'array'
     or jsonb_array_length(p_manifest -> 'stems') not between 1 and 16
     or coalesce(p_manifest ->> 'licence', '') not in ('remix-with-credit', 'non-commercial')
     or jsonb_typeof(p_manifest -> 'tempo') is distinct from 'number'
     or (p_manifest ->> 'tempo')::numeric not between 20 and 400
     or char_length(coalesce(p_manifest ->> 'title', '')) not between 1 and 200
     or char_length(coalesce(p_manifest ->> 'artist', '')) > 200
     or char_length(coalesce(p_manifest ->> 'key', '')) > 40
     or coalesce(p_manifest ->> 'id', '') <> p_id::text then
    raise exception 'not a valid pack manifest' using errcode = 'MS003';
  end if;
  v_prefix := v_uid::text || '/packs/' || p_id::text;
  for s in select * from jsonb_array_elements(p_manifest -> 'stems') loop
    if jsonb_typeof(s) <> 'object' or coalesce(s ->> 'name', '') !~ '^[A-Za-z0-9_-]{1,32}$'
       or coalesce(s ->> 'hash', '') !~ '^[0-9a-f]{64}$' or coalesce(s ->> 'ext', '') !~ '^\.[a-z0-9]{1,5}$'
       or jsonb_typeof(s -> 'size') is distinct from 'number' or (s ->> 'size')::numeric not between 1 and 2147483648
       or (s ->> 'name') = any (v_names) then
      raise exception 'not a valid pack stem' using errcode = 'MS003';
    end if;
    v_names := v_names || (s ->> 'name');
    if not exists (select 1 from storage.objects o
                    where o.bucket_id = 'published' and o.owner = v_uid
                      and o.name = v_prefix || '/' || (s ->> 'hash') || (s ->> 'ext')) then
      raise exception 'stem % is not uploaded', s ->> 'name' using errcode = 'MS004';
    end if;
  end loop;
  insert into public.remix_packs (id, owner_id, title, artist, licence, tempo, key, manifest, storage_prefix)
    values (p_id, v_uid, p_manifest ->> 'title', coalesce(p_manifest ->> 'artist', ''), p_manifest ->> 'licence',
            (p_manifest ->> 'tempo')::numeric, p_manifest ->> 'key', p_manifest, v_prefix)
    on conflict (id) do nothing;
  if not found then
    raise exception 'this pack id is taken' using errcode = 'MS003';
  end if;
  return p_id;
end
$$;

create function public.delete_pack(p_id uuid) returns void
language plpgsql volatile security definer set search_path = pg_catalog, pg_temp as $$
begin
  delete from public.remix_packs where id = p_id and owner_id = auth.uid();
  if not found then
    raise exception 'pack not found' using errcode = 'MS004';
  end if;
end
$$;

-- The catalogue, newest first (what the Packs page lists).
create function public.list_packs(p_limit int default 50) returns jsonb
language sql stable security invoker set search_path = pg_catalog, pg_temp as $$
  select coalesce(jsonb_agg(jsonb_build_object('id', p.id, 'owner', p.owner_id, 'title', p.title, 'artist', p.artist,
                                               'licence', p.licence, 'tempo', p.tempo, 'key', p.key,
                                               'manifest', p.manifest, 'storage_prefix', p.storage_prefix,
                                               'created_at', p.created_at) order by p.created_at desc), '[]'::jsonb)
    from (select * from public.remix_packs order by created_at desc limit least(greatest(coalesce(p_limit, 50), 1), 200)) p
$$;

revoke all on function public.list_packs(int) from public;
grant execute on function public.list_packs(int) to anon, authenticated;
revoke all on function public.publish_pack(uuid, jsonb), public.delete_pack(uuid) from public, anon, authenticated;
grant execute on function public.publish_pack(uuid, jsonb), public.delete_pack(uuid) to authenticated;
