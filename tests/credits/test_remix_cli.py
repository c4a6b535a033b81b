"""Issue 16, "Remix this" from the command line, through the local backend
(real HTTP gateway, PostgreSQL with the migrations, Storage): A publishes a
project with ``mashups publish --remix-licence``, B copies it with ``mashups
remix`` (progress on stderr, JSON on stdout) and B's copy opens and renders
the same samples as A's project. At B's project limit the remix gives the
tier-limit message of the other cloud commands; once A stops remixes
(``mashups remix-licence ... none``) B's attempt answers exactly what an
unknown or malformed id answers.

The commands run in this process through the CLI's own ``main`` (argument
parsing, the ``mashups.commands`` entry points, the session from
MASHUPS_HOME/SUPABASE_URL), each home with its own file-kept sign-in:
the same code as the installed ``mashups``, without a Python start per call."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import numpy as np
import pytest
from keyring.backends import fail

from audio_engine.cli.main import main
from audio_engine.credits import project_credits
from audio_engine.project import open_project
from backend.devserver.gateway import ANON_KEY, Gateway
from backend.tiers import load_tiers
from tests.cloud.conftest import Db, gw
from tests.cloud.test_project_sync import email, render, two_song_project

__all__ = ["gw"]


@pytest.fixture
def no_keychain() -> Iterator[None]:
    """No OS keychain (as on a Linux box without Secret Service): each home keeps its sign-in in a file."""
    old = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(old)


def test_publish_remixable_then_remix_from_the_cli(tmp_path: Path, gw: Gateway, db: Db, no_keychain: None,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SUPABASE_URL", gw.url)
    monkeypatch.setenv("SUPABASE_ANON_KEY", ANON_KEY)
    monkeypatch.chdir(tmp_path)

    def mashups(who: str, *args: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setenv("MASHUPS_HOME", str(tmp_path / who))
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        rc = main(list(args))
        out = capsys.readouterr()
        return rc, out.out, out.err

    def ok(who: str, *args: str) -> Any:
        rc, out, err = mashups(who, *args, "--json")
        assert rc == 0, err
        return json.loads(out)

    addrs = {who: email(f"cli-{who}") for who in ("a", "b")}
    for who, addr in addrs.items():
        rc, _, err = mashups(who, "account", "signup", addr, "--password-stdin", stdin="secret-pw\n")
        assert rc == 0, err
    project = two_song_project(tmp_path / "a-work")

    # only a public mashup can be opened to remixes: refused before anything is rendered or uploaded
    rc, _, err = mashups("a", "publish", str(project), "--title", "Night", "--visibility", "unlisted",
                         "--remix-licence", "remix-with-credit")
    assert rc == 1 and "only a public mashup can be opened to remixes" in err
    assert db.connect().execute("select count(*) n from public.mashups m join auth.users u on u.id = m.owner_id "
                                "where u.email = %s", (addrs["a"],)).fetchone() == {"n": 0}

    published = ok("a", "publish", str(project), "--title", "Night drive", "--remix-licence", "remix-with-credit")
    mid = published["mashup_id"]
    assert published["remix_licence"] == "remix-with-credit"
    # only its creator sets the licence: anyone else is told there is no such mashup
    rc, _, err = mashups("b", "remix-licence", mid, "non-commercial")
    assert rc == 1 and "mashup not found" in err

    rc, out, err = mashups("b", "remix", mid, "--into", "b-work", "--json")
    assert rc == 0, err
    got = json.loads(out)  # stdout is the JSON alone; the progress went to stderr
    assert f"Remixing {mid}" in err and "100.0%" in err and "Copied “Night drive” on the server" in err
    folder = Path(got["path"])
    assert folder.parent == tmp_path / "b-work" and folder.name == f"Night drive (remix {got['project_id'][:8]}).mashup"
    assert got["licence"] == "remix-with-credit" and [w["id"] for w in got["lineage"]] == [mid]
    opened = open_project(folder)
    assert opened.project.title == "Two songs (remix)" and opened.project.artist == addrs["b"].split("@")[0]
    assert project_credits(opened.project).lineage[0].licence == "remix-with-credit"
    assert all(opened.media.verify(ref.hash, ref.ext) for ref in opened.project.media.values())
    assert np.array_equal(render(project), render(folder))

    # at B's project limit: the plan's limit message of the other cloud commands (exit 3), nothing written
    (b_uid,) = (r["id"] for r in db.connect().execute(
        "select owner_id::text id from public.projects where id = %s", (got["project_id"],)).fetchall())
    limit = int(load_tiers()["tiers"]["free"]["limits"]["max_projects"])
    with db.connect(autocommit=True) as conn:
        for i in range(limit - 1):
            conn.execute("insert into public.projects (id, owner_id, title) values (%s, %s, %s)",
                         (str(uuid.uuid4()), b_uid, f"own {i}"))
    rc, out, err = mashups("b", "remix", mid, "--into", "b-work")
    assert rc == 3 and out == "" and "max_projects" in err and "upgrade in the studio's Billing page" in err
    assert list((tmp_path / "b-work").iterdir()) == [folder]

    # A stops remixes: B now gets exactly what an unknown or malformed id gets
    assert ok("a", "remix-licence", mid, "none") == {"mashup_id": mid, "remix_licence": None}
    answers = []
    for target in (mid, str(uuid.uuid4()), "not-a-mashup"):
        rc, out, err = mashups("b", "remix", target, "--into", "b-work")
        answers.append((rc, out, [line for line in err.splitlines() if line.startswith("error:")]))
    assert answers[0] == answers[1] == answers[2]
    assert answers[0] == (1, "", ["error: This mashup is not open to remixes (private, unlisted, removed, or its "
                                  "creator has not allowed remixes)."])
    assert list((tmp_path / "b-work").iterdir()) == [folder]
