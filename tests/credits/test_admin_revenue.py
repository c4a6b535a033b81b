"""Issue 16: ``python -m backend.admin revenue add/list`` against a real
PostgreSQL 15 with the migrations: income is split by the mashup's active
split into the ledger in integer cents (no cent lost), the same reference is
recorded once, bad input is refused before anything is written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from backend import admin
from tests.cloud.conftest import Db, call_as

ROOT = Path(__file__).resolve().parents[2]


def run(db: Db, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    monkeypatch.setenv("DATABASE_URL", db.dsn)
    code = admin.main(list(args))
    out = capsys.readouterr()
    return code, (json.loads(out.out) if code == 0 else out.err)


def mashup_with_split(db: Db) -> tuple[str, str, str]:
    owner, singer = db.create_user(), db.create_user()
    with db.connect(autocommit=True) as conn:
        row = conn.execute("insert into public.mashups (owner_id, title) values (%s, 'Split me') returning id",
                           (owner,)).fetchone()
    assert row is not None
    mid = str(row["id"])
    (r,) = call_as(db, "authenticated", owner, "select public.split_new_version(%s) s", (mid,))
    split = str(r["s"])
    call_as(db, "authenticated", owner, "select public.split_set_recipients(%s, %s)", (split, json.dumps([
        {"account": owner, "role": "creator", "share_bps": 6667},
        {"account": singer, "role": "vocalist", "share_bps": 3333}])))
    call_as(db, "authenticated", owner, "select public.split_activate(%s)", (split,))
    return mid, owner, singer


def test_revenue_add_distributes_every_cent_once(db: Db, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    mid, owner, singer = mashup_with_split(db)
    code, out = run(db, monkeypatch, capsys, "revenue", "add", "--mashup", mid, "--amount", "10.01",
                    "--ref", "distrokid-2026-11-line-7", "--period", "2026-11")
    assert code == 0 and out["amount_cents"] == 1001 and out["period"] == "2026-11-01"
    parts = {(x["kind"], x["recipient"]): x["amount_cents"] for x in out["ledger"]}
    # free tier: 20 % platform fee (200.2 -> 200), then 66.67 / 33.33 % of 801 by largest remainder
    assert parts == {("platform_fee", None): 200, ("share", owner): 534, ("share", singer): 267}
    assert sum(parts.values()) == 1001
    # the same statement line again: recorded once
    code, again = run(db, monkeypatch, capsys, "revenue", "add", "--mashup", mid, "--amount", "10.01",
                      "--ref", "distrokid-2026-11-line-7", "--period", "2026-11")
    assert code == 0 and again["id"] == out["id"]
    code, listed = run(db, monkeypatch, capsys, "revenue", "list", "--mashup", mid)
    assert code == 0 and [e["amount_cents"] for e in listed["entries"]] == [1001]
    assert {t["recipient"]: t["amount_cents"] for t in listed["totals"]} == {"platform": 200, owner: 534, singer: 267}
    # the recipient sees it on their Splits page data
    (e,) = call_as(db, "authenticated", singer, "select public.my_earnings() e")
    assert e["e"]["earned_cents"] == 267


def test_bad_input_is_refused_and_writes_nothing(db: Db, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    mid, _, _ = mashup_with_split(db)
    with db.connect() as conn:
        before = conn.execute("select count(*) n from public.revenue_entries").fetchone()
    for amount in ("0", "-5", "1.005", "ten", "NaN", "200000000"):
        with pytest.raises(SystemExit):
            admin.parser().parse_args(["revenue", "add", "--mashup", mid, "--amount", amount, "--ref", "x"])
        assert "argument --amount" in capsys.readouterr().err
    for bad in (["--mashup", "not-an-id"], ["--ref", ""], ["--period", "2026-13"]):
        args = {"--mashup": mid, "--amount": "1", "--ref": "r1"}
        args.update(dict(zip(bad[::2], bad[1::2], strict=True)))
        with pytest.raises(SystemExit):
            admin.parser().parse_args(["revenue", "add", *[v for kv in args.items() for v in kv]])
        capsys.readouterr()
    # a mashup without an active split, and a reference reused for another amount: clear errors
    with db.connect(autocommit=True) as conn:
        row = conn.execute("insert into public.mashups (owner_id, title) values (%s, 'No split') returning id",
                           (db.create_user(),)).fetchone()
    assert row is not None
    code, err = run(db, monkeypatch, capsys, "revenue", "add", "--mashup", str(row["id"]), "--amount", "5",
                    "--ref", "r2")
    assert code == 1 and "no active split" in err
    code, _ = run(db, monkeypatch, capsys, "revenue", "add", "--mashup", mid, "--amount", "5", "--ref", "r3")
    assert code == 0
    with pytest.raises(SystemExit, match="already recorded for another amount"):
        run(db, monkeypatch, capsys, "revenue", "add", "--mashup", mid, "--amount", "6", "--ref", "r3")
    with db.connect() as conn:
        after = conn.execute("select count(*) n from public.revenue_entries").fetchone()
    assert before is not None and after is not None and after["n"] == before["n"] + 1


def test_the_command_runs_as_a_program(db: Db) -> None:
    mid, _, _ = mashup_with_split(db)
    p = subprocess.run([sys.executable, "-m", "backend.admin", "revenue", "add", "--mashup", mid, "--amount",
                        "1,000.00", "--ref", "subprocess-1"], cwd=ROOT, capture_output=True, text=True, timeout=60,
                       env={"DATABASE_URL": db.dsn, "PATH": "/usr/bin:/bin"})
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["amount_cents"] == 100_000
