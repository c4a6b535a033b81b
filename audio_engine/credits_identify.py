"""Identify a song without tags through AcoustID (https://acoustid.org/webservice).

The studio sends the song's Chromaprint fingerprint and duration to the
``/v2/lookup`` endpoint with the application's client key and
``meta=recordings releasegroups``; each result is a matched AcoustID track
with a score and the MusicBrainz recordings on it. :func:`lookup` returns
them as :class:`Match` (best first); the user confirms one before the
library's title/artist change.

The client key comes from the build configuration (:func:`client_key`:
``MASHUPS_ACOUSTID_KEY`` or ``acoustid_client_key`` in the bundled
``resources/cloud.json``); without one the action is hidden.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audio_engine.errors import MashupsError

API_URL = "https://api.acoustid.org/v2/lookup"
MAX_RESPONSE_BYTES = 4 << 20


class IdentifyError(MashupsError):
    """AcoustID could not be asked or refused the request."""


@dataclass(frozen=True)
class Match:
    score: float
    acoustid: str
    recording: str  # MusicBrainz recording id
    title: str
    artist: str
    album: str = ""

    def label(self) -> str:
        album = f" ({self.album})" if self.album else ""
        return f"{self.artist} - {self.title}{album} · {self.score:.0%}"


def client_key(env: Mapping[str, str] | None = None, bundled: Path | None = None) -> str | None:
    """The AcoustID application key of this build, or None (the action is hidden then)."""
    env = os.environ if env is None else env
    key = (env.get("MASHUPS_ACOUSTID_KEY") or "").strip()
    if not key and bundled is not None and bundled.is_file():
        try:
            data = json.loads(bundled.read_text(encoding="utf-8"))
            key = str(data.get("acoustid_client_key") or "").strip() if isinstance(data, dict) else ""
        except (OSError, ValueError):
            key = ""
    return key or None


def parse_response(data: Any) -> list[Match]:
    """Matches from a ``/v2/lookup`` JSON answer, best first; raises
    :class:`IdentifyError` with the service's message for an error answer."""
    if not isinstance(data, dict):
        raise IdentifyError("AcoustID answered with something that is not a lookup result.")
    if data.get("status") != "ok":
        raw_err = data.get("error")
        err: dict[str, Any] = raw_err if isinstance(raw_err, dict) else {}
        raise IdentifyError(f"AcoustID refused the lookup: {err.get('message') or 'unknown error'}"
                            f" (code {err.get('code', '?')}).")
    out: list[Match] = []
    for res in data.get("results") or []:
        if not isinstance(res, dict):
            continue
        score = float(res.get("score") or 0.0)
        for rec in res.get("recordings") or []:
            if not isinstance(rec, dict) or not rec.get("title"):
                continue  # recordings without metadata: nothing to fill in
            artists = [a.get("name", "") for a in rec.get("artists") or [] if isinstance(a, dict)]
            groups = [g for g in rec.get("releasegroups") or [] if isinstance(g, dict) and g.get("title")]
            album = next((g["title"] for g in groups if g.get("type") == "Album"), groups[0]["title"] if groups else "")
            out.append(Match(score, str(res.get("id", "")), str(rec.get("id", "")), str(rec["title"])[:1000],
                             " & ".join(a for a in artists if a)[:1000], str(album)[:1000]))
    seen: set[tuple[str, str]] = set()
    unique = []
    for m in sorted(out, key=lambda m: -m.score):
        if (m.title, m.artist) not in seen:
            seen.add((m.title, m.artist))
            unique.append(m)
    return unique


def lookup(fingerprint: str, duration: float, key: str, *, url: str = API_URL, timeout: float = 15.0) -> list[Match]:
    """Ask AcoustID who recorded the song with this fingerprint."""
    if not fingerprint or duration <= 0:
        raise IdentifyError("The song has no fingerprint yet; wait until its analysis has finished.")
    body = urllib.parse.urlencode({"client": key, "meta": "recordings releasegroups", "format": "json",
                                   "duration": str(int(round(duration))), "fingerprint": fingerprint}).encode()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded",
                                                          "User-Agent": "MashupsStudio"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read(MAX_RESPONSE_BYTES + 1)
    except urllib.error.HTTPError as e:  # AcoustID answers errors as JSON with a 4xx status
        raw = e.read(MAX_RESPONSE_BYTES + 1)
        if not raw:
            raise IdentifyError(f"AcoustID answered HTTP {e.code}.") from e
    except (urllib.error.URLError, OSError) as e:
        raise IdentifyError(f"AcoustID could not be reached: {getattr(e, 'reason', e)}") from e
    if len(raw) > MAX_RESPONSE_BYTES:
        raise IdentifyError("AcoustID's answer was too large.")
    try:
        data = json.loads(raw)
    except ValueError as e:
        raise IdentifyError("AcoustID answered with something that is not JSON.") from e
    return parse_response(data)
