-- What the Billing page needs to show, and the grace rules of tiers.json
-- ("grace": after_period_end_days, past_due_days):
--  * a subscription remembers since when it is past_due;
--  * a past_due subscription keeps its tier for past_due_days after the first
--    failed payment (never past the period end + after_period_end_days);
--  * get_entitlements() also returns the subscription's status, period end and
--    scheduled cancellation, and the collaborators usage (the most people one
--    of the user's projects is shared with, the grain 20261129000500 limits);
--  * every SECURITY DEFINER function here pins search_path = pg_catalog, pg_temp
--    (20261129000900).
--  * a deleted Stripe customer is forgotten, so the next Checkout makes a new one.
-- A test checks these numbers against tiers.json.

alter table public.subscriptions add column past_due_since timestamptz;

create or replace function private.billing_recompute_entitlement(p_user uuid) returns text
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare
  s record;
begin
  select sub.id, sub.tier, sub.status, sub.current_period_end, sub.past_due_since into s
    from public.subscriptions sub join public.tiers t on t.tier = sub.tier
   where sub.user_id = p_user and sub.status in ('active', 'trialing', 'past_due')
   order by (sub.status <> 'past_due') desc, t.rank desc, sub.current_period_end desc nulls last
   limit 1;
  if s.id is null then
    delete from public.entitlements where user_id = p_user and source = 'stripe';
    return private.current_tier(p_user);
  end if;
  insert into public.entitlements as e (user_id, tier, source, valid_until, subscription_id, updated_at)
  values (p_user, s.tier, 'stripe',
          case when s.status = 'past_due'
               then least(s.current_period_end + interval '3 days', s.past_due_since + interval '7 days')
               else s.current_period_end + interval '3 days' end,
          s.id, now())
  on conflict (user_id) do update set tier = excluded.tier, source = 'stripe', valid_until = excluded.valid_until,
    subscription_id = excluded.subscription_id, updated_at = now()
  where e.source = 'stripe';
  return private.current_tier(p_user);
end
$$;

create or replace function private.billing_apply_subscription(
  p_subscription_id text, p_user uuid, p_customer text, p_status text, p_price text,
  p_period_end timestamptz, p_cancel_at_period_end boolean, p_version bigint)
returns text
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_tier text;
begin
  select tier into v_tier from private.price_tiers where price_id = p_price;
  if v_tier is null then
    raise exception 'unknown price %', p_price using errcode = 'MS003';
  end if;
  insert into public.subscriptions as s (id, user_id, stripe_customer_id, status, price_id, tier,
                                         current_period_end, cancel_at_period_end, stripe_created, updated_at,
                                         past_due_since)
  values (p_subscription_id, p_user, p_customer, p_status, p_price, v_tier, p_period_end,
          p_cancel_at_period_end, p_version, now(), case when p_status = 'past_due' then now() end)
  on conflict (id) do update set status = excluded.status, price_id = excluded.price_id, tier = excluded.tier,
    current_period_end = excluded.current_period_end, cancel_at_period_end = excluded.cancel_at_period_end,
    stripe_created = excluded.stripe_created, updated_at = now(),
    past_due_since = case when excluded.status <> 'past_due' then null
                          else coalesce(s.past_due_since, excluded.past_due_since) end
  where s.stripe_created <= excluded.stripe_created and s.user_id = excluded.user_id;
  return private.billing_recompute_entitlement(p_user);
end
$$;

-- A customer deleted in Stripe: forget the mapping (the user's next Checkout
-- creates a new customer). Returns the user it belonged to, or null.
create function private.billing_forget_customer(p_customer text) returns uuid
language sql security definer set search_path = pg_catalog, pg_temp as $$
  delete from private.stripe_customers where customer_id = p_customer returning user_id
$$;
revoke all on function private.billing_forget_customer(text) from public, anon, authenticated;
grant execute on function private.billing_forget_customer(text) to service_role;
revoke all on function private.billing_recompute_entitlement(uuid),
  private.billing_apply_subscription(text, uuid, text, text, text, timestamptz, boolean, bigint)
  from public, anon, authenticated;
grant execute on function private.billing_recompute_entitlement(uuid),
  private.billing_apply_subscription(text, uuid, text, text, text, timestamptz, boolean, bigint)
  to service_role;

create or replace function public.get_entitlements() returns jsonb
language plpgsql stable security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_uid uuid := private.require_uid();
  v_tier text := private.current_tier(v_uid);
  v_period date := date_trunc('month', now() at time zone 'utc')::date;
  v_sub jsonb;
begin
  select jsonb_build_object('id', s.id, 'tier', s.tier, 'status', s.status,
                            'current_period_end', s.current_period_end,
                            'cancel_at_period_end', s.cancel_at_period_end,
                            'past_due_since', s.past_due_since)
    into v_sub
    from public.subscriptions s
   where s.user_id = v_uid
   order by (s.status in ('active', 'trialing', 'past_due')) desc, s.updated_at desc
   limit 1;
  return jsonb_build_object(
    'tier', v_tier,
    'limits', (select limits from public.tiers where tier = v_tier),
    'valid_until', (select valid_until from public.entitlements where user_id = v_uid),
    'subscription', v_sub,
    'usage', jsonb_build_object(
      'max_projects', (select count(*) from public.projects where owner_id = v_uid and not deleted),
      'storage_bytes', (select coalesce(sum(size_bytes), 0) from public.project_media
                         where owner_id = v_uid and not deleted),
      'ai_jobs_per_month', coalesce((select used from public.usage_counters
                         where user_id = v_uid and metric = 'ai_jobs_per_month' and period_start = v_period), 0),
      'published_mashups_per_month', coalesce((select used from public.usage_counters
                         where user_id = v_uid and metric = 'published_mashups_per_month' and period_start = v_period), 0),
      'max_collaborators', coalesce((select max(n) from (
                         select count(distinct cp.user_id) n from public.collaboration_participants cp
                           join public.collaboration_sessions cs on cs.id = cp.session_id
                           join public.projects p on p.id = cs.project_id
                          where p.owner_id = v_uid and cp.user_id <> v_uid group by p.id) per_project), 0)));
end
$$;
revoke all on function public.get_entitlements() from public, anon;
grant execute on function public.get_entitlements() to authenticated, service_role;
