-- Issue 10, class 5: every user-supplied JSON, array and text value has a size
-- limit that a real client never reaches, enforced by the database.
--
-- Bounds are added NOT VALID and then validated: if a database already holds a
-- row over a bound the upgrade still succeeds (nothing is deleted or
-- truncated), the old row stays readable, and every new or changed row is
-- checked. The notice names the constraint left unvalidated.
--
-- Arguments of RPCs are bounded inside the functions (MS003), see the
-- migrations that (re)define them: log_events (counters), request_ai_job (AI
-- jobs), check_entitlement (below).

create function private.add_bound(p_table regclass, p_name text, p_check text) returns void
language plpgsql set search_path = pg_catalog, pg_temp as $$
begin
  execute format('alter table %s add constraint %I check (%s) not valid', p_table, p_name, p_check);
  begin
    execute format('alter table %s validate constraint %I', p_table, p_name);
  exception when check_violation then
    raise notice 'existing rows of % exceed %: kept as they are, new writes are checked', p_table, p_name;
  end;
end
$$;

select private.add_bound('public.projects', 'projects_field_clock_size',
  'jsonb_typeof(field_clock) = ''object'' and pg_column_size(field_clock) <= 4000');
select private.add_bound('public.project_media', 'project_media_field_clock_size',
  'jsonb_typeof(field_clock) = ''object'' and pg_column_size(field_clock) <= 4000');
select private.add_bound('public.sync_receipts', 'sync_receipts_result_size',
  'pg_column_size(result) <= 8000');
-- captions: 50 000 words is about five hours of rap; 4 MB like a project timeline
select private.add_bound('public.captions', 'captions_words_size',
  'jsonb_array_length(words) <= 50000 and pg_column_size(words) <= 4000000');
select private.add_bound('public.recommendation_events', 'recommendation_events_context_size',
  'pg_column_size(context) <= 2000 and (position is null or position <= 100000)');
select private.add_bound('public.ai_jobs', 'ai_jobs_input_size',
  'jsonb_typeof(input) = ''object'' and pg_column_size(input) <= 16384');
select private.add_bound('public.ai_jobs', 'ai_jobs_output_size',
  'output is null or pg_column_size(output) <= 1000000');
select private.add_bound('public.ai_jobs', 'ai_jobs_idempotency_key_size',
  'length(idempotency_key) between 8 and 100');
select private.add_bound('public.revenue_split_recipients', 'revenue_split_recipients_email_size',
  'recipient_email is null or length(recipient_email) <= 254');
select private.add_bound('public.xp_ledger', 'xp_ledger_text_size',
  'length(reason) <= 100 and length(source_key) <= 200');
select private.add_bound('public.challenges', 'challenges_text_size',
  'length(title) between 1 and 200 and length(rules) <= 10000');
select private.add_bound('public.trending_sounds', 'trending_sounds_text_size',
  'length(title) <= 300 and length(artist) <= 300 and (fingerprint is null or length(fingerprint) <= 500)');
select private.add_bound('public.badges', 'badges_text_size',
  'length(name) <= 80 and length(description) <= 500');

drop function private.add_bound(regclass, text, text);

-- check_entitlement echoed an unbounded metric name into its error.
create or replace function public.check_entitlement(p_metric text, p_amount bigint default 1) returns jsonb
language plpgsql stable security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_uid uuid := private.require_uid();
  v_ent jsonb;
  v_limit bigint;
  v_used bigint;
begin
  if p_metric is null or length(p_metric) > 64 or p_amount is null or p_amount < 0 or p_amount > 1000000000000000 then
    raise exception 'invalid metric or amount' using errcode = 'MS003';
  end if;
  v_ent := public.get_entitlements();
  v_limit := private.tier_limit(v_uid, p_metric);
  v_used := coalesce((v_ent -> 'usage' ->> p_metric)::bigint, 0);
  return jsonb_build_object('metric', p_metric, 'tier', v_ent ->> 'tier', 'limit', v_limit, 'used', v_used,
                            'allowed', v_limit is null or v_used + p_amount <= v_limit);
end
$$;

-- creator_timeseries echoed an unbounded event type into every row of its
-- answer (up to three years of days): the type must be a known one.
create or replace function public.creator_timeseries(
  p_bucket text, p_from timestamptz, p_to timestamptz, p_event_type text default null)
returns table (bucket_start timestamptz, event_type text, events bigint)
language plpgsql stable security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_uid uuid := private.require_uid();
  v_step interval;
  v_types text[] := array['view', 'play', 'complete', 'like', 'share', 'download', 'comment', 'follow', 'remix'];
begin
  if p_bucket is null or p_bucket not in ('day', 'week', 'month') then
    raise exception 'p_bucket must be day, week or month' using errcode = 'MS003';
  end if;
  if p_event_type is not null and not (p_event_type = any (v_types)) then
    raise exception 'unknown event type' using errcode = 'MS003';
  end if;
  if p_from is null or p_to is null or p_to <= p_from or p_to - p_from > interval '3 years' then
    raise exception 'bad time range' using errcode = 'MS003';
  end if;
  v_step := ('1 ' || p_bucket)::interval;
  return query
    with buckets as (
      select generate_series(date_trunc(p_bucket, p_from at time zone 'utc'),
                             date_trunc(p_bucket, (p_to at time zone 'utc') - interval '1 microsecond'),
                             v_step) at time zone 'utc' as b
    ), types as (
      select distinct t as event_type from unnest(
        case when p_event_type is null then v_types else array[p_event_type] end) t
    ), counts as (
      select date_trunc(p_bucket, e.occurred_at at time zone 'utc') at time zone 'utc' as b,
             e.event_type, count(*) as n
        from public.analytics_events e join public.mashups m on m.id = e.mashup_id
       where m.owner_id = v_uid and e.occurred_at >= p_from and e.occurred_at < p_to
         and (p_event_type is null or e.event_type = p_event_type)
       group by 1, 2
    )
    select buckets.b, types.event_type, coalesce(counts.n, 0)::bigint
      from buckets cross join types
      left join counts on counts.b = buckets.b and counts.event_type = types.event_type
     order by 1, 2;
end
$$;
