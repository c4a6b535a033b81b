-- Foundation: private schema, default privileges, tiers, profiles,
-- entitlements, subscriptions, usage counters and the helper functions every
-- later migration uses.
--
-- Rules kept by every migration in this folder:
--  * every table in public has row level security enabled; nothing is granted
--    to anon/authenticated by default, each grant below is deliberate;
--  * XP, votes, badges, streaks, counters and entitlements are written only by
--    SECURITY DEFINER functions (fixed search_path) that take the user from
--    auth.uid(), protected by unique constraints so a retry changes nothing;
--  * internal helpers live in schema "private", which PostgREST does not
--    expose; only the RPCs meant for clients live in public.

create schema if not exists private;
revoke all on schema private from public;
grant usage on schema private to anon, authenticated, service_role;

-- Undo Supabase's "grant everything to the API roles" defaults for objects this
-- role creates from now on, and the PUBLIC execute default on functions.
alter default privileges in schema public revoke all on tables from anon, authenticated;
alter default privileges in schema public revoke all on sequences from anon, authenticated;
alter default privileges in schema public revoke all on functions from anon, authenticated, public;
alter default privileges in schema private revoke all on functions from public;
alter default privileges revoke execute on functions from public;

-- Custom SQLSTATEs raised by the backend so clients get a stable reason.
--   MS001 tier limit reached          MS002 not allowed
--   MS003 invalid input               MS004 not found / closed

-- ---------------------------------------------------------------- tiers
create table public.tiers (
  tier text primary key check (tier ~ '^[a-z][a-z0-9_]{1,31}$'),
  rank int not null,
  label text not null,
  limits jsonb not null check (jsonb_typeof(limits) = 'object')
);
alter table public.tiers enable row level security;
revoke all on public.tiers from anon, authenticated;
grant select on public.tiers to anon, authenticated;
grant all on public.tiers to service_role;
create policy tiers_read on public.tiers for select to anon, authenticated using (true);

-- ---------------------------------------------------------------- profiles
create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  username text unique check (username ~ '^[A-Za-z0-9_.-]{3,32}$'),
  display_name text not null default '' check (length(display_name) <= 80),
  avatar_url text check (avatar_url is null or length(avatar_url) <= 500),
  bio text not null default '' check (length(bio) <= 1000),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
alter table public.profiles enable row level security;
revoke all on public.profiles from anon, authenticated;
grant select on public.profiles to anon, authenticated;
grant update (username, display_name, avatar_url, bio) on public.profiles to authenticated;
grant all on public.profiles to service_role;
create policy profiles_read on public.profiles for select to anon, authenticated using (true);
create policy profiles_update_own on public.profiles for update to authenticated
  using (id = (select auth.uid())) with check (id = (select auth.uid()));

create function private.touch_updated_at() returns trigger
language plpgsql set search_path = '' as $$
begin
  new.updated_at := now();
  return new;
end
$$;

create trigger profiles_updated_at before update on public.profiles
  for each row execute function private.touch_updated_at();

create function private.handle_new_user() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  insert into public.profiles (id, display_name)
  values (new.id, coalesce(new.raw_user_meta_data ->> 'display_name', ''))
  on conflict (id) do nothing;
  return new;
end
$$;

create trigger on_auth_user_created after insert on auth.users
  for each row execute function private.handle_new_user();

-- ---------------------------------------------------------------- billing state
create table public.subscriptions (
  id text primary key,                          -- Stripe subscription id
  user_id uuid not null references auth.users (id) on delete cascade,
  stripe_customer_id text not null,
  status text not null,
  price_id text,
  tier text not null references public.tiers (tier),
  current_period_end timestamptz,
  cancel_at_period_end boolean not null default false,
  stripe_created bigint not null default 0,     -- Stripe's object timestamp, orders updates
  updated_at timestamptz not null default now()
);
create index subscriptions_user on public.subscriptions (user_id);
alter table public.subscriptions enable row level security;
revoke all on public.subscriptions from anon, authenticated;
grant select on public.subscriptions to authenticated;
grant all on public.subscriptions to service_role;
create policy subscriptions_read_own on public.subscriptions for select to authenticated
  using (user_id = (select auth.uid()));

create table public.entitlements (
  user_id uuid primary key references auth.users (id) on delete cascade,
  tier text not null references public.tiers (tier),
  source text not null check (source in ('stripe', 'grant')),
  valid_until timestamptz,
  subscription_id text,
  updated_at timestamptz not null default now()
);
alter table public.entitlements enable row level security;
revoke all on public.entitlements from anon, authenticated;
grant select on public.entitlements to authenticated;
grant all on public.entitlements to service_role;
create policy entitlements_read_own on public.entitlements for select to authenticated
  using (user_id = (select auth.uid()));

create table public.usage_counters (
  user_id uuid not null references auth.users (id) on delete cascade,
  metric text not null,
  period_start date not null,
  used bigint not null default 0 check (used >= 0),
  primary key (user_id, metric, period_start)
);
alter table public.usage_counters enable row level security;
revoke all on public.usage_counters from anon, authenticated;
grant select on public.usage_counters to authenticated;
grant all on public.usage_counters to service_role;
create policy usage_read_own on public.usage_counters for select to authenticated
  using (user_id = (select auth.uid()));

-- ---------------------------------------------------------------- helpers
create function private.require_uid() returns uuid
language plpgsql stable set search_path = '' as $$
declare
  v uuid := auth.uid();
begin
  if v is null then
    raise exception 'sign in required' using errcode = 'MS002';
  end if;
  return v;
end
$$;

create function private.current_tier(p_user uuid) returns text
language sql stable security definer set search_path = '' as $$
  select coalesce(
    (select e.tier from public.entitlements e
      where e.user_id = p_user and (e.valid_until is null or e.valid_until > now())),
    'free')
$$;

-- NULL means unlimited. An unknown metric is an error, never "unlimited".
create function private.tier_limit(p_user uuid, p_metric text) returns bigint
language plpgsql stable security definer set search_path = '' as $$
declare
  v_limits jsonb;
begin
  select t.limits into v_limits from public.tiers t where t.tier = private.current_tier(p_user);
  if v_limits is null then
    select t.limits into v_limits from public.tiers t where t.tier = 'free';
  end if;
  if v_limits is null or not (v_limits ? p_metric) then
    raise exception 'unknown limit %', p_metric using errcode = 'MS003';
  end if;
  return (v_limits ->> p_metric)::bigint;
end
$$;

-- Atomically count p_amount against a monthly quota; raises MS001 when the
-- tier's limit would be exceeded (nothing is counted then).
create function private.consume_quota(p_user uuid, p_metric text, p_amount bigint default 1)
returns bigint
language plpgsql security definer set search_path = '' as $$
declare
  v_limit bigint := private.tier_limit(p_user, p_metric);
  v_period date := date_trunc('month', now() at time zone 'utc')::date;
  v_used bigint;
begin
  insert into public.usage_counters as u (user_id, metric, period_start, used)
  values (p_user, p_metric, v_period, p_amount)
  on conflict (user_id, metric, period_start) do update set used = u.used + excluded.used
  returning used into v_used;
  if v_limit is not null and v_used > v_limit then
    raise exception 'tier limit reached: % (limit %)', p_metric, v_limit
      using errcode = 'MS001', hint = p_metric;
  end if;
  return v_used;
end
$$;

revoke all on all functions in schema private from public, anon, authenticated;
grant execute on function private.require_uid() to anon, authenticated, service_role;
