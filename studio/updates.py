"""Optional daily update check (Qt-free).

Off unless the build configures a release feed (``update_feed`` in
``resources/build.json``, or ``$MASHUPS_UPDATE_FEED``), and off when the user
unticks it in Settings. The feed is a JSON document: either ``{"version":
"0.2.0", "url": "https://…"}`` or a GitHub ``releases/latest`` object
(``tag_name``, ``html_url``). The check only ever offers the download page;
it never downloads or installs anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx

DAY_S = 24 * 3600.0


class FeedError(ValueError):
    """The feed answered with something that is not a release description."""


@dataclass(frozen=True)
class Release:
    version: str
    url: str


def _version_key(v: str) -> tuple[int, ...]:
    nums = re.findall(r"\d+", v.split("+", 1)[0])
    if not nums:
        raise FeedError(f"not a version: {v!r}")
    return tuple(int(n) for n in nums[:4])


def is_newer(candidate: str, current: str) -> bool:
    a, b = _version_key(candidate), _version_key(current)
    width = max(len(a), len(b))
    return a + (0,) * (width - len(a)) > b + (0,) * (width - len(b))


def parse_feed(data: Any) -> Release:
    if not isinstance(data, dict):
        raise FeedError("the release feed is not a JSON object")
    version = data.get("version") or data.get("tag_name")
    url = data.get("url") or data.get("html_url")
    if not isinstance(version, str) or not isinstance(url, str):
        raise FeedError("the release feed has no version/url (or tag_name/html_url)")
    if not url.startswith(("https://", "http://")):
        raise FeedError(f"the release feed's download page is not a web address: {url!r}")
    version = version.strip().lstrip("vV")
    _version_key(version)
    return Release(version, url)


def due(last_check: float, now: float, *, interval_s: float = DAY_S) -> bool:
    return now - last_check >= interval_s or now < last_check


def check(feed_url: str, current: str, *, timeout_s: float = 10.0) -> Release | None:
    """The newer release the feed announces, or None when this build is current.
    Raises :class:`FeedError` for a malformed feed and ``httpx.HTTPError`` when
    the feed cannot be reached."""
    with httpx.Client(timeout=timeout_s, follow_redirects=True,
                      headers={"User-Agent": f"MashupsStudio/{current}", "Accept": "application/json"}) as c:
        r = c.get(feed_url)
        r.raise_for_status()
        try:
            data = r.json()
        except ValueError as e:
            raise FeedError(f"the release feed is not JSON: {e}") from None
    rel = parse_feed(data)
    return rel if is_newer(rel.version, current) else None
