-- Issue 12: comments on published mashups (backend/THREATS.md section 8).
--
--  * public.mashup_comments: readable exactly where the mashup is (public and
--    unlisted by everyone, private by its owner only); no client write grant.
--  * Written only through SECURITY DEFINER functions that take the author from
--    auth.uid(): post_comment (body 1-2000 characters after trimming, no
--    control characters but newline/tab; at most private.comments_per_minute()
--    per author in any minute and private.comments_per_day() per UTC day,
--    serialised per author by an advisory lock so concurrent posts cannot pass
--    the limit together) and delete_comment (the author's own only).
--  * No existence oracle: a comment on, or a listing of, a mashup the caller
--    cannot see answers exactly like an unknown id ("mashup not found"); deleting
--    someone else's comment answers like a missing one ("comment not found").
--  * The count is on every mashup the pages show (private.mashup_json ->
--    'comments'), and the creator's series counts comments from this table
--    (other people's only), not client-logged 'comment' events.

create table public.mashup_comments (
  id uuid primary key default gen_random_uuid(),
  mashup_id uuid not null references public.mashups (id) on delete cascade,
  author_id uuid not null references auth.users (id) on delete cascade,
  body text not null check (length(body) between 1 and 2000 and body = btrim(body)
                            and body !~ '[\x01-\x08\x0b-\x1f\x7f]'),
  created_at timestamptz not null default now()
);
create index mashup_comments_mashup on public.mashup_comments (mashup_id, created_at desc);
create index mashup_comments_author on public.mashup_comments (author_id, created_at desc);
alter table public.mashup_comments enable row level security;
revoke all on public.mashup_comments from anon, authenticated;
grant select on public.mashup_comments to anon, authenticated;
grant all on public.mashup_comments to service_role;
create policy mashup_comments_read on public.mashup_comments for select to anon, authenticated
  using (exists (select 1 from public.mashups m where m.id = mashup_id
                  and (m.visibility <> 'private' or m.owner_id = (select auth.uid()))));

create function private.comments_per_minute() returns int
language sql immutable set search_path = pg_catalog, pg_temp as $$ select 6 $$;
create function private.comments_per_day() returns int
language sql immutable set search_path = pg_catalog, pg_temp as $$ select 200 $$;

-- The mashup if the caller may see it (owner, or not private), else null.
create function private.visible_mashup(p_mashup uuid) returns uuid
language sql stable security definer set search_path = pg_catalog, pg_temp as $$
  select m.id from public.mashups m
   where m.id = p_mashup and (m.visibility <> 'private' or m.owner_id = auth.uid())
$$;

create function private.comment_json(c public.mashup_comments) returns jsonb
language sql stable security definer set search_path = pg_catalog, pg_temp as $$
  select jsonb_build_object(
    'id', c.id, 'mashup_id', c.mashup_id, 'author_id', c.author_id,
    'author', coalesce((select coalesce(p.display_name, p.username) from public.profiles p where p.id = c.author_id),
                       ''),
    'body', c.body, 'created_at', c.created_at, 'mine', coalesce(c.author_id = auth.uid(), false))
$$;

create function public.post_comment(p_mashup uuid, p_body text) returns jsonb
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_uid uuid := private.require_uid();
  v_body text := btrim(coalesce(p_body, ''), e' \t\r\n');
  c public.mashup_comments;
begin
  if length(v_body) not between 1 and 2000 then
    raise exception 'a comment is 1-2000 characters' using errcode = 'MS003';
  end if;
  if v_body ~ '[\x01-\x08\x0b-\x1f\x7f]' then
    raise exception 'a comment cannot contain control characters' using errcode = 'MS003';
  end if;
  if private.visible_mashup(p_mashup) is null then
    raise exception 'mashup not found' using errcode = 'MS004';
  end if;
  perform pg_advisory_xact_lock(hashtextextended('mashup-comments:' || v_uid::text, 0));
  if (select count(*) from public.mashup_comments
       where author_id = v_uid and created_at > clock_timestamp() - interval '1 minute')
     >= private.comments_per_minute() then
    raise exception 'you are commenting too fast: wait a minute' using errcode = 'MS006';
  end if;
  if (select count(*) from public.mashup_comments
       where author_id = v_uid and created_at >= date_trunc('day', clock_timestamp() at time zone 'utc') at time zone 'utc')
     >= private.comments_per_day() then
    raise exception 'daily comment limit reached: try again tomorrow' using errcode = 'MS006';
  end if;
  -- now() is the transaction's start: a transaction that waited for the lock
  -- started earlier than the one it waited for, so windows use the wall clock.
  insert into public.mashup_comments (mashup_id, author_id, body, created_at)
  values (p_mashup, v_uid, v_body, clock_timestamp())
  returning * into c;
  return private.comment_json(c);
end
$$;

create function public.delete_comment(p_comment uuid) returns jsonb
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_uid uuid := private.require_uid();
  n int;
begin
  delete from public.mashup_comments where id = p_comment and author_id = v_uid;
  get diagnostics n = row_count;
  if n = 0 then
    raise exception 'comment not found' using errcode = 'MS004';
  end if;
  return jsonb_build_object('status', 'deleted', 'comment_id', p_comment);
end
$$;

-- Newest first, pages of at most 100 (p_before: the created_at of the last one seen).
create function public.mashup_comments(p_mashup uuid, p_before timestamptz default null, p_limit int default 50)
returns jsonb
language plpgsql stable security definer set search_path = pg_catalog, pg_temp as $$
begin
  if private.visible_mashup(p_mashup) is null then
    raise exception 'mashup not found' using errcode = 'MS004';
  end if;
  return jsonb_build_object(
    'total', (select count(*) from public.mashup_comments where mashup_id = p_mashup),
    'comments', (select coalesce(jsonb_agg(private.comment_json(c) order by c.created_at desc, c.id), '[]')
                   from (select * from public.mashup_comments
                          where mashup_id = p_mashup and (p_before is null or created_at < p_before)
                          order by created_at desc, id
                          limit least(greatest(coalesce(p_limit, 50), 1), 100)) c));
end
$$;

-- Every mashup the pages show carries its comment count (wrapping whatever
-- private.mashup_json is by now, as later migrations do too).
alter function private.mashup_json(uuid) rename to mashup_json_before_comments;
create function private.mashup_json(p_mashup uuid) returns jsonb
language sql stable security definer set search_path = pg_catalog, pg_temp as $$
  select private.mashup_json_before_comments(p_mashup)
         || jsonb_build_object('comments', (select count(*) from public.mashup_comments c where c.mashup_id = p_mashup))
$$;

-- The creator's series: comments come from the comments table (other people's).
create or replace function public.creator_series(
  p_bucket text, p_from timestamptz, p_to timestamptz, p_mashup uuid default null)
returns table (bucket_start timestamptz, event_type text, events bigint)
language plpgsql stable security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_uid uuid := private.require_uid();
  v_step interval;
begin
  if p_bucket is null or p_bucket not in ('day', 'week', 'month') then
    raise exception 'p_bucket must be day, week or month' using errcode = 'MS003';
  end if;
  if p_from is null or p_to is null or p_to <= p_from or p_to - p_from > interval '3 years' then
    raise exception 'bad time range' using errcode = 'MS003';
  end if;
  if p_mashup is not null and not exists (
      select 1 from public.mashups where id = p_mashup and owner_id = v_uid) then
    raise exception 'mashup not found' using errcode = 'MS004';
  end if;
  v_step := ('1 ' || p_bucket)::interval;
  return query
    with buckets as (
      select generate_series(date_trunc(p_bucket, p_from at time zone 'utc'),
                             date_trunc(p_bucket, (p_to at time zone 'utc') - interval '1 microsecond'),
                             v_step) at time zone 'utc' as b
    ), types as (
      select t as event_type from unnest(array['play', 'like', 'share', 'comment', 'vote']) t
    ), events as (
      select e.occurred_at as at, e.event_type as t
        from public.analytics_events e join public.mashups m on m.id = e.mashup_id
       where m.owner_id = v_uid and (p_mashup is null or m.id = p_mashup)
         and e.occurred_at >= p_from and e.occurred_at < p_to
         and e.event_type in ('play', 'like', 'share')
      union all
      select c.created_at, 'comment'
        from public.mashup_comments c join public.mashups m on m.id = c.mashup_id
       where m.owner_id = v_uid and c.author_id <> v_uid and (p_mashup is null or m.id = p_mashup)
         and c.created_at >= p_from and c.created_at < p_to
      union all
      select v.created_at, 'vote'
        from public.battle_votes v join public.mashups m on m.id = v.choice
       where m.owner_id = v_uid and (p_mashup is null or m.id = p_mashup)
         and v.created_at >= p_from and v.created_at < p_to
    ), counts as (
      select date_trunc(p_bucket, at at time zone 'utc') at time zone 'utc' as b, t, count(*) as n
        from events group by 1, 2
    )
    select buckets.b, types.event_type, coalesce(counts.n, 0)::bigint
      from buckets cross join types
      left join counts on counts.b = buckets.b and counts.t = types.event_type
     order by 1, 2;
end
$$;

revoke all on function private.comments_per_minute(), private.comments_per_day(), private.visible_mashup(uuid),
  private.comment_json(public.mashup_comments), private.mashup_json(uuid), private.mashup_json_before_comments(uuid)
  from public, anon, authenticated;
revoke all on function public.post_comment(uuid, text), public.delete_comment(uuid),
  public.mashup_comments(uuid, timestamptz, int) from public, anon, authenticated;
grant execute on function public.post_comment(uuid, text), public.delete_comment(uuid) to authenticated, service_role;
grant execute on function public.mashup_comments(uuid, timestamptz, int) to anon, authenticated, service_role;
