-- Issue 10, class 2: counters anyone could pump.
--
--  * A like is a state (public.mashup_likes: one row per listener and
--    mashup); like_count is maintained from those rows. set_like(mashup, bool)
--    likes and unlikes; a 'like' event sent to log_events means "liked".
--  * Every other event on a mashup counts at most once per listener, mashup
--    and event type in any 30 minutes of server time
--    (private.event_window()), and never for the mashup's own owner. Plays
--    beyond that are answered as "throttled" and stored nowhere, so
--    play_count and the creator's time series move together.
--  * A listener stores at most private.events_daily_cap() events per UTC day.
--  * Events (and recommendation events) on a mashup the caller cannot see are
--    refused with the same answer as for an id that does not exist.

create function private.event_window() returns interval
language sql immutable set search_path = pg_catalog, pg_temp as $$ select interval '30 minutes' $$;
create function private.events_daily_cap() returns int
language sql immutable set search_path = pg_catalog, pg_temp as $$ select 5000 $$;

-- Can p_user see mashup p_mashup? (same rule as the mashups_read policy)
create function private.mashup_visible(p_mashup uuid, p_user uuid) returns boolean
language sql stable security definer set search_path = pg_catalog, pg_temp as $$
  select exists (select 1 from public.mashups m
                  where m.id = p_mashup and (m.visibility <> 'private' or m.owner_id = p_user))
$$;

-- ---------------------------------------------------------------- likes as state
create table public.mashup_likes (
  mashup_id uuid not null references public.mashups (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz not null default now(),
  primary key (mashup_id, user_id)
);
create index mashup_likes_user on public.mashup_likes (user_id);
alter table public.mashup_likes enable row level security;
revoke all on public.mashup_likes from anon, authenticated;
grant all on public.mashup_likes to service_role;
grant select on public.mashup_likes to authenticated;
create policy mashup_likes_read_own on public.mashup_likes for select to authenticated
  using (user_id = (select auth.uid()));

-- Upgrade: every listener who ever sent a like event likes the mashup once.
insert into public.mashup_likes (mashup_id, user_id, created_at)
select e.mashup_id, e.user_id, min(e.received_at)
  from public.analytics_events e
  join public.mashups m on m.id = e.mashup_id
 where e.event_type = 'like' and e.user_id is not null
 group by e.mashup_id, e.user_id
on conflict do nothing;
update public.mashups m set like_count = (select count(*) from public.mashup_likes l where l.mashup_id = m.id);

create function private.on_like_changed() returns trigger
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
begin
  if tg_op = 'INSERT' then
    update public.mashups set like_count = like_count + 1 where id = new.mashup_id;
  else
    update public.mashups set like_count = greatest(like_count - 1, 0) where id = old.mashup_id;
  end if;
  return null;
end
$$;
create trigger mashup_likes_count after insert or delete on public.mashup_likes
  for each row execute function private.on_like_changed();

-- The guard that keeps clients off the counters: fire for the client roles
-- (it compared against the name of the migration role before, which differs
-- between installations).
drop trigger mashups_guard on public.mashups;
create trigger mashups_guard before update on public.mashups
  for each row when (current_user in ('anon', 'authenticated'))
  execute function private.mashup_guard();

create function private.set_like_for(p_user uuid, p_mashup uuid, p_liked boolean,
                                     p_event uuid default null, p_at timestamptz default null) returns boolean
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare
  n int;
begin
  if p_mashup is null or p_liked is null then
    raise exception 'mashup and liked are required' using errcode = 'MS003';
  end if;
  if not private.mashup_visible(p_mashup, p_user) then
    raise exception 'mashup not found' using errcode = 'MS004';
  end if;
  if p_liked then
    insert into public.mashup_likes (mashup_id, user_id) values (p_mashup, p_user) on conflict do nothing;
  else
    delete from public.mashup_likes where mashup_id = p_mashup and user_id = p_user;
  end if;
  get diagnostics n = row_count;
  -- the creator's series shows a listener's first like only (toggling adds nothing)
  if n > 0 and p_liked and not exists (select 1 from public.analytics_events a
                                        where a.user_id = p_user and a.mashup_id = p_mashup
                                          and a.event_type = 'like') then
    insert into public.analytics_events (user_id, client_event_id, mashup_id, event_type, occurred_at)
    values (p_user, coalesce(p_event, gen_random_uuid()), p_mashup, 'like', coalesce(p_at, now()))
    on conflict (user_id, client_event_id) do nothing;
  end if;
  return n > 0;
end
$$;

-- Like or unlike a mashup. Returns {liked, changed, like_count}.
create function public.set_like(p_mashup uuid, p_liked boolean default true) returns jsonb
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_uid uuid := private.require_uid();
  v_changed boolean := private.set_like_for(v_uid, p_mashup, p_liked);
begin
  return jsonb_build_object('liked', p_liked, 'changed', v_changed,
    'like_count', (select like_count from public.mashups where id = p_mashup));
end
$$;

-- ---------------------------------------------------------------- log_events
-- p_events: array of {id: client uuid, type, mashup_id?, occurred_at, props?}
-- (at most 1000, at most 1 MB). Returns {accepted, duplicates, throttled,
-- rejected: [{index, reason}]}. A retried batch counts once (client ids).
create or replace function public.log_events(p_events jsonb) returns jsonb
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_uid uuid := private.require_uid();
  e jsonb;
  v_id bigint;
  v_cid uuid;
  v_accepted int := 0;
  v_duplicates int := 0;
  v_throttled int := 0;
  v_rejected jsonb := '[]';
  v_idx int := -1;
  v_type text;
  v_mashup uuid;
  v_owner uuid;
  v_at timestamptz;
  v_today int;
begin
  if jsonb_typeof(p_events) is distinct from 'array' or jsonb_array_length(p_events) > 1000 then
    raise exception 'p_events must be an array of at most 1000 events' using errcode = 'MS003';
  end if;
  if pg_column_size(p_events) > 1000000 then
    raise exception 'p_events is larger than 1 MB' using errcode = 'MS003';
  end if;
  -- One batch per listener at a time: the window and the daily cap below are
  -- then checked against everything committed before.
  perform pg_advisory_xact_lock(hashtextextended('events:' || v_uid::text, 0));
  select count(*) into v_today from public.analytics_events
   where user_id = v_uid and received_at >= date_trunc('day', now() at time zone 'utc') at time zone 'utc';
  for e in select value from jsonb_array_elements(p_events) loop
    v_idx := v_idx + 1;
    v_id := null;
    begin
      if jsonb_typeof(e) is distinct from 'object' then
        raise exception 'event must be an object' using errcode = 'MS003';
      end if;
      v_type := e ->> 'type';
      v_cid := (e ->> 'id')::uuid;
      v_mashup := (e ->> 'mashup_id')::uuid;
      v_at := coalesce((e ->> 'occurred_at')::timestamptz, now());
      if v_cid is null then
        raise exception 'event id required' using errcode = 'MS003';
      end if;
      if v_at > now() + interval '1 day' or v_at < now() - interval '90 days' then
        raise exception 'occurred_at out of range' using errcode = 'MS003';
      end if;
      if v_type is null or v_type not in ('view', 'play', 'complete', 'like', 'share', 'download', 'comment',
                                          'follow', 'remix') then
        raise exception 'unknown event type' using errcode = 'MS003';
      end if;
      if v_mashup is not null then
        -- the same answer for "does not exist" and "not yours to see"
        select m.owner_id into v_owner from public.mashups m
         where m.id = v_mashup and (m.visibility <> 'private' or m.owner_id = v_uid);
        if not found then
          raise exception 'mashup not found' using errcode = 'MS004';
        end if;
      end if;
      if exists (select 1 from public.analytics_events a where a.user_id = v_uid and a.client_event_id = v_cid) then
        v_duplicates := v_duplicates + 1;
        continue;
      end if;
      if v_type = 'like' and v_mashup is not null then
        if private.set_like_for(v_uid, v_mashup, true, v_cid, v_at) then
          v_accepted := v_accepted + 1;
        else
          v_duplicates := v_duplicates + 1;
        end if;
        continue;
      elsif v_mashup is not null and (v_owner = v_uid or exists (
              select 1 from public.analytics_events a
               where a.user_id = v_uid and a.mashup_id = v_mashup and a.event_type = v_type
                 and a.received_at > now() - private.event_window())) then
        v_throttled := v_throttled + 1;
        continue;
      end if;
      if v_today >= private.events_daily_cap() then
        v_throttled := v_throttled + 1;
        continue;
      end if;
      insert into public.analytics_events (user_id, client_event_id, mashup_id, event_type, occurred_at, props)
      values (v_uid, v_cid, v_mashup, v_type, v_at, coalesce(e -> 'props', '{}'))
      on conflict (user_id, client_event_id) do nothing
      returning id into v_id;
      if v_id is null then
        v_duplicates := v_duplicates + 1;
      else
        v_accepted := v_accepted + 1;
        v_today := v_today + 1;
        if v_type = 'play' and v_mashup is not null then
          update public.mashups set play_count = play_count + 1 where id = v_mashup;
        end if;
      end if;
    exception when sqlstate 'MS003' or sqlstate 'MS004' or check_violation or not_null_violation
                   or invalid_text_representation or foreign_key_violation or invalid_datetime_format
                   or datetime_field_overflow or data_exception then
      v_rejected := v_rejected || jsonb_build_array(jsonb_build_object('index', v_idx, 'reason', sqlerrm));
    end;
  end loop;
  perform private.touch_streak(v_uid);
  return jsonb_build_object('accepted', v_accepted, 'duplicates', v_duplicates, 'throttled', v_throttled,
                            'rejected', v_rejected);
end
$$;

-- ---------------------------------------------------------------- recommendation events
-- Recommendation events feed what others are shown, so they follow the same
-- rules as analytics events: refused on invisible mashups (like missing ones),
-- and a listener's repeat of the same event on the same mashup within the
-- window, or beyond the daily cap, is dropped without an error (a bulk insert
-- of a client's buffered events still succeeds).
create function private.reco_event_guard() returns trigger
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
begin
  if not private.mashup_visible(new.mashup_id, new.user_id) then
    raise exception 'mashup not found' using errcode = 'MS004';
  end if;
  if tg_op = 'INSERT' then
    perform pg_advisory_xact_lock(hashtextextended('reco:' || new.user_id::text, 0));
    if exists (select 1 from public.recommendation_events r
                where r.user_id = new.user_id and r.mashup_id = new.mashup_id and r.event_type = new.event_type
                  and r.created_at > now() - private.event_window())
       or (select count(*) from public.recommendation_events r
            where r.user_id = new.user_id and r.created_at > now() - interval '1 day') >= private.events_daily_cap() then
      return null;
    end if;
  end if;
  return new;
end
$$;
create index recommendation_events_user_time on public.recommendation_events (user_id, created_at);
create index analytics_events_user_time on public.analytics_events (user_id, received_at);
create trigger recommendation_events_guard before insert or update of mashup_id on public.recommendation_events
  for each row execute function private.reco_event_guard();

revoke all on function private.event_window(), private.events_daily_cap(), private.mashup_visible(uuid, uuid),
  private.on_like_changed(), private.set_like_for(uuid, uuid, boolean, uuid, timestamptz), private.reco_event_guard()
  from public, anon, authenticated;
revoke all on function public.set_like(uuid, boolean) from public, anon;
grant execute on function public.set_like(uuid, boolean) to authenticated, service_role;
grant execute on function private.mashup_visible(uuid, uuid) to service_role;
