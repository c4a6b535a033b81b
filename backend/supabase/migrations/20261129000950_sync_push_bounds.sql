-- sync_push's whole argument gets a size bound (issue 10, class 5; the gap
-- named in backend/THREATS.md "Known gaps"). Each change was bounded (500
-- changes, per-field bounds in private.entity_fields and the table CHECKs), the
-- sum was not: 500 changes of catalogued fields can legally add up to hundreds
-- of megabytes (caption docs of 1 MB each), parsed, looped over and stored.
--
-- The bound is 32 MiB of JSON text (octet_length(p_changes::text)). The desktop
-- client (sync/engine.py) cuts every batch at MAX_BATCH_BYTES = 16 MiB (and 500
-- changes), so a real client never reaches it; one change is at most ~2.1 MB
-- by the per-field bounds, so a batch of one always fits.
--
-- The body below is the CURRENT one (20261122000300_projects_sync.sql; no later
-- migration redefined it: 20261129000400 only altered its attributes and
-- 20261129001000 put its dispatcher in private.apply_change, which this body
-- still calls by name), copied unchanged except for the size check after the
-- count check. CREATE OR REPLACE keeps the owner (ms_sync) and the grants; the
-- attributes 20261129000400 gave it (SECURITY DEFINER, search_path
-- pg_catalog, pg_temp) are restated because CREATE OR REPLACE resets them, and
-- without them the receipts insert is refused (THREATS.md, class 3).

create function private.sync_push_max_bytes() returns int
language sql immutable set search_path = pg_catalog, pg_temp as $$ select 32 * 1024 * 1024 $$;
revoke all on function private.sync_push_max_bytes() from public, anon;
grant execute on function private.sync_push_max_bytes() to ms_sync, service_role;

create or replace function public.sync_push(p_changes jsonb) returns jsonb
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_uid uuid := private.require_uid();
  c jsonb;
  v_key text;
  v_result jsonb;
  v_out jsonb[] := '{}';  -- array append is in place; jsonb || jsonb would copy (quadratic)
  v_inserted boolean;
begin
  if jsonb_typeof(p_changes) is distinct from 'array' then
    raise exception 'p_changes must be a JSON array' using errcode = 'MS003';
  end if;
  if jsonb_array_length(p_changes) > 500 then
    raise exception 'at most 500 changes per push' using errcode = 'MS003';
  end if;
  -- added by 20261129000950: the whole argument is bounded, not only each change
  if octet_length(p_changes::text) > private.sync_push_max_bytes() then
    raise exception 'a push is at most % bytes of JSON (this one: %): send fewer changes per push',
      private.sync_push_max_bytes(), octet_length(p_changes::text) using errcode = 'MS003';
  end if;
  for c in select value from jsonb_array_elements(p_changes) loop
    v_key := c ->> 'key';
    if v_key is null or length(v_key) not between 8 and 100 then
      v_out := v_out || jsonb_build_object(
        'key', v_key, 'status', 'rejected', 'reason', 'invalid', 'detail', 'missing idempotency key',
        'replayed', false);
      continue;
    end if;
    -- Claim the key. A concurrent push of the same key blocks here until the
    -- other transaction ends, then sees its receipt.
    insert into public.sync_receipts (idempotency_key, result)
    values (v_key, '{}') on conflict do nothing;
    get diagnostics v_inserted = row_count;
    if not v_inserted then
      select r.result into v_result from public.sync_receipts r
       where r.user_id = v_uid and r.idempotency_key = v_key;
      v_out := v_out || (v_result || jsonb_build_object('replayed', true));
      continue;
    end if;
    begin
      perform private.apply_change(c);
      v_result := jsonb_build_object('key', v_key, 'status', 'accepted');
    exception
      when sqlstate 'MS001' then
        v_result := jsonb_build_object('key', v_key, 'status', 'rejected', 'reason', 'tier_limit',
                                       'detail', sqlerrm);
      when sqlstate 'MS005' then
        v_result := jsonb_build_object('key', v_key, 'status', 'rejected', 'reason', 'clock_ahead',
                                       'detail', sqlerrm);
      when sqlstate 'MS002' or insufficient_privilege or unique_violation or foreign_key_violation then
        v_result := jsonb_build_object('key', v_key, 'status', 'rejected', 'reason', 'forbidden',
                                       'detail', sqlerrm);
      when sqlstate 'MS003' or check_violation or not_null_violation or invalid_text_representation
           or numeric_value_out_of_range or invalid_parameter_value or data_exception then
        v_result := jsonb_build_object('key', v_key, 'status', 'rejected', 'reason', 'invalid',
                                       'detail', sqlerrm);
    end;
    update public.sync_receipts r set result = v_result
     where r.user_id = v_uid and r.idempotency_key = v_key;
    v_out := v_out || (v_result || jsonb_build_object('replayed', false));
  end loop;
  return to_jsonb(v_out);
end
$$;

alter function public.sync_push(jsonb) owner to ms_sync;
revoke all on function public.sync_push(jsonb) from public, anon;
grant execute on function public.sync_push(jsonb) to authenticated, service_role;
