"""Trending: the platform's own ranking (``private.compute_trending()``, after
:func:`assign_recordings` has grouped the source songs by their Chromaprint
fingerprints) and the optional external charts.

* Spotify: Client Credentials flow (``POST /api/token`` with HTTP Basic
  client id/secret, ``grant_type=client_credentials``), then the tracks of a
  chart playlist (``GET /v1/playlists/{id}/tracks``). Keys:
  ``SPOTIFY_CLIENT_ID``, ``SPOTIFY_CLIENT_SECRET``; playlist
  ``SPOTIFY_PLAYLIST_ID``.
* YouTube Data API v3: ``GET /youtube/v3/videos?chart=mostPopular&
  videoCategoryId=10`` (Music) with ``YOUTUBE_API_KEY``; region
  ``YOUTUBE_REGION`` (default US).

Without keys a source is skipped and reported ``disabled``; the studio then
says the charts are not configured. Base URLs can be pointed elsewhere
(``SPOTIFY_API_URL``, ``SPOTIFY_TOKEN_URL``, ``YOUTUBE_API_URL``): the tests
serve recorded responses from a local HTTP server.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg
from psycopg.rows import tuple_row

DEFAULT_PLAYLIST = "37i9dQZEVXbMDoHDwVN2tF"  # Spotify's "Top 50 - Global"
LIMIT = 50


@dataclass(frozen=True)
class ChartTrack:
    rank: int
    title: str
    artist: str
    url: str


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


class SpotifyClient:
    def __init__(self, client_id: str, client_secret: str, http: httpx.Client, *,
                 api_url: str = "https://api.spotify.com/v1",
                 token_url: str = "https://accounts.spotify.com/api/token") -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.http, self.api_url, self.token_url = http, api_url.rstrip("/"), token_url

    def token(self) -> str:
        r = self.http.post(self.token_url, data={"grant_type": "client_credentials"},
                           auth=(self.client_id, self.client_secret))
        r.raise_for_status()
        return str(r.json()["access_token"])

    def playlist(self, playlist_id: str, *, limit: int = LIMIT) -> list[ChartTrack]:
        r = self.http.get(f"{self.api_url}/playlists/{playlist_id}/tracks",
                          params={"limit": limit, "fields": "items(track(name,artists(name),external_urls))"},
                          headers={"Authorization": f"Bearer {self.token()}"})
        r.raise_for_status()
        out: list[ChartTrack] = []
        for item in r.json().get("items", []):
            t = item.get("track") or {}
            if not t.get("name"):
                continue  # removed or local tracks
            out.append(ChartTrack(len(out) + 1, _clip(str(t["name"]), 300),
                                  _clip(", ".join(a["name"] for a in t.get("artists", [])), 300),
                                  _clip(str((t.get("external_urls") or {}).get("spotify", "")), 500)))
        return out[:limit]


class YouTubeClient:
    def __init__(self, api_key: str, http: httpx.Client, *,
                 api_url: str = "https://www.googleapis.com/youtube/v3") -> None:
        self.api_key, self.http, self.api_url = api_key, http, api_url.rstrip("/")

    def most_popular_music(self, *, region: str = "US", limit: int = LIMIT) -> list[ChartTrack]:
        r = self.http.get(f"{self.api_url}/videos", params={
            "part": "snippet", "chart": "mostPopular", "videoCategoryId": "10", "regionCode": region,
            "maxResults": min(limit, 50), "key": self.api_key})
        r.raise_for_status()
        out: list[ChartTrack] = []
        for item in r.json().get("items", []):
            sn = item.get("snippet") or {}
            out.append(ChartTrack(len(out) + 1, _clip(str(sn.get("title", "")), 300),
                                  _clip(str(sn.get("channelTitle", "")).removesuffix(" - Topic"), 300),
                                  f"https://www.youtube.com/watch?v={item.get('id', '')}"))
        return out


def store(conn: psycopg.Connection[Any], source: str, tracks: list[ChartTrack]) -> None:
    """Replace one source's chart in one transaction (readers see the old or the new one)."""
    with conn.transaction():
        conn.execute("delete from public.external_trending where source = %s", (source,))
        for t in tracks:
            conn.execute("insert into public.external_trending (source, rank, title, artist, url) "
                         "values (%s, %s, %s, %s, %s)", (source, t.rank, t.title, t.artist, t.url))


def assign_recordings(conn: psycopg.Connection[Any]) -> dict[str, int]:
    """Group the fingerprinted sources of the last 30 days' mashups by recording
    (the same song under other titles, or another rip of it, is one recording)
    and store each group's key in ``mashup_sources.recording_key`` (migration
    ``20261130000410``). The first source of a group (oldest mashup first) names
    it, so keys stay put from run to run. Returns counts for the report."""
    from audio_engine.fingerprint import group_recordings

    with conn.cursor(row_factory=tuple_row) as cur:
        rows = cur.execute(
            "select s.mashup_id::text, s.position, s.fingerprint, s.duration_s, s.recording_key "
            "from public.mashup_sources s join public.mashups m on m.id = s.mashup_id "
            "where s.fingerprint is not null and m.created_at > now() - interval '30 days' "
            "order by m.created_at, s.mashup_id, s.position").fetchall()
        items = [(f"fp:{mid}:{pos}", str(fp), None if dur is None else float(dur)) for mid, pos, fp, dur, _ in rows]
        groups = group_recordings(items)
        # an unreadable fingerprint belongs to no recording: the source counts by its title
        changed = [(groups.get(key), mid, pos) for (key, _, _), (mid, pos, _, _, old) in zip(items, rows, strict=True)
                   if groups.get(key) != old]
        with conn.transaction():
            cur.executemany("update public.mashup_sources set recording_key = %s "
                            "where mashup_id = %s and position = %s", changed)
    return {"sources": len(items), "recordings": len(set(groups.values())), "regrouped": len(changed)}


def rank(conn: psycopg.Connection[Any]) -> int:
    """Group by recording, then recompute today's ranking; the number of ranked sounds."""
    assign_recordings(conn)
    with conn.cursor(row_factory=tuple_row) as cur:
        row = cur.execute("select private.compute_trending()").fetchone()
    return int(row[0]) if row else 0


def run(dsn: str, env: Mapping[str, str], *, http: httpx.Client | None = None) -> dict[str, Any]:
    report: dict[str, Any] = {}
    client = http or httpx.Client(timeout=20)
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            report["recordings"] = assign_recordings(conn)
            row = conn.execute("select private.compute_trending()").fetchone()
            report["sounds"] = row[0] if row else 0
            sources: dict[str, Any] = {}
            if env.get("SPOTIFY_CLIENT_ID") and env.get("SPOTIFY_CLIENT_SECRET"):
                sp = SpotifyClient(env["SPOTIFY_CLIENT_ID"], env["SPOTIFY_CLIENT_SECRET"], client,
                                   api_url=env.get("SPOTIFY_API_URL", "https://api.spotify.com/v1"),
                                   token_url=env.get("SPOTIFY_TOKEN_URL", "https://accounts.spotify.com/api/token"))
                sources["spotify"] = lambda: sp.playlist(env.get("SPOTIFY_PLAYLIST_ID", DEFAULT_PLAYLIST))
            else:
                report["spotify"] = "disabled (set SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET)"
            if env.get("YOUTUBE_API_KEY"):
                yt = YouTubeClient(env["YOUTUBE_API_KEY"], client,
                                   api_url=env.get("YOUTUBE_API_URL", "https://www.googleapis.com/youtube/v3"))
                sources["youtube"] = lambda: yt.most_popular_music(region=env.get("YOUTUBE_REGION", "US"))
            else:
                report["youtube"] = "disabled (set YOUTUBE_API_KEY)"
            for name, fetch in sources.items():
                try:
                    tracks = fetch()
                except (httpx.HTTPError, ValueError, KeyError, TypeError) as e:
                    report[name] = f"error: {e}"  # the last chart stays
                    continue
                store(conn, name, tracks)
                report[name] = len(tracks)
    finally:
        if http is None:
            client.close()
    return report
