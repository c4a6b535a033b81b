-- Issue 12: the community the studio shows (publish, battles, challenges,
-- profile, analytics, trending). backend/THREATS.md section 8 has the rules.
--
--  * Levels: the curve is data (resources/levels.json, the client's copy; a
--    test keeps this seed equal to it) and the server answers with the level.
--  * Badges carry category, rarity and a condition {"kind", "target"} the
--    profile turns into progress.
--  * Battles open with two free slots that creators fill with their own
--    published mashups (enter_battle); voting needs both slots, and a voter may
--    never vote for their own entry.
--  * Closing (private.close_due, run by pg_cron and by `python -m backend.admin
--    close`) stores one outcome per battle/challenge and awards the winner's XP
--    and badge exactly once: an advisory lock serialises closers, the outcome's
--    primary key and the ledger's (user, source_key) make a rerun a no-op.
--    Win XP is tied to its cause like every other reward: the ledger row
--    references the outcome (winner) by foreign key ON DELETE CASCADE.
--  * Trending: private.compute_trending() ranks source songs of recent visible
--    mashups (time-decayed) into trending_sounds; external charts (Spotify,
--    YouTube) are written by `python -m backend.jobs trending` (service role).
-- Every client call goes through SECURITY DEFINER functions that derive the
-- user from auth.uid(); new tables have RLS and no client write grant.

-- ---------------------------------------------------------------- levels
create table public.level_curve (
  level int primary key check (level between 1 and 200),
  xp_required int not null unique check (xp_required between 0 and 100000000)
);
insert into public.level_curve (level, xp_required) values
  (1, 0), (2, 50), (3, 150), (4, 300), (5, 500), (6, 750), (7, 1050), (8, 1400), (9, 1800), (10, 2250),
  (11, 2750), (12, 3300), (13, 3900), (14, 4550), (15, 5250), (16, 6000), (17, 6800), (18, 7650),
  (19, 8550), (20, 9500);
alter table public.level_curve enable row level security;
revoke all on public.level_curve from anon, authenticated;
grant select on public.level_curve to anon, authenticated;
grant all on public.level_curve to service_role;
create policy level_curve_read on public.level_curve for select to anon, authenticated using (true);

create function private.level_of(p_xp bigint) returns jsonb
language sql stable security definer set search_path = pg_catalog, pg_temp as $$
  select jsonb_build_object(
    'level', cur.level, 'level_xp', cur.xp_required,
    'next_level_xp', (select min(n.xp_required) from public.level_curve n where n.xp_required > greatest(p_xp, 0)))
    from public.level_curve cur
   where cur.xp_required <= greatest(p_xp, 0)
   order by cur.xp_required desc limit 1
$$;

create function public.level_curve() returns jsonb
language sql stable security definer set search_path = pg_catalog, pg_temp as $$
  select coalesce(jsonb_agg(jsonb_build_object('level', level, 'xp', xp_required) order by level), '[]')
    from public.level_curve
$$;

-- ---------------------------------------------------------------- badges
alter table public.badges
  add column category text not null default 'community'
    check (category in ('community', 'creator', 'competition', 'progress', 'dedication')),
  add column rarity text not null default 'common' check (rarity in ('common', 'rare', 'epic', 'legendary')),
  add column condition jsonb not null default '{}'
    check (jsonb_typeof(condition) = 'object' and pg_column_size(condition) <= 500);
update public.badges set category = 'community', rarity = 'common', condition = '{"kind": "votes", "target": 1}'
 where code = 'first_vote';
update public.badges set category = 'competition', rarity = 'common', condition = '{"kind": "entries", "target": 1}'
 where code = 'first_entry';
update public.badges set category = 'creator', rarity = 'common', condition = '{"kind": "published", "target": 1}'
 where code = 'first_publish';
update public.badges set category = 'progress', rarity = 'rare', condition = '{"kind": "xp", "target": 100}'
 where code = 'xp_100';
update public.badges set category = 'progress', rarity = 'epic', condition = '{"kind": "xp", "target": 1000}'
 where code = 'xp_1000';
update public.badges set category = 'dedication', rarity = 'epic', condition = '{"kind": "streak", "target": 7}'
 where code = 'streak_7';
insert into public.badges (code, name, description, xp_threshold, category, rarity, condition) values
  ('battle_winner', 'Battle winner', 'Won a battle', null, 'competition', 'rare',
   '{"kind": "battle_wins", "target": 1}'),
  ('challenge_winner', 'Champion', 'Won a challenge', null, 'competition', 'legendary',
   '{"kind": "challenge_wins", "target": 1}');

-- ---------------------------------------------------------------- mashups: sources, media, tags
alter table public.mashups
  add column tags text[] not null default '{}'
    check (cardinality(tags) <= 10 and pg_column_size(tags) <= 600),
  add column cover_path text check (cover_path is null or length(cover_path) <= 500),
  add column peaks_path text check (peaks_path is null or length(peaks_path) <= 500),
  add column duration_s real check (duration_s is null or duration_s between 0 and 86400);

create table public.mashup_sources (
  mashup_id uuid not null references public.mashups (id) on delete cascade,
  position smallint not null check (position between 0 and 31),
  title text not null check (length(title) between 1 and 200),
  artist text not null default '' check (length(artist) <= 200),
  fingerprint text check (fingerprint is null or length(fingerprint) <= 20000),
  duration_s real check (duration_s is null or duration_s between 0 and 86400),
  sound_key text not null check (length(sound_key) <= 500),
  primary key (mashup_id, position)
);
create index mashup_sources_key on public.mashup_sources (sound_key);
alter table public.mashup_sources enable row level security;
revoke all on public.mashup_sources from anon, authenticated;
grant all on public.mashup_sources to service_role;
grant select on public.mashup_sources to anon, authenticated;
create policy mashup_sources_read on public.mashup_sources for select to anon, authenticated
  using (exists (select 1 from public.mashups m where m.id = mashup_id
                  and (m.visibility <> 'private' or m.owner_id = (select auth.uid()))));

-- The key trending groups sources by: the normalised artist and title (two
-- rips of one song have different Chromaprint fingerprints; the fingerprint
-- is kept so a client can find the song in its library).
create function private.sound_key(p_title text, p_artist text) returns text
language sql immutable set search_path = pg_catalog, pg_temp as $$
  select 'ta:' || lower(btrim(regexp_replace(coalesce(p_artist, ''), '\s+', ' ', 'g'))) || '|' ||
         lower(btrim(regexp_replace(coalesce(p_title, ''), '\s+', ' ', 'g')))
$$;

-- ---------------------------------------------------------------- battles: slots, titles
alter table public.battles
  alter column mashup_a drop not null,
  alter column mashup_b drop not null,
  add column title text not null default '' check (length(title) <= 200);

create function public.enter_battle(p_battle uuid, p_mashup uuid) returns jsonb
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_uid uuid := private.require_uid();
  b public.battles;
begin
  if not exists (select 1 from public.mashups m
                  where m.id = p_mashup and m.owner_id = v_uid and m.visibility <> 'private') then
    raise exception 'mashup not found or not yours (enter with a published, non-private mashup)'
      using errcode = 'MS002';
  end if;
  select * into b from public.battles where id = p_battle for update;
  if not found then
    raise exception 'battle not found' using errcode = 'MS004';
  end if;
  if now() >= b.ends_at then
    raise exception 'battle is closed' using errcode = 'MS004';
  end if;
  if p_mashup in (b.mashup_a, b.mashup_b) then
    return jsonb_build_object('status', 'already_entered', 'battle_id', p_battle);
  end if;
  if exists (select 1 from public.mashups m where m.id in (b.mashup_a, b.mashup_b) and m.owner_id = v_uid) then
    raise exception 'you already have an entry in this battle' using errcode = 'MS004';
  end if;
  if b.mashup_a is null then
    update public.battles set mashup_a = p_mashup where id = p_battle;
  elsif b.mashup_b is null then
    update public.battles set mashup_b = p_mashup where id = p_battle;
  else
    raise exception 'battle is full' using errcode = 'MS004';
  end if;
  perform private.touch_streak(v_uid);
  return jsonb_build_object('status', 'entered', 'battle_id', p_battle);
end
$$;

-- One vote per user per battle, both slots filled, never for one's own entry.
create or replace function public.cast_vote(p_battle uuid, p_choice uuid) returns jsonb
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
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
  if now() < b.starts_at or now() >= b.ends_at or b.mashup_a is null or b.mashup_b is null then
    raise exception 'battle is not open for voting' using errcode = 'MS004';
  end if;
  if p_choice is distinct from b.mashup_a and p_choice is distinct from b.mashup_b then
    raise exception 'choice is not in this battle' using errcode = 'MS003';
  end if;
  if exists (select 1 from public.mashups m where m.id = p_choice and m.owner_id = v_uid) then
    raise exception 'cannot vote for your own entry' using errcode = 'MS002';
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

-- ---------------------------------------------------------------- challenges: theme and prize
alter table public.challenges
  add column theme text not null default '' check (length(theme) <= 200),
  add column prize_xp int not null default 100 check (prize_xp between 0 and 10000);

-- ---------------------------------------------------------------- outcomes and win XP
create table public.battle_outcomes (
  battle_id uuid primary key references public.battles (id) on delete cascade,
  winner_mashup uuid references public.mashups (id) on delete set null,
  winner_id uuid references auth.users (id) on delete cascade,
  votes_a int not null,
  votes_b int not null,
  closed_at timestamptz not null default now(),
  unique (battle_id, winner_id)
);
create table public.challenge_outcomes (
  challenge_id uuid primary key references public.challenges (id) on delete cascade,
  winner_mashup uuid references public.mashups (id) on delete set null,
  winner_id uuid references auth.users (id) on delete cascade,
  score bigint not null default 0,
  entries int not null default 0,
  closed_at timestamptz not null default now(),
  unique (challenge_id, winner_id)
);
alter table public.battle_outcomes enable row level security;
alter table public.challenge_outcomes enable row level security;
revoke all on public.battle_outcomes, public.challenge_outcomes from anon, authenticated;
grant all on public.battle_outcomes, public.challenge_outcomes to service_role;
grant select on public.battle_outcomes, public.challenge_outcomes to anon, authenticated;
create policy battle_outcomes_read on public.battle_outcomes for select to anon, authenticated using (true);
create policy challenge_outcomes_read on public.challenge_outcomes for select to anon, authenticated using (true);

alter table public.xp_ledger
  add column won_battle_id uuid,
  add column won_challenge_id uuid;
alter table public.xp_ledger
  add constraint xp_ledger_win_fk foreign key (won_battle_id, user_id)
    references public.battle_outcomes (battle_id, winner_id) on delete cascade,
  add constraint xp_ledger_prize_fk foreign key (won_challenge_id, user_id)
    references public.challenge_outcomes (challenge_id, winner_id) on delete cascade,
  drop constraint xp_ledger_cause,
  add constraint xp_ledger_cause check (
    case
      when source_key ~ '^publish:' then mashup_id is not null
        and num_nonnulls(battle_id, challenge_id, won_battle_id, won_challenge_id) = 0
      when source_key ~ '^vote:' then battle_id is not null
        and num_nonnulls(mashup_id, challenge_id, won_battle_id, won_challenge_id) = 0
      when source_key ~ '^entry:' then challenge_id is not null
        and num_nonnulls(mashup_id, battle_id, won_battle_id, won_challenge_id) = 0
      when source_key ~ '^win:' then won_battle_id is not null
        and num_nonnulls(mashup_id, battle_id, challenge_id, won_challenge_id) = 0
      when source_key ~ '^prize:' then won_challenge_id is not null
        and num_nonnulls(mashup_id, battle_id, challenge_id, won_battle_id) = 0
      else num_nonnulls(mashup_id, battle_id, challenge_id, won_battle_id, won_challenge_id) = 0
    end);
create index xp_ledger_won_battle on public.xp_ledger (won_battle_id, user_id) where won_battle_id is not null;
create index xp_ledger_won_challenge on public.xp_ledger (won_challenge_id, user_id)
  where won_challenge_id is not null;

create or replace function private.xp_ledger_cause() returns trigger
language plpgsql set search_path = pg_catalog, pg_temp as $$
begin
  new.mashup_id := case when new.source_key ~ '^publish:' then substr(new.source_key, 9)::uuid end;
  new.battle_id := case when new.source_key ~ '^vote:' then substr(new.source_key, 6)::uuid end;
  new.challenge_id := case when new.source_key ~ '^entry:' then substr(new.source_key, 7)::uuid end;
  new.won_battle_id := case when new.source_key ~ '^win:' then substr(new.source_key, 5)::uuid end;
  new.won_challenge_id := case when new.source_key ~ '^prize:' then substr(new.source_key, 7)::uuid end;
  return new;
end
$$;

create or replace function private.refresh_badges(p_user uuid) returns void
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_total bigint;
begin
  if p_user is null then
    return;
  end if;
  select coalesce(sum(amount), 0) into v_total from public.xp_ledger where user_id = p_user;
  delete from public.user_badges ub using public.badges b
   where ub.user_id = p_user and ub.badge_code = b.code
     and b.xp_threshold is not null and b.xp_threshold > v_total;
  if not exists (select 1 from public.battle_votes where voter_id = p_user) then
    delete from public.user_badges where user_id = p_user and badge_code = 'first_vote';
  end if;
  if not exists (select 1 from public.challenge_entries where user_id = p_user) then
    delete from public.user_badges where user_id = p_user and badge_code = 'first_entry';
  end if;
  if not exists (select 1 from public.mashups where owner_id = p_user and visibility <> 'private') then
    delete from public.user_badges where user_id = p_user and badge_code = 'first_publish';
  end if;
  if not exists (select 1 from public.battle_outcomes where winner_id = p_user) then
    delete from public.user_badges where user_id = p_user and badge_code = 'battle_winner';
  end if;
  if not exists (select 1 from public.challenge_outcomes where winner_id = p_user) then
    delete from public.user_badges where user_id = p_user and badge_code = 'challenge_winner';
  end if;
end
$$;
create trigger battle_outcomes_removed after delete on public.battle_outcomes
  for each row execute function private.on_fact_removed('winner_id');
create trigger challenge_outcomes_removed after delete on public.challenge_outcomes
  for each row execute function private.on_fact_removed('winner_id');

create function private.battle_win_xp() returns int
language sql immutable set search_path = pg_catalog, pg_temp as $$ select 50 $$;

-- A challenge entry's score: votes its mashup got in the challenge's battles
-- (x10), its likes (x3) and plays (x1) -- all counters the server keeps
-- per listener (THREATS section 2).
create function private.entry_score(p_challenge uuid, p_mashup uuid) returns bigint
language sql stable security definer set search_path = pg_catalog, pg_temp as $$
  select 10 * (select count(*) from public.battle_votes v join public.battles b on b.id = v.battle_id
                where b.challenge_id = p_challenge and v.choice = p_mashup)
       + 3 * coalesce((select like_count from public.mashups where id = p_mashup), 0)
       + coalesce((select play_count from public.mashups where id = p_mashup), 0)
$$;

-- Close everything due. Idempotent and safe concurrently: one closer at a time
-- (transaction advisory lock); a closed item has an outcome row and is skipped;
-- awards are keyed (user, source_key) and happen in the same transaction.
create function private.close_due() returns jsonb
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare
  b public.battles;
  c public.challenges;
  va int;
  vb int;
  v_winner_m uuid;
  v_winner uuid;
  v_score bigint;
  v_entries int;
  n_b int := 0;
  n_c int := 0;
begin
  perform pg_advisory_xact_lock(hashtextextended('community-close-due', 0));
  for b in select * from public.battles x
            where x.ends_at <= now() and not exists (select 1 from public.battle_outcomes o where o.battle_id = x.id)
            order by x.ends_at loop
    select count(*) filter (where choice = b.mashup_a), count(*) filter (where choice = b.mashup_b)
      into va, vb from public.battle_votes where battle_id = b.id;
    v_winner_m := case when va > vb then b.mashup_a when vb > va then b.mashup_b end;
    v_winner := (select owner_id from public.mashups where id = v_winner_m);
    insert into public.battle_outcomes (battle_id, winner_mashup, winner_id, votes_a, votes_b)
    values (b.id, v_winner_m, v_winner, va, vb) on conflict (battle_id) do nothing;
    if v_winner is not null then
      perform private.award_xp(v_winner, private.battle_win_xp(), 'battle win', 'win:' || b.id::text);
      perform private.award_badge(v_winner, 'battle_winner');
    end if;
    n_b := n_b + 1;
  end loop;
  for c in select * from public.challenges x
            where x.ends_at <= now()
              and not exists (select 1 from public.challenge_outcomes o where o.challenge_id = x.id)
            order by x.ends_at loop
    select count(*) into v_entries from public.challenge_entries where challenge_id = c.id;
    select e.user_id, e.mashup_id, private.entry_score(c.id, e.mashup_id)
      into v_winner, v_winner_m, v_score
      from public.challenge_entries e join public.mashups m on m.id = e.mashup_id
     where e.challenge_id = c.id and m.visibility <> 'private'
     order by private.entry_score(c.id, e.mashup_id) desc, e.created_at, e.id limit 1;
    insert into public.challenge_outcomes (challenge_id, winner_mashup, winner_id, score, entries)
    values (c.id, v_winner_m, v_winner, coalesce(v_score, 0), v_entries) on conflict (challenge_id) do nothing;
    if v_winner is not null and c.prize_xp > 0 then
      perform private.award_xp(v_winner, c.prize_xp, 'challenge prize', 'prize:' || c.id::text);
    end if;
    if v_winner is not null then
      perform private.award_badge(v_winner, 'challenge_winner');
    end if;
    n_c := n_c + 1;
    v_winner := null;
    v_winner_m := null;
    v_score := null;
  end loop;
  return jsonb_build_object('battles_closed', n_b, 'challenges_closed', n_c);
end
$$;

-- ---------------------------------------------------------------- trending
alter table public.trending_sounds
  add column sound_key text check (sound_key is null or length(sound_key) <= 500),
  add column mashups int not null default 0,
  add column rank int,
  add column computed_at timestamptz not null default now();
create unique index trending_sounds_key_window on public.trending_sounds (sound_key, window_start);

create table public.external_trending (
  source text not null check (source in ('spotify', 'youtube')),
  rank int not null check (rank between 1 and 200),
  title text not null check (length(title) <= 300),
  artist text not null default '' check (length(artist) <= 300),
  url text not null default '' check (length(url) <= 500),
  fetched_at timestamptz not null default now(),
  primary key (source, rank)
);
alter table public.external_trending enable row level security;
revoke all on public.external_trending from anon, authenticated;
grant all on public.external_trending to service_role;
grant select on public.external_trending to anon, authenticated;
create policy external_trending_read on public.external_trending for select to anon, authenticated using (true);

-- Source songs of visible mashups published in the last 30 days, each mashup
-- weighted exp(-age/7 days) x (1 + ln(1 + plays) + votes/2); one ranking per
-- UTC day, recomputed in place.
create function private.compute_trending() returns int
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_day date := (now() at time zone 'utc')::date;
  n int;
begin
  perform pg_advisory_xact_lock(hashtextextended('community-trending', 0));
  delete from public.trending_sounds where window_start = v_day;
  insert into public.trending_sounds (title, artist, fingerprint, score, window_start, sound_key, mashups, rank)
  select title, artist, fingerprint, score, v_day, sound_key, mashups,
         rank() over (order by score desc, sound_key)
    from (
      select s.sound_key,
             (array_agg(s.title order by m.created_at desc))[1] as title,
             (array_agg(s.artist order by m.created_at desc))[1] as artist,
             (array_agg(s.fingerprint order by m.created_at desc))[1] as fingerprint,
             count(distinct m.id)::int as mashups,
             sum(exp(-extract(epoch from now() - m.created_at) / (7 * 86400.0))
                 * (1 + ln(1 + m.play_count)
                    + 0.5 * (select count(*) from public.battle_votes v where v.choice = m.id))) as score
        from public.mashup_sources s join public.mashups m on m.id = s.mashup_id
       where m.visibility = 'public' and m.created_at > now() - interval '30 days'
       group by s.sound_key) t
   order by score desc
   limit 200;
  get diagnostics n = row_count;
  return n;
end
$$;

-- ---------------------------------------------------------------- publishing
create function public.publish_mashup(
  p_title text, p_description text default '', p_tags jsonb default '[]', p_visibility text default 'public',
  p_audio_path text default null, p_peaks_path text default null, p_cover_path text default null,
  p_duration_s real default null, p_sources jsonb default '[]', p_project uuid default null)
returns jsonb
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_uid uuid := private.require_uid();
  v_id uuid;
  s jsonb;
  i int := 0;
begin
  if p_sources is null or jsonb_typeof(p_sources) <> 'array' or jsonb_array_length(p_sources) > 32
     or pg_column_size(p_sources) > 300000 then
    raise exception 'sources must be a list of at most 32 songs' using errcode = 'MS003';
  end if;
  if p_tags is null or jsonb_typeof(p_tags) <> 'array' or jsonb_array_length(p_tags) > 10
     or exists (select 1 from jsonb_array_elements(p_tags) t
                 where jsonb_typeof(t) <> 'string' or length(t #>> '{}') not between 1 and 32) then
    raise exception 'tags must be a list of at most 10 strings of 1-32 characters' using errcode = 'MS003';
  end if;
  if p_project is not null and not exists (
      select 1 from public.projects where id = p_project and owner_id = v_uid) then
    raise exception 'project not found' using errcode = 'MS004';
  end if;
  if exists (select 1 from unnest(array[p_audio_path, p_peaks_path, p_cover_path]) p
                where p is not null and split_part(p, '/', 1) <> v_uid::text) then
    raise exception 'media paths must be in your own folder' using errcode = 'MS002';
  end if;
  insert into public.mashups (owner_id, project_id, title, description, tags, visibility, audio_path, peaks_path,
                              cover_path, duration_s)
  values (v_uid, p_project, p_title, coalesce(p_description, ''),
          array(select jsonb_array_elements_text(p_tags)), p_visibility,
          p_audio_path, p_peaks_path, p_cover_path, p_duration_s)
  returning id into v_id;
  for s in select value from jsonb_array_elements(p_sources) loop
    if jsonb_typeof(s) <> 'object' then
      raise exception 'each source is an object with title, artist, fingerprint' using errcode = 'MS003';
    end if;
    insert into public.mashup_sources (mashup_id, position, title, artist, fingerprint, duration_s, sound_key)
    values (v_id, i, s ->> 'title', coalesce(s ->> 'artist', ''), nullif(s ->> 'fingerprint', ''),
            (s ->> 'duration_s')::real,
            private.sound_key(s ->> 'title', s ->> 'artist'));
    i := i + 1;
  end loop;
  return jsonb_build_object('status', 'published', 'mashup_id', v_id);
end
$$;

create function public.unpublish_mashup(p_mashup uuid) returns jsonb
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_uid uuid := private.require_uid();
  n int;
begin
  delete from public.mashups where id = p_mashup and owner_id = v_uid;
  get diagnostics n = row_count;
  if n = 0 then
    raise exception 'mashup not found' using errcode = 'MS004';
  end if;
  return jsonb_build_object('status', 'unpublished', 'mashup_id', p_mashup);
end
$$;

create function private.mashup_json(p_mashup uuid) returns jsonb
language sql stable security definer set search_path = pg_catalog, pg_temp as $$
  select jsonb_build_object(
    'id', m.id, 'owner_id', m.owner_id, 'owner', coalesce(p.display_name, p.username, ''),
    'title', m.title, 'description', m.description, 'tags', to_jsonb(m.tags), 'visibility', m.visibility,
    'audio_path', m.audio_path, 'peaks_path', m.peaks_path, 'cover_path', m.cover_path,
    'duration_s', m.duration_s, 'plays', m.play_count, 'likes', m.like_count,
    'votes', (select count(*) from public.battle_votes v where v.choice = m.id),
    'created_at', m.created_at,
    'sources', (select coalesce(jsonb_agg(jsonb_build_object('title', s.title, 'artist', s.artist,
                                                             'fingerprint', s.fingerprint) order by s.position), '[]')
                  from public.mashup_sources s where s.mashup_id = m.id))
    from public.mashups m left join public.profiles p on p.id = m.owner_id
   where m.id = p_mashup and (m.visibility <> 'private' or m.owner_id = auth.uid())
$$;

create function public.my_mashups() returns jsonb
language sql stable security definer set search_path = pg_catalog, pg_temp as $$
  select coalesce(jsonb_agg(private.mashup_json(m.id) order by m.created_at desc), '[]')
    from public.mashups m where m.owner_id = private.require_uid()
$$;

-- ---------------------------------------------------------------- battles and challenges as the pages show them
create function private.battle_json(p_battle uuid) returns jsonb
language sql stable security definer set search_path = pg_catalog, pg_temp as $$
  select jsonb_build_object(
    'id', b.id, 'title', b.title, 'challenge_id', b.challenge_id, 'starts_at', b.starts_at, 'ends_at', b.ends_at,
    'status', case when o.battle_id is not null or now() >= b.ends_at then 'finished'
                   when now() < b.starts_at then 'upcoming' else 'open' end,
    'a', private.mashup_json(b.mashup_a), 'b', private.mashup_json(b.mashup_b),
    'my_vote', (select v.choice from public.battle_votes v where v.battle_id = b.id and v.voter_id = auth.uid()),
    'votes_a', case when o.battle_id is not null then o.votes_a end,
    'votes_b', case when o.battle_id is not null then o.votes_b end,
    'winner', o.winner_mashup, 'closed', o.battle_id is not null)
    from public.battles b left join public.battle_outcomes o on o.battle_id = b.id
   where b.id = p_battle
$$;

create function public.community_battles() returns jsonb
language sql stable security definer set search_path = pg_catalog, pg_temp as $$
  select coalesce(jsonb_agg(private.battle_json(b.id) order by b.ends_at desc), '[]')
    from (select id, ends_at from public.battles order by ends_at desc limit 200) b
$$;

create function private.challenge_json(p_challenge uuid) returns jsonb
language sql stable security definer set search_path = pg_catalog, pg_temp as $$
  select jsonb_build_object(
    'id', c.id, 'title', c.title, 'theme', c.theme, 'rules', c.rules, 'prize_xp', c.prize_xp,
    'starts_at', c.starts_at, 'ends_at', c.ends_at,
    'status', case when o.challenge_id is not null or now() >= c.ends_at then 'finished'
                   when now() < c.starts_at then 'upcoming' else 'open' end,
    'winner', o.winner_mashup, 'closed', o.challenge_id is not null,
    'my_entry', (select e.mashup_id from public.challenge_entries e
                  where e.challenge_id = c.id and e.user_id = auth.uid()),
    'entries', (select coalesce(jsonb_agg(x.j order by x.score desc, x.created_at), '[]') from (
                  select private.mashup_json(e.mashup_id) || jsonb_build_object(
                           'score', private.entry_score(c.id, e.mashup_id)) as j,
                         private.entry_score(c.id, e.mashup_id) as score, e.created_at
                    from public.challenge_entries e join public.mashups m on m.id = e.mashup_id
                   where e.challenge_id = c.id and m.visibility <> 'private'
                   limit 500) x))
    from public.challenges c left join public.challenge_outcomes o on o.challenge_id = c.id
   where c.id = p_challenge
$$;

create function public.community_challenges() returns jsonb
language sql stable security definer set search_path = pg_catalog, pg_temp as $$
  select coalesce(jsonb_agg(private.challenge_json(c.id) order by c.ends_at desc), '[]')
    from (select id, ends_at from public.challenges order by ends_at desc limit 100) c
$$;

-- ---------------------------------------------------------------- profile
create function public.my_profile() returns jsonb
language plpgsql stable security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_uid uuid := private.require_uid();
  v_xp bigint;
  v_week bigint;
  v_facts jsonb;
begin
  select coalesce(sum(amount), 0) into v_xp from public.xp_ledger where user_id = v_uid;
  select coalesce(sum(amount), 0) into v_week from public.xp_ledger
   where user_id = v_uid and created_at >= date_trunc('week', now());
  v_facts := jsonb_build_object(
    'xp', v_xp,
    'votes', (select count(*) from public.battle_votes where voter_id = v_uid),
    'entries', (select count(*) from public.challenge_entries where user_id = v_uid),
    'published', (select count(*) from public.mashups where owner_id = v_uid and visibility <> 'private'),
    'battle_wins', (select count(*) from public.battle_outcomes where winner_id = v_uid),
    'challenge_wins', (select count(*) from public.challenge_outcomes where winner_id = v_uid),
    'streak', (select coalesce(max(longest_days), 0) from public.streaks where user_id = v_uid));
  return jsonb_build_object(
    'user_id', v_uid,
    'name', (select coalesce(p.display_name, p.username, '') from public.profiles p where p.id = v_uid),
    'username', (select p.username from public.profiles p where p.id = v_uid),
    'avatar_url', (select p.avatar_url from public.profiles p where p.id = v_uid),
    'xp', v_xp, 'week_xp', v_week) || private.level_of(v_xp) || jsonb_build_object(
    'streak', coalesce((select current_days from public.streaks where user_id = v_uid), 0),
    'longest_streak', coalesce((select longest_days from public.streaks where user_id = v_uid), 0),
    'badges', (select coalesce(jsonb_agg(jsonb_build_object(
                 'code', b.code, 'name', b.name, 'description', b.description, 'category', b.category,
                 'rarity', b.rarity, 'condition', b.condition,
                 'earned', ub.user_id is not null, 'awarded_at', ub.awarded_at,
                 'progress', least(coalesce((v_facts ->> (b.condition ->> 'kind'))::bigint, 0),
                                   coalesce((b.condition ->> 'target')::bigint, 0)),
                 'target', coalesce((b.condition ->> 'target')::bigint, 0))
                 order by ub.user_id is null, b.category, b.code), '[]')
                 from public.badges b
                 left join public.user_badges ub on ub.badge_code = b.code and ub.user_id = v_uid),
    'history', (select coalesce(jsonb_agg(jsonb_build_object('amount', h.amount, 'reason', h.reason,
                                                             'at', h.created_at) order by h.created_at desc), '[]')
                  from (select amount, reason, created_at from public.xp_ledger where user_id = v_uid
                         order by created_at desc, id desc limit 20) h),
    'rank_all', (select r.rank from (select user_id, rank() over (order by sum(amount) desc) as rank
                                       from public.xp_ledger group by user_id) r where r.user_id = v_uid),
    'rank_week', (select r.rank from (select user_id, rank() over (order by sum(amount) desc) as rank
                                        from public.xp_ledger where created_at >= date_trunc('week', now())
                                       group by user_id) r where r.user_id = v_uid));
end
$$;

create function public.trending() returns jsonb
language sql stable security definer set search_path = pg_catalog, pg_temp as $$
  select jsonb_build_object(
    'window_start', (select max(window_start) from public.trending_sounds),
    'sounds', (select coalesce(jsonb_agg(jsonb_build_object(
                 'rank', t.rank, 'title', t.title, 'artist', t.artist, 'fingerprint', t.fingerprint,
                 'score', round(t.score::numeric, 3), 'mashups', t.mashups, 'computed_at', t.computed_at)
                 order by t.rank), '[]')
                 from public.trending_sounds t
                where t.window_start = (select max(window_start) from public.trending_sounds)
                  and t.rank is not null),
    'external', (select coalesce(jsonb_agg(jsonb_build_object(
                   'source', e.source, 'rank', e.rank, 'title', e.title, 'artist', e.artist, 'url', e.url,
                   'fetched_at', e.fetched_at) order by e.source, e.rank), '[]') from public.external_trending e))
$$;

-- ---------------------------------------------------------------- staff entry points (service role)
create function public.community_close_due() returns jsonb
language sql security definer set search_path = pg_catalog, pg_temp as $$ select private.close_due() $$;
create function public.community_compute_trending() returns int
language sql security definer set search_path = pg_catalog, pg_temp as $$ select private.compute_trending() $$;

revoke all on function private.level_of(bigint), private.sound_key(text, text), private.battle_win_xp(),
  private.entry_score(uuid, uuid), private.close_due(), private.compute_trending(), private.mashup_json(uuid),
  private.battle_json(uuid), private.challenge_json(uuid)
  from public, anon, authenticated;
revoke all on function public.level_curve(), public.enter_battle(uuid, uuid),
  public.publish_mashup(text, text, jsonb, text, text, text, text, real, jsonb, uuid),
  public.unpublish_mashup(uuid), public.my_mashups(), public.community_battles(), public.community_challenges(),
  public.my_profile(), public.trending(), public.community_close_due(), public.community_compute_trending()
  from public, anon, authenticated;
grant execute on function public.level_curve(), public.community_battles(), public.community_challenges(),
  public.trending() to anon, authenticated, service_role;
grant execute on function public.enter_battle(uuid, uuid),
  public.publish_mashup(text, text, jsonb, text, text, text, text, real, jsonb, uuid),
  public.unpublish_mashup(uuid), public.my_mashups(), public.my_profile() to authenticated, service_role;
grant execute on function public.community_close_due(), public.community_compute_trending() to service_role;

-- Scheduled where pg_cron is installed (Supabase); elsewhere the admin command
-- and `python -m backend.jobs` run the same functions.
do $$
begin
  if exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    execute $c$select cron.schedule('community-close-due', '* * * * *', 'select private.close_due()')$c$;
    execute $c$select cron.schedule('community-trending', '17 * * * *', 'select private.compute_trending()')$c$;
  end if;
end
$$;
