"""Matcher fixtures: a real broker (session), and every store test on SQLite and PostgreSQL.

``db_url``, ``store`` and ``pg_server`` come from tests/conftest_db.py, shared by every suite.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import jsonschema
import pytest

from matcher import BatchStats, MatcherOptions, MatcherService
from matcher.bus import open_matcher_bus
from pipeline.bus import Bus, Consumer, Message, Topics
from store import Store
from tooling.kafka_broker import KafkaBroker

ROOT = Path(__file__).resolve().parents[2]
FLAG_SCHEMA = json.loads((ROOT / "docs" / "schemas" / "flag_event.v1.json").read_text())
DATA = Path(__file__).parent / "data"


@pytest.fixture
def bus(kafka_broker: KafkaBroker) -> Iterator[Bus]:
    bus = open_matcher_bus(kafka_broker.url + "?partitions=3", batch=500)
    yield bus
    bus.close(timeout=10)


@pytest.fixture
def group() -> str:
    return f"matcher-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def make_service(
    bus: Bus, store: Store, kafka_topics: Topics, group: str
) -> Iterator[Callable[..., MatcherService]]:
    made: list[MatcherService] = []

    def make(
        on_batch: Callable[[BatchStats], None] | None = None, **options: object
    ) -> MatcherService:
        opts = MatcherOptions(group=group, poll_timeout_ms=200, **options)  # type: ignore[arg-type]
        service = MatcherService(bus, store, topics=kafka_topics, options=opts, on_batch=on_batch)
        made.append(service)
        return service

    yield make
    for service in made:
        service.close()


def drain(service: MatcherService, want: int, timeout_s: float = 30.0) -> int:
    """Run batches until ``want`` records were handled (the first polls may only join)."""
    done = 0
    deadline = time.monotonic() + timeout_s
    while done < want and time.monotonic() < deadline:
        done += service.run_once().records
    return done


def consume(bus: Bus, topic: str, want: int, timeout_s: float = 30.0) -> list[Message]:
    """At least ``want`` records of ``topic`` (fewer on timeout), and any that follow at once."""
    return consume_until(bus, topic, lambda got: len(got) >= want, timeout_s)


def consume_until(
    bus: Bus, topic: str, done: Callable[[list[Message]], bool], timeout_s: float = 30.0
) -> list[Message]:
    """Records of ``topic`` from the start until ``done(records so far)`` (or the timeout), and
    any that follow at once: a duplicate would show up within a short extra wait."""
    got: list[Message] = []
    consumer: Consumer
    with bus.subscribe([topic], f"reader-{uuid.uuid4().hex[:8]}") as consumer:
        deadline = time.monotonic() + timeout_s
        while not done(got) and time.monotonic() < deadline:
            got += consumer.poll(300)
        got += consumer.poll(300)
    return got


def validated_flags(messages: list[Message]) -> list[dict]:
    """Flag values, each checked against the published schema."""
    validator = jsonschema.Draft202012Validator(FLAG_SCHEMA)
    values = []
    for m in messages:
        value = m.json()
        validator.validate(value)
        assert m.key == (value["plate"] or f"camera:{value['camera_id']}")
        values.append(value)
    return values
