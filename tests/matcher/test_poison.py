"""A record the store refuses, or one no parser can take, never stops the matcher (issue 13).

The store's refusals are dead-lettered with the database's reason and the rest of the batch is
recorded; with the real broker, a valid entry after the poison ones is decided by the same running
matcher, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from matcher import MatcherService
from matcher.local import InProcessMatcher
from matcher.lookup import DriverDeclarationLookup
from matcher.refusals import record_isolating
from pipeline.bus import Bus, Topics, publish_event
from pipeline.events import EntryEvent
from store import Store
from store.models import DecisionRow, Entry
from tests.matcher.conftest import consume
from tests.matcher.factories import make_event

REFUSED_CAMERA = "cam-refused-by-the-store"


def refuse_camera(store: Store, camera: str = REFUSED_CAMERA) -> None:
    """Make the database refuse entries of ``camera`` (a value the schema allows)."""
    with store.transaction() as session:
        if store.dialect == "postgresql":
            session.execute(text(
                f"ALTER TABLE entries ADD CONSTRAINT test_refused CHECK (camera_id <> '{camera}')"
            ))  # fmt: skip
        else:
            session.execute(text(
                "CREATE TRIGGER test_refused BEFORE INSERT ON entries "
                f"WHEN NEW.camera_id = '{camera}' "
                "BEGIN SELECT RAISE(ABORT, 'camera refused by the test'); END"
            ))  # fmt: skip


def unchecked(event: EntryEvent, **changes: object) -> EntryEvent:
    """``event`` with ``changes`` that skip validation: what the store alone must refuse."""
    return event.model_copy(update=changes)


def document(event: EntryEvent) -> str:
    return json.dumps(event.model_dump(mode="json"))


@pytest.fixture
def matcher(store: Store) -> InProcessMatcher:
    return InProcessMatcher(store, DriverDeclarationLookup(store))


def record(matcher: InProcessMatcher, events: list[EntryEvent]) -> tuple[set[str], dict[str, str]]:
    batch = matcher.prepare(events, {e.event_id: document(e) for e in events})
    decided, refusals = record_isolating(matcher, batch)
    return {d.event.event_id for d in decided}, {r.event.event_id: r.reason for r in refusals}


def stored_ids(store: Store) -> set[str]:
    with store.session() as session:
        return set(session.scalars(select(Entry.event_id)))


def test_refused_records_are_isolated_and_the_rest_recorded(
    store: Store, matcher: InProcessMatcher
) -> None:
    refuse_camera(store)
    good = [make_event(f"75A1{i:04d}") for i in range(5)]
    bad = [
        make_event("75A99999", camera_id=REFUSED_CAMERA),
        unchecked(make_event("75A99998"), camera_id="c" * 300),
        unchecked(make_event("75A99997"), checkpoint="QL\u0000X"),
    ]
    events = [good[0], bad[0], good[1], good[2], bad[1], good[3], bad[2], good[4]]

    decided, refused = record(matcher, events)

    assert {e.event_id for e in good} <= decided
    assert bad[0].event_id in refused and "store refused" in refused[bad[0].event_id]
    if store.dialect == "postgresql":
        # The database's own reasons: a too-long value, a NUL.
        assert set(refused) == {e.event_id for e in bad}
        assert "too long" in refused[bad[1].event_id]
        assert "0x00" in refused[bad[2].event_id] or "NUL" in refused[bad[2].event_id]
    else:  # SQLite holds any length and NULs: only the refused camera is refused
        assert set(refused) == {bad[0].event_id}
    assert stored_ids(store) == decided


def test_a_batch_of_one_refused_record(store: Store, matcher: InProcessMatcher) -> None:
    refuse_camera(store)
    event = make_event("75A99999", camera_id=REFUSED_CAMERA)
    decided, refused = record(matcher, [event])
    assert decided == set() and list(refused) == [event.event_id]


def test_a_bug_still_stops(matcher: InProcessMatcher, monkeypatch: pytest.MonkeyPatch) -> None:
    def bug(*_: object) -> None:
        raise KeyError("a bug, not a refusal")

    monkeypatch.setattr(matcher, "record", bug)
    with pytest.raises(KeyError):
        record(matcher, [make_event("75A12345")])


texts = st.text(st.characters(exclude_categories=()), max_size=300)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(camera=texts, checkpoint=texts, display=st.none() | texts)
def test_any_strings_are_recorded_or_refused(
    store: Store, matcher: InProcessMatcher, camera: str, checkpoint: str, display: str | None
) -> None:
    base = make_event("75A12345")
    plate = base.plate.model_copy(update={"display": display})
    poison = unchecked(base, camera_id=camera, checkpoint=checkpoint, plate=plate)
    good = make_event("75B54321")
    events = [poison, good]
    batch = matcher.prepare(
        events, {e.event_id: json.dumps(e.model_dump(mode="json")) for e in events}
    )
    decided, refusals = record_isolating(matcher, batch)
    assert good.event_id in {d.event.event_id for d in decided}
    outcome = {d.event.event_id for d in decided} | {r.event.event_id for r in refusals}
    assert poison.event_id in outcome


# -- with the real broker: a running matcher survives poison and decides what follows --


@pytest.fixture
def running(
    make_service: Callable[..., MatcherService],
) -> Iterator[Callable[[], MatcherService]]:
    threads: list[tuple[threading.Thread, threading.Event]] = []

    def start() -> MatcherService:
        service = make_service()
        stop = threading.Event()
        thread = threading.Thread(target=service.run, args=(stop,), daemon=True)
        thread.start()
        threads.append((thread, stop))
        return service

    yield start
    for thread, stop in threads:
        stop.set()
        thread.join(30)


def decided_ids(store: Store) -> set[str]:
    with store.session() as session:
        return set(session.scalars(select(DecisionRow.event_id)))


def test_running_matcher_survives_poison_and_decides_the_next_entry(
    bus: Bus, store: Store, kafka_topics: Topics, running: Callable[[], MatcherService]
) -> None:
    refuse_camera(store)
    plate = "75A55555"  # one key: everything on one partition, in this order
    first, last = make_event(plate), make_event(plate)
    valid = json.loads(first.model_dump_json())
    raw = [
        ("[" * 1000 + "]" * 1000).encode(),
        json.dumps({**valid, "event_id": "long-camera", "camera_id": "c" * 300}).encode(),
        json.dumps({**valid, "event_id": "nul", "checkpoint": "QL\u0000X"}).encode(),
        json.dumps({**valid, "event_id": "surrogate"}).replace('"cam-1"', '"\\ud800"').encode(),
        json.dumps({k: v for k, v in valid.items() if k != "schema_version"}).encode(),
        json.dumps({**valid, "crossed_at": "0001-01-01T00:00:00+01:00"}).encode(),
        b"[" * 100_000,
    ]
    refused = make_event(plate, camera_id=REFUSED_CAMERA)  # valid, but the store says no
    publish_event(bus, kafka_topics, first)
    producer = bus._ready_producer(kafka_topics.entries)  # type: ignore[attr-defined]
    for value in raw:
        producer.send(kafka_topics.entries, key=plate.encode(), value=value)
    producer.flush()
    publish_event(bus, kafka_topics, refused)
    publish_event(bus, kafka_topics, last)
    bus.flush(30)

    service = running()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (
        last.event_id not in decided_ids(store)
        or service.meter.totals["dead_letters"] < len(raw) + 1  # counted once delivered
    ):
        time.sleep(0.2)

    assert decided_ids(store) == {first.event_id, last.event_id}
    letters = consume(bus, kafka_topics.deadletter, len(raw) + 1)
    reasons = [m.json()["reason"] for m in letters]
    assert len(reasons) == len(raw) + 1, reasons
    assert all(len(r) < 700 for r in reasons)
    store_reasons = [r for r in reasons if r.startswith("store refused")]
    assert len(store_reasons) == 1
    assert ("test_refused" in store_reasons[0]) or ("refused by the test" in store_reasons[0])
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(Entry)) == 2


def test_a_batch_the_store_refuses_whole_stops(store: Store, matcher: InProcessMatcher) -> None:
    """Every record of a batch refused is not their fault (a constraint on everything, a bug):
    the error propagates and the matcher stops rather than dead-letter the stream."""
    refuse_camera(store)
    events = [make_event(f"75A9999{i}", camera_id=REFUSED_CAMERA) for i in range(3)]
    with pytest.raises(Exception, match=r"test_refused|refused by the test"):
        record(matcher, events)
    assert stored_ids(store) == set()
