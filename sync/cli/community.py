"""``mashups publish``, ``mashups battles list|show|vote|enter``, ``mashups
challenges list|enter``, ``mashups me``, ``mashups trending``, ``mashups
comments list|post|delete`` (issue 12)."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from audio_engine.paths import default_paths
from sync.billing import BillingClient, billing_url
from sync.community import PUBLISH_METRIC, CommunityClient, Fetched, PublishRequest, prepare_from_project
from sync.errors import AuthRequiredError
from sync.remix import publish_with_licence
from sync.remix_packs import LICENCES
from sync.session import CloudSession, bundled_config_path

from .common import command, emit

EXAMPLES = [
    "mashups publish 'My Mashup.mashup' --title 'Night drive' --tag synthwave --visibility public",
    "mashups publish 'My Mashup.mashup' --title 'Night drive' --remix-licence remix-with-credit",
    "mashups battles list --json",
    "mashups battles vote BATTLE_ID MASHUP_ID",
    "mashups challenges enter CHALLENGE_ID MASHUP_ID",
    "mashups me --json",
    "mashups trending",
    "mashups comments list MASHUP_ID --json",
    "mashups comments post MASHUP_ID 'Great flip!'",
]


def _json_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true")


def register_publish(sub: Any) -> None:
    p = sub.add_parser("publish", help="render a project and publish it to the community",
                       description="Renders the project loudness-normalised, fingerprints its source songs, "
                                   "uploads the audio and publishes it. Counts against your plan's monthly quota.")
    p.add_argument("project", type=Path)
    p.add_argument("--title", required=True)
    p.add_argument("--description", default="")
    p.add_argument("--tag", action="append", default=[], help="repeatable")
    p.add_argument("--visibility", choices=("public", "unlisted", "private"), default="public")
    p.add_argument("--cover", type=Path, default=None, help="cover image (PNG/JPEG)")
    p.add_argument("--remix-licence", choices=tuple(LICENCES), default=None,
                   help="let others remix it (mashups remix): the project is saved to the cloud and published "
                        "with it (public mashups only; it counts as one of your cloud projects)")
    _json_flag(p)
    p.set_defaults(func=command(_publish))


def register_battles(sub: Any) -> None:
    b = sub.add_parser("battles", help="battles: list, show, vote, enter")
    ba = b.add_subparsers(dest="action", metavar="ACTION", required=True)
    x = ba.add_parser("list", help="open, upcoming and finished battles")
    _json_flag(x)
    x.set_defaults(func=command(_battles_list))
    x = ba.add_parser("show", help="one battle with its entries and (once closed) the result")
    x.add_argument("id")
    _json_flag(x)
    x.set_defaults(func=command(_battles_show))
    x = ba.add_parser("vote", help="vote for an entry (one vote per battle, never your own)")
    x.add_argument("id")
    x.add_argument("mashup")
    _json_flag(x)
    x.set_defaults(func=command(lambda a, s: _act(a, s, lambda c: c.vote(a.id, a.mashup))))
    x = ba.add_parser("enter", help="enter a battle with one of your published mashups")
    x.add_argument("id")
    x.add_argument("mashup")
    _json_flag(x)
    x.set_defaults(func=command(lambda a, s: _act(a, s, lambda c: c.enter_battle(a.id, a.mashup))))


def register_challenges(sub: Any) -> None:
    c = sub.add_parser("challenges", help="challenges: list, enter")
    ca = c.add_subparsers(dest="action", metavar="ACTION", required=True)
    x = ca.add_parser("list", help="challenges with theme, deadline, prize and leaderboard")
    _json_flag(x)
    x.set_defaults(func=command(_challenges_list))
    x = ca.add_parser("enter", help="enter a challenge with one of your published mashups")
    x.add_argument("id")
    x.add_argument("mashup")
    _json_flag(x)
    x.set_defaults(func=command(lambda a, s: _act(a, s, lambda c: c.enter_challenge(a.id, a.mashup))))


def register_me(sub: Any) -> None:
    m = sub.add_parser("me", help="your level, XP, badges, streak and rank")
    _json_flag(m)
    m.set_defaults(func=command(_me))


def register_trending(sub: Any) -> None:
    t = sub.add_parser("trending", help="sounds trending in mashups (and Spotify/YouTube charts when the server has keys)")
    _json_flag(t)
    t.set_defaults(func=command(_trending))


def register_comments(sub: Any) -> None:
    c = sub.add_parser("comments", help="comments on a published mashup: list, post, delete")
    ca = c.add_subparsers(dest="action", metavar="ACTION", required=True)
    x = ca.add_parser("list", help="a mashup's comments, newest first")
    x.add_argument("mashup")
    x.add_argument("--limit", type=int, default=50, help="1-100 (default 50)")
    _json_flag(x)
    x.set_defaults(func=command(_comments_list))
    x = ca.add_parser("post", help="comment on a mashup (at most 2000 characters)")
    x.add_argument("mashup")
    x.add_argument("text")
    _json_flag(x)
    x.set_defaults(func=command(lambda a, s: _act(a, s, lambda c: {"status": "posted", **c.post_comment(a.mashup,
                                                                                                       a.text)})))
    x = ca.add_parser("delete", help="delete one of your comments")
    x.add_argument("comment")
    _json_flag(x)
    x.set_defaults(func=command(lambda a, s: _act(a, s, lambda c: c.delete_comment(a.comment))))


def _comments_list(args: argparse.Namespace, s: CloudSession) -> int:
    f = _client(s).comments(args.mashup, limit=args.limit)
    _offline_note(f)
    d = f.data
    lines = [f"{d['total']} comment{'' if d['total'] == 1 else 's'}"]
    lines += [f"{c['created_at'][:16].replace('T', ' ')}  {c.get('author') or '?'}"
              + ("  (you)" if c.get("mine") else "") + f"  [{c['id']}]\n  " + c["body"].replace("\n", "\n  ")
              for c in d["comments"]]
    emit(args, d, "\n".join(lines))
    return 0


def _client(s: CloudSession) -> CommunityClient:
    return CommunityClient(s.require)


def _signed_in(s: CloudSession) -> None:
    if not s.require().auth.signed_in:
        raise AuthRequiredError("mashups account login EMAIL")


def _offline_note(f: Fetched) -> None:
    if f.offline:
        print(f.note(), file=sys.stderr)


def _act(args: argparse.Namespace, s: CloudSession, fn: Any) -> int:
    _signed_in(s)
    r = fn(_client(s))
    emit(args, r, str(r.get("status", r)).replace("_", " "))
    return 0


def _publish(args: argparse.Namespace, s: CloudSession) -> int:
    _signed_in(s)
    plan = BillingClient(s.require, billing_url(bundled=bundled_config_path())).plan()
    left = plan.remaining(PUBLISH_METRIC)
    if left is not None and left <= 0:  # limits before refusals (the server checks again)
        print(f"error: {plan.remaining_text(PUBLISH_METRIC)}; upgrade in the studio's Billing page "
              "(`mashups plan`).", file=sys.stderr)
        return 3
    licence = args.remix_licence
    if licence and args.visibility != "public":  # before the render (publish_with_licence checks again)
        raise ValueError("only a public mashup can be opened to remixes (--visibility public)")
    print(f"Publishing ({plan.remaining_text(PUBLISH_METRIC)} before this one)", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="mashups-publish-") as tmp:
        audio, sources, duration = prepare_from_project(args.project, Path(tmp), paths=default_paths())
        req = PublishRequest(audio, args.title, args.description, tuple(args.tag), args.visibility, sources, None,
                             args.cover, duration)
        if licence:
            print("Saving the project to the cloud (remixers copy it)…", file=sys.stderr)
        r = publish_with_licence(_client(s), req, args.project, licence, projects=s.require_projects()
                                 if licence else None, transport=s.require().transport)
    r["sources"] = [{"title": x.title, "artist": x.artist, "fingerprinted": x.fingerprint is not None}
                    for x in sources]
    emit(args, r, f"published {r['mashup_id']} ({len(sources)} source songs)"
         + (f"; remixes: {LICENCES[licence]}" if licence else ""))
    return 0


def _entry(m: dict[str, Any] | None) -> str:
    if not m:
        return "(open slot)"
    return f"{m['title']} by {m.get('owner') or '?'} [{m['id']}]  comments: {m.get('comments', 0)}"


def _battle_text(b: dict[str, Any]) -> str:
    lines = [f"{b['id']}  {b['title'] or 'Battle'}  {b['status']}  ends {b['ends_at']}",
             f"  A: {_entry(b.get('a'))}" + (f"  votes {b['votes_a']}" if b.get("closed") else ""),
             f"  B: {_entry(b.get('b'))}" + (f"  votes {b['votes_b']}" if b.get("closed") else "")]
    if b.get("closed"):
        lines.append(f"  winner: {b['winner'] or 'draw'}")
    if b.get("my_vote"):
        lines.append(f"  your vote: {b['my_vote']}")
    return "\n".join(lines)


def _battles_list(args: argparse.Namespace, s: CloudSession) -> int:
    f = _client(s).battles()
    _offline_note(f)
    emit(args, f.data, "\n".join(_battle_text(b) for b in f.data) or "no battles")
    return 0


def _battles_show(args: argparse.Namespace, s: CloudSession) -> int:
    f = _client(s).battles()
    _offline_note(f)
    b = next((x for x in f.data if x["id"] == args.id), None)
    if b is None:
        print(f"error: no battle {args.id}", file=sys.stderr)
        return 1
    emit(args, b, _battle_text(b))
    return 0


def _challenges_list(args: argparse.Namespace, s: CloudSession) -> int:
    f = _client(s).challenges()
    _offline_note(f)
    text = []
    for c in f.data:
        text.append(f"{c['id']}  {c['title']}  ({c['theme'] or 'any theme'})  {c['status']}  ends {c['ends_at']}  "
                    f"prize {c['prize_xp']} XP")
        for i, e in enumerate(c["entries"][:10], 1):
            text.append(f"  {i}. {e['title']} by {e.get('owner') or '?'}  score {e['score']}")
    emit(args, f.data, "\n".join(text) or "no challenges")
    return 0


def _me(args: argparse.Namespace, s: CloudSession) -> int:
    _signed_in(s)
    f = _client(s).profile()
    _offline_note(f)
    p = f.data
    earned = [b["name"] for b in p["badges"] if b["earned"]]
    nxt = p.get("next_level_xp")
    text = (f"level {p['level']}  {p['xp']} XP" + (f"  ({nxt - p['xp']} XP to level {p['level'] + 1})" if nxt else "")
            + f"\nstreak {p['streak']} (longest {p['longest_streak']})"
            + f"\nrank: all-time {p.get('rank_all') or '-'}, this week {p.get('rank_week') or '-'}"
            + f"\nbadges: {', '.join(earned) or 'none yet'}")
    emit(args, p, text)
    return 0


def _trending(args: argparse.Namespace, s: CloudSession) -> int:
    f = _client(s).trending()
    _offline_note(f)
    t = f.data
    lines = [f"{x['rank']:>3}. {x['artist']} - {x['title']}  ({x['mashups']} mashups, score {x['score']})"
             for x in t["sounds"]]
    ext = t["external"]
    lines.append("" if ext else "Spotify/YouTube charts: not configured on this server.")
    lines += [f"{x['source']:>8} {x['rank']:>3}. {x['artist']} - {x['title']}" for x in ext]
    emit(args, t, "\n".join(lines).strip() or "nothing trending yet")
    return 0
