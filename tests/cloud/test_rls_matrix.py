"""Row level security matrix: every table x select/insert/update/delete x
{anon, owner, other user, service role}.

Each case runs the statement exactly as PostgREST would (SET LOCAL ROLE +
request.jwt.claims). An allowed write must take effect (then it is rolled
back); a denied write must either raise or touch nothing, and in the second
case the transaction is *committed* and the table compared with its earlier
state, so "denied" is proven to change nothing.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.types.json import Jsonb

from .conftest import Db, act_as

ROLES = ("anon", "owner", "other", "service")
OPS = ("select", "insert", "update", "delete")

Ctx = dict[str, Any]


@dataclass
class Spec:
    table: str  # schema-qualified
    key: dict[str, str]  # column -> ctx name of the seeded row's key value
    insert: Callable[[Ctx, str], dict[str, Any]]  # (ctx, actor) -> row
    update: dict[str, Any]
    allowed: dict[str, set[str]]
    insert_prep: str | None = None  # run as superuser before the insert
    extra: dict[str, Any] = field(default_factory=dict)
    label: str = ""  # the test id when one table has several specs (default: the table)


def own(col: str, ctx: Ctx, actor: str, **row: Any) -> dict[str, Any]:
    """Row owned by the owner: the owner relies on the column default
    (auth.uid()); anyone else must name the owner explicitly (a forgery
    attempt for anon/other, normal for the service role)."""
    if actor != "owner":
        row[col] = ctx["owner"]
    return row


EVERYONE = {"anon", "owner", "other", "service"}
SIGNED_IN = {"owner", "other", "service"}
OWNER = {"owner", "service"}
SERVICE = {"service"}


def ro(select: set[str], write: set[str] = SERVICE) -> dict[str, set[str]]:
    return {"select": select, "insert": write, "update": write, "delete": write}


SPECS: list[Spec] = [
    Spec("public.tiers", {"tier": "tier"}, lambda c, a: {"tier": "gold", "rank": 9, "label": "G", "limits": Jsonb({})},
         {"label": "hacked"}, ro(EVERYONE)),
    Spec("public.profiles", {"id": "owner"}, lambda c, a: {"id": c["owner"]}, {"display_name": "changed"},
         {"select": EVERYONE, "insert": SERVICE, "update": OWNER, "delete": SERVICE},
         insert_prep="delete from public.profiles where id = '{owner}'"),
    Spec("public.subscriptions", {"id": "sub"},
         lambda c, a: {"id": "sub_new", "user_id": c["owner"], "stripe_customer_id": "cus_1", "status": "active",
                       "tier": "studio"},
         {"status": "canceled"}, ro(OWNER)),
    Spec("public.entitlements", {"user_id": "owner"},
         lambda c, a: {"user_id": c["owner"], "tier": "studio", "source": "grant"}, {"tier": "studio"}, ro(OWNER),
         insert_prep="delete from public.entitlements where user_id = '{owner}'"),
    Spec("public.usage_counters", {"user_id": "owner", "metric": "metric", "period_start": "period"},
         lambda c, a: {"user_id": c["owner"], "metric": "ai_jobs_per_month", "period_start": "2020-02-01", "used": 0},
         {"used": 0}, ro(OWNER)),
    Spec("public.projects", {"id": "project"},
         lambda c, a: own("owner_id", c, a, id=str(uuid.uuid4()), title="new"), {"title": "changed"},
         # written only through sync_push (private.apply_change runs as ms_sync): issue 10, class 3
         {"select": OWNER, "insert": SERVICE, "update": SERVICE, "delete": SERVICE}),
    Spec("public.project_media", {"id": "media"},
         lambda c, a: (own("owner_id", c, a, id=str(uuid.uuid4()), project_id=c["project"], name="n")
                       if a == "service" else {"id": str(uuid.uuid4()), "project_id": c["project"], "name": "n"}),
         {"name": "changed"}, {"select": OWNER, "insert": SERVICE, "update": SERVICE, "delete": SERVICE}),
    Spec("public.project_entities", {"project_id": "project", "kind": "ekind", "entity_id": "entity"},
         lambda c, a: own("owner_id", c, a, project_id=c["project"], kind="clip", entity_id="clip-new",
                          fields=Jsonb({"name": "n"})),
         {"field_clock": Jsonb({"name": "9999999999999-00000-forged"})}, ro(OWNER)),
    # issue 11: caption lines are entities of their own, under the same rules (read by the owner, written by sync only)
    Spec("public.project_entities", {"project_id": "project", "kind": "lkind", "entity_id": "line"},
         lambda c, a: own("owner_id", c, a, project_id=c["project"], kind="caption_line", entity_id="ln-new",
                          fields=Jsonb({"text": "forged"})),
         {"fields": Jsonb({"text": "changed"})}, ro(OWNER), label="public.project_entities.caption_line"),
    Spec("public.collaboration_sessions", {"id": "session"},
         lambda c, a: own("host_id", c, a, project_id=c["project"]) if a == "service" else {"project_id": c["project"]},
         {"status": "closed"}, ro(OWNER, OWNER)),
    Spec("public.collaboration_participants", {"session_id": "session", "user_id": "collaborator"},
         lambda c, a: {"session_id": c["session"], "user_id": c["spare"], "role": "viewer"},
         {"role": "editor"}, ro(OWNER, OWNER)),
    Spec("public.sync_receipts", {"user_id": "owner", "idempotency_key": "receipt"},
         lambda c, a: own("user_id", c, a, idempotency_key="key-new-0001", result=Jsonb({"status": "accepted"})),
         {"result": Jsonb({"status": "forged"})},
         # written only by sync_push (runs as ms_sync): issue 10, class 3
         {"select": OWNER, "insert": SERVICE, "update": SERVICE, "delete": SERVICE}),
    Spec("public.mashups", {"id": "mashup"},
         lambda c, a: own("owner_id", c, a, title="new mashup"), {"title": "changed"},
         {"select": EVERYONE, "insert": OWNER, "update": OWNER, "delete": OWNER}),
    Spec("public.challenges", {"id": "challenge"},
         lambda c, a: {"title": "c", "starts_at": "2020-01-01", "ends_at": "2030-01-01"}, {"title": "changed"},
         ro(EVERYONE)),
    Spec("public.challenge_entries", {"id": "entry"},
         lambda c, a: {"challenge_id": c["challenge2"], "user_id": c["owner"], "mashup_id": c["mashup"]},
         {"mashup_id": "{mashup2}"}, ro(EVERYONE)),
    Spec("public.battles", {"id": "battle"},
         lambda c, a: {"mashup_a": c["mashup"], "mashup_b": c["mashup2"], "starts_at": "2020-01-01",
                       "ends_at": "2030-01-01"}, {"ends_at": "2031-06-01"}, ro(EVERYONE)),
    Spec("public.battle_votes", {"battle_id": "battle", "voter_id": "owner"},
         lambda c, a: {"battle_id": c["battle2"], "voter_id": c["owner"], "choice": c["x_mashup"]},
         {"choice": "{x_mashup2}"}, ro(OWNER)),
    Spec("public.badges", {"code": "badge"}, lambda c, a: {"code": "forged", "name": "F"}, {"name": "changed"},
         ro(EVERYONE)),
    Spec("public.user_badges", {"user_id": "owner", "badge_code": "badge"},
         lambda c, a: {"user_id": c["owner"], "badge_code": "xp_1000"}, {"badge_code": "xp_1000"}, ro(EVERYONE)),
    Spec("public.xp_ledger", {"id": "xp"},
         lambda c, a: {"user_id": c["owner"], "amount": 1000, "reason": "forged", "source_key": "forged:1"},
         {"amount": 10000}, ro(OWNER)),
    Spec("public.streaks", {"user_id": "owner"},
         lambda c, a: {"user_id": c["owner"], "current_days": 365, "longest_days": 365},
         {"current_days": 365}, ro(OWNER),
         insert_prep="delete from public.streaks where user_id = '{owner}'"),
    Spec("public.analytics_events", {"id": "event"},
         lambda c, a: {"user_id": c["owner"], "client_event_id": str(uuid.uuid4()), "event_type": "play",
                       "mashup_id": c["mashup"], "occurred_at": "2026-01-01"},
         {"event_type": "like"}, ro(OWNER)),
    Spec("public.recommendation_events", {"id": "reco"},
         lambda c, a: own("user_id", c, a, mashup_id=c["mashup"], event_type="click"), {"event_type": "like"},
         {"select": OWNER, "insert": OWNER, "update": SERVICE, "delete": SERVICE}),
    Spec("public.captions", {"id": "caption"},
         lambda c, a: (own("owner_id", c, a, project_id=c["project"]) if a == "service"
                       else {"project_id": c["project"]}),
         {"language": "de"}, ro(OWNER, OWNER)),
    Spec("public.trending_sounds", {"id": "trend"},
         lambda c, a: {"title": "t", "window_start": "2026-01-01", "fingerprint": "fp-new"}, {"score": 99.0},
         ro(EVERYONE)),
    Spec("public.voice_rooms", {"id": "room"}, lambda c, a: own("host_id", c, a, title="room"), {"title": "changed"},
         {"select": SIGNED_IN, "insert": OWNER, "update": OWNER, "delete": OWNER}),
    Spec("public.ai_jobs", {"id": "job"},
         lambda c, a: {"user_id": c["owner"], "kind": "separate", "idempotency_key": "forged-key-1"},
         {"status": "running"}, ro(OWNER)),
    Spec("public.revenue_splits", {"id": "split"},
         lambda c, a: own("created_by", c, a, mashup_id=c["mashup2"]) if a == "service" else {"mashup_id": c["mashup2"]},
         # issue 16: mashup, version and owner are immutable even for the service (split_guard)
         {"paused_at": "2026-01-02"}, {"select": OWNER, "insert": OWNER, "update": SERVICE, "delete": OWNER}),
    Spec("public.revenue_split_recipients", {"id": "recipient"},
         lambda c, a: {"split_id": c["split"], "recipient_email": "x@example.test", "share_bps": 1000},
         {"share_bps": 2000}, ro(OWNER, OWNER)),
    # issue 16: revenue is written by the backend only; the split owner (and recipients, own rows) read it
    Spec("public.revenue_entries", {"id": "rev_entry"},
         lambda c, a: {"mashup_id": c["rev_mashup"], "split_id": c["live_split"], "amount_cents": 100, "source": "admin",
                       "external_id": f"matrix-{a}", "period": "2026-01-01"},
         {"amount_cents": 1}, ro(OWNER)),
    Spec("public.revenue_ledger", {"id": "ledger"},
         lambda c, a: {"entry_id": c["rev_entry"], "split_id": c["live_split"], "kind": "share", "amount_cents": 5,
                       "period": "2026-01-01"},
         {"amount_cents": 1}, ro(OWNER)),
    Spec("public.remix_packs", {"id": "pack"},  # issue 16: catalogue read by all, written by publish_pack only
         lambda c, a: {"id": str(uuid.uuid4()), "owner_id": c["owner"], "title": "p", "licence": "non-commercial",
                       "tempo": 100, "manifest": Jsonb({}), "storage_prefix": "x"},
         {"title": "changed"}, ro(EVERYONE)),
    # issue 16: remix lineage, written by remix_mashup only; the remixer and the remixed owner read it
    Spec("public.project_remixes", {"project_id": "remix_project"},
         lambda c, a: {"project_id": c["project"], "remixer": c["owner"], "licence": "non-commercial"},
         {"licence": "remix-with-credit"}, ro(OWNER)),
    Spec("public.mashup_likes", {"mashup_id": "x_mashup", "user_id": "owner"},
         lambda c, a: {"mashup_id": c["mashup"], "user_id": c["owner"]}, {"created_at": "2020-01-01"}, ro(OWNER)),
    # issue 12: community pages (server-written; read by everyone except sources of private mashups)
    Spec("public.level_curve", {"level": "level"}, lambda c, a: {"level": 150, "xp_required": 99999999},
         {"xp_required": 1}, ro(EVERYONE)),
    Spec("public.mashup_sources", {"mashup_id": "mashup", "position": "src_pos"},
         lambda c, a: {"mashup_id": c["mashup"], "position": 5, "title": "t", "sound_key": "ta:x|t"},
         {"title": "changed"}, ro(EVERYONE)),
    Spec("public.battle_outcomes", {"battle_id": "battle"},
         lambda c, a: {"battle_id": c["battle2"], "votes_a": 0, "votes_b": 0}, {"votes_a": 99}, ro(EVERYONE)),
    Spec("public.challenge_outcomes", {"challenge_id": "challenge"},
         lambda c, a: {"challenge_id": c["challenge2"]}, {"score": 99}, ro(EVERYONE)),
    Spec("public.external_trending", {"source": "ext_source", "rank": "ext_rank"},
         lambda c, a: {"source": "youtube", "rank": 2, "title": "t"}, {"title": "changed"}, ro(EVERYONE)),
    # issue 12: comments, written only by post_comment/delete_comment; read where the mashup is
    Spec("public.mashup_comments", {"id": "comment"},
         lambda c, a: {"mashup_id": c["mashup"], "author_id": c["owner"], "body": "forged"},
         {"body": "changed"}, ro(EVERYONE)),
    Spec("storage.objects", {"id": "object"},
         lambda c, a: own("owner", c, a, bucket_id="media", name=f"{c['owner']}/new.flac")
         if a == "service" else {"bucket_id": "media", "name": f"{c['owner']}/new.flac"},
         {"metadata": Jsonb({"size": 1})}, ro(OWNER, OWNER)),
]


def seed(db: Db) -> Ctx:
    owner = db.create_user("owner@example.test")
    other = db.create_user("other@example.test")
    collaborator = db.create_user("collab@example.test")
    spare = db.create_user("spare@example.test")
    ctx: Ctx = {"owner": owner, "other": other, "collaborator": collaborator, "spare": spare}
    with db.connect(autocommit=True) as conn:
        def one(q: str, *p: Any) -> Any:
            row = conn.execute(q, p).fetchone()
            assert row is not None
            return next(iter(row.values()))

        conn.execute("insert into public.tiers values ('seedtier', 5, 'Seed', '{}')")
        ctx["tier"] = "seedtier"
        conn.execute("insert into public.entitlements (user_id, tier, source) values (%s, 'pro', 'grant')", (owner,))
        conn.execute("insert into public.subscriptions (id, user_id, stripe_customer_id, status, tier) "
                     "values ('sub_seed', %s, 'cus_seed', 'active', 'pro')", (owner,))
        ctx["sub"] = "sub_seed"
        conn.execute("insert into public.usage_counters values (%s, 'ai_jobs_per_month', '2020-01-01', 1)", (owner,))
        ctx["metric"], ctx["period"] = "ai_jobs_per_month", "2020-01-01"
        ctx["project"] = one("insert into public.projects (id, owner_id, title) values (gen_random_uuid(), %s, 'p') "
                             "returning id", owner)
        ctx["media"] = one("insert into public.project_media (id, owner_id, project_id, name) "
                           "values (gen_random_uuid(), %s, %s, 'm') returning id", owner, ctx["project"])
        conn.execute("insert into public.project_entities (project_id, kind, entity_id, owner_id, fields) "
                     "values (%s, 'clip', 'clip-seed', %s, '{}')", (ctx["project"], owner))
        ctx["ekind"], ctx["entity"] = "clip", "clip-seed"
        conn.execute("insert into public.project_entities (project_id, kind, entity_id, owner_id, fields) "
                     "values (%s, 'caption_line', 'ln-seed', %s, '{\"text\": \"hey\"}')", (ctx["project"], owner))
        ctx["lkind"], ctx["line"] = "caption_line", "ln-seed"
        ctx["session"] = one("insert into public.collaboration_sessions (project_id, host_id) values (%s, %s) "
                             "returning id", ctx["project"], owner)
        conn.execute("insert into public.collaboration_participants (session_id, user_id, role) values (%s, %s, "
                     "'viewer')", (ctx["session"], collaborator))
        conn.execute("insert into public.sync_receipts (user_id, idempotency_key, result) values (%s, 'seed-key-1', "
                     "'{\"status\":\"accepted\"}')", (owner,))
        ctx["receipt"] = "seed-key-1"
        ctx["mashup"] = one("insert into public.mashups (owner_id, title) values (%s, 'm1') returning id", owner)
        ctx["mashup2"] = one("insert into public.mashups (owner_id, title) values (%s, 'm2') returning id", owner)
        ctx["x_mashup"] = one("insert into public.mashups (owner_id, title) values (%s, 'x1') returning id", other)
        ctx["x_mashup2"] = one("insert into public.mashups (owner_id, title) values (%s, 'x2') returning id", spare)
        ctx["challenge"] = one("insert into public.challenges (title, starts_at, ends_at) values ('c', now() - "
                               "interval '1 day', now() + interval '1 day') returning id")
        ctx["challenge2"] = one("insert into public.challenges (title, starts_at, ends_at) values ('c2', now() - "
                                "interval '1 day', now() + interval '1 day') returning id")
        ctx["entry"] = one("insert into public.challenge_entries (challenge_id, user_id, mashup_id) values "
                           "(%s, %s, %s) returning id", ctx["challenge"], owner, ctx["mashup"])
        ctx["battle"] = one("insert into public.battles (mashup_a, mashup_b, starts_at, ends_at) values (%s, %s, "
                            "now() - interval '1 day', now() + interval '1 day') returning id",
                            ctx["x_mashup"], ctx["x_mashup2"])
        ctx["battle2"] = one("insert into public.battles (mashup_a, mashup_b, starts_at, ends_at) values (%s, %s, "
                             "now() - interval '1 day', now() + interval '1 day') returning id",
                             ctx["x_mashup"], ctx["x_mashup2"])
        conn.execute("insert into public.battle_votes (battle_id, voter_id, choice) values (%s, %s, %s)",
                     (ctx["battle"], owner, ctx["x_mashup"]))
        ctx["badge"] = "first_vote"
        conn.execute("insert into public.user_badges (user_id, badge_code) values (%s, 'first_vote')", (owner,))
        ctx["xp"] = one("insert into public.xp_ledger (user_id, amount, reason, source_key) values (%s, 5, 'seed', "
                        "'seed:1') returning id", owner)
        conn.execute("insert into public.streaks (user_id, current_days, longest_days, last_day) values "
                     "(%s, 1, 1, current_date)", (owner,))
        ctx["event"] = one("insert into public.analytics_events (user_id, client_event_id, mashup_id, event_type, "
                           "occurred_at) values (%s, gen_random_uuid(), %s, 'play', now()) returning id",
                           owner, ctx["mashup"])
        ctx["reco"] = one("insert into public.recommendation_events (user_id, mashup_id, event_type) values "
                          "(%s, %s, 'impression') returning id", owner, ctx["mashup"])
        ctx["caption"] = one("insert into public.captions (owner_id, project_id) values (%s, %s) returning id",
                             owner, ctx["project"])
        ctx["trend"] = one("insert into public.trending_sounds (title, window_start, fingerprint) values "
                           "('t', '2026-01-01', 'fp-seed') returning id")
        ctx["room"] = one("insert into public.voice_rooms (host_id, title) values (%s, 'r') returning id", owner)
        ctx["job"] = one("insert into public.ai_jobs (user_id, kind, idempotency_key) values (%s, 'separate', "
                         "'seed-job-1') returning id", owner)
        ctx["split"] = one("insert into public.revenue_splits (mashup_id, created_by) values (%s, %s) returning id",
                           ctx["mashup"], owner)
        ctx["recipient"] = one("insert into public.revenue_split_recipients (split_id, recipient_email, share_bps) "
                               "values (%s, 'r@example.test', 5000) returning id", ctx["split"])
        # a mashup that earned revenue cannot be deleted (the ledger keeps it): its own row here
        ctx["rev_mashup"] = one("insert into public.mashups (owner_id, title) values (%s, 'earning') returning id",
                                owner)
        ctx["live_split"] = one("insert into public.revenue_splits (mashup_id, created_by) values "
                                "(%s, %s) returning id", ctx["rev_mashup"], owner)
        conn.execute("insert into public.revenue_split_recipients (split_id, recipient_id, share_bps) values "
                     "(%s, %s, 10000)", (ctx["live_split"], owner))
        conn.execute("update public.revenue_splits set status = 'active', fee_bps = 1000 where id = %s",
                     (ctx["live_split"],))
        ctx["rev_entry"] = one("insert into public.revenue_entries (mashup_id, split_id, amount_cents, source, "
                               "external_id, period) values (%s, %s, 100, 'admin', 'seed', '2026-01-01') returning id",
                               ctx["rev_mashup"], ctx["live_split"])
        ctx["ledger"] = one("insert into public.revenue_ledger (entry_id, split_id, kind, amount_cents, period) "
                            "values (%s, %s, 'platform_fee', 10, '2026-01-01') returning id",
                            ctx["rev_entry"], ctx["live_split"])
        ctx["pack"] = one("insert into public.remix_packs (id, owner_id, title, licence, tempo, manifest, "
                          "storage_prefix) values (gen_random_uuid(), %s, 'pack', 'remix-with-credit', 120, '{}', "
                          "'p') returning id", owner)
        ctx["remix_project"] = one("insert into public.projects (id, owner_id, title) values (gen_random_uuid(), %s, "
                                   "'remix') returning id", owner)
        conn.execute("insert into public.project_remixes (project_id, mashup_id, parent_owner, remixer, licence) "
                     "values (%s, %s, %s, %s, 'remix-with-credit')", (ctx["remix_project"], ctx["x_mashup2"], spare, owner))
        conn.execute("insert into public.mashup_likes (mashup_id, user_id) values (%s, %s)",
                     (ctx["x_mashup"], owner))
        ctx["level"] = "1"
        conn.execute("insert into public.mashup_sources (mashup_id, position, title, sound_key) "
                     "values (%s, 0, 's', 'ta:|s')", (ctx["mashup"],))
        ctx["src_pos"] = "0"
        conn.execute("insert into public.battle_outcomes (battle_id, winner_mashup, winner_id, votes_a, votes_b) "
                     "values (%s, %s, %s, 1, 0)", (ctx["battle"], ctx["x_mashup"], other))
        conn.execute("insert into public.challenge_outcomes (challenge_id, winner_mashup, winner_id, entries) "
                     "values (%s, %s, %s, 1)", (ctx["challenge"], ctx["mashup"], owner))
        conn.execute("insert into public.external_trending (source, rank, title) values ('spotify', 1, 'x')")
        ctx["ext_source"], ctx["ext_rank"] = "spotify", "1"
        ctx["comment"] = one("insert into public.mashup_comments (mashup_id, author_id, body) values (%s, %s, 'hi') "
                             "returning id", ctx["mashup"], other)
        ctx["object"] = one("insert into storage.objects (bucket_id, name, owner) values ('media', %s, %s) "
                            "returning id", f"{owner}/seed.flac", owner)
    return {k: str(v) for k, v in ctx.items()}


@pytest.fixture(scope="module")
def ctx(db: Db) -> Ctx:
    return seed(db)


@pytest.fixture(scope="module")
def conns(db: Db) -> Any:
    """Two long-lived connections: one acts (a transaction per case), one observes."""
    actor, observer = db.connect(), db.connect(autocommit=True)
    yield actor, observer
    actor.close()
    observer.close()


def snapshot(conn: psycopg.Connection[Any], table: str) -> str:
    rows = conn.execute(sql.SQL("select to_jsonb(t) as j from {} t").format(sql.SQL(table))).fetchall()
    return hashlib.sha256(json.dumps(sorted(json.dumps(r["j"], sort_keys=True) for r in rows)).encode()).hexdigest()


def become(conn: psycopg.Connection[Any], actor: str, ctx: Ctx) -> None:
    if actor == "anon":
        act_as(conn, "anon", None)
    elif actor == "service":
        act_as(conn, "service_role", None)
    else:
        act_as(conn, "authenticated", ctx[actor])


def where(spec: Spec, ctx: Ctx) -> tuple[sql.Composable, list[Any]]:
    parts = [sql.SQL("{} = %s").format(sql.Identifier(col)) for col in spec.key]
    return sql.SQL(" and ").join(parts), [ctx[name] for name in spec.key.values()]


def fill(value: Any, ctx: Ctx) -> Any:
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ctx[value[1:-1]]
    return value


CASES = [(spec, op, actor) for spec in SPECS for op in OPS for actor in ROLES]


@pytest.mark.parametrize(
    ("spec", "op", "actor"), CASES, ids=[f"{s.label or s.table}-{o}-{a}" for s, o, a in CASES]
)
def test_rls_matrix(conns: Any, ctx: Ctx, spec: Spec, op: str, actor: str) -> None:
    conn, observer = conns
    expected = actor in spec.allowed[op]
    table = sql.SQL(spec.table)
    cond, params = where(spec, ctx)
    before = snapshot(observer, spec.table) if not expected else ""
    tx = conn.transaction()
    tx.__enter__()
    error: Exception | None = None
    affected = 0
    try:
        if op == "insert" and spec.insert_prep:
            conn.execute(spec.insert_prep.format(**ctx))
        become(conn, actor, ctx)
        if op == "select":
            cur = conn.execute(sql.SQL("select count(*) as n from {} where ").format(table) + cond, params)
            row = cur.fetchone()
            affected = row["n"] if row else 0
        elif op == "insert":
            values = spec.insert(ctx, actor)
            q = sql.SQL("insert into {} ({}) values ({})").format(
                table, sql.SQL(", ").join(map(sql.Identifier, values)),
                sql.SQL(", ").join(sql.Placeholder() * len(values)))
            affected = conn.execute(q, list(values.values())).rowcount
        elif op == "update":
            sets = {k: fill(v, ctx) for k, v in spec.update.items()}
            q = sql.SQL("update {} set {} where ").format(
                table, sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(k)) for k in sets)) + cond
            affected = conn.execute(q, [*sets.values(), *params]).rowcount
        else:
            affected = conn.execute(sql.SQL("delete from {} where ").format(table) + cond, params).rowcount
    except psycopg.Error as exc:
        error = exc
    if expected:
        try:
            assert error is None, f"{actor} {op} on {spec.table} should be allowed: {error}"
            assert affected == 1, f"{actor} {op} on {spec.table} should reach the row (got {affected})"
        finally:
            tx.__exit__(psycopg.Rollback, psycopg.Rollback(), None)
    else:
        if error is None:
            # commit whatever the statement did, then prove it did nothing
            tx.__exit__(None, None, None)
            assert affected == 0, f"{actor} {op} on {spec.table} should be denied (affected {affected})"
        else:
            tx.__exit__(type(error), error, None)
    if not expected:
        assert snapshot(observer, spec.table) == before, f"denied {op} by {actor} changed {spec.table}"


def test_matrix_covers_every_public_table(db: Db) -> None:
    with db.connect() as conn:
        tables = {r["t"] for r in conn.execute(
            "select schemaname || '.' || tablename as t from pg_tables where schemaname = 'public'")}
        no_rls = {r["t"] for r in conn.execute(
            "select n.nspname || '.' || c.relname as t from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "where n.nspname = 'public' and c.relkind = 'r' and not c.relrowsecurity")}
    assert no_rls == set()
    assert tables <= {s.table for s in SPECS}
