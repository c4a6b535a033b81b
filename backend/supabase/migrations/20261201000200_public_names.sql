-- A person's public name on the community pages (QA finding 8): the display
-- name, else the username. The pages got coalesce(display_name, username),
-- but display_name is never null (it defaults to ''), so an account with a
-- username and no display name came out nameless and the studio wrote
-- "someone" even under your own entry. One definition, used by a mashup's
-- "owner" (battle and challenge entries, My mashups) and a comment's "author";
-- "" still means no public name (the studio then says "creator", or "you" for
-- your own). Wrapped like remix_this wrapped mashup_json: nothing else changes.
create function private.public_name(p_user uuid) returns text
language sql stable security definer set search_path = pg_catalog, pg_temp as $$
  select coalesce((select coalesce(nullif(btrim(p.display_name), ''), p.username)
                     from public.profiles p where p.id = p_user), '')
$$;

alter function private.mashup_json(uuid) rename to mashup_json_before_names;

create function private.mashup_json(p_mashup uuid) returns jsonb
language sql stable security definer set search_path = pg_catalog, pg_temp as $$
  select j || jsonb_build_object('owner', private.public_name((j ->> 'owner_id')::uuid))
    from private.mashup_json_before_names(p_mashup) j
$$;

alter function private.comment_json(public.mashup_comments) rename to comment_json_before_names;

create function private.comment_json(c public.mashup_comments) returns jsonb
language sql stable security definer set search_path = pg_catalog, pg_temp as $$
  select private.comment_json_before_names(c) || jsonb_build_object('author', private.public_name(c.author_id))
$$;

-- the same privileges as before: only the definer functions that build the pages call them
revoke all on function private.public_name(uuid), private.mashup_json(uuid),
  private.mashup_json_before_names(uuid), private.comment_json(public.mashup_comments),
  private.comment_json_before_names(public.mashup_comments) from public, anon, authenticated;
