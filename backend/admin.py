"""Platform staff's command for battles and challenges (issue 12).

    python -m backend.admin challenge open --title "Summer flip" --theme "80s" --ends +7d --prize-xp 200
    python -m backend.admin battle open --title "Friday face-off" --ends +2d [--challenge ID] [--a M --b M]
    python -m backend.admin battle end ID        # ends voting now, then closes what is due
    python -m backend.admin challenge end ID
    python -m backend.admin close                # what pg_cron runs every minute: private.close_due()
    python -m backend.admin list [--json]
    python -m backend.admin revenue add --mashup ID --amount 12.34 --ref STATEMENT-LINE [--period 2026-11]
    python -m backend.admin revenue list [--mashup ID] [--period 2026-11]

It connects with ``DATABASE_URL`` (service role or the database owner): staff
work bypasses the client RPCs on purpose; closing goes through the same
``private.close_due()`` that pg_cron runs, so results, XP and badges are
awarded once however often or concurrently it runs.

Revenue (issue 16): ``revenue add`` records income of a mashup (e.g. a
distributor's statement line) through ``public.record_revenue``, which splits
it by the mashup's active split into the ledger in integer cents (largest
remainder); ``--ref`` is the entry's idempotency key, so running the same
line twice records it once. Payouts (Stripe Connect) are the next step, see
backend/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import psycopg
from psycopg.rows import dict_row

_REL = re.compile(r"^\+(\d+)([mhdw])$")


def when(text: str, *, now: datetime | None = None) -> datetime:
    """``now``, ``+30m``/``+2h``/``+7d``/``+1w`` or an ISO 8601 time (UTC when it has no zone)."""
    base = now or datetime.now(UTC)
    if text == "now":
        return base
    m = _REL.match(text)
    if m:
        n, unit = int(m.group(1)), m.group(2)
        return base + {"m": timedelta(minutes=n), "h": timedelta(hours=n), "d": timedelta(days=n),
                       "w": timedelta(weeks=n)}[unit]
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a time: {text!r} (now, +2h, +7d or ISO 8601)") from None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def cents(text: str) -> int:
    """An amount in the currency's main unit (``12.34``, ``1,000.00``) as integer cents; at most 2 decimals."""
    try:
        d = Decimal(text.replace(",", "").strip())
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not an amount: {text!r} (e.g. 12.34)") from None
    if not d.is_finite() or d <= 0 or d != d.quantize(Decimal("0.01")):
        raise argparse.ArgumentTypeError(f"not an amount: {text!r} (more than 0, at most 2 decimals)")
    n = int(d * 100)
    if n > 10_000_000_000:
        raise argparse.ArgumentTypeError(f"{text} is more than one entry may hold (100,000,000.00)")
    return n


def ident(text: str) -> str:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an id: {text!r}") from None


def reference(text: str) -> str:
    text = text.strip()
    if not 1 <= len(text) <= 200:
        raise argparse.ArgumentTypeError("a reference is 1-200 characters")
    return text


def month(text: str) -> date:
    """``2026-11`` (or a date in that month) as the period's first day."""
    try:
        d = date.fromisoformat(text if len(text) > 7 else f"{text}-01")
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a month: {text!r} (YYYY-MM)") from None
    return d.replace(day=1)


def connect() -> psycopg.Connection[dict[str, Any]]:
    dsn = os.environ.get("DATABASE_URL")
    if not dsn:
        raise SystemExit("error: DATABASE_URL is not set (the service-role connection string)")
    return psycopg.connect(dsn, row_factory=dict_row, autocommit=True)


def _one(conn: psycopg.Connection[dict[str, Any]], q: str, *p: Any) -> dict[str, Any]:
    row = conn.execute(q, p).fetchone()
    if row is None:
        raise SystemExit("error: not found")
    return row


def close_due(conn: psycopg.Connection[dict[str, Any]]) -> dict[str, Any]:
    return dict(_one(conn, "select private.close_due() as r")["r"])


def cmd_challenge_open(conn: psycopg.Connection[dict[str, Any]], a: argparse.Namespace) -> dict[str, Any]:
    return _one(conn, "insert into public.challenges (title, theme, rules, prize_xp, starts_at, ends_at) "
                      "values (%s, %s, %s, %s, %s, %s) returning id, title, starts_at, ends_at, prize_xp",
                a.title, a.theme, a.rules, a.prize_xp, a.starts, a.ends)


def cmd_battle_open(conn: psycopg.Connection[dict[str, Any]], a: argparse.Namespace) -> dict[str, Any]:
    return _one(conn, "insert into public.battles (title, challenge_id, mashup_a, mashup_b, starts_at, ends_at) "
                      "values (%s, %s, %s, %s, %s, %s) returning id, title, starts_at, ends_at",
                a.title, a.challenge, a.a, a.b, a.starts, a.ends)


def _end(conn: psycopg.Connection[dict[str, Any]], table: str, ident: str) -> dict[str, Any]:
    with conn.transaction():
        row = conn.execute(f"update public.{table} set ends_at = least(ends_at, now()), "
                           "starts_at = least(starts_at, now() - interval '1 microsecond') "
                           "where id = %s returning id", (ident,)).fetchone()
    if row is None:
        raise SystemExit(f"error: no {table[:-1]} {ident}")
    return {"ended": ident, **close_due(conn)}


def cmd_list(conn: psycopg.Connection[dict[str, Any]], a: argparse.Namespace) -> dict[str, Any]:
    return {
        "battles": conn.execute("select b.id, b.title, b.starts_at, b.ends_at, b.mashup_a, b.mashup_b, "
                                "o.winner_mashup, o.votes_a, o.votes_b from public.battles b left join "
                                "public.battle_outcomes o on o.battle_id = b.id order by b.ends_at desc "
                                "limit 50").fetchall(),
        "challenges": conn.execute("select c.id, c.title, c.theme, c.ends_at, c.prize_xp, o.winner_mashup, "
                                   "o.entries from public.challenges c left join public.challenge_outcomes o "
                                   "on o.challenge_id = c.id order by c.ends_at desc limit 50").fetchall(),
    }


def cmd_revenue_add(conn: psycopg.Connection[dict[str, Any]], a: argparse.Namespace) -> dict[str, Any]:
    with conn.transaction():
        entry = _one(conn, "select public.record_revenue(%s, %s, 'admin', %s, %s) as id",
                     a.mashup, a.amount, a.ref, a.period)["id"]
        row = _one(conn, "select id, mashup_id, split_id, amount_cents, period, created_at "
                         "from public.revenue_entries where id = %s", entry)
    if row["amount_cents"] != a.amount or str(row["mashup_id"]) != a.mashup:
        raise SystemExit(f"error: reference {a.ref!r} was already recorded for another amount or mashup "
                         f"({row['amount_cents']} cents, mashup {row['mashup_id']}); nothing recorded")
    return {**row, "ledger": _ledger(conn, "l.entry_id = %s", entry)}


def _ledger(conn: psycopg.Connection[dict[str, Any]], where: str, *p: Any) -> list[dict[str, Any]]:
    return conn.execute("select l.kind, coalesce(l.recipient_id::text, l.recipient_email) recipient, r.role, "
                        "l.amount_cents, l.period from public.revenue_ledger l left join "
                        "public.revenue_split_recipients r on r.id = l.recipient_row "
                        f"where {where} order by l.kind, l.amount_cents desc, l.id", p).fetchall()


def cmd_revenue_list(conn: psycopg.Connection[dict[str, Any]], a: argparse.Namespace) -> dict[str, Any]:
    entries = conn.execute("select e.id, e.mashup_id, m.title, e.amount_cents, e.source, e.external_id, e.period "
                           "from public.revenue_entries e join public.mashups m on m.id = e.mashup_id "
                           "where (%(m)s::uuid is null or e.mashup_id = %(m)s::uuid) "
                           "and (%(p)s::date is null or e.period = %(p)s::date) "
                           "order by e.created_at desc limit 200", {"m": a.mashup, "p": a.period}).fetchall()
    ids = [e["id"] for e in entries]
    totals = conn.execute("select coalesce(l.recipient_id::text, l.recipient_email, 'platform') recipient, "
                          "sum(l.amount_cents)::bigint amount_cents from public.revenue_ledger l "
                          "where l.entry_id = any(%s) group by 1 order by 2 desc, 1", (ids,)).fetchall()
    return {"entries": entries, "totals": totals}


def _trending_rank(conn: psycopg.Connection[dict[str, Any]]) -> int:
    from backend.jobs.trending import rank  # groups sources by fingerprint first (the job's own step)

    return rank(conn)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m backend.admin", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="what", required=True)
    ch = sub.add_parser("challenge").add_subparsers(dest="action", required=True)
    co = ch.add_parser("open", help="create (schedule) a challenge")
    co.add_argument("--title", required=True)
    co.add_argument("--theme", default="")
    co.add_argument("--rules", default="")
    co.add_argument("--prize-xp", type=int, default=100)
    co.add_argument("--starts", type=when, default=when("now"))
    co.add_argument("--ends", type=when, required=True)
    co.set_defaults(func=cmd_challenge_open)
    ce = ch.add_parser("end", help="end a challenge now and close it")
    ce.add_argument("id")
    ce.set_defaults(func=lambda c, a: _end(c, "challenges", a.id))
    ba = sub.add_parser("battle").add_subparsers(dest="action", required=True)
    bo = ba.add_parser("open", help="create (schedule) a battle; creators fill the two slots")
    bo.add_argument("--title", required=True)
    bo.add_argument("--challenge", default=None)
    bo.add_argument("--a", default=None, help="seed slot A with a mashup id")
    bo.add_argument("--b", default=None, help="seed slot B with a mashup id")
    bo.add_argument("--starts", type=when, default=when("now"))
    bo.add_argument("--ends", type=when, required=True)
    bo.set_defaults(func=cmd_battle_open)
    be = ba.add_parser("end", help="end voting now and close the battle")
    be.add_argument("id")
    be.set_defaults(func=lambda c, a: _end(c, "battles", a.id))
    cl = sub.add_parser("close", help="close every battle and challenge that is due (what pg_cron runs)")
    cl.set_defaults(func=lambda c, a: close_due(c))
    tr = sub.add_parser("trending", help="recompute the trending sounds ranking now")
    tr.set_defaults(func=lambda c, a: {"sounds": _trending_rank(c)})
    ls = sub.add_parser("list", help="recent battles and challenges with their results")
    ls.set_defaults(func=cmd_list)
    rv = sub.add_parser("revenue", help="record a mashup's income (split into the ledger by its active split)"
                        ).add_subparsers(dest="action", required=True)
    ra = rv.add_parser("add", help="record one revenue entry and distribute it")
    ra.add_argument("--mashup", type=ident, required=True, help="the published mashup's id")
    ra.add_argument("--amount", type=cents, required=True, help="in the main unit, e.g. 12.34 (stored as cents)")
    ra.add_argument("--ref", type=reference, required=True, help="the income's reference (statement line): recorded once")
    ra.add_argument("--period", type=month, default=None, help="YYYY-MM (default: this month)")
    ra.set_defaults(func=cmd_revenue_add)
    rl = rv.add_parser("list", help="recent entries and each recipient's total")
    rl.add_argument("--mashup", type=ident, default=None)
    rl.add_argument("--period", type=month, default=None)
    rl.set_defaults(func=cmd_revenue_list)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        with connect() as conn:
            out = args.func(conn, args)
    except psycopg.Error as e:
        print(f"error: {e.diag.message_primary or e}", file=sys.stderr)
        return 1
    print(json.dumps(out, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
