-- Maintenance: sync receipts only need to outlive the longest time a device
-- may stay offline with unpushed changes. Schedule with pg_cron, e.g.
--   select cron.schedule('purge-sync-receipts', '17 3 * * *',
--                        $$select private.purge_sync_receipts(interval '180 days')$$);
-- A change replayed after its receipt was purged is merged again by the
-- per-field clocks, which leaves the data as it was (the merge is idempotent).

create function private.purge_sync_receipts(p_older_than interval) returns bigint
language plpgsql security definer set search_path = '' as $$
declare
  n bigint;
begin
  if p_older_than < interval '30 days' then
    raise exception 'keep receipts at least 30 days' using errcode = 'MS003';
  end if;
  delete from public.sync_receipts where created_at < now() - p_older_than;
  get diagnostics n = row_count;
  return n;
end
$$;
revoke all on function private.purge_sync_receipts(interval) from public, anon, authenticated;
grant execute on function private.purge_sync_receipts(interval) to service_role;
