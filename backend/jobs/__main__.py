"""``python -m backend.jobs trending``: recompute the trending sounds ranking
and, where API keys are set, ingest the Spotify and YouTube charts."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from backend.jobs.trending import run


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m backend.jobs", description=__doc__)
    sub = p.add_subparsers(dest="job", required=True)
    sub.add_parser("trending", help="trending sounds (SQL) + Spotify/YouTube charts when keys are set")
    p.parse_args(argv)
    dsn = os.environ.get("DATABASE_URL")
    if not dsn:
        print("error: DATABASE_URL is not set (the service-role connection string)", file=sys.stderr)
        return 2
    report = run(dsn, os.environ)
    print(json.dumps(report, indent=1))
    return 1 if any(str(v).startswith("error") for v in report.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
