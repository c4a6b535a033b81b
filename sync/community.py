"""The community as a creator uses it (issue 12): publish, battles,
challenges, profile (XP, level, badges), creator analytics and trending.

Every read goes to the server's SECURITY DEFINER RPCs and is cached in the
local store with the time it was fetched; offline, the last answer comes
back marked ``offline`` (pages show it with that time). Actions need the
server and raise its error (the server decides: one vote per battle, never for
one's own entry, quotas). Qt-free; never imports ``backend``."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .cloud import Cloud
from .config import bundled_resource
from .errors import OfflineError, ServerError
from .media import MediaStorage

if TYPE_CHECKING:
    from audio_engine.paths import StudioPaths
    from audio_engine.progress import ProgressCallback

PUBLISH_METRIC = "published_mashups_per_month"
COMMENT_MAX_CHARS = 2000
EVENT_TYPES = ("play", "like", "share", "comment", "vote")
VISIBILITIES = ("public", "unlisted", "private")


@dataclass(frozen=True)
class Fetched:
    """A server answer, or the cached one when offline (``reason`` says why)."""

    data: Any
    fetched_at: datetime
    offline: bool = False
    reason: str = ""

    def note(self) -> str:
        when = self.fetched_at.astimezone().strftime("%Y-%m-%d %H:%M")
        return f"Offline — showing data fetched {when}. ({self.reason})" if self.offline else f"Updated {when}"


@dataclass(frozen=True)
class SourceSong:
    title: str
    artist: str = ""
    fingerprint: str | None = None
    duration_s: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "artist": self.artist, "fingerprint": self.fingerprint,
                "duration_s": self.duration_s}


@dataclass(frozen=True)
class PublishRequest:
    audio: Path
    title: str
    description: str = ""
    tags: tuple[str, ...] = ()
    visibility: str = "public"
    sources: tuple[SourceSong, ...] = ()
    peaks: Path | None = None
    cover: Path | None = None
    duration_s: float | None = None
    project_id: str | None = None

    def check(self, *, files: bool = True) -> None:
        """Refuse bad input before anything is uploaded (the server checks again);
        ``files=False`` before the audio is rendered."""
        if not self.title.strip() or len(self.title) > 200:
            raise ValueError("the title must be 1-200 characters")
        if len(self.description) > 2000:
            raise ValueError("the description is longer than 2000 characters")
        if self.visibility not in VISIBILITIES:
            raise ValueError(f"visibility must be one of {', '.join(VISIBILITIES)}")
        if len(self.tags) > 10 or any(not t.strip() or len(t) > 32 for t in self.tags):
            raise ValueError("at most 10 tags of 1-32 characters")
        if len(self.sources) > 32:
            raise ValueError("at most 32 source songs")
        for p in (self.audio, self.peaks, self.cover) if files else (self.cover,):
            if p is not None and not p.is_file():
                raise ValueError(f"no file at {p}")


# ------------------------------------------------------------------ levels (one definition: resources/levels.json)
def level_curve() -> list[tuple[int, int]]:
    data = json.loads(bundled_resource("levels.json").read_text(encoding="utf-8"))
    return [(int(x["level"]), int(x["xp"])) for x in data["levels"]]


def level_for(xp: int, curve: Sequence[tuple[int, int]] | None = None) -> tuple[int, int, int | None]:
    """(level, XP the level starts at, XP the next level needs or None at the top)."""
    c = sorted(curve or level_curve(), key=lambda x: x[1])
    level, start = c[0]
    nxt: int | None = None
    for lv, need in c:
        if need <= max(xp, 0):
            level, start = lv, need
        elif nxt is None:
            nxt = need
    return level, start, nxt


# ------------------------------------------------------------------ analytics
@dataclass
class Series:
    """Event counts per bucket: ``counts[event_type][i]`` for ``buckets[i]``."""

    buckets: list[datetime] = field(default_factory=list)
    counts: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, rows: Iterable[dict[str, Any]], types: Sequence[str] = EVENT_TYPES) -> Series:
        per: dict[datetime, dict[str, int]] = {}
        for r in rows:
            t = datetime.fromisoformat(str(r["bucket_start"]))
            per.setdefault(t, {})[str(r["event_type"])] = int(r["events"])
        buckets = sorted(per)
        return cls(buckets, {ty: [per[b].get(ty, 0) for b in buckets] for ty in types})

    def total(self, event_type: str) -> int:
        return sum(self.counts.get(event_type, []))

    def to_csv(self) -> str:
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["bucket_start", *self.counts])
        for i, b in enumerate(self.buckets):
            w.writerow([b.isoformat(), *(self.counts[t][i] for t in self.counts)])
        return out.getvalue()


class CommunityClient:
    """Community calls for the signed-in user of ``cloud`` (a callable: the session may be reconfigured)."""

    def __init__(self, cloud: Callable[[], Cloud], *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._cloud = cloud
        self._clock = clock

    # ------------------------------------------------------------ reads (cached for offline use)
    def _read(self, key: str, fn: str, args: dict[str, Any] | None = None, *, auth: bool = True) -> Fetched:
        c = self._cloud()
        cache_key = f"community:{key}"
        try:
            data = c.transport.rpc(fn, args, auth=auth)
        except (OfflineError, ServerError) as e:
            cached = c.store.cached_json(cache_key)
            if not isinstance(cached, dict):
                raise
            return Fetched(cached["data"], datetime.fromisoformat(cached["at"]), True, str(e))
        now = self._clock()
        c.store.cache_json(cache_key, {"data": data, "at": now.isoformat()})
        return Fetched(data, now)

    def battles(self) -> Fetched:
        return self._read("battles", "community_battles")

    def challenges(self) -> Fetched:
        return self._read("challenges", "community_challenges")

    def profile(self) -> Fetched:
        return self._read("profile", "my_profile")

    def my_mashups(self) -> Fetched:
        return self._read("my_mashups", "my_mashups")

    def trending(self) -> Fetched:
        return self._read("trending", "trending", auth=False)

    def leaderboard(self, period: str = "all") -> Fetched:
        if period not in ("all", "week", "month"):
            raise ValueError("period must be all, week or month")
        return self._read(f"leaderboard:{period}", "leaderboard", {"p_period": period, "p_limit": 20}, auth=False)

    def comments(self, mashup_id: str, *, before: str | None = None, limit: int = 50) -> Fetched:
        """A mashup's comments, newest first (``before``: the ``created_at`` of the last one seen),
        with ``total``; a mashup you cannot see answers like a missing one."""
        if not 1 <= limit <= 100:
            raise ValueError("limit must be 1-100")
        return self._read(f"comments:{mashup_id}:{before or ''}:{limit}", "mashup_comments",
                          {"p_mashup": mashup_id, "p_before": before, "p_limit": limit},
                          auth=self._cloud().auth.signed_in)  # signed in: your own are marked ``mine``

    def timeseries(self, bucket: str, start: datetime, end: datetime,
                   mashup_id: str | None = None) -> tuple[Series, Fetched]:
        """Plays, likes, shares, comments and battle votes on your mashups (or one of them) per bucket."""
        if bucket not in ("day", "week", "month"):
            raise ValueError("bucket must be day, week or month")
        if end <= start:
            raise ValueError("the range must end after it starts")
        f = self._read(f"series:{bucket}:{start.date()}:{end.date()}:{mashup_id or 'all'}", "creator_series",
                       {"p_bucket": bucket, "p_from": start.isoformat(), "p_to": end.isoformat(),
                        "p_mashup": mashup_id})
        return Series.from_rows(f.data or []), f

    # ------------------------------------------------------------ actions (need the server)
    def vote(self, battle_id: str, mashup_id: str) -> dict[str, Any]:
        return dict(self._cloud().transport.rpc("cast_vote", {"p_battle": battle_id, "p_choice": mashup_id}))

    def enter_battle(self, battle_id: str, mashup_id: str) -> dict[str, Any]:
        return dict(self._cloud().transport.rpc("enter_battle", {"p_battle": battle_id, "p_mashup": mashup_id}))

    def enter_challenge(self, challenge_id: str, mashup_id: str) -> dict[str, Any]:
        return dict(self._cloud().transport.rpc("submit_entry", {"p_challenge": challenge_id, "p_mashup": mashup_id}))

    def post_comment(self, mashup_id: str, body: str) -> dict[str, Any]:
        """Comment on a mashup (the server bounds the size and how fast one person comments)."""
        text = body.strip()
        if not text:
            raise ValueError("write something first")
        if len(text) > COMMENT_MAX_CHARS:
            raise ValueError(f"a comment is at most {COMMENT_MAX_CHARS} characters ({len(text)} now)")
        return dict(self._cloud().transport.rpc("post_comment", {"p_mashup": mashup_id, "p_body": text}))

    def delete_comment(self, comment_id: str) -> dict[str, Any]:
        """Delete one of your own comments."""
        return dict(self._cloud().transport.rpc("delete_comment", {"p_comment": comment_id}))

    def unpublish(self, mashup_id: str) -> dict[str, Any]:
        return dict(self._cloud().transport.rpc("unpublish_mashup", {"p_mashup": mashup_id}))

    def log_event(self, mashup_id: str, event_type: str) -> dict[str, Any]:
        """Log a play/like/share of someone's mashup (the server counts it once per listener and window)."""
        if event_type not in ("view", "play", "complete", "like", "share"):
            raise ValueError(f"unknown event type {event_type!r}")
        ev = {"id": str(uuid.uuid4()), "mashup_id": mashup_id, "type": event_type,
              "occurred_at": self._clock().isoformat()}
        return dict(self._cloud().transport.rpc("log_events", {"p_events": [ev]}))

    def publish(self, req: PublishRequest) -> dict[str, Any]:
        """Upload the rendered audio (and peaks and cover) to the public
        ``published`` bucket, then publish the mashup with its sources."""
        req.check()
        c = self._cloud()
        store = MediaStorage(c.transport, lambda: c.auth.user_id, bucket="published")
        paths = {k: (None if p is None else store.upload(p).storage_path)
                 for k, p in (("audio", req.audio), ("peaks", req.peaks), ("cover", req.cover))}
        return dict(c.transport.rpc("publish_mashup", {
            "p_title": req.title.strip(), "p_description": req.description, "p_tags": list(req.tags),
            "p_visibility": req.visibility, "p_audio_path": paths["audio"], "p_peaks_path": paths["peaks"],
            "p_cover_path": paths["cover"], "p_duration_s": req.duration_s,
            "p_sources": [s.to_json() for s in req.sources], "p_project": req.project_id}))

    def download_audio(self, mashup: dict[str, Any], dest: Path) -> Path:
        """A published mashup's audio (chunked, verified) from the ``published`` bucket."""
        path = str(mashup.get("audio_path") or "")
        parts = path.split("/")
        if len(parts) != 3 or parts[1] != "blobs":
            raise ValueError("this mashup has no audio")
        c = self._cloud()
        store = MediaStorage(c.transport, lambda: c.auth.user_id, bucket="published")
        return store.download(parts[2], dest, owner_id=parts[0])


def prepare_from_project(project: str | Path, work_dir: Path, *, paths: StudioPaths,
                         progress: ProgressCallback | None = None) -> tuple[Path, tuple[SourceSong, ...], float]:
    """Render a ``.mashup`` project loudness-normalised (the studio's renderer,
    -14 LUFS, -1 dBTP) to ``work_dir`` and fingerprint each source song
    (Chromaprint, cached by content hash in the analysis cache). ``paths`` are
    the caller's folders (the studio's Settings, the CLI's): its media store
    and analysis cache are used. Returns (audio, sources, duration)."""
    from audio_engine.cache import JsonCache
    from audio_engine.fingerprint import FingerprintError, fingerprint_file
    from audio_engine.project import MediaStore, open_project
    from audio_engine.project.render import render_project

    work_dir.mkdir(parents=True, exist_ok=True)
    opened = open_project(Path(project), unpack_to=work_dir / "unpacked")
    out = work_dir / "mashup.flac"
    stores = [opened.media, MediaStore(paths.media)]
    r = render_project(opened.project, media=stores, out=out, target_lufs=-14.0, ceiling_db=-1.0, progress=progress)
    cache = JsonCache(paths.analysis_db)
    sources: list[SourceSong] = []
    for ref in opened.project.media.values():
        fp: str | None = None
        dur: float | None = ref.duration or None
        file = next((st.path(ref.hash, ref.ext) for st in stores if st.path(ref.hash, ref.ext).is_file()), None)
        if file is not None:
            try:
                f = fingerprint_file(file, cache=cache, content_hash=ref.hash)
                fp, dur = f.compressed, f.duration
            except FingerprintError:
                fp = None  # published without one; trending matches by title and artist anyway
        sources.append(SourceSong(ref.title or Path(ref.name).stem, ref.artist, fp, dur))
    return out, tuple(sources), float(r.duration)
