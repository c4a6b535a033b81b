"""Platform staff's command for battles and challenges (issue 12).

    python -m backend.admin challenge open --title "Summer flip" --theme "80s" --ends +7d --prize-xp 200
    python -m backend.admin battle open --title "Friday face-off" --ends +2d [--challenge ID] [--a M --b M]
    python -m backend.admin battle end ID        # ends voting now, then closes what is due
    python -m backend.admin challenge end ID
    python -m backend.admin close                # what pg_cron runs every minute: private.close_due()
    python -m backend.admin list [--json]

It connects with ``DATABASE_URL`` (service role or the database owner): staff
work bypasses the client RPCs on purpose; closing goes through the same
``private.close_due()`` that pg_cron runs, so results, XP and badges are
awarded once however often or concurrently it runs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
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
    tr.set_defaults(func=lambda c, a: {"sounds": _one(c, "select private.compute_trending() as n")["n"]})
    ls = sub.add_parser("list", help="recent battles and challenges with their results")
    ls.set_defaults(func=cmd_list)
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
