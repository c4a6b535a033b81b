-- Stripe customer per user (written by the billing service only) and the
-- price -> tier mapping the webhook uses.

create table private.stripe_customers (
  user_id uuid primary key references auth.users (id) on delete cascade,
  customer_id text not null unique,
  created_at timestamptz not null default now()
);
revoke all on private.stripe_customers from public, anon, authenticated;
grant select, insert on private.stripe_customers to service_role;

-- Remember a user's Stripe customer; returns the stored one when a concurrent
-- request stored another first (the caller then uses that one).
create function private.billing_remember_customer(p_user uuid, p_customer text) returns text
language plpgsql security definer set search_path = '' as $$
declare
  v text;
begin
  insert into private.stripe_customers (user_id, customer_id) values (p_user, p_customer)
  on conflict (user_id) do nothing;
  select customer_id into v from private.stripe_customers where user_id = p_user;
  return v;
end
$$;
revoke all on function private.billing_remember_customer(uuid, text) from public, anon, authenticated;
grant execute on function private.billing_remember_customer(uuid, text) to service_role;
