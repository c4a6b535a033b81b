"""Class 7: every SECURITY DEFINER function, now and in later migrations, runs
with search_path pinned to pg_catalog, pg_temp (the temporary schema last)."""

from __future__ import annotations

from .conftest import Db

SUPABASE_SCHEMAS = ("pg_catalog", "information_schema", "auth", "storage", "extensions")


def test_every_security_definer_function_pins_search_path_temp_last(adb: Db) -> None:
    with adb.connect() as conn:
        rows = conn.execute(
            "select p.oid::regprocedure::text f, coalesce(p.proconfig, '{}') cfg "
            "from pg_proc p join pg_namespace n on n.oid = p.pronamespace "
            "where p.prosecdef and not (n.nspname = any (%s)) and n.nspname !~ '^pg_'",
            (list(SUPABASE_SCHEMAS),)).fetchall()
    assert len(rows) > 20, "the catalog query found too few definer functions"
    bad = []
    for r in rows:
        paths = [c.split("=", 1)[1] for c in r["cfg"] if c.startswith("search_path=")]
        if [p.strip().strip('"') for p in (paths[0].split(",") if paths else [])] != ["pg_catalog", "pg_temp"]:
            bad.append((r["f"], paths))
    assert bad == []


def test_clients_cannot_create_functions_or_tables_in_exposed_schemas(adb: Db) -> None:
    with adb.connect() as conn:
        rows = conn.execute(
            "select r.rolname, n.nspname from pg_roles r cross join pg_namespace n "
            "where r.rolname in ('anon', 'authenticated') and n.nspname in ('public', 'private') "
            "and has_schema_privilege(r.oid, n.oid, 'create')").fetchall()
    assert rows == []
