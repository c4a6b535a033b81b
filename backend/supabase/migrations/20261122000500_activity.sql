-- Analytics events and creator time series, recommendation events, captions,
-- trending sounds, voice rooms, AI jobs, revenue splits, entitlement RPCs.

create table public.analytics_events (
  id bigint generated always as identity primary key,
  user_id uuid references auth.users (id) on delete set null,
  client_event_id uuid not null,
  mashup_id uuid references public.mashups (id) on delete cascade,
  event_type text not null check (event_type in
    ('view', 'play', 'complete', 'like', 'share', 'download', 'comment', 'follow', 'remix')),
  occurred_at timestamptz not null,
  props jsonb not null default '{}' check (jsonb_typeof(props) = 'object' and pg_column_size(props) <= 4000),
  received_at timestamptz not null default now(),
  unique (user_id, client_event_id)
);
create index analytics_events_mashup_time on public.analytics_events (mashup_id, occurred_at);

-- The web version shipped a CHECK that rejected every event; these are the
-- event types the client sends, and tests insert each of them.
create table public.recommendation_events (
  id bigint generated always as identity primary key,
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  mashup_id uuid not null references public.mashups (id) on delete cascade,
  event_type text not null check (event_type in ('impression', 'click', 'play', 'like', 'skip', 'share', 'hide')),
  context jsonb not null default '{}' check (jsonb_typeof(context) = 'object'),
  position int check (position is null or position >= 0),
  created_at timestamptz not null default now()
);

create table public.captions (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  project_id uuid references public.projects (id) on delete cascade,
  mashup_id uuid references public.mashups (id) on delete cascade,
  language text not null default 'en' check (language ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$'),
  words jsonb not null default '[]' check (jsonb_typeof(words) = 'array'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table public.trending_sounds (
  id uuid primary key default gen_random_uuid(),
  title text not null,
  artist text not null default '',
  fingerprint text,
  score double precision not null default 0,
  window_start date not null,
  unique (fingerprint, window_start)
);

create table public.voice_rooms (
  id uuid primary key default gen_random_uuid(),
  host_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  title text not null check (length(title) between 1 and 120),
  is_live boolean not null default true,
  created_at timestamptz not null default now()
);

create table public.ai_jobs (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  kind text not null check (kind in ('magic_mashup', 'separate', 'captions', 'master')),
  status text not null default 'queued' check (status in ('queued', 'running', 'done', 'failed', 'cancelled')),
  input jsonb not null default '{}',
  output jsonb,
  idempotency_key text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (user_id, idempotency_key)
);

create table public.revenue_splits (
  id uuid primary key default gen_random_uuid(),
  mashup_id uuid not null references public.mashups (id) on delete cascade,
  created_by uuid not null default auth.uid() references auth.users (id) on delete cascade,
  created_at timestamptz not null default now(),
  unique (mashup_id)
);

create table public.revenue_split_recipients (
  id uuid primary key default gen_random_uuid(),
  split_id uuid not null references public.revenue_splits (id) on delete cascade,
  recipient_id uuid references auth.users (id) on delete set null,
  recipient_email text check (recipient_email is null or recipient_email ~ '^[^@\s]+@[^@\s]+$'),
  share_bps int not null check (share_bps between 1 and 10000),
  check (recipient_id is not null or recipient_email is not null)
);

create function private.split_owner(p_split uuid) returns uuid
language sql stable security definer set search_path = '' as $$
  select created_by from public.revenue_splits where id = p_split
$$;

create function private.check_split_total() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if (select coalesce(sum(share_bps), 0) from public.revenue_split_recipients where split_id = new.split_id) > 10000 then
    raise exception 'revenue shares exceed 100%%' using errcode = 'MS003';
  end if;
  return null;
end
$$;
create constraint trigger revenue_split_total after insert or update on public.revenue_split_recipients
  deferrable initially immediate for each row execute function private.check_split_total();

-- ---------------------------------------------------------------- RLS and grants
alter table public.analytics_events enable row level security;
alter table public.recommendation_events enable row level security;
alter table public.captions enable row level security;
alter table public.trending_sounds enable row level security;
alter table public.voice_rooms enable row level security;
alter table public.ai_jobs enable row level security;
alter table public.revenue_splits enable row level security;
alter table public.revenue_split_recipients enable row level security;

revoke all on public.analytics_events, public.recommendation_events, public.captions,
  public.trending_sounds, public.voice_rooms, public.ai_jobs, public.revenue_splits,
  public.revenue_split_recipients from anon, authenticated;
grant all on public.analytics_events, public.recommendation_events, public.captions,
  public.trending_sounds, public.voice_rooms, public.ai_jobs, public.revenue_splits,
  public.revenue_split_recipients to service_role;

-- analytics: written only through log_events; a user reads their own events
grant select on public.analytics_events to authenticated;
create policy analytics_read_own on public.analytics_events for select to authenticated
  using (user_id = (select auth.uid()));

grant select, insert (mashup_id, event_type, context, position) on public.recommendation_events to authenticated;
create policy reco_read_own on public.recommendation_events for select to authenticated
  using (user_id = (select auth.uid()));
create policy reco_insert_own on public.recommendation_events for insert to authenticated
  with check (user_id = (select auth.uid()));

grant select, delete, insert (id, project_id, mashup_id, language, words),
  update (language, words) on public.captions to authenticated;
create policy captions_owner_select on public.captions for select to authenticated
  using (owner_id = (select auth.uid()));
create policy captions_owner_insert on public.captions for insert to authenticated
  with check (owner_id = (select auth.uid())
              and (project_id is null or private.project_access(project_id, (select auth.uid())) = 'owner'));
create policy captions_owner_update on public.captions for update to authenticated
  using (owner_id = (select auth.uid())) with check (owner_id = (select auth.uid()));
create policy captions_owner_delete on public.captions for delete to authenticated
  using (owner_id = (select auth.uid()));

grant select on public.trending_sounds to anon, authenticated;
create policy trending_read on public.trending_sounds for select to anon, authenticated using (true);

grant select, delete, insert (id, title, is_live), update (title, is_live) on public.voice_rooms to authenticated;
create policy rooms_read on public.voice_rooms for select to authenticated
  using (is_live or host_id = (select auth.uid()));
create policy rooms_insert on public.voice_rooms for insert to authenticated
  with check (host_id = (select auth.uid()));
create policy rooms_update on public.voice_rooms for update to authenticated
  using (host_id = (select auth.uid())) with check (host_id = (select auth.uid()));
create policy rooms_delete on public.voice_rooms for delete to authenticated
  using (host_id = (select auth.uid()));

grant select on public.ai_jobs to authenticated;
create policy ai_jobs_read_own on public.ai_jobs for select to authenticated
  using (user_id = (select auth.uid()));

grant select, delete, insert (id, mashup_id) on public.revenue_splits to authenticated;
create policy splits_select on public.revenue_splits for select to authenticated
  using (created_by = (select auth.uid())
         or exists (select 1 from public.revenue_split_recipients r
                     where r.split_id = id and r.recipient_id = (select auth.uid())));
create policy splits_insert on public.revenue_splits for insert to authenticated
  with check (created_by = (select auth.uid())
              and exists (select 1 from public.mashups m where m.id = mashup_id and m.owner_id = (select auth.uid())));
create policy splits_delete on public.revenue_splits for delete to authenticated
  using (created_by = (select auth.uid()));

grant select, delete, insert (id, split_id, recipient_id, recipient_email, share_bps),
  update (recipient_id, recipient_email, share_bps) on public.revenue_split_recipients to authenticated;
create policy recipients_select on public.revenue_split_recipients for select to authenticated
  using (recipient_id = (select auth.uid()) or private.split_owner(split_id) = (select auth.uid()));
create policy recipients_insert on public.revenue_split_recipients for insert to authenticated
  with check (private.split_owner(split_id) = (select auth.uid()));
create policy recipients_update on public.revenue_split_recipients for update to authenticated
  using (private.split_owner(split_id) = (select auth.uid()))
  with check (private.split_owner(split_id) = (select auth.uid()));
create policy recipients_delete on public.revenue_split_recipients for delete to authenticated
  using (private.split_owner(split_id) = (select auth.uid()));

grant execute on function private.split_owner(uuid) to authenticated, service_role;

-- ---------------------------------------------------------------- RPCs
-- p_events: array of {id: client uuid, type, mashup_id?, occurred_at, props?}
-- (at most 1000). Duplicates (same client id) are ignored, so a retried batch
-- counts once. Plays bump the mashup's play counter once per new event.
create function public.log_events(p_events jsonb) returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  v_uid uuid := private.require_uid();
  e jsonb;
  v_id bigint;
  v_accepted int := 0;
  v_duplicates int := 0;
  v_rejected jsonb := '[]';
  v_idx int := -1;
  v_type text;
  v_mashup uuid;
  v_at timestamptz;
begin
  if jsonb_typeof(p_events) is distinct from 'array' or jsonb_array_length(p_events) > 1000 then
    raise exception 'p_events must be an array of at most 1000 events' using errcode = 'MS003';
  end if;
  for e in select value from jsonb_array_elements(p_events) loop
    v_idx := v_idx + 1;
    begin
      v_type := e ->> 'type';
      v_mashup := (e ->> 'mashup_id')::uuid;
      v_at := coalesce((e ->> 'occurred_at')::timestamptz, now());
      if v_at > now() + interval '1 day' or v_at < now() - interval '90 days' then
        raise exception 'occurred_at out of range' using errcode = 'MS003';
      end if;
      insert into public.analytics_events (user_id, client_event_id, mashup_id, event_type, occurred_at, props)
      values (v_uid, (e ->> 'id')::uuid, v_mashup, v_type, v_at, coalesce(e -> 'props', '{}'))
      on conflict (user_id, client_event_id) do nothing
      returning id into v_id;
      if v_id is null then
        v_duplicates := v_duplicates + 1;
      else
        v_accepted := v_accepted + 1;
        if v_type = 'play' and v_mashup is not null then
          update public.mashups set play_count = play_count + 1 where id = v_mashup;
        elsif v_type = 'like' and v_mashup is not null then
          update public.mashups set like_count = like_count + 1 where id = v_mashup;
        end if;
      end if;
      v_id := null;
    exception when sqlstate 'MS003' or check_violation or not_null_violation or invalid_text_representation
                   or foreign_key_violation or invalid_datetime_format or datetime_field_overflow
                   or data_exception then
      v_rejected := v_rejected || jsonb_build_array(jsonb_build_object('index', v_idx, 'reason', sqlerrm));
    end;
  end loop;
  perform private.touch_streak(v_uid);
  return jsonb_build_object('accepted', v_accepted, 'duplicates', v_duplicates, 'rejected', v_rejected);
end
$$;

-- Counts of events on the caller's mashups per bucket, zero-filled.
create function public.creator_timeseries(
  p_bucket text, p_from timestamptz, p_to timestamptz, p_event_type text default null)
returns table (bucket_start timestamptz, event_type text, events bigint)
language plpgsql stable security definer set search_path = '' as $$
declare
  v_uid uuid := private.require_uid();
  v_step interval;
begin
  if p_bucket not in ('day', 'week', 'month') then
    raise exception 'p_bucket must be day, week or month' using errcode = 'MS003';
  end if;
  if p_to <= p_from or p_to - p_from > interval '3 years' then
    raise exception 'bad time range' using errcode = 'MS003';
  end if;
  v_step := ('1 ' || p_bucket)::interval;
  return query
    with buckets as (
      select generate_series(date_trunc(p_bucket, p_from at time zone 'utc'),
                             date_trunc(p_bucket, (p_to at time zone 'utc') - interval '1 microsecond'),
                             v_step) at time zone 'utc' as b
    ), types as (
      select distinct t as event_type from unnest(
        case when p_event_type is null
             then array['view', 'play', 'complete', 'like', 'share', 'download', 'comment', 'follow', 'remix']
             else array[p_event_type] end) t
    ), counts as (
      select date_trunc(p_bucket, e.occurred_at at time zone 'utc') at time zone 'utc' as b,
             e.event_type, count(*) as n
        from public.analytics_events e join public.mashups m on m.id = e.mashup_id
       where m.owner_id = v_uid and e.occurred_at >= p_from and e.occurred_at < p_to
         and (p_event_type is null or e.event_type = p_event_type)
       group by 1, 2
    )
    select buckets.b, types.event_type, coalesce(counts.n, 0)::bigint
      from buckets cross join types
      left join counts on counts.b = buckets.b and counts.event_type = types.event_type
     order by 1, 2;
end
$$;

-- Queue an AI job, counting it against the monthly quota. Idempotent per key:
-- a retried request returns the same job and counts once.
create function public.request_ai_job(p_kind text, p_input jsonb, p_idempotency_key text) returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  v_uid uuid := private.require_uid();
  v_job uuid;
begin
  if p_idempotency_key is null or length(p_idempotency_key) not between 8 and 100 then
    raise exception 'idempotency key required' using errcode = 'MS003';
  end if;
  perform pg_advisory_xact_lock(hashtextextended('ai:' || v_uid::text || ':' || p_idempotency_key, 0));
  select id into v_job from public.ai_jobs where user_id = v_uid and idempotency_key = p_idempotency_key;
  if v_job is not null then
    return jsonb_build_object('status', 'existing', 'job_id', v_job);
  end if;
  perform private.consume_quota(v_uid, 'ai_jobs_per_month', 1);
  insert into public.ai_jobs (user_id, kind, input, idempotency_key)
  values (v_uid, p_kind, coalesce(p_input, '{}'), p_idempotency_key)
  returning id into v_job;
  return jsonb_build_object('status', 'queued', 'job_id', v_job);
end
$$;

-- Tier, limits and this month's usage for the signed-in user.
create function public.get_entitlements() returns jsonb
language plpgsql stable security definer set search_path = '' as $$
declare
  v_uid uuid := private.require_uid();
  v_tier text := private.current_tier(v_uid);
  v_period date := date_trunc('month', now() at time zone 'utc')::date;
begin
  return jsonb_build_object(
    'tier', v_tier,
    'limits', (select limits from public.tiers where tier = v_tier),
    'valid_until', (select valid_until from public.entitlements where user_id = v_uid),
    'usage', jsonb_build_object(
      'max_projects', (select count(*) from public.projects where owner_id = v_uid and not deleted),
      'storage_bytes', (select coalesce(sum(size_bytes), 0) from public.project_media
                         where owner_id = v_uid and not deleted),
      'ai_jobs_per_month', coalesce((select used from public.usage_counters
                         where user_id = v_uid and metric = 'ai_jobs_per_month' and period_start = v_period), 0),
      'published_mashups_per_month', coalesce((select used from public.usage_counters
                         where user_id = v_uid and metric = 'published_mashups_per_month' and period_start = v_period), 0)));
end
$$;

-- Would one more unit of p_metric be allowed? (for the UI; enforcement is in
-- the triggers and RPCs themselves)
create function public.check_entitlement(p_metric text, p_amount bigint default 1) returns jsonb
language plpgsql stable security definer set search_path = '' as $$
declare
  v_uid uuid := private.require_uid();
  v_ent jsonb := public.get_entitlements();
  v_limit bigint := private.tier_limit(v_uid, p_metric);
  v_used bigint := coalesce((v_ent -> 'usage' ->> p_metric)::bigint, 0);
begin
  return jsonb_build_object('metric', p_metric, 'tier', v_ent ->> 'tier', 'limit', v_limit, 'used', v_used,
                            'allowed', v_limit is null or v_used + p_amount <= v_limit);
end
$$;

revoke all on function public.log_events(jsonb), public.creator_timeseries(text, timestamptz, timestamptz, text),
  public.request_ai_job(text, jsonb, text), public.get_entitlements(), public.check_entitlement(text, bigint)
  from public, anon;
grant execute on function public.log_events(jsonb), public.creator_timeseries(text, timestamptz, timestamptz, text),
  public.request_ai_job(text, jsonb, text), public.get_entitlements(), public.check_entitlement(text, bigint)
  to authenticated, service_role;
