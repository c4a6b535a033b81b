"""Issue 16: the studio's split client (sync.splits) through HTTP: the real
sync client against the test gateway over the real database."""

from __future__ import annotations

import pytest

from backend.devserver.gateway import Gateway
from sync import RpcError
from sync.splits import Recipient, SplitError, Splits, check_recipients, format_cents, gross_bps

from .conftest import Db
from .test_e2e_http import Factory, client, email  # noqa: F401 - fixtures

__all__ = ["client"]


def test_owner_sets_up_a_split_and_the_recipient_sees_earnings(gw: Gateway, client: Factory, db: Db) -> None:
    owner_c, rec_c = client(gw, "owner"), client(gw, "rec")
    owner = owner_c.auth.sign_up(email("owner"), "secret-pw")
    rec_mail = email("rec")
    with db.connect(autocommit=True) as conn:
        row = conn.execute("insert into public.mashups (owner_id, title) values (%s, 'Split me') returning id",
                           (owner,)).fetchone()
    assert row is not None
    mashup = str(row["id"])
    splits = Splits(owner_c.transport)
    split = splits.new_version(mashup)
    people = [Recipient("Me", "creator", 7000, account=owner), Recipient("Vox", "vocalist", 2000, email=rec_mail)]
    assert splits.set_recipients(split, people) == 9000
    with pytest.raises(SplitError, match="exactly 100 %"):
        check_recipients(people, activating=True)
    with pytest.raises(RpcError, match="must total exactly 100"):
        splits.activate(split)  # the server says the same
    people.append(Recipient("Pat", "producer", 1000, email="pat@example.test"))
    splits.set_recipients(split, people)
    fee = splits.activate(split)
    assert fee == 2000  # free tier's platform fee (tiers.json)
    with pytest.raises(RpcError, match="pause it and make a new version"):
        splits.set_recipients(split, people[:1])
    with db.connect(autocommit=True) as conn:
        conn.execute("set role service_role")
        conn.execute("select public.record_revenue(%s, 123457, 'admin', 'http-1', '2020-01-01')", (mashup,))
    rec_c.auth.sign_up(rec_mail, "secret-pw")
    recipient = Splits(rec_c.transport)
    assert recipient.claim() == 1
    e = recipient.earnings()
    (view,) = e.splits
    assert (view.title, view.status, view.fee_bps, view.owner) == ("Split me", "active", 2000, False)
    assert [r.role for r in view.recipients if r.me] == ["vocalist"]
    assert e.earned_cents == view.earned_cents == 19753  # 123457 * 0.8 * 0.2 = 19753.12 -> 19753
    assert e.payable_cents == e.earned_cents and e.held_cents == 0
    assert format_cents(e.earned_cents) == "$197.53" and gross_bps(2000, fee) == 1600.0
    owner_view = splits.earnings().splits[0]
    assert owner_view.owner and owner_view.total_bps == 10000
