-- Community: published mashups, challenges and entries, battles and votes,
-- gamification (badges, user badges, XP ledger, streaks).
-- Votes, entries, XP, badges and streaks are written only by the SECURITY
-- DEFINER RPCs below (cast_vote, submit_entry) and private helpers; unique
-- constraints make every retry a no-op.

create table public.mashups (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  project_id uuid references public.projects (id) on delete set null,
  title text not null check (length(title) between 1 and 200),
  description text not null default '' check (length(description) <= 2000),
  audio_path text check (audio_path is null or length(audio_path) <= 500),
  visibility text not null default 'public' check (visibility in ('public', 'unlisted', 'private')),
  play_count bigint not null default 0 check (play_count >= 0),
  like_count bigint not null default 0 check (like_count >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index mashups_owner on public.mashups (owner_id);

create table public.challenges (
  id uuid primary key default gen_random_uuid(),
  title text not null,
  rules text not null default '',
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  created_at timestamptz not null default now(),
  check (ends_at > starts_at)
);

create table public.challenge_entries (
  id uuid primary key default gen_random_uuid(),
  challenge_id uuid not null references public.challenges (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  mashup_id uuid not null references public.mashups (id) on delete cascade,
  created_at timestamptz not null default now(),
  unique (challenge_id, user_id)
);

create table public.battles (
  id uuid primary key default gen_random_uuid(),
  challenge_id uuid references public.challenges (id) on delete set null,
  mashup_a uuid not null references public.mashups (id) on delete cascade,
  mashup_b uuid not null references public.mashups (id) on delete cascade,
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  created_at timestamptz not null default now(),
  check (mashup_a <> mashup_b),
  check (ends_at > starts_at)
);

create table public.battle_votes (
  id bigint generated always as identity primary key,
  battle_id uuid not null references public.battles (id) on delete cascade,
  voter_id uuid not null references auth.users (id) on delete cascade,
  choice uuid not null references public.mashups (id) on delete cascade,
  created_at timestamptz not null default now(),
  unique (battle_id, voter_id)
);

create table public.badges (
  code text primary key check (code ~ '^[a-z0-9_]{2,40}$'),
  name text not null,
  description text not null default '',
  xp_threshold int
);

create table public.user_badges (
  user_id uuid not null references auth.users (id) on delete cascade,
  badge_code text not null references public.badges (code) on delete cascade,
  awarded_at timestamptz not null default now(),
  primary key (user_id, badge_code)
);

create table public.xp_ledger (
  id bigint generated always as identity primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  amount int not null check (amount between -10000 and 10000),
  reason text not null,
  source_key text not null,          -- one award per event: e.g. 'vote:<battle id>'
  created_at timestamptz not null default now(),
  unique (user_id, source_key)
);
create index xp_ledger_user on public.xp_ledger (user_id);

create table public.streaks (
  user_id uuid primary key references auth.users (id) on delete cascade,
  current_days int not null default 0,
  longest_days int not null default 0,
  last_day date
);

insert into public.badges (code, name, description, xp_threshold) values
  ('first_vote', 'First vote', 'Voted in a battle', null),
  ('first_entry', 'Contender', 'Entered a challenge', null),
  ('first_publish', 'On air', 'Published a mashup', null),
  ('xp_100', 'Rising', 'Earned 100 XP', 100),
  ('xp_1000', 'Headliner', 'Earned 1000 XP', 1000),
  ('streak_7', 'Week streak', 'Active seven days in a row', null);

-- ---------------------------------------------------------------- RLS and grants
alter table public.mashups enable row level security;
alter table public.challenges enable row level security;
alter table public.challenge_entries enable row level security;
alter table public.battles enable row level security;
alter table public.battle_votes enable row level security;
alter table public.badges enable row level security;
alter table public.user_badges enable row level security;
alter table public.xp_ledger enable row level security;
alter table public.streaks enable row level security;

revoke all on public.mashups, public.challenges, public.challenge_entries, public.battles,
  public.battle_votes, public.badges, public.user_badges, public.xp_ledger, public.streaks
  from anon, authenticated;
grant all on public.mashups, public.challenges, public.challenge_entries, public.battles,
  public.battle_votes, public.badges, public.user_badges, public.xp_ledger, public.streaks
  to service_role;

grant select on public.mashups to anon, authenticated;
grant insert (id, project_id, title, description, audio_path, visibility) on public.mashups to authenticated;
grant update (title, description, audio_path, visibility) on public.mashups to authenticated;
grant delete on public.mashups to authenticated;
create policy mashups_read on public.mashups for select to anon, authenticated
  using (visibility <> 'private' or owner_id = (select auth.uid()));
create policy mashups_insert on public.mashups for insert to authenticated
  with check (owner_id = (select auth.uid()));
create policy mashups_update on public.mashups for update to authenticated
  using (owner_id = (select auth.uid())) with check (owner_id = (select auth.uid()));
create policy mashups_delete on public.mashups for delete to authenticated
  using (owner_id = (select auth.uid()));

grant select on public.challenges, public.challenge_entries, public.battles, public.badges,
  public.user_badges to anon, authenticated;
create policy challenges_read on public.challenges for select to anon, authenticated using (true);
create policy entries_read on public.challenge_entries for select to anon, authenticated using (true);
create policy battles_read on public.battles for select to anon, authenticated using (true);
create policy badges_read on public.badges for select to anon, authenticated using (true);
create policy user_badges_read on public.user_badges for select to anon, authenticated using (true);

-- Who voted for what is private: a voter sees only their own vote.
grant select on public.battle_votes, public.xp_ledger, public.streaks to authenticated;
create policy votes_read_own on public.battle_votes for select to authenticated
  using (voter_id = (select auth.uid()));
create policy xp_read_own on public.xp_ledger for select to authenticated
  using (user_id = (select auth.uid()));
create policy streaks_read_own on public.streaks for select to authenticated
  using (user_id = (select auth.uid()));

-- ---------------------------------------------------------------- gamification helpers
create function private.award_badge(p_user uuid, p_code text) returns boolean
language plpgsql security definer set search_path = '' as $$
declare
  n int;
begin
  insert into public.user_badges (user_id, badge_code) values (p_user, p_code) on conflict do nothing;
  get diagnostics n = row_count;
  return n > 0;
end
$$;

create function private.award_xp(p_user uuid, p_amount int, p_reason text, p_source_key text)
returns boolean
language plpgsql security definer set search_path = '' as $$
declare
  n int;
  v_total bigint;
  b record;
begin
  insert into public.xp_ledger (user_id, amount, reason, source_key)
  values (p_user, p_amount, p_reason, p_source_key) on conflict (user_id, source_key) do nothing;
  get diagnostics n = row_count;
  if n = 0 then
    return false;
  end if;
  select coalesce(sum(amount), 0) into v_total from public.xp_ledger where user_id = p_user;
  for b in select code from public.badges where xp_threshold is not null and xp_threshold <= v_total loop
    perform private.award_badge(p_user, b.code);
  end loop;
  return true;
end
$$;

create function private.touch_streak(p_user uuid) returns void
language plpgsql security definer set search_path = '' as $$
declare
  v_today date := (now() at time zone 'utc')::date;
  v_cur int;
begin
  insert into public.streaks as s (user_id, current_days, longest_days, last_day)
  values (p_user, 1, 1, v_today)
  on conflict (user_id) do update set
    current_days = case
      when s.last_day = v_today then s.current_days
      when s.last_day = v_today - 1 then s.current_days + 1
      else 1 end,
    longest_days = greatest(s.longest_days, case
      when s.last_day = v_today then s.current_days
      when s.last_day = v_today - 1 then s.current_days + 1
      else 1 end),
    last_day = v_today
  returning current_days into v_cur;
  if v_cur >= 7 then
    perform private.award_badge(p_user, 'streak_7');
  end if;
end
$$;

-- Publishing counts against the monthly quota; done in a trigger so a direct
-- insert through the table API is limited exactly like any other path.
create function private.on_mashup_published() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  perform private.consume_quota(new.owner_id, 'published_mashups_per_month', 1);
  perform private.award_xp(new.owner_id, 20, 'publish', 'publish:' || new.id::text);
  perform private.award_badge(new.owner_id, 'first_publish');
  return new;
end
$$;
create trigger mashups_published after insert on public.mashups
  for each row execute function private.on_mashup_published();

create function private.mashup_guard() returns trigger
language plpgsql set search_path = '' as $$
begin
  new.updated_at := now();
  new.owner_id := old.owner_id;
  new.play_count := old.play_count;
  new.like_count := old.like_count;
  return new;
end
$$;
create trigger mashups_guard before update on public.mashups
  for each row when (current_user <> 'service_role' and current_user <> 'postgres')
  execute function private.mashup_guard();

-- ---------------------------------------------------------------- RPCs
-- One vote per user per battle. Votes are final: a second call (same or other
-- choice) changes nothing and says so.
create function public.cast_vote(p_battle uuid, p_choice uuid) returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  v_uid uuid := private.require_uid();
  b public.battles;
  v_existing uuid;
  n int;
begin
  select * into b from public.battles where id = p_battle;
  if not found then
    raise exception 'battle not found' using errcode = 'MS004';
  end if;
  if now() < b.starts_at or now() >= b.ends_at then
    raise exception 'battle is not open for voting' using errcode = 'MS004';
  end if;
  if p_choice is distinct from b.mashup_a and p_choice is distinct from b.mashup_b then
    raise exception 'choice is not in this battle' using errcode = 'MS003';
  end if;
  if exists (select 1 from public.mashups m where m.id in (b.mashup_a, b.mashup_b) and m.owner_id = v_uid) then
    raise exception 'cannot vote in your own battle' using errcode = 'MS002';
  end if;
  insert into public.battle_votes (battle_id, voter_id, choice) values (p_battle, v_uid, p_choice)
  on conflict (battle_id, voter_id) do nothing;
  get diagnostics n = row_count;
  if n = 0 then
    select choice into v_existing from public.battle_votes where battle_id = p_battle and voter_id = v_uid;
    return jsonb_build_object('status', 'already_voted', 'choice', v_existing);
  end if;
  perform private.award_xp(v_uid, 5, 'vote', 'vote:' || p_battle::text);
  perform private.award_badge(v_uid, 'first_vote');
  perform private.touch_streak(v_uid);
  return jsonb_build_object('status', 'recorded', 'choice', p_choice);
end
$$;

create function public.submit_entry(p_challenge uuid, p_mashup uuid) returns jsonb
language plpgsql security definer set search_path = '' as $$
declare
  v_uid uuid := private.require_uid();
  c public.challenges;
  v_entry uuid;
begin
  select * into c from public.challenges where id = p_challenge;
  if not found then
    raise exception 'challenge not found' using errcode = 'MS004';
  end if;
  if now() < c.starts_at or now() >= c.ends_at then
    raise exception 'challenge is not open' using errcode = 'MS004';
  end if;
  if not exists (select 1 from public.mashups m where m.id = p_mashup and m.owner_id = v_uid) then
    raise exception 'mashup not found or not yours' using errcode = 'MS002';
  end if;
  insert into public.challenge_entries (challenge_id, user_id, mashup_id) values (p_challenge, v_uid, p_mashup)
  on conflict (challenge_id, user_id) do nothing
  returning id into v_entry;
  if v_entry is null then
    select id into v_entry from public.challenge_entries where challenge_id = p_challenge and user_id = v_uid;
    return jsonb_build_object('status', 'already_entered', 'entry_id', v_entry);
  end if;
  perform private.award_xp(v_uid, 25, 'entry', 'entry:' || p_challenge::text);
  perform private.award_badge(v_uid, 'first_entry');
  perform private.touch_streak(v_uid);
  return jsonb_build_object('status', 'entered', 'entry_id', v_entry);
end
$$;

create function public.battle_results(p_battle uuid) returns jsonb
language plpgsql stable security definer set search_path = '' as $$
declare
  b public.battles;
  a_votes bigint;
  b_votes bigint;
begin
  select * into b from public.battles where id = p_battle;
  if not found then
    raise exception 'battle not found' using errcode = 'MS004';
  end if;
  select count(*) filter (where choice = b.mashup_a), count(*) filter (where choice = b.mashup_b)
    into a_votes, b_votes from public.battle_votes where battle_id = p_battle;
  return jsonb_build_object(
    'battle_id', p_battle, 'mashup_a', b.mashup_a, 'mashup_b', b.mashup_b,
    'votes_a', a_votes, 'votes_b', b_votes, 'closed', now() >= b.ends_at,
    'winner', case when now() < b.ends_at or a_votes = b_votes then null
                   when a_votes > b_votes then b.mashup_a else b.mashup_b end);
end
$$;

create function public.leaderboard(p_period text default 'all', p_limit int default 50)
returns table (rank bigint, user_id uuid, username text, display_name text, xp bigint)
language plpgsql stable security definer set search_path = '' as $$
declare
  v_since timestamptz;
begin
  v_since := case p_period
    when 'all' then '-infinity'::timestamptz
    when 'month' then date_trunc('month', now())
    when 'week' then date_trunc('week', now())
    else null end;
  if v_since is null then
    raise exception 'p_period must be all, month or week' using errcode = 'MS003';
  end if;
  return query
    select rank() over (order by sum(l.amount) desc), l.user_id, p.username, p.display_name, sum(l.amount)::bigint
      from public.xp_ledger l join public.profiles p on p.id = l.user_id
     where l.created_at >= v_since
     group by l.user_id, p.username, p.display_name
     order by sum(l.amount) desc, l.user_id
     limit least(greatest(p_limit, 1), 200);
end
$$;

-- Server-authoritative state the client shows (XP, badges, streak).
create function public.my_progress() returns jsonb
language sql stable security definer set search_path = '' as $$
  select jsonb_build_object(
    'xp', (select coalesce(sum(amount), 0) from public.xp_ledger where user_id = private.require_uid()),
    'badges', (select coalesce(jsonb_agg(badge_code order by badge_code), '[]')
                 from public.user_badges where user_id = private.require_uid()),
    'streak', (select coalesce(current_days, 0) from public.streaks where user_id = private.require_uid()),
    'longest_streak', (select coalesce(longest_days, 0) from public.streaks where user_id = private.require_uid()))
$$;

revoke all on function private.award_badge(uuid, text), private.award_xp(uuid, int, text, text),
  private.touch_streak(uuid) from public, anon, authenticated;
revoke all on function public.cast_vote(uuid, uuid), public.submit_entry(uuid, uuid),
  public.battle_results(uuid), public.leaderboard(text, int), public.my_progress() from public, anon;
grant execute on function public.cast_vote(uuid, uuid), public.submit_entry(uuid, uuid),
  public.my_progress() to authenticated, service_role;
grant execute on function public.battle_results(uuid), public.leaderboard(text, int)
  to anon, authenticated, service_role;
