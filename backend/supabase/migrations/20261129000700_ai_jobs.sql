-- Issue 10: the AI-job queue against replay, reorder, forgery and floods.
--
--  * request_ai_job: arguments checked before anything is counted (kind known,
--    input a JSON object of at most 16 kB, key 8..100 printable characters);
--    a replayed key returns the same job and counts once (advisory lock per
--    key, as before); a flood of distinct keys stops at the tier's monthly
--    quota (consume_quota's row lock), also under concurrency.
--  * Clients cannot write ai_jobs at all (select only, unchanged).
--  * Reorder: a job's status only moves forward (queued -> running ->
--    done|failed, queued|running -> cancelled, queued -> failed); a late
--    "running" after "done", or any change of a finished job, is refused for
--    every role, the service role's workers included. Who asked for what
--    (user, kind, input, key, created_at) never changes.

create or replace function public.request_ai_job(p_kind text, p_input jsonb, p_idempotency_key text) returns jsonb
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_uid uuid := private.require_uid();
  v_job uuid;
  v_input jsonb := coalesce(p_input, '{}');
begin
  if p_idempotency_key is null or length(p_idempotency_key) not between 8 and 100
     or p_idempotency_key !~ '^[[:graph:]]+$' then
    raise exception 'idempotency key required (8..100 printable characters)' using errcode = 'MS003';
  end if;
  if p_kind is null or p_kind not in ('magic_mashup', 'separate', 'captions', 'master') then
    raise exception 'unknown job kind' using errcode = 'MS003';
  end if;
  if jsonb_typeof(v_input) <> 'object' or pg_column_size(v_input) > 16384 then
    raise exception 'job input must be a JSON object of at most 16 kB' using errcode = 'MS003';
  end if;
  perform pg_advisory_xact_lock(hashtextextended('ai:' || v_uid::text || ':' || p_idempotency_key, 0));
  select id into v_job from public.ai_jobs where user_id = v_uid and idempotency_key = p_idempotency_key;
  if v_job is not null then
    return jsonb_build_object('status', 'existing', 'job_id', v_job);
  end if;
  perform private.consume_quota(v_uid, 'ai_jobs_per_month', 1);
  insert into public.ai_jobs (user_id, kind, input, idempotency_key)
  values (v_uid, p_kind, v_input, p_idempotency_key)
  returning id into v_job;
  return jsonb_build_object('status', 'queued', 'job_id', v_job);
end
$$;

create function private.ai_job_transition() returns trigger
language plpgsql set search_path = pg_catalog, pg_temp as $$
begin
  if new.user_id is distinct from old.user_id or new.kind is distinct from old.kind
     or new.input is distinct from old.input or new.idempotency_key is distinct from old.idempotency_key
     or new.created_at is distinct from old.created_at then
    raise exception 'a job''s request cannot change' using errcode = 'MS003';
  end if;
  if new.status is distinct from old.status and not (
       (old.status = 'queued' and new.status in ('running', 'failed', 'cancelled'))
    or (old.status = 'running' and new.status in ('done', 'failed', 'cancelled'))) then
    raise exception 'job status cannot go from % to %', old.status, new.status using errcode = 'MS003';
  end if;
  if new.status is not distinct from old.status and old.status in ('done', 'failed', 'cancelled')
     and new.output is distinct from old.output then
    raise exception 'a finished job cannot change' using errcode = 'MS003';
  end if;
  new.updated_at := now();
  return new;
end
$$;
create trigger ai_jobs_transition before update on public.ai_jobs
  for each row execute function private.ai_job_transition();
