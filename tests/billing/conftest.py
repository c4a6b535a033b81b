"""A whole local cloud for the billing client and studio tests: real
PostgreSQL with the migrations, the Supabase-compatible gateway, and the
billing service under waitress talking through the real Stripe SDK to the
development Stripe server (which sends signed events to the webhook)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from backend.devserver.billing_dev import DevBilling, start_dev_billing
from backend.devserver.gateway import ANON_KEY, Gateway
from sync.auth import MemoryTokenStore
from sync.billing import BillingClient
from sync.config import CloudConfig
from sync.session import CloudSession
from sync.transport import RetryPolicy
from tests.cloud.conftest import Db, fresh_db, pg_server, template_db  # noqa: F401  (fixtures)


@dataclass
class LocalCloud:
    db: Db
    gateway: Gateway
    billing: DevBilling
    sessions: list[CloudSession] = field(default_factory=list)

    def session(self, home: Path) -> CloudSession:
        s = CloudSession(CloudConfig(self.gateway.url, ANON_KEY, timeout_s=10), data_dir=home,
                         token_store=MemoryTokenStore(), retry=RetryPolicy(attempts=2, initial_s=0.01, max_s=0.05))
        self.sessions.append(s)
        return s

    def client(self, s: CloudSession) -> BillingClient:
        return BillingClient(s.require, self.billing.url, sleep=lambda _s: time.sleep(0.05))

    def signed_up(self, home: Path) -> tuple[CloudSession, str]:
        s = self.session(home)
        uid = s.sign_up(f"creator-{uuid.uuid4().hex[:8]}@example.test", "correct horse battery")
        return s, uid

    def add_projects(self, uid: str, n: int) -> None:
        with self.db.connect(autocommit=True) as conn:
            for i in range(n):
                conn.execute("insert into public.projects (id, owner_id, title) values (gen_random_uuid(), %s, %s)",
                             (uid, f"project {i}"))

    def pay(self, checkout_url: str) -> None:
        """What the creator does on the Checkout page: press Pay."""
        r = httpx.post(f"{checkout_url}/complete", timeout=10)
        assert r.status_code == 303, r.text

    def portal(self, portal_url: str, action: str) -> None:
        r = httpx.post(f"{portal_url}/{action}", timeout=10)
        assert r.status_code == 303, r.text


@pytest.fixture
def local_cloud(fresh_db: Db) -> Iterator[LocalCloud]:  # noqa: F811
    gw = Gateway(fresh_db.dsn)
    gw.start()
    billing = start_dev_billing(fresh_db.dsn)
    lc = LocalCloud(fresh_db, gw, billing)
    try:
        yield lc
    finally:
        for s in lc.sessions:
            s.close()
        billing.close()
        gw.stop()


Factory = Callable[[Path], tuple[CloudSession, str]]
