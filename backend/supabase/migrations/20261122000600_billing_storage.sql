-- Billing bookkeeping (used only by the billing service with the service
-- role) and Storage buckets with per-user path policies.

-- ---------------------------------------------------------------- billing
create table private.stripe_events (
  id text primary key,                 -- Stripe event id: each is processed once
  type text not null,
  created bigint not null,
  received_at timestamptz not null default now()
);
revoke all on private.stripe_events from public, anon, authenticated;
grant select, insert on private.stripe_events to service_role;

create table private.price_tiers (
  price_id text primary key,
  tier text not null references public.tiers (tier)
);
revoke all on private.price_tiers from public, anon, authenticated;
grant select, insert, update, delete on private.price_tiers to service_role;

-- Record a Stripe event id; returns false when it was already recorded.
create function private.billing_record_event(p_id text, p_type text, p_created bigint) returns boolean
language plpgsql security definer set search_path = '' as $$
declare
  n int;
begin
  insert into private.stripe_events (id, type, created) values (p_id, p_type, p_created) on conflict do nothing;
  get diagnostics n = row_count;
  return n > 0;
end
$$;

-- Recompute a user's entitlement from all their subscriptions' current state:
-- the highest-ranked tier among subscriptions that grant access.
create function private.billing_recompute_entitlement(p_user uuid) returns text
language plpgsql security definer set search_path = '' as $$
declare
  s record;
begin
  select sub.id, sub.tier, sub.current_period_end into s
    from public.subscriptions sub join public.tiers t on t.tier = sub.tier
   where sub.user_id = p_user and sub.status in ('active', 'trialing', 'past_due')
   order by t.rank desc, sub.current_period_end desc nulls last
   limit 1;
  if s.id is null then
    delete from public.entitlements where user_id = p_user and source = 'stripe';
    return 'free';
  end if;
  insert into public.entitlements as e (user_id, tier, source, valid_until, subscription_id, updated_at)
  values (p_user, s.tier, 'stripe', s.current_period_end + interval '3 days', s.id, now())
  on conflict (user_id) do update set tier = excluded.tier, source = 'stripe', valid_until = excluded.valid_until,
    subscription_id = excluded.subscription_id, updated_at = now()
  where e.source = 'stripe';
  return s.tier;
end
$$;

-- Store a subscription snapshot unless a newer snapshot of it is stored
-- already (p_version: the Stripe event's created time, or the time the
-- subscription was fetched), then recompute the entitlement.
create function private.billing_apply_subscription(
  p_subscription_id text, p_user uuid, p_customer text, p_status text, p_price text,
  p_period_end timestamptz, p_cancel_at_period_end boolean, p_version bigint)
returns text
language plpgsql security definer set search_path = '' as $$
declare
  v_tier text;
begin
  select tier into v_tier from private.price_tiers where price_id = p_price;
  if v_tier is null then
    raise exception 'unknown price %', p_price using errcode = 'MS003';
  end if;
  insert into public.subscriptions as s (id, user_id, stripe_customer_id, status, price_id, tier,
                                         current_period_end, cancel_at_period_end, stripe_created, updated_at)
  values (p_subscription_id, p_user, p_customer, p_status, p_price, v_tier, p_period_end,
          p_cancel_at_period_end, p_version, now())
  on conflict (id) do update set status = excluded.status, price_id = excluded.price_id, tier = excluded.tier,
    current_period_end = excluded.current_period_end, cancel_at_period_end = excluded.cancel_at_period_end,
    stripe_created = excluded.stripe_created, updated_at = now()
  where s.stripe_created <= excluded.stripe_created and s.user_id = excluded.user_id;
  return private.billing_recompute_entitlement(p_user);
end
$$;

revoke all on function private.billing_record_event(text, text, bigint),
  private.billing_recompute_entitlement(uuid),
  private.billing_apply_subscription(text, uuid, text, text, text, timestamptz, boolean, bigint)
  from public, anon, authenticated;
grant execute on function private.billing_record_event(text, text, bigint),
  private.billing_recompute_entitlement(uuid),
  private.billing_apply_subscription(text, uuid, text, text, text, timestamptz, boolean, bigint)
  to service_role;

-- ---------------------------------------------------------------- storage
-- media: private; every object lives under '<user id>/...'.
-- published: public read (published mashups); writes only in one's own folder.
insert into storage.buckets (id, name, public, file_size_limit)
values ('media', 'media', false, 52428800), ('published', 'published', true, 524288000)
on conflict (id) do nothing;

create policy media_owner_select on storage.objects for select to authenticated
  using (bucket_id = 'media' and (storage.foldername(name))[1] = (select auth.uid())::text);
create policy media_owner_insert on storage.objects for insert to authenticated
  with check (bucket_id = 'media' and (storage.foldername(name))[1] = (select auth.uid())::text);
create policy media_owner_update on storage.objects for update to authenticated
  using (bucket_id = 'media' and (storage.foldername(name))[1] = (select auth.uid())::text)
  with check (bucket_id = 'media' and (storage.foldername(name))[1] = (select auth.uid())::text);
create policy media_owner_delete on storage.objects for delete to authenticated
  using (bucket_id = 'media' and (storage.foldername(name))[1] = (select auth.uid())::text);

create policy published_read on storage.objects for select to anon, authenticated
  using (bucket_id = 'published');
create policy published_owner_insert on storage.objects for insert to authenticated
  with check (bucket_id = 'published' and (storage.foldername(name))[1] = (select auth.uid())::text);
create policy published_owner_delete on storage.objects for delete to authenticated
  using (bucket_id = 'published' and (storage.foldername(name))[1] = (select auth.uid())::text);
