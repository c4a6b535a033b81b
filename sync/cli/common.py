"""Shared plumbing of the cloud commands: the session, errors, JSON output."""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Callable
from typing import Any

from audio_engine.paths import default_paths
from sync.auth import FileTokenStore, KeyringTokenStore, TokenStore
from sync.errors import SyncError, TierLimitError
from sync.session import CloudSession, _slug, resolve_config

Handler = Callable[[argparse.Namespace, CloudSession], int]


def session() -> CloudSession:
    """The CLI's session: the OS keychain keeps the sign-in; where none works,
    a file readable only by the user (``<data>/cloud/cli-session.json``)."""
    data = default_paths().ensure().data
    cfg = resolve_config()
    store: TokenStore | None = None
    if cfg is not None:
        kr = KeyringTokenStore(cfg)
        kr.load()
        store = kr if kr.persistent else FileTokenStore(data / "cloud" / f"cli-session-{_slug(cfg.url)}.json")
    return CloudSession(cfg, data_dir=data, token_store=store)


def command(fn: Handler) -> Callable[[argparse.Namespace], int]:
    """Run ``fn`` with a session; cloud errors become one clear line and exit 1."""

    @functools.wraps(fn)
    def run(args: argparse.Namespace) -> int:
        s = session()
        try:
            return fn(args, s)
        except TierLimitError as e:
            print(f"error: {e.message}\nhint: your plan's limit ({e.hint or 'plan limit'}) is reached; "
                  "upgrade in the studio's Billing page or free some space.", file=sys.stderr)
            return 3
        except SyncError as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        except (ValueError, OSError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        finally:
            s.close()

    return run


def emit(args: argparse.Namespace, data: Any, text: str) -> None:
    if getattr(args, "json", False):
        print(json.dumps(data, indent=1, default=str))
    else:
        print(text)
