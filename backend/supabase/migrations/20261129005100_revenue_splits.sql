-- Issue 16: revenue splits with versions, a platform fee from the tier data,
-- and a revenue ledger in integer cents.
--
-- * A split is a version of a mashup's payout plan: draft -> active -> paused.
--   Recipients change only while it is a draft (guard trigger, under the
--   split's advisory lock, so an edit racing an activation loses cleanly);
--   an active split changes only by pausing it and making a new version
--   (split_new_version copies the recipients into a new draft).
-- * Shares are basis points of the net after the platform fee; activation
--   requires exactly 10000 (100 %), the existing constraint trigger keeps any
--   draft at <= 10000 under concurrency (20261129000500_limits.sql).
-- * The fee comes from the tier data (tiers.platform_fee_bps, the
--   tier-level "platform_fee_bps" of backend/tiers.json) of the owner's tier
--   when the split is activated, and is kept on the split.
-- * Revenue entries are written by the backend only (record_revenue,
--   service_role: the billing service or the admin command) and distributed
--   at once into revenue_ledger by largest remainder (private.split_amounts):
--   the parts always sum to the entry, none is negative.
-- * Recipients read their split and its recipients (policies of
--   20261129000600_oracles.sql, kept), their ledger rows and my_earnings();
--   amounts under the minimum payout are held over to the next period.
--   Payouts themselves (Stripe Connect) are not part of this migration.
-- Rules of backend/THREATS.md kept: definer functions pin
-- search_path = pg_catalog, pg_temp; clients get no write grant on the new
-- tables; user-chosen ids of other people's rows answer like missing ones.

-- ---------------------------------------------------------------- tier data: platform fee
alter table public.tiers add column platform_fee_bps int not null default 1500
  check (platform_fee_bps between 0 and 5000);
update public.tiers set platform_fee_bps = case tier
  when 'free' then 2000 when 'pro' then 1000 when 'studio' then 500 else platform_fee_bps end;

-- ---------------------------------------------------------------- splits: versions and status
alter table public.revenue_splits
  add column version int not null default 1 check (version between 1 and 1000),
  add column status text not null default 'draft' check (status in ('draft', 'active', 'paused')),
  add column fee_bps int check (fee_bps between 0 and 10000),
  add column activated_at timestamptz,
  add column paused_at timestamptz,
  add constraint revenue_splits_active_has_fee check (status = 'draft' or fee_bps is not null);
alter table public.revenue_splits drop constraint revenue_splits_mashup_id_key;
alter table public.revenue_splits add constraint revenue_splits_mashup_version unique (mashup_id, version);
create unique index revenue_splits_one_active on public.revenue_splits (mashup_id) where status = 'active';

alter table public.revenue_split_recipients
  add column role text not null default 'other'
    check (role in ('creator', 'vocalist', 'producer', 'writer', 'other')),
  add column display_name text not null default '' check (char_length(display_name) <= 100);

create function private.lock_split(p_split uuid) returns void
language sql volatile security definer set search_path = pg_catalog, pg_temp as $$
  select pg_advisory_xact_lock(hashtextextended('split:' || p_split::text, 0))
$$;

-- Recipients of a split that is not a draft are frozen. The lock is the one
-- the total trigger takes, so the status read here is the committed one.
create function private.split_recipients_guard() returns trigger
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_split uuid := case when tg_op = 'DELETE' then old.split_id else new.split_id end;
  v_status text;
begin
  perform private.lock_split(v_split);
  if tg_op = 'UPDATE' and new.split_id <> old.split_id then
    raise exception 'a recipient cannot move to another split' using errcode = 'MS003';
  end if;
  select s.status into v_status from public.revenue_splits s where s.id = v_split;
  if v_status is null or v_status = 'draft' then
    return case when tg_op = 'DELETE' then old else new end;  -- draft, or the split itself is being deleted
  end if;
  if tg_op = 'UPDATE' and coalesce(current_setting('ms.split_claim', true), '') = 'on'
     and old.recipient_id is null
     and (new.recipient_email, new.share_bps, new.role, new.display_name)
         is not distinct from (old.recipient_email, old.share_bps, old.role, old.display_name) then
    return new;  -- split_claim(): an invited e-mail becomes the account that confirmed it
  end if;
  raise exception 'this split is %; pause it and make a new version to change it', v_status using errcode = 'MS003';
end
$$;
create trigger revenue_split_recipients_guard before insert or update or delete on public.revenue_split_recipients
  for each row execute function private.split_recipients_guard();

create function private.split_guard() returns trigger
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
begin
  if (new.mashup_id, new.version, new.created_by) is distinct from (old.mashup_id, old.version, old.created_by) then
    raise exception 'a split''s mashup, version and owner cannot change' using errcode = 'MS003';
  end if;
  if new.status <> old.status and not ((old.status, new.status) in (('draft', 'active'), ('active', 'paused'))) then
    raise exception 'a split cannot go from % to %', old.status, new.status using errcode = 'MS003';
  end if;
  if old.status <> 'draft' and new.fee_bps is distinct from old.fee_bps then
    raise exception 'the fee of an activated split cannot change' using errcode = 'MS003';
  end if;
  return new;
end
$$;
create trigger revenue_splits_guard before update on public.revenue_splits
  for each row execute function private.split_guard();

-- Clients delete drafts only (activated splits are the ledger's history).
drop policy splits_delete on public.revenue_splits;
create policy splits_delete on public.revenue_splits for delete to authenticated
  using (created_by = (select auth.uid()) and status = 'draft');

-- ---------------------------------------------------------------- client RPCs
create function private.own_split(p_split uuid) returns public.revenue_splits
language plpgsql stable security definer set search_path = pg_catalog, pg_temp as $$
declare
  v public.revenue_splits;
begin
  select * into v from public.revenue_splits s where s.id = p_split;
  if v.id is null or v.created_by is distinct from auth.uid() then
    raise exception 'split not found' using errcode = 'MS004';
  end if;
  return v;
end
$$;

-- A new draft version of the mashup's split (the recipients of the newest
-- version copied in); an existing draft is returned as it is.
create function public.split_new_version(p_mashup uuid) returns uuid
language plpgsql volatile security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_uid uuid := auth.uid();
  v_last public.revenue_splits;
  v_new uuid;
begin
  if v_uid is null or not exists (select 1 from public.mashups m where m.id = p_mashup and m.owner_id = v_uid) then
    raise exception 'mashup not found' using errcode = 'MS004';
  end if;
  perform pg_advisory_xact_lock(hashtextextended('split-versions:' || p_mashup::text, 0));
  select * into v_last from public.revenue_splits s where s.mashup_id = p_mashup order by s.version desc limit 1;
  if v_last.id is not null and v_last.status = 'draft' then
    return v_last.id;
  end if;
  insert into public.revenue_splits (mashup_id, created_by, version)
    values (p_mashup, v_uid, coalesce(v_last.version, 0) + 1) returning id into v_new;
  if v_last.id is not null then
    insert into public.revenue_split_recipients (split_id, recipient_id, recipient_email, share_bps, role, display_name)
      select v_new, r.recipient_id, r.recipient_email, r.share_bps, r.role, r.display_name
        from public.revenue_split_recipients r where r.split_id = v_last.id;
  end if;
  return v_new;
end
$$;

-- Replace a draft's recipients: [{account?, email?, name, role, share_bps}].
create function public.split_set_recipients(p_split uuid, p_recipients jsonb) returns int
language plpgsql volatile security definer set search_path = pg_catalog, pg_temp as $$
declare
  v public.revenue_splits := private.own_split(p_split);
  r jsonb;
  v_account uuid;
  v_email text;
  v_share int;
begin
  if jsonb_typeof(p_recipients) is distinct from 'array' or jsonb_array_length(p_recipients) > 50
     or pg_column_size(p_recipients) > 65536 then
    raise exception 'recipients must be a list of at most 50' using errcode = 'MS003';
  end if;
  perform private.lock_split(p_split);
  if (select s.status from public.revenue_splits s where s.id = p_split) <> 'draft' then
    raise exception 'this split is %; pause it and make a new version to change it', v.status using errcode = 'MS003';
  end if;
  delete from public.revenue_split_recipients where split_id = p_split;
  for r in select * from jsonb_array_elements(p_recipients) loop
    if jsonb_typeof(r) <> 'object' or jsonb_typeof(r -> 'share_bps') <> 'number' then
      raise exception 'each recipient needs share_bps' using errcode = 'MS003';
    end if;
    v_share := (r ->> 'share_bps')::numeric;
    if v_share::numeric <> (r ->> 'share_bps')::numeric or v_share not between 1 and 10000 then
      raise exception 'a share is 1-10000 basis points (0.01 %%-100 %%)' using errcode = 'MS003';
    end if;
    v_account := null;
    if r ? 'account' and jsonb_typeof(r -> 'account') = 'string' then
      begin
        v_account := (r ->> 'account')::uuid;
      exception when invalid_text_representation then
        raise exception 'recipient not found' using errcode = 'MS004';
      end;
      if not exists (select 1 from auth.users u where u.id = v_account) then
        raise exception 'recipient not found' using errcode = 'MS004';
      end if;
    end if;
    v_email := nullif(lower(btrim(coalesce(r ->> 'email', ''))), '');
    if v_account is null and v_email is null then
      raise exception 'a recipient is an account or a name with an e-mail' using errcode = 'MS003';
    end if;
    insert into public.revenue_split_recipients (split_id, recipient_id, recipient_email, share_bps, role, display_name)
      values (p_split, v_account, v_email, v_share, coalesce(r ->> 'role', 'other'),
              left(coalesce(r ->> 'name', ''), 100));
  end loop;
  return (select coalesce(sum(share_bps), 0) from public.revenue_split_recipients where split_id = p_split);
end
$$;

create function public.split_activate(p_split uuid) returns jsonb
language plpgsql volatile security definer set search_path = pg_catalog, pg_temp as $$
declare
  v public.revenue_splits := private.own_split(p_split);
  v_total bigint;
  v_fee int;
begin
  perform private.lock_split(p_split);
  select * into v from public.revenue_splits s where s.id = p_split for update;
  if v.status <> 'draft' then
    raise exception 'only a draft can be activated (this split is %)', v.status using errcode = 'MS003';
  end if;
  select coalesce(sum(share_bps), 0) into v_total from public.revenue_split_recipients where split_id = p_split;
  if v_total <> 10000 then
    raise exception 'the shares total % %%; they must total exactly 100 %%', round(v_total / 100.0, 2)
      using errcode = 'MS003';
  end if;
  if exists (select 1 from public.revenue_splits s where s.mashup_id = v.mashup_id and s.status = 'active') then
    raise exception 'this mashup already has an active split; pause it first' using errcode = 'MS003';
  end if;
  select t.platform_fee_bps into v_fee from public.tiers t where t.tier = private.current_tier(v.created_by);
  v_fee := coalesce(v_fee, (select t.platform_fee_bps from public.tiers t where t.tier = 'free'), 2000);
  update public.revenue_splits set status = 'active', fee_bps = v_fee, activated_at = now() where id = p_split;
  return jsonb_build_object('split', p_split, 'status', 'active', 'fee_bps', v_fee, 'version', v.version);
end
$$;

create function public.split_pause(p_split uuid) returns void
language plpgsql volatile security definer set search_path = pg_catalog, pg_temp as $$
declare
  v public.revenue_splits := private.own_split(p_split);
begin
  perform private.lock_split(p_split);
  update public.revenue_splits set status = 'paused', paused_at = now() where id = p_split and status = 'active';
  if not found then
    raise exception 'only an active split can be paused' using errcode = 'MS003';
  end if;
end
$$;

-- Invitations by e-mail become the signed-in account's once its e-mail is confirmed.
create function public.split_claim() returns int
language plpgsql volatile security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_email text;
  v_n int;
begin
  select lower(u.email) into v_email from auth.users u
   where u.id = auth.uid() and u.email_confirmed_at is not null;
  if v_email is null then
    return 0;
  end if;
  perform set_config('ms.split_claim', 'on', true);
  -- the share and what it already earned (ledger rows written while unclaimed)
  with claimed as (
    update public.revenue_split_recipients set recipient_id = auth.uid()
     where recipient_email = v_email and recipient_id is null returning id
  ), moved as (
    update public.revenue_ledger l set recipient_id = auth.uid()
      from claimed c where l.recipient_row = c.id and l.recipient_id is null returning 1
  )
  select count(*) into v_n from claimed;
  perform set_config('ms.split_claim', 'off', true);
  return v_n;
end
$$;

-- ---------------------------------------------------------------- revenue and ledger
-- Split p_amount cents into the platform fee (index 1) and the shares (in
-- order) by largest remainder over exact weights fee_bps * 10000 and
-- (10000 - fee_bps) * share_bps; ties go to the earlier part. The result
-- always sums to p_amount and has no negative part.
create function private.split_amounts(p_amount bigint, p_fee_bps int, p_shares int[]) returns bigint[]
language plpgsql immutable set search_path = pg_catalog, pg_temp as $$
declare
  v_out bigint[];
begin
  if p_amount < 0 or p_fee_bps not between 0 and 10000 or cardinality(p_shares) = 0
     or (select sum(s) from unnest(p_shares) s) <> 10000 or exists (select 1 from unnest(p_shares) s where s < 0) then
    raise exception 'bad split arithmetic input' using errcode = 'MS003';
  end if;
  with w as (
    select 1 as i, p_fee_bps::numeric * 10000 as weight
    union all
    select o.i + 1, (10000 - p_fee_bps)::numeric * o.s
      from unnest(p_shares) with ordinality as o(s, i)
  ), exact as (
    select i, floor(p_amount * weight / 100000000) as base, (p_amount * weight) % 100000000 as rem from w
  ), ranked as (
    select i, base, row_number() over (order by rem desc, i) as rn,
           p_amount - sum(base) over () as leftover from exact
  )
  select array_agg((base + case when rn <= leftover then 1 else 0 end)::bigint order by i) into v_out from ranked;
  return v_out;
end
$$;

create function private.min_payout_cents() returns bigint
language sql immutable set search_path = pg_catalog, pg_temp as $$ select 1000::bigint $$;

create table public.revenue_entries (
  id uuid primary key default gen_random_uuid(),
  mashup_id uuid not null references public.mashups (id) on delete restrict,
  split_id uuid not null references public.revenue_splits (id) on delete restrict,
  amount_cents bigint not null check (amount_cents between 1 and 10000000000),
  currency text not null default 'usd' check (currency ~ '^[a-z]{3}$'),
  source text not null check (source in ('billing', 'admin')),
  external_id text not null check (char_length(external_id) between 1 and 200),
  period date not null check (period = date_trunc('month', period)::date),
  created_at timestamptz not null default now(),
  unique (source, external_id)
);
create table public.revenue_ledger (
  id bigint generated always as identity primary key,
  entry_id uuid not null references public.revenue_entries (id) on delete cascade,  -- a staff correction takes its distribution
  split_id uuid not null references public.revenue_splits (id) on delete restrict,
  recipient_row uuid references public.revenue_split_recipients (id) on delete restrict,
  recipient_id uuid references auth.users (id) on delete set null,
  recipient_email text check (recipient_email is null or char_length(recipient_email) <= 254),
  kind text not null check (kind in ('platform_fee', 'share')),
  amount_cents bigint not null check (amount_cents >= 0),
  period date not null,
  created_at timestamptz not null default now()
);
create index revenue_ledger_recipient on public.revenue_ledger (recipient_id, period);
create index revenue_ledger_split on public.revenue_ledger (split_id);
alter table public.revenue_entries enable row level security;
alter table public.revenue_ledger enable row level security;
revoke all on public.revenue_entries, public.revenue_ledger from anon, authenticated;
grant select on public.revenue_entries, public.revenue_ledger to authenticated;
grant all on public.revenue_entries, public.revenue_ledger to service_role;
create policy revenue_entries_read on public.revenue_entries for select to authenticated
  using (private.split_owner(split_id) = (select auth.uid())
         or private.is_split_recipient(split_id, (select auth.uid())));
create policy revenue_ledger_read on public.revenue_ledger for select to authenticated
  using (recipient_id = (select auth.uid()) or private.split_owner(split_id) = (select auth.uid()));

-- Backend only: record one revenue entry for a mashup and distribute it by
-- its active split. Idempotent on (source, external_id): a retry returns the
-- first entry and writes nothing.
create function public.record_revenue(p_mashup uuid, p_amount_cents bigint, p_source text, p_external_id text,
                                      p_period date default null) returns uuid
language plpgsql volatile security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_split public.revenue_splits;
  v_entry uuid;
  v_period date := date_trunc('month', coalesce(p_period, now()::date))::date;
  v_ids uuid[];
  v_shares int[];
  v_parts bigint[];
begin
  select e.id into v_entry from public.revenue_entries e where e.source = p_source and e.external_id = p_external_id;
  if v_entry is not null then
    return v_entry;
  end if;
  select * into v_split from public.revenue_splits s where s.mashup_id = p_mashup and s.status = 'active';
  if v_split.id is null then
    raise exception 'this mashup has no active split' using errcode = 'MS004';
  end if;
  perform private.lock_split(v_split.id);
  insert into public.revenue_entries (mashup_id, split_id, amount_cents, source, external_id, period)
    values (p_mashup, v_split.id, p_amount_cents, p_source, p_external_id, v_period)
    on conflict (source, external_id) do nothing returning id into v_entry;
  if v_entry is null then  -- a concurrent retry won
    return (select e.id from public.revenue_entries e where e.source = p_source and e.external_id = p_external_id);
  end if;
  select array_agg(r.id order by r.id), array_agg(r.share_bps order by r.id) into v_ids, v_shares
    from public.revenue_split_recipients r where r.split_id = v_split.id;
  v_parts := private.split_amounts(p_amount_cents, v_split.fee_bps, v_shares);
  insert into public.revenue_ledger (entry_id, split_id, kind, amount_cents, period)
    values (v_entry, v_split.id, 'platform_fee', v_parts[1], v_period);
  insert into public.revenue_ledger (entry_id, split_id, recipient_row, recipient_id, recipient_email, kind,
                                     amount_cents, period)
    select v_entry, v_split.id, r.id, r.recipient_id, r.recipient_email, 'share', v_parts[o.i + 1], v_period
      from unnest(v_ids) with ordinality as o(rid, i)
      join public.revenue_split_recipients r on r.id = o.rid;
  return v_entry;
end
$$;

-- The signed-in user's splits (as owner or recipient) and earnings: what
-- closed periods earned is payable once it reaches the minimum payout, the
-- rest is held over to the next period.
create function public.my_earnings() returns jsonb
language plpgsql stable security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_uid uuid := auth.uid();
  v_month date := date_trunc('month', now())::date;
  v_closed bigint;
  v_open bigint;
begin
  if v_uid is null then
    raise exception 'sign in first' using errcode = '42501';
  end if;
  select coalesce(sum(amount_cents) filter (where period < v_month), 0),
         coalesce(sum(amount_cents) filter (where period >= v_month), 0)
    into v_closed, v_open
    from public.revenue_ledger l where l.recipient_id = v_uid and l.kind = 'share';
  return jsonb_build_object(
    'earned_cents', v_closed + v_open,
    'payable_cents', case when v_closed >= private.min_payout_cents() then v_closed else 0 end,
    'held_cents', case when v_closed >= private.min_payout_cents() then v_open else v_closed + v_open end,
    'min_payout_cents', private.min_payout_cents(),
    'splits', coalesce((
      select jsonb_agg(jsonb_build_object(
               'split', s.id, 'mashup', s.mashup_id, 'title', m.title, 'version', s.version, 'status', s.status,
               'fee_bps', s.fee_bps, 'owner', s.created_by = v_uid,
               'recipients', (select jsonb_agg(jsonb_build_object(
                                 'account', r.recipient_id, 'email', case when s.created_by = v_uid
                                   or r.recipient_id = v_uid then r.recipient_email end,
                                 'name', r.display_name, 'role', r.role, 'share_bps', r.share_bps,
                                 'me', r.recipient_id = v_uid) order by r.share_bps desc, r.id)
                                from public.revenue_split_recipients r where r.split_id = s.id),
               'earned_cents', (select coalesce(sum(l.amount_cents), 0) from public.revenue_ledger l
                                 where l.split_id = s.id and l.recipient_id = v_uid and l.kind = 'share'))
             order by s.created_at desc, s.version desc)
        from public.revenue_splits s join public.mashups m on m.id = s.mashup_id
       where s.created_by = v_uid or private.is_split_recipient(s.id, v_uid)), '[]'::jsonb));
end
$$;

revoke all on function private.lock_split(uuid), private.split_recipients_guard(), private.split_guard(),
  private.own_split(uuid), private.split_amounts(bigint, int, int[]), private.min_payout_cents()
  from public, anon, authenticated;
grant execute on function private.split_amounts(bigint, int, int[]), private.min_payout_cents() to service_role;
revoke all on function public.split_new_version(uuid), public.split_set_recipients(uuid, jsonb),
  public.split_activate(uuid), public.split_pause(uuid), public.split_claim(), public.my_earnings(),
  public.record_revenue(uuid, bigint, text, text, date) from public, anon, authenticated;
grant execute on function public.split_new_version(uuid), public.split_set_recipients(uuid, jsonb),
  public.split_activate(uuid), public.split_pause(uuid), public.split_claim(), public.my_earnings()
  to authenticated;
grant execute on function public.record_revenue(uuid, bigint, text, text, date) to service_role;
