"""Rules the schema must keep, checked on the migrated catalog."""

from __future__ import annotations

from .conftest import Db, migration_files


def test_every_security_definer_function_pins_search_path(db: Db) -> None:
    with db.connect() as conn:
        bad = conn.execute(
            "select n.nspname || '.' || p.proname f from pg_proc p join pg_namespace n on n.oid = p.pronamespace "
            "where n.nspname in ('public', 'private') and p.prosecdef "
            "and not exists (select 1 from unnest(coalesce(p.proconfig, '{}')) c where c like 'search_path=%%')"
        ).fetchall()
    assert bad == []


def test_what_anon_may_execute(db: Db) -> None:
    with db.connect() as conn:
        rows = conn.execute(
            "select p.proname f from pg_proc p join pg_namespace n on n.oid = p.pronamespace "
            "where n.nspname in ('public', 'private') and has_function_privilege('anon', p.oid, 'execute') "
            "order by 1").fetchall()
    assert {r["f"] for r in rows} <= {
        "battle_results", "leaderboard", "require_uid",
        # public browsing (issue 12 community pages, issue 16 remix packs): read-only, public rows only;
        # their abuse tests are in tests/cloud/abuse/test_community.py and tests/credits/
        "level_curve", "community_battles", "community_challenges", "trending", "list_packs",
        # comments of a visible mashup (issue 12; invisible ones answer like missing: tests/cloud/abuse/test_comments.py)
        "mashup_comments",
        # trigger functions (never callable directly: they return trigger)
        "touch_updated_at", "stamp_change", "mashup_guard", "lww"}


def test_authenticated_cannot_execute_private_writers(db: Db) -> None:
    writers = ["award_xp", "award_badge", "touch_streak", "consume_quota", "billing_apply_subscription",
               "billing_record_event", "billing_recompute_entitlement", "billing_remember_customer",
               "current_tier", "tier_limit"]
    with db.connect() as conn:
        rows = conn.execute(
            "select p.proname f from pg_proc p join pg_namespace n on n.oid = p.pronamespace "
            "where n.nspname = 'private' and p.proname = any(%s) "
            "and has_function_privilege('authenticated', p.oid, 'execute')", (writers,)).fetchall()
    assert rows == []


def test_views_are_security_invoker(db: Db) -> None:
    with db.connect() as conn:
        rows = conn.execute(
            "select c.relname v from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "where n.nspname = 'public' and c.relkind = 'v' "
            "and not coalesce('security_invoker=true' = any(c.reloptions), false)").fetchall()
    assert rows == []


def test_migrations_are_ordered_and_named_for_supabase_cli() -> None:
    names = [p.name for p in migration_files()]
    assert names == sorted(names) and len(names) >= 5
    assert all(n[:14].isdigit() and n[14] == "_" for n in names)
