"""``MatcherService.run``, the pipelined loop behind ``entrywatch matcher`` (a writer thread and a
delivery thread), in this process against the real broker: everything decided once, offsets
committed only for batches stored and delivered, and a store failure stopping the loop without
committing the batch it hit."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable

import psycopg
import pytest
from sqlalchemy import func, select

from matcher import BatchStats, MatcherService
from matcher.policy import Action, classify
from pipeline.bus import Bus, Topics, publish_event
from store import Store
from store.models import DecisionRow, Entry, Flag
from tests.matcher.conftest import consume, drain, validated_flags
from tests.matcher.factories import make_event
from tests.store.builders import declaration_in, declare

N = 300  # entries; every third plate declared


def publish(bus: Bus, topics: Topics) -> None:
    for i in range(N):
        publish_event(bus, topics, make_event(f"43A{i:05d}"))
    bus.flush(30)


def count(store: Store, model: type) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def run_until(
    make_service: Callable[..., MatcherService],
    want: int,
    timeout_s: float = 60.0,
    **options: object,
) -> threading.Thread:
    """Start a service's ``run`` in a thread that stops once ``want`` records are done."""
    stop = threading.Event()
    done = 0

    def on_batch(stats: BatchStats) -> None:
        nonlocal done
        done += stats.records
        if done >= want:
            stop.set()

    service = make_service(on_batch=on_batch, **options)
    thread = threading.Thread(target=service.run, args=(stop,), daemon=True)
    thread.start()
    threading.Timer(60.0, stop.set).start()  # a stuck loop fails the test, not the session
    return thread


def test_run_decides_every_entry_once_and_commits_what_it_delivered(
    bus: Bus, store: Store, kafka_topics: Topics, make_service: Callable[..., MatcherService]
) -> None:
    declare(store, *(declaration_in(f"43A{i:05d}") for i in range(0, N, 3)))
    publish(bus, kafka_topics)
    run_until(make_service, N, batch=64).join(90)  # several batches, so the stages overlap

    assert count(store, Entry) == count(store, DecisionRow) == N
    flagged = count(store, Flag)
    assert flagged == N - len(range(0, N, 3))
    flags = validated_flags(consume(bus, kafka_topics.flags, flagged))
    assert len({f["flag_id"] for f in flags}) == flagged
    # Committed on stop: the group's next member, given time to join, has nothing left to read.
    assert drain(make_service(), 1, timeout_s=8) == 0


def _refuse_flag_audit(store: Store) -> None:
    sql = {
        "sqlite": [
            "CREATE TRIGGER refuse BEFORE INSERT ON flag_audit "
            "BEGIN SELECT RAISE(ABORT, 'audit refused'); END"
        ],
        "postgresql": [
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'audit refused'; END $$",
            "CREATE TRIGGER refuse BEFORE INSERT ON flag_audit "
            "FOR EACH ROW EXECUTE FUNCTION refuse()",
        ],
    }[store.dialect]
    with store.engine.begin() as conn:
        for statement in sql:
            conn.exec_driver_sql(statement)


def test_a_store_error_stops_the_loop_and_leaves_its_batch_uncommitted(
    bus: Bus, store: Store, kafka_topics: Topics, make_service: Callable[..., MatcherService]
) -> None:
    publish(bus, kafka_topics)  # nothing declared: every entry raises a flag
    _refuse_flag_audit(store)
    service = make_service(batch=64)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            service.run(threading.Event())
        except Exception as exc:  # what `entrywatch matcher` would exit with
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(60)
    assert not thread.is_alive(), "the matcher kept running after a non-transient store error"
    assert len(errors) == 1 and "audit refused" in str(errors[0])
    assert count(store, Entry) == 0  # the failed transaction left nothing half-written
    # Fixed, and restarted: no offset was committed, so every record comes back and is decided.
    with store.engine.begin() as conn:
        on_table = " ON flag_audit" if store.dialect == "postgresql" else ""
        conn.exec_driver_sql(f"DROP TRIGGER refuse{on_table}")
    assert drain(make_service(), N) == N
    assert count(store, DecisionRow) == count(store, Flag) == N


@pytest.mark.parametrize(
    ("exc", "action"),
    [
        (sqlite3.OperationalError("database is locked"), Action.RETRY),
        (psycopg.OperationalError("server closed the connection"), Action.RETRY),
        (sqlite3.IntegrityError("constraint failed"), Action.STOP),
    ],
)
def test_driver_errors_are_classified_like_their_sqlalchemy_forms(
    exc: BaseException, action: Action
) -> None:
    assert classify(exc) is action
