"""With no cloud address, the community and billing pages say so in plain words,
start no job that can only fail, and name no environment variable (issue 19)."""

from __future__ import annotations

import re
from typing import Any

from studio.views.community_common import COMMUNITY_PAGES

ENV_NAME = re.compile(r"\b(SUPABASE|MASHUPS)_[A-Z_]+")


def test_community_pages_without_a_cloud_start_no_job(window: Any, qtbot: Any, monkeypatch: Any) -> None:
    for name in COMMUNITY_PAGES:
        window.go(name)
        qtbot.wait(50)
        page = window.pages[name]
        page.refresh()
        assert "cloud is off" in page.status.text().lower(), (name, page.status.text())
        assert not ENV_NAME.search(page.status.text())
    titles = [j.title for j in window.s.jobs.jobs()]
    assert not any(t.startswith("Load ") for t in titles), titles
    window.go("Billing")
    qtbot.wait(50)
    from PySide6.QtWidgets import QLabel

    texts = " ".join(w.text() for w in window.pages["Billing"].findChildren(QLabel))
    assert texts.strip()
    assert not ENV_NAME.search(texts), texts
