-- Issue 12: the Analytics page's series -- plays, likes, shares, comments and
-- battle votes on the caller's mashups, for all of them or one (per mashup),
-- bucketed like creator_timeseries (same bounds: day/week/month, <= 3 years).
create function public.creator_series(
  p_bucket text, p_from timestamptz, p_to timestamptz, p_mashup uuid default null)
returns table (bucket_start timestamptz, event_type text, events bigint)
language plpgsql stable security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_uid uuid := private.require_uid();
  v_step interval;
begin
  if p_bucket is null or p_bucket not in ('day', 'week', 'month') then
    raise exception 'p_bucket must be day, week or month' using errcode = 'MS003';
  end if;
  if p_from is null or p_to is null or p_to <= p_from or p_to - p_from > interval '3 years' then
    raise exception 'bad time range' using errcode = 'MS003';
  end if;
  if p_mashup is not null and not exists (
      select 1 from public.mashups where id = p_mashup and owner_id = v_uid) then
    raise exception 'mashup not found' using errcode = 'MS004';
  end if;
  v_step := ('1 ' || p_bucket)::interval;
  return query
    with buckets as (
      select generate_series(date_trunc(p_bucket, p_from at time zone 'utc'),
                             date_trunc(p_bucket, (p_to at time zone 'utc') - interval '1 microsecond'),
                             v_step) at time zone 'utc' as b
    ), types as (
      select t as event_type from unnest(array['play', 'like', 'share', 'comment', 'vote']) t
    ), events as (
      select e.occurred_at as at, e.event_type as t
        from public.analytics_events e join public.mashups m on m.id = e.mashup_id
       where m.owner_id = v_uid and (p_mashup is null or m.id = p_mashup)
         and e.occurred_at >= p_from and e.occurred_at < p_to
         and e.event_type in ('play', 'like', 'share', 'comment')
      union all
      select v.created_at, 'vote'
        from public.battle_votes v join public.mashups m on m.id = v.choice
       where m.owner_id = v_uid and (p_mashup is null or m.id = p_mashup)
         and v.created_at >= p_from and v.created_at < p_to
    ), counts as (
      select date_trunc(p_bucket, at at time zone 'utc') at time zone 'utc' as b, t, count(*) as n
        from events group by 1, 2
    )
    select buckets.b, types.event_type, coalesce(counts.n, 0)::bigint
      from buckets cross join types
      left join counts on counts.b = buckets.b and counts.t = types.event_type
     order by 1, 2;
end
$$;
revoke all on function public.creator_series(text, timestamptz, timestamptz, uuid) from public, anon, authenticated;
grant execute on function public.creator_series(text, timestamptz, timestamptz, uuid) to authenticated, service_role;
