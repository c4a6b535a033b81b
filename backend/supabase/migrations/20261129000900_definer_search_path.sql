-- Issue 10, class 7: defence in depth for SECURITY DEFINER functions.
--
-- search_path = '' still lets the session's temporary schema (pg_temp, which
-- any client may create objects in) be searched first for relations and
-- types. Every definer function is pinned to pg_catalog, pg_temp: system
-- objects first, the temporary schema last, nothing else (bodies qualify
-- every object by schema). tests/cloud/abuse/test_definer_catalog.py walks
-- pg_proc, so a definer function added by a later migration without this
-- setting fails the suite. (Schemas auth, storage, extensions belong to
-- Supabase and are not altered here.)

do $$
declare
  f record;
begin
  for f in select p.oid::regprocedure as sig
             from pg_proc p join pg_namespace n on n.oid = p.pronamespace
            where p.prosecdef and n.nspname in ('public', 'private')
  loop
    execute format('alter function %s set search_path = pg_catalog, pg_temp', f.sig);
  end loop;
end
$$;
