"""Class 2: counters anyone could pump. Plays count once per listener, mashup
and 30 minutes; likes are a state; events on what the caller cannot see are
refused exactly like events on ids that do not exist."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from .conftest import N_CONCURRENT, Cast, Db, attempt, race, rpc, scalar, sql_as


def ev(kind: str, mashup: str | None, **extra: Any) -> dict[str, Any]:
    e: dict[str, Any] = {"id": str(uuid.uuid4()), "type": kind, **extra}
    if mashup is not None:
        e["mashup_id"] = mashup
    return e


def counts(db: Db, mashup: str) -> tuple[int, int, int]:
    with db.connect() as conn:
        row = conn.execute("select play_count, like_count, (select count(*) from public.analytics_events "
                           "where mashup_id = %s) n from public.mashups where id = %s", (mashup, mashup)).fetchone()
    assert row is not None
    return int(row["play_count"]), int(row["like_count"]), int(row["n"])


def test_one_listener_cannot_pump_plays_even_with_concurrent_batches(cast: Cast) -> None:
    db, m = cast.db, cast.public_mashup
    batch = "select public.log_events(%s) r"
    results = race(db, [("authenticated", cast.stranger, batch, (Jsonb([ev("play", m) for _ in range(50)]),))
                        for _ in range(N_CONCURRENT)])
    assert [r for r in results if isinstance(r, Exception)] == []
    accepted = sum(r[0]["r"]["accepted"] for r in results)
    assert accepted == 1
    assert counts(db, m) == (1, 0, 1)
    # the creator's time series agrees with the counter
    series = sql_as(db, "authenticated", cast.owner, "select sum(events) s from public.creator_timeseries("
                    "'day', now() - interval '1 day', now() + interval '1 day', 'play')")
    assert series[0]["s"] == 1


def test_many_listeners_each_count_once(cast: Cast) -> None:
    db, m = cast.db, cast.public_mashup
    listeners = [db.create_user() for _ in range(N_CONCURRENT)]
    results = race(db, [("authenticated", u, "select public.log_events(%s) r", (Jsonb([ev("play", m), ev("play", m)]),))
                        for u in listeners])
    assert [r for r in results if isinstance(r, Exception)] == []
    assert counts(db, m)[0] == N_CONCURRENT


def test_owner_plays_of_own_mashup_do_not_count(cast: Cast) -> None:
    db, m = cast.db, cast.public_mashup
    rpc(db, cast.owner, "log_events", Jsonb([ev("play", m) for _ in range(20)]))
    assert counts(db, m)[0] == 0


def test_like_is_a_state_under_concurrent_likes(cast: Cast) -> None:
    db, m = cast.db, cast.public_mashup
    results = race(db, [("authenticated", cast.stranger, "select public.log_events(%s) r",
                         (Jsonb([ev("like", m) for _ in range(10)]),)) for _ in range(N_CONCURRENT)])
    assert [r for r in results if isinstance(r, Exception)] == []
    assert counts(db, m)[1] == 1
    # unlike, then like and unlike again: the count follows the state, the series keeps one like
    assert rpc(db, cast.stranger, "set_like", m, False)["like_count"] == 0
    for liked in (True, False, True):
        rpc(db, cast.stranger, "set_like", m, liked)
    assert counts(db, m)[1] == 1
    assert scalar(db, "select count(*) from public.analytics_events where mashup_id = %s and event_type = 'like'",
                  m) == 1


def test_concurrent_likes_of_many_listeners_all_count(cast: Cast) -> None:
    db, m = cast.db, cast.public_mashup
    fans = [db.create_user() for _ in range(N_CONCURRENT)]
    results = race(db, [("authenticated", u, "select public.set_like(%s, true) r", (m,)) for u in fans])
    assert [r for r in results if isinstance(r, Exception)] == []
    assert counts(db, m)[1] == N_CONCURRENT
    results = race(db, [("authenticated", u, "select public.set_like(%s, false) r", (m,)) for u in fans])
    assert counts(db, m)[1] == 0


def test_events_on_invisible_mashups_answer_like_missing_ones(cast: Cast) -> None:
    db = cast.db
    before = counts(db, cast.private_mashup)
    private = rpc(db, cast.stranger, "log_events", Jsonb([ev("play", cast.private_mashup),
                                                          ev("like", cast.private_mashup)]))
    missing = rpc(db, cast.stranger, "log_events", Jsonb([ev("play", str(uuid.uuid4())),
                                                          ev("like", str(uuid.uuid4()))]))
    assert private == missing  # nothing tells the two apart
    assert private["accepted"] == 0 and len(private["rejected"]) == 2
    assert counts(db, cast.private_mashup) == before
    assert scalar(db, "select count(*) from public.analytics_events where user_id = %s", cast.stranger) == 0


def test_set_like_on_invisible_mashup_answers_like_a_missing_one(cast: Cast) -> None:
    db = cast.db
    a = attempt(lambda: rpc(db, cast.stranger, "set_like", cast.private_mashup, True))
    b = attempt(lambda: rpc(db, cast.stranger, "set_like", str(uuid.uuid4()), True))
    assert isinstance(a, psycopg.Error) and isinstance(b, psycopg.Error)
    assert (a.sqlstate, str(a).splitlines()[0]) == (b.sqlstate, str(b).splitlines()[0]) == ("MS004", "mashup not found")
    assert counts(db, cast.private_mashup)[1] == 0


def test_recommendation_events_on_invisible_mashups_refused_like_missing_ones(cast: Cast) -> None:
    db = cast.db
    q = "insert into public.recommendation_events (mashup_id, event_type) values (%s, 'click')"
    for uid in (cast.stranger, cast.viewer, cast.editor):
        a = attempt(lambda uid=uid: sql_as(db, "authenticated", uid, q, cast.private_mashup))
        b = attempt(lambda uid=uid: sql_as(db, "authenticated", uid, q, str(uuid.uuid4())))
        assert isinstance(a, psycopg.Error) and isinstance(b, psycopg.Error)
        assert (a.sqlstate, str(a).splitlines()[0]) == (b.sqlstate, str(b).splitlines()[0])
    assert scalar(db, "select count(*) from public.recommendation_events") == 0


def test_recommendation_signals_count_once_per_listener_and_window(cast: Cast) -> None:
    db, m = cast.db, cast.public_mashup
    q = "insert into public.recommendation_events (mashup_id, event_type) values (%s, 'like')"
    results = race(db, [("authenticated", cast.stranger, q, (m,)) for _ in range(N_CONCURRENT)])
    assert [r for r in results if isinstance(r, Exception)] == []  # a client's bulk upload still succeeds
    sql_as(db, "authenticated", cast.stranger, "insert into public.recommendation_events (mashup_id, event_type) "
           "select %s, 'play' from generate_series(1, 50)", m)
    per_type = {r["event_type"]: r["n"] for r in sql_as(
        db, "service_role", None, "select event_type, count(*) n from public.recommendation_events "
        "where user_id = %s group by 1", cast.stranger)}
    assert per_type == {"like": 1, "play": 1}


def test_daily_event_cap_holds_under_concurrent_batches(cast: Cast) -> None:
    db = cast.db
    u = cast.stranger
    results = race(db, [("authenticated", u, "select public.log_events(%s) r",
                         (Jsonb([ev("follow", None) for _ in range(300)]),)) for _ in range(N_CONCURRENT)])
    assert [r for r in results if isinstance(r, Exception)] == []
    stored = scalar(db, "select count(*) from public.analytics_events where user_id = %s", u)
    assert stored == 5000  # 24 x 300 = 7200 sent
    assert sum(r[0]["r"]["accepted"] for r in results) == 5000


def test_anon_cannot_log_or_like(cast: Cast) -> None:
    db, m = cast.db, cast.public_mashup
    for fn, args in (("log_events", (Jsonb([ev("play", m)]),)), ("set_like", (m, True))):
        err = attempt(lambda fn=fn, args=args: rpc(db, None, fn, *args, role="anon"))
        assert isinstance(err, psycopg.Error)
    assert counts(db, m) == (0, 0, 0)


def test_counters_are_not_client_writable(cast: Cast) -> None:
    db, m = cast.db, cast.public_mashup
    for uid in (cast.owner, cast.stranger):
        attempt(lambda uid=uid: sql_as(db, "authenticated", uid,
                                       "update public.mashups set play_count = 1000000, like_count = 1000000 "
                                       "where id = %s", m))
        attempt(lambda uid=uid: sql_as(db, "authenticated", uid,
                                       "insert into public.mashup_likes (mashup_id, user_id) values (%s, %s)", m, uid))
    assert counts(db, m) == (0, 0, 0)
