"""Revenue splits, client side (Qt-free): the signed-in user's splits and
earnings, and the owner's draft -> active -> paused workflow.

Everything is decided by the server (SECURITY DEFINER RPCs of migration
``20261129005100_revenue_splits.sql``): shares are basis points of the net
after the platform fee of the owner's tier and must total exactly 100 % to
activate; an active split is frozen (pause it and make a new version);
revenue is distributed in integer cents. :func:`check_recipients` only gives
the same answers earlier, before a round trip. Payouts themselves (Stripe
Connect) are not implemented yet: earnings are shown as payable or held.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import SyncError
from .transport import Transport

ROLES: tuple[str, ...] = ("creator", "vocalist", "producer", "writer", "other")
FULL_BPS = 10000
MAX_RECIPIENTS = 50


class SplitError(SyncError):
    """A split that the server would refuse (explained before asking it)."""


@dataclass(frozen=True)
class Recipient:
    name: str
    role: str
    share_bps: int
    account: str | None = None
    email: str | None = None
    me: bool = False

    def to_rpc(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name, "role": self.role, "share_bps": self.share_bps}
        if self.account:
            d["account"] = self.account
        if self.email:
            d["email"] = self.email
        return d

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Recipient:
        return cls(name=str(d.get("name") or ""), role=str(d.get("role") or "other"),
                   share_bps=int(d.get("share_bps") or 0), account=d.get("account"), email=d.get("email"),
                   me=bool(d.get("me")))


@dataclass(frozen=True)
class SplitView:
    split: str
    mashup: str
    title: str
    version: int
    status: str
    fee_bps: int | None
    owner: bool
    recipients: tuple[Recipient, ...]
    earned_cents: int

    @property
    def total_bps(self) -> int:
        return sum(r.share_bps for r in self.recipients)


@dataclass(frozen=True)
class Earnings:
    earned_cents: int
    payable_cents: int
    held_cents: int
    min_payout_cents: int
    splits: tuple[SplitView, ...]

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Earnings:
        splits = tuple(
            SplitView(split=str(s["split"]), mashup=str(s["mashup"]), title=str(s.get("title") or ""),
                      version=int(s["version"]), status=str(s["status"]),
                      fee_bps=None if s.get("fee_bps") is None else int(s["fee_bps"]), owner=bool(s.get("owner")),
                      recipients=tuple(Recipient.from_json(r) for r in s.get("recipients") or []),
                      earned_cents=int(s.get("earned_cents") or 0))
            for s in d.get("splits") or [])
        return cls(int(d["earned_cents"]), int(d["payable_cents"]), int(d["held_cents"]),
                   int(d["min_payout_cents"]), splits)


def format_cents(cents: int, currency: str = "usd") -> str:
    sign = "-" if cents < 0 else ""
    symbol = {"usd": "$", "eur": "€", "gbp": "£"}.get(currency, currency.upper() + " ")
    return f"{sign}{symbol}{abs(cents) // 100:,}.{abs(cents) % 100:02d}"


def format_bps(bps: int) -> str:
    return f"{bps / 100:.2f}".rstrip("0").rstrip(".") + " %"


def gross_bps(share_bps: int, fee_bps: int) -> float:
    """A share of the net as basis points of the gross revenue."""
    return share_bps * (FULL_BPS - fee_bps) / FULL_BPS


def check_recipients(recipients: Sequence[Recipient], *, activating: bool = False) -> int:
    """The total in basis points; raises :class:`SplitError` for what the
    server refuses (bad role or share, no account or e-mail, over 100 %, and
    when ``activating`` anything but exactly 100 %)."""
    if len(recipients) > MAX_RECIPIENTS:
        raise SplitError(f"A split has at most {MAX_RECIPIENTS} recipients.")
    for r in recipients:
        who = r.name or r.email or r.account or "a recipient"
        if r.role not in ROLES:
            raise SplitError(f"{who}: the role must be one of {', '.join(ROLES)}.")
        if not 1 <= r.share_bps <= FULL_BPS:
            raise SplitError(f"{who}: a share is between 0.01 % and 100 %.")
        if not r.account and not (r.email and "@" in r.email):
            raise SplitError(f"{who}: give an account or a name with an e-mail address.")
    total = sum(r.share_bps for r in recipients)
    if total > FULL_BPS:
        raise SplitError(f"The shares total {format_bps(total)}; they cannot pass 100 %.")
    if activating and total != FULL_BPS:
        raise SplitError(f"The shares total {format_bps(total)}; they must total exactly 100 % to activate.")
    return total


class Splits:
    """The split RPCs through the signed-in session's transport."""

    def __init__(self, transport: Transport) -> None:
        self.t = transport

    def earnings(self) -> Earnings:
        return Earnings.from_json(self.t.rpc("my_earnings"))

    def new_version(self, mashup: str) -> str:
        return str(self.t.rpc("split_new_version", {"p_mashup": mashup}))

    def set_recipients(self, split: str, recipients: Sequence[Recipient]) -> int:
        check_recipients(recipients)
        return int(self.t.rpc("split_set_recipients",
                              {"p_split": split, "p_recipients": [r.to_rpc() for r in recipients]}))

    def activate(self, split: str) -> int:
        """Activate a draft; returns the platform fee (basis points) it was fixed with."""
        return int(self.t.rpc("split_activate", {"p_split": split})["fee_bps"])

    def pause(self, split: str) -> None:
        self.t.rpc("split_pause", {"p_split": split})

    def claim(self) -> int:
        """Take over the shares invited to this account's confirmed e-mail."""
        return int(self.t.rpc("split_claim"))
