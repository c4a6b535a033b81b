"""Issue 16: revenue splits and the revenue ledger on a real PostgreSQL 15.

Draft -> active -> paused with new versions; shares total exactly 100 % of
the net after the tier's platform fee; concurrent edits cannot pass 100 %;
active splits are immutable; revenue is distributed in integer cents by
largest remainder (hypothesis: the parts always sum to the entry and none is
negative); the minimum payout is held over; recipients read what pays them."""

from __future__ import annotations

import json
from datetime import date

import psycopg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.tiers import load_tiers

from .conftest import N_CONCURRENT, Cast, Db, attempt, race, rpc, scalar, sql_as, unexpected


def new_split(cast: Cast, recipients: list[dict[str, object]], mashup: str | None = None) -> str:
    split = str(rpc(cast.db, cast.owner, "split_new_version", mashup or cast.public_mashup))
    rpc(cast.db, cast.owner, "split_set_recipients", split, json.dumps(recipients))
    return split


def test_platform_fees_in_the_database_are_the_tier_data(adb: Db) -> None:
    want = {name: t["platform_fee_bps"] for name, t in load_tiers()["tiers"].items()}
    with adb.connect() as conn:
        got = {r["tier"]: r["platform_fee_bps"] for r in conn.execute("select tier, platform_fee_bps from public.tiers")}
    assert got == want


def test_draft_activate_pause_new_version(cast: Cast) -> None:
    db = cast.db
    split = new_split(cast, [{"account": cast.owner, "role": "creator", "share_bps": 6000},
                             {"account": cast.editor, "role": "vocalist", "share_bps": 3000}])
    e = attempt(lambda: rpc(db, cast.owner, "split_activate", split))
    assert isinstance(e, psycopg.Error) and e.sqlstate == "MS003" and "total 90.00 %" in str(e)
    rpc(db, cast.owner, "split_set_recipients", split, json.dumps([
        {"account": cast.owner, "role": "creator", "share_bps": 6000},
        {"account": cast.editor, "role": "vocalist", "share_bps": 3000},
        {"name": "Writer W", "email": "W@Example.test", "role": "writer", "share_bps": 1000}]))
    done = rpc(db, cast.owner, "split_activate", split)
    assert done["fee_bps"] == load_tiers()["tiers"]["pro"]["platform_fee_bps"]  # the owner's tier (pro)
    # Active: frozen, for the RPC and for direct writes alike.
    for attack in (
        lambda: rpc(db, cast.owner, "split_set_recipients", split, json.dumps([{"account": cast.owner, "share_bps": 10000}])),
        lambda: sql_as(db, "authenticated", cast.owner, "update public.revenue_split_recipients set share_bps = 1 "
                       "where split_id = %s", split),
        lambda: sql_as(db, "authenticated", cast.owner, "delete from public.revenue_split_recipients where split_id = %s",
                       split),
        lambda: sql_as(db, "service_role", None, "update public.revenue_splits set fee_bps = 0 where id = %s", split),
        lambda: sql_as(db, "service_role", None, "update public.revenue_splits set status = 'draft' where id = %s", split),
    ):
        r = attempt(attack)
        assert isinstance(r, psycopg.Error) and r.sqlstate == "MS003", r
    assert sql_as(db, "authenticated", cast.owner, "delete from public.revenue_splits where id = %s returning id",
                  split) == []
    assert scalar(db, "select sum(share_bps) from public.revenue_split_recipients where split_id = %s", split) == 10000
    # A second version cannot go live beside the active one; pausing frees the way.
    v2 = str(rpc(db, cast.owner, "split_new_version", cast.public_mashup))
    assert v2 != split and scalar(db, "select version from public.revenue_splits where id = %s", v2) == 2
    assert scalar(db, "select count(*) from public.revenue_split_recipients where split_id = %s", v2) == 3  # copied
    assert str(rpc(db, cast.owner, "split_new_version", cast.public_mashup)) == v2  # the draft, not a third
    e = attempt(lambda: rpc(db, cast.owner, "split_activate", v2))
    assert isinstance(e, psycopg.Error) and "pause it first" in str(e)
    rpc(db, cast.owner, "split_pause", split)
    rpc(db, cast.owner, "split_activate", v2)
    assert scalar(db, "select status from public.revenue_splits where id = %s", split) == "paused"


def test_strangers_cannot_touch_a_split_and_bad_recipients_are_refused(cast: Cast) -> None:
    db = cast.db
    split = new_split(cast, [{"account": cast.owner, "share_bps": 10000}])
    for fn, args in (("split_activate", (split,)), ("split_pause", (split,)),
                     ("split_set_recipients", (split, "[]")), ("split_new_version", (cast.public_mashup,))):
        r = attempt(lambda fn=fn, args=args: rpc(db, cast.stranger, fn, *args))  # type: ignore[misc]
        assert isinstance(r, psycopg.Error) and r.sqlstate == "MS004", (fn, r)
    for bad in ([{"share_bps": 100}], [{"account": "not-a-uuid", "share_bps": 100}],
                [{"account": "00000000-0000-0000-0000-000000000000", "share_bps": 100}],
                [{"email": "a@b.test", "share_bps": 0}], [{"email": "a@b.test", "share_bps": 12.5}],
                [{"email": "a@b.test", "share_bps": 6000}, {"email": "c@b.test", "share_bps": 6000}],
                [{"email": "a@b.test", "share_bps": 100, "role": "boss"}], "{}"):
        r = attempt(lambda bad=bad: rpc(db, cast.owner, "split_set_recipients", split,  # type: ignore[misc]
                                        bad if isinstance(bad, str) else json.dumps(bad)))
        assert isinstance(r, psycopg.Error), bad
    # every refusal rolled back whole: the earlier recipients are intact
    assert scalar(db, "select count(*) from public.revenue_split_recipients where split_id = %s", split) == 1
    r = attempt(lambda: rpc(db, cast.owner, "record_revenue", cast.public_mashup, 100, "admin", "x", None))
    assert isinstance(r, psycopg.Error) and r.sqlstate == "42501"  # revenue is written by the backend only


def test_concurrent_split_edits_cannot_exceed_100_percent(cast: Cast) -> None:
    db = cast.db
    split = new_split(cast, [])
    # 24 editors each set a different full list whose own total is <= 100 %; and
    # 24 direct single-row inserts race them. The total never passes 100 %.
    calls = []
    for i in range(N_CONCURRENT):
        lst = [{"email": f"r{i}-{k}@example.test", "share_bps": 2500 + i * 10} for k in range(3)]
        calls.append(("authenticated", cast.owner, "select public.split_set_recipients(%s, %s)", (split, json.dumps(lst))))
        calls.append(("authenticated", cast.owner, "insert into public.revenue_split_recipients "
                      "(split_id, recipient_email, share_bps) values (%s, %s, 2000)", (split, f"d{i}@example.test")))
    results = race(db, calls)
    assert unexpected(results, "MS003") == []
    total = scalar(db, "select coalesce(sum(share_bps), 0) from public.revenue_split_recipients where split_id = %s",
                   split)
    assert 0 < total <= 10000


def test_activation_racing_edits_never_activates_a_wrong_total(cast: Cast) -> None:
    db = cast.db
    split = new_split(cast, [{"email": "a@example.test", "share_bps": 5000}, {"email": "b@example.test", "share_bps": 5000}])
    calls = [("authenticated", cast.owner, "select public.split_activate(%s)", (split,)) for _ in range(4)]
    calls += [("authenticated", cast.owner, "insert into public.revenue_split_recipients (split_id, recipient_email, "
               "share_bps) values (%s, %s, 1)", (split, f"late{i}@example.test")) for i in range(N_CONCURRENT - 4)]
    calls += [("authenticated", cast.owner, "delete from public.revenue_split_recipients where split_id = %s and "
               "recipient_email = 'b@example.test'", (split,))]
    results = race(db, calls)
    assert unexpected(results, "MS003") == []
    status = scalar(db, "select status from public.revenue_splits where id = %s", split)
    total = scalar(db, "select sum(share_bps) from public.revenue_split_recipients where split_id = %s", split)
    if status == "active":
        assert total == 10000  # activated exactly at 100 % and frozen since
    else:
        assert status == "draft" and total != 10000


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amount=st.integers(0, 10_000_000_000), fee=st.integers(0, 10000),
       weights=st.lists(st.integers(1, 1000), min_size=1, max_size=12))
def test_split_arithmetic_properties(adb: Db, amount: int, fee: int, weights: list[int]) -> None:
    # shares in basis points summing to exactly 10000
    shares = [w * 10000 // sum(weights) for w in weights]
    shares[0] += 10000 - sum(shares)
    if shares[0] <= 0:
        return
    with adb.connect() as conn:
        row = conn.execute("select private.split_amounts(%s, %s, %s) as p", (amount, fee, shares)).fetchone()
    assert row is not None
    parts = row["p"]
    assert sum(parts) == amount and min(parts) >= 0 and len(parts) == len(shares) + 1
    exact = [amount * fee / 10000] + [amount * (10000 - fee) * s / 1e8 for s in shares]
    assert all(abs(p - x) < 1.0 + 1e-6 * amount for p, x in zip(parts, exact, strict=True))  # off by < 1 cent


def test_revenue_is_distributed_into_the_ledger_and_held_under_the_minimum(cast: Cast) -> None:
    db = cast.db
    split = new_split(cast, [{"account": cast.owner, "role": "creator", "share_bps": 3334},
                             {"account": cast.editor, "role": "producer", "share_bps": 3333},
                             {"name": "Invited", "email": "later@example.test", "role": "writer", "share_bps": 3333}])
    rpc(db, cast.owner, "split_activate", split)
    fee = load_tiers()["tiers"]["pro"]["platform_fee_bps"]
    last_month = date(2020, 1, 1)
    e1 = rpc(db, None, "record_revenue", cast.public_mashup, 1001, "billing", "in_1", last_month, role="service_role")
    assert rpc(db, None, "record_revenue", cast.public_mashup, 1001, "billing", "in_1", last_month,
               role="service_role") == e1  # idempotent retry
    rows = sql_as(db, "service_role", None, "select kind, recipient_id, amount_cents from public.revenue_ledger "
                  "where entry_id = %s order by id", e1)
    amounts = [r["amount_cents"] for r in rows]
    assert sum(amounts) == 1001 and len(rows) == 4
    assert amounts[0] == round(1001 * fee / 10000)  # the platform fee
    # Recipients see their own ledger rows; the owner sees the split's; a stranger nothing.
    mine = sql_as(db, "authenticated", cast.editor, "select amount_cents from public.revenue_ledger")
    assert len(mine) == 1
    assert len(sql_as(db, "authenticated", cast.owner, "select id from public.revenue_ledger")) == 4
    assert sql_as(db, "authenticated", cast.stranger, "select id from public.revenue_ledger") == []
    # ~3 dollars earned by the editor in a closed period: under the 10-dollar minimum, held over.
    earn = rpc(db, cast.editor, "my_earnings")
    assert earn["earned_cents"] == mine[0]["amount_cents"] and earn["payable_cents"] == 0
    assert earn["held_cents"] == earn["earned_cents"] and earn["min_payout_cents"] == 1000
    (s,) = earn["splits"]
    assert s["status"] == "active" and not s["owner"] and [r["role"] for r in s["recipients"] if r["me"]] == ["producer"]
    assert all(r["email"] is None for r in s["recipients"])  # others' e-mails stay private
    rpc(db, None, "record_revenue", cast.public_mashup, 500_000, "admin", "adj-1", last_month, role="service_role")
    earn = rpc(db, cast.editor, "my_earnings")
    assert earn["payable_cents"] == earn["earned_cents"] > 1000 and earn["held_cents"] == 0
    # The invited e-mail claims its share after signing up with it (confirmed).
    later = db.create_user("later@example.test")
    assert rpc(db, later, "split_claim") == 1
    assert rpc(db, later, "my_earnings")["splits"][0]["split"] == split
    assert scalar(db, "select sum(amount_cents) from public.revenue_ledger where split_id = %s", split) == 501001


def test_recipient_reads_the_versioned_split_that_pays_them(cast: Cast) -> None:
    db = cast.db
    split = new_split(cast, [{"account": cast.owner, "share_bps": 5000}, {"account": cast.viewer, "share_bps": 5000}])
    rpc(db, cast.owner, "split_activate", split)
    seen = sql_as(db, "authenticated", cast.viewer, "select id, status from public.revenue_splits")
    assert [(str(r["id"]), r["status"]) for r in seen] == [(split, "active")]
    # Their own recipient row directly; the whole split (roles and shares, no
    # one else's e-mail) through my_earnings.
    assert len(sql_as(db, "authenticated", cast.viewer, "select id from public.revenue_split_recipients")) == 1
    (s,) = rpc(db, cast.viewer, "my_earnings")["splits"]
    assert sorted(r["share_bps"] for r in s["recipients"]) == [5000, 5000]
    assert sql_as(db, "authenticated", cast.stranger, "select id from public.revenue_splits") == []
