-- Projects the caller can see right now (own and shared). The client drops
-- its copies of shared projects that are no longer in this list (access
-- revoked, session closed): pulls only carry rows the caller can still see.
create function public.sync_visible_projects() returns jsonb
language sql stable set search_path = '' as $$
  select coalesce(jsonb_agg(p.id order by p.id), '[]') from public.projects p
$$;
revoke all on function public.sync_visible_projects() from public, anon;
grant execute on function public.sync_visible_projects() to authenticated, service_role;
