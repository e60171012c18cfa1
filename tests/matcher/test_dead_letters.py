"""Malformed records go to the dead-letter topic with the reason; the valid ones around them are
decided and nothing else is disturbed."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from matcher import MatcherService
from pipeline.bus import Bus, Topics, publish_event
from store import Store
from store.models import DecisionRow
from tests.matcher.conftest import consume, drain
from tests.matcher.factories import make_event


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_malformed_records_are_dead_lettered(
    bus: Bus, store: Store, kafka_topics: Topics, make_service: Callable[..., MatcherService]
) -> None:
    plate = "75A55555"  # one key: the bad records sit between the good ones on one partition
    good = [make_event(plate) for _ in range(3)]
    v2 = {**good[0].model_dump(mode="json"), "schema_version": 2, "event_id": "x"}
    no_plate = good[1].model_dump(mode="json")
    del no_plate["plate"]
    topic = kafka_topics.entries
    publish_event(bus, kafka_topics, good[0])
    bus.publish(topic, plate, {"not": "an entry", "schema_version": 1})
    publish_event(bus, kafka_topics, good[1])
    bus.publish(topic, plate, v2)
    bus.publish(topic, plate, no_plate)
    publish_event(bus, kafka_topics, good[2])
    bus.flush(30)
    # Not JSON at all: below the bus interface, which only sends JSON.
    producer = bus._ready_producer(topic)  # type: ignore[attr-defined]
    producer.send(topic, key=plate.encode(), value=b"\xff not json {")
    producer.flush()

    service = make_service()
    assert drain(service, 7) == 7
    with store.session() as session:
        decided = set(session.scalars(select(DecisionRow.event_id)))
    assert decided == {e.event_id for e in good}

    letters = consume(bus, kafka_topics.deadletter, 4)
    reasons = sorted(m.json()["reason"] for m in letters)
    assert len(reasons) == 4, reasons
    assert reasons[0].startswith("not JSON")
    assert any(r.startswith("schema:") and "plate" in r for r in reasons)
    assert any("unknown schema_version 2" in r for r in reasons)
    assert sum(r.startswith("schema:") for r in reasons) == 2
    values = [m.json() for m in letters]
    assert all(v["topic"] == topic and v["key"] == plate for v in values)
    assert any("value_base64" in v for v in values)  # the non-UTF-8 one kept byte for byte
    assert any(json.loads(v.get("value", "{}")).get("schema_version") == 2 for v in values
               if "value" in v)  # fmt: skip
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(DecisionRow)) == 3
