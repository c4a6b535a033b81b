-- Issue 10, class 1: rewards that outlive what earned them.
--
-- Decision per reward (backend/THREATS.md has the table):
--  * XP for a vote, a challenge entry or a published mashup exists exactly as
--    long as its cause: each ledger row references the vote, the entry or the
--    mashup (with its owner) by foreign key ON DELETE CASCADE. Delete the
--    mashup (or make it private), and its XP goes; publish/delete loops earn
--    nothing that lasts.
--  * Publishing is cheap, so publish XP is also capped: at most
--    private.publish_xp_daily_cap() awards per user per UTC day.
--  * Any other ledger row is a staff grant (service role only, no cause).
--  * Badges derived from facts are revoked when the fact is gone: xp_100 /
--    xp_1000 (XP total), first_vote, first_entry, first_publish. streak_7 is a
--    durable achievement (seven real days; it cannot be done faster).
-- The ledger is therefore explainable from existing rows at every moment:
-- tests/cloud/abuse/test_rewards.py checks sum(xp) against the facts.

create function private.publish_xp_daily_cap() returns int
language sql immutable set search_path = pg_catalog, pg_temp as $$ select 5 $$;

-- ---------------------------------------------------------------- cause columns
alter table public.mashups add constraint mashups_id_owner_key unique (id, owner_id);

alter table public.xp_ledger
  add column mashup_id uuid,
  add column battle_id uuid,
  add column challenge_id uuid;

-- Upgrade: rewards whose cause is already gone were farmed (or their cause was
-- removed): they are revoked now. Everything else gets its cause filled in.
delete from public.xp_ledger l
 where (l.source_key ~ '^publish:' and not exists (
          select 1 from public.mashups m
           where m.id::text = substr(l.source_key, 9) and m.owner_id = l.user_id and m.visibility <> 'private'))
    or (l.source_key ~ '^vote:' and not exists (
          select 1 from public.battle_votes v where v.battle_id::text = substr(l.source_key, 6) and v.voter_id = l.user_id))
    or (l.source_key ~ '^entry:' and not exists (
          select 1 from public.challenge_entries e
           where e.challenge_id::text = substr(l.source_key, 7) and e.user_id = l.user_id));
update public.xp_ledger set mashup_id = substr(source_key, 9)::uuid where source_key ~ '^publish:';
update public.xp_ledger set battle_id = substr(source_key, 6)::uuid where source_key ~ '^vote:';
update public.xp_ledger set challenge_id = substr(source_key, 7)::uuid where source_key ~ '^entry:';

alter table public.xp_ledger
  add constraint xp_ledger_mashup_fk foreign key (mashup_id, user_id)
    references public.mashups (id, owner_id) on delete cascade,
  add constraint xp_ledger_vote_fk foreign key (battle_id, user_id)
    references public.battle_votes (battle_id, voter_id) on delete cascade,
  add constraint xp_ledger_entry_fk foreign key (challenge_id, user_id)
    references public.challenge_entries (challenge_id, user_id) on delete cascade,
  add constraint xp_ledger_cause check (
    case
      when source_key ~ '^publish:' then mashup_id is not null and num_nonnulls(battle_id, challenge_id) = 0
      when source_key ~ '^vote:' then battle_id is not null and num_nonnulls(mashup_id, challenge_id) = 0
      when source_key ~ '^entry:' then challenge_id is not null and num_nonnulls(mashup_id, battle_id) = 0
      else num_nonnulls(mashup_id, battle_id, challenge_id) = 0
    end);
create index xp_ledger_mashup on public.xp_ledger (mashup_id) where mashup_id is not null;
create index xp_ledger_battle on public.xp_ledger (battle_id, user_id) where battle_id is not null;
create index xp_ledger_challenge on public.xp_ledger (challenge_id, user_id) where challenge_id is not null;
create index xp_ledger_user_time on public.xp_ledger (user_id, created_at);

-- The cause is derived from the source key, so every writer (award_xp, the
-- service role) gets the foreign keys without having to name them.
create function private.xp_ledger_cause() returns trigger
language plpgsql set search_path = pg_catalog, pg_temp as $$
begin
  new.mashup_id := case when new.source_key ~ '^publish:' then substr(new.source_key, 9)::uuid end;
  new.battle_id := case when new.source_key ~ '^vote:' then substr(new.source_key, 6)::uuid end;
  new.challenge_id := case when new.source_key ~ '^entry:' then substr(new.source_key, 7)::uuid end;
  return new;
end
$$;
create trigger xp_ledger_cause before insert or update on public.xp_ledger
  for each row execute function private.xp_ledger_cause();

-- ---------------------------------------------------------------- badges follow facts
create function private.refresh_badges(p_user uuid) returns void
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
end
$$;

create function private.on_fact_removed() returns trigger
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
begin
  -- tg_argv[0]: the column naming the user whose fact was removed
  perform private.refresh_badges((to_jsonb(old) ->> tg_argv[0])::uuid);
  return null;
end
$$;
create trigger xp_ledger_removed after delete on public.xp_ledger
  for each row execute function private.on_fact_removed('user_id');
create trigger battle_votes_removed after delete on public.battle_votes
  for each row execute function private.on_fact_removed('voter_id');
create trigger challenge_entries_removed after delete on public.challenge_entries
  for each row execute function private.on_fact_removed('user_id');
create trigger mashups_removed after delete on public.mashups
  for each row execute function private.on_fact_removed('owner_id');

-- ---------------------------------------------------------------- publishing
-- Publish XP for a mashup that is (now) visible to others, at most the daily
-- cap per user and UTC day, serialised per user so concurrent publishes
-- cannot all slip under the cap.
create function private.reward_publish(p_user uuid, p_mashup uuid) returns boolean
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_today int;
begin
  perform pg_advisory_xact_lock(hashtextextended('xp-publish:' || p_user::text, 0));
  select count(*) into v_today from public.xp_ledger
   where user_id = p_user and mashup_id is not null
     and created_at >= date_trunc('day', now() at time zone 'utc') at time zone 'utc';
  perform private.award_badge(p_user, 'first_publish');
  if v_today >= private.publish_xp_daily_cap() then
    return false;
  end if;
  return private.award_xp(p_user, 20, 'publish', 'publish:' || p_mashup::text);
end
$$;

create or replace function private.on_mashup_published() returns trigger
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
begin
  perform private.consume_quota(new.owner_id, 'published_mashups_per_month', 1);
  if new.visibility <> 'private' then
    perform private.reward_publish(new.owner_id, new.id);
  end if;
  return new;
end
$$;

create function private.on_mashup_visibility() returns trigger
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
begin
  if new.visibility = 'private' and old.visibility <> 'private' then
    delete from public.xp_ledger where mashup_id = new.id;
    perform private.refresh_badges(new.owner_id);
  elsif new.visibility <> 'private' and old.visibility = 'private' then
    perform private.reward_publish(new.owner_id, new.id);
  end if;
  return null;
end
$$;
create trigger mashups_visibility after update of visibility on public.mashups
  for each row execute function private.on_mashup_visibility();

revoke all on function private.publish_xp_daily_cap(), private.xp_ledger_cause(), private.refresh_badges(uuid),
  private.on_fact_removed(), private.reward_publish(uuid, uuid), private.on_mashup_visibility()
  from public, anon, authenticated;

-- Upgrade: badges whose facts are gone (e.g. after the revocations above).
select private.refresh_badges(u.user_id) from (select distinct user_id from public.user_badges) u;
