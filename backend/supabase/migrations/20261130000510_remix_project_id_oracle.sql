-- Issue 16: remix_mashup was a small existence oracle for project ids. With a
-- remixable mashup, a caller-chosen p_project that someone else's project (or
-- remix) already holds answered MS003 "this project id is taken", while an
-- unknown id succeeded: anyone could test whether a given project id exists.
-- Now an id held by anybody else answers exactly what a mashup that is not
-- open to remixes answers (MS004, same message) and writes nothing; the same
-- holds when the id is taken by a concurrent call (unique violation) of
-- another user. Only the caller's own ids keep the precise answer: a retry of
-- the same remix answers again (nothing copied twice); another project or
-- remix of the caller's own is MS003 (they know their own ids, nothing leaks).

create or replace function public.remix_mashup(p_mashup uuid, p_project uuid default null) returns jsonb
language plpgsql volatile security definer set search_path = pg_catalog, pg_temp as $$
declare
  v_uid uuid := private.require_uid();
  v_new uuid := coalesce(p_project, gen_random_uuid());
  v_title text;
  v_owner uuid;
  v_src uuid;
  v_licence text;
  v_prev public.project_remixes;
  v_holder uuid;
  v_row public.projects;
  v_media jsonb;
begin
  select m.title, m.owner_id, m.project_id, m.remix_licence into v_title, v_owner, v_src, v_licence
    from public.mashups m
   where m.id = p_mashup and m.visibility = 'public' and m.remix_licence is not null and m.project_id is not null
   for share;
  if v_src is not null then
    select * into v_row from public.projects p where p.id = v_src and not p.deleted and p.owner_id = v_owner
      for share;
  end if;
  if v_src is null or v_row.id is null then
    raise exception 'mashup not found or not open to remixes' using errcode = 'MS004';
  end if;
  -- a retry of the same call (same project id) answers again, copying nothing twice
  select * into v_prev from public.project_remixes r where r.project_id = v_new;
  if found then
    if v_prev.remixer <> v_uid then
      raise exception 'mashup not found or not open to remixes' using errcode = 'MS004';
    elsif v_prev.mashup_id is distinct from p_mashup then
      raise exception 'this project id is taken' using errcode = 'MS003';
    end if;
  else
    select p.owner_id into v_holder from public.projects p where p.id = v_new;
    if found then
      if v_holder is distinct from v_uid then
        raise exception 'mashup not found or not open to remixes' using errcode = 'MS004';
      end if;
      raise exception 'this project id is taken' using errcode = 'MS003';
    end if;
    begin
      -- projects_limit (private.enforce_project_limit) counts this against the caller's plan
      insert into public.projects (id, owner_id, title, bpm, musical_key, duration_s)
      values (v_new, v_uid, left(v_title, 192) || ' (remix)', v_row.bpm, v_row.musical_key, v_row.duration_s);
    exception when unique_violation then
      -- taken meanwhile by a concurrent call: the caller's own retry answers below, anybody else's is refused
      if not exists (select 1 from public.project_remixes r
                      where r.project_id = v_new and r.remixer = v_uid and r.mashup_id = p_mashup) then
        raise exception 'mashup not found or not open to remixes' using errcode = 'MS004';
      end if;
      v_prev.project_id := v_new;
    end;
    if v_prev.project_id is null then
      insert into public.project_entities (project_id, kind, entity_id, owner_id, fields, deleted, field_clock)
      select v_new, e.kind, e.entity_id, v_uid, e.fields, false, e.field_clock
        from public.project_entities e where e.project_id = v_src and not e.deleted;
      insert into public.project_remixes (project_id, mashup_id, parent_project, parent_owner, remixer, licence)
      values (v_new, p_mashup, v_src, v_owner, v_uid, v_licence);
      insert into private.remix_media_grants (project_id, grantee, owner_id, sha256)
      select distinct v_new, v_uid, pm.owner_id, pm.sha256 from public.project_media pm
       where pm.project_id = v_src and not pm.deleted and pm.sha256 is not null
      on conflict do nothing;
    end if;
  end if;
  select coalesce(jsonb_agg(jsonb_build_object('sha256', x.sha256, 'size_bytes', x.size_bytes)
                            order by x.sha256), '[]') into v_media
    from (select distinct on (pm.sha256) pm.sha256, pm.size_bytes from public.project_media pm
           where pm.project_id = v_src and not pm.deleted and pm.sha256 is not null
           order by pm.sha256, pm.size_bytes desc) x;
  return jsonb_build_object('project_id', v_new, 'mashup_id', p_mashup, 'source_owner', v_owner,
                            'licence', v_licence, 'title', v_title, 'media', v_media);
end
$$;

-- CREATE OR REPLACE keeps the grants of 20261130000500; stated again so this file reads whole
revoke all on function public.remix_mashup(uuid, uuid) from public, anon, authenticated;
grant execute on function public.remix_mashup(uuid, uuid) to authenticated;
