"""KafkaBus against a real broker (one per session, see tests/conftest_kafka.py)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewPartitions

from pipeline.bus import Consumer, Message, PublishError, Topics, open_bus, publish_event
from pipeline.bus.kafka_bus import KafkaBus
from tests.bus.factories import make_event
from tooling.kafka_broker import KafkaBroker

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "schemas" / "entry_event.v1.json"


@pytest.fixture
def bus(kafka_broker: KafkaBroker) -> Iterator[KafkaBus]:
    bus = open_bus(kafka_broker.url + "?partitions=3")
    assert isinstance(bus, KafkaBus)
    yield bus
    bus.close(timeout=10)


def consume(consumer: Consumer, want: int, timeout_s: float = 30.0) -> list[Message]:
    """Poll until ``want`` records arrived (the first polls may only join the group)."""
    got: list[Message] = []
    deadline = time.monotonic() + timeout_s
    while len(got) < want and time.monotonic() < deadline:
        got += consumer.poll(500)
    return got


def group() -> str:
    return f"g-{uuid.uuid4().hex[:8]}"


def test_round_trip_entries_match_the_published_schema(bus: KafkaBus, kafka_topics: Topics) -> None:
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    plates = ["75A12345", "75B67890", "43A11111", None]
    events = [make_event(i, plate=plates[i % 4], camera=f"cam-{i % 2}") for i in range(40)]
    for event in events:
        publish_event(bus, kafka_topics, event)
    bus.flush(30)

    with bus.subscribe([kafka_topics.entries], group()) as consumer:
        msgs = consume(consumer, len(events))
    assert len(msgs) == len(events)
    by_id = {e.event_id: e for e in events}
    for m in msgs:
        value = m.json()
        validator.validate(value)
        sent = by_id.pop(value["event_id"])
        assert m.key == sent.key
        assert value == sent.model_dump(mode="json")
    assert not by_id
    # Per-plate order: every key lands on one partition, in publish order.
    partitions = defaultdict(set)
    for m in msgs:
        partitions[m.key].add(m.partition)
    assert all(len(p) == 1 for p in partitions.values())


def test_uncommitted_records_come_back_committed_ones_do_not(
    bus: KafkaBus, kafka_topics: Topics
) -> None:
    topic, g = kafka_topics.flags, group()
    for i in range(5):
        bus.publish(topic, f"k{i}", {"i": i})
    bus.flush(30)

    with bus.subscribe([topic], g) as c:
        first = consume(c, 5)  # polled, never committed: a crash before the store write
    with bus.subscribe([topic], g) as c:
        again = consume(c, 5)
        c.commit()
    assert sorted(m.json()["i"] for m in first) == list(range(5))
    assert sorted((m.partition, m.offset) for m in again) == sorted(
        (m.partition, m.offset) for m in first
    )

    bus.publish(topic, "sentinel", {"i": "sentinel"})
    bus.flush(30)
    with bus.subscribe([topic], g) as c:
        after = consume(c, 1)
        time.sleep(0.5)
        after += c.poll(200)
    assert [m.json()["i"] for m in after] == ["sentinel"]


def test_publishes_during_a_broker_restart_arrive_exactly_once(
    kafka_broker: KafkaBroker, bus: KafkaBus, kafka_topics: Topics
) -> None:
    topic = kafka_topics.entries
    bus.publish(topic, "warm-up", {"seq": -1})  # creates the topic and connects the producer
    bus.flush(30)

    keys = [f"75A{n:05d}" for n in range(7)]
    sent: list[int] = []
    stop = threading.Event()

    def produce() -> None:
        seq = 0
        while not stop.is_set():
            bus.publish(topic, keys[seq % len(keys)], {"seq": seq})
            sent.append(seq)
            seq += 1
            time.sleep(0.005)

    producer = threading.Thread(target=produce)
    producer.start()
    try:
        time.sleep(0.5)
        kafka_broker.stop()  # clean shutdown mid-stream: in-flight batches lose their acks
        sent_before_outage_ended = len(sent)
        time.sleep(1.0)  # publishes keep queueing while the broker is away
        kafka_broker.start()  # same port, same data
        time.sleep(0.5)
    finally:
        stop.set()
        producer.join()
    assert len(sent) > sent_before_outage_ended  # publish did not block during the outage
    bus.flush(60)

    with bus.subscribe([topic], group()) as c:
        msgs = consume(c, len(sent) + 1, timeout_s=60)
        msgs += c.poll(500)  # anything beyond the expected count would be a duplicate
    seqs = [m.json()["seq"] for m in msgs if m.key != "warm-up"]
    assert sorted(seqs) == sent  # none lost, none twice
    per_key: dict[str | None, list[int]] = defaultdict(list)
    for m in sorted(msgs, key=lambda m: (m.partition, m.offset)):
        per_key[m.key].append(m.json()["seq"])
    for key in keys:
        assert per_key[key] == sorted(per_key[key])  # order per plate survived the retries


def test_a_rejected_record_fails_flush_not_publish(
    kafka_broker: KafkaBroker, bus: KafkaBus, kafka_topics: Topics
) -> None:
    topic = kafka_topics.flags
    admin = KafkaAdminClient(bootstrap_servers=kafka_broker.bootstrap)
    try:  # a topic that refuses big records: a non-retriable broker error
        spec = {"num_partitions": 1, "replication_factor": 1,
                "configs": {"max.message.bytes": "200"}}  # fmt: skip
        admin.create_topics({topic: spec}, wait_for_metadata=True)
    finally:
        admin.close()
    bus.publish(topic, "small", {"ok": 1})
    bus.publish(topic, "big", {"blob": "x" * 1000})
    with pytest.raises(PublishError, match=r"1 records not delivered.*big"):
        bus.flush(30)
    bus.flush(30)  # failures are reported once


def test_flush_is_not_starved_by_a_publisher_that_keeps_going(
    bus: KafkaBus, kafka_topics: Topics
) -> None:
    # The matcher's delivery thread flushes batch N while its writer publishes batch N+1: the
    # flush must return once what was published before it is acknowledged.
    bus.publish(kafka_topics.flags, "k", {"n": -1})
    bus.flush(30)  # topic created, producer connected
    stop = threading.Event()

    def keep_publishing() -> None:
        n = 0
        while not stop.is_set():
            bus.publish(kafka_topics.flags, f"k{n % 7}", {"n": n})
            n += 1

    publisher = threading.Thread(target=keep_publishing, daemon=True)
    publisher.start()
    try:
        time.sleep(0.2)
        started = time.monotonic()
        bus.flush(15)
        assert time.monotonic() - started < 10
    finally:
        stop.set()
        publisher.join(10)
    bus.flush(30)


def test_a_rebalance_during_short_polls_still_assigns_the_new_partitions(
    kafka_broker: KafkaBroker, kafka_topics: Topics
) -> None:
    # Partitions added to a subscribed topic start a rebalance; polls that time out mid-join
    # (timeout 0, as a busy matcher's short polls can) must still end with every partition
    # assigned and fetched. kafka-python 3.0 lost such a join (kafka_bus.rejoin_if_stranded):
    # the member stayed without partitions.
    one = open_bus(kafka_broker.url + "?partitions=1")
    topic = kafka_topics.entries
    try:
        one.publish(topic, "k", {"n": 0})
        one.flush(30)
        with one.subscribe([topic], group()) as consumer:
            got = consume(consumer, 1)
            assert len(got) == 1
            admin = KafkaAdminClient(bootstrap_servers=kafka_broker.bootstrap)
            try:
                admin.create_partitions({topic: NewPartitions(total_count=3)})
            finally:
                admin.close()
            deadline = time.monotonic() + 45
            assigned: set[int] = set()
            while len(assigned) < 3 and time.monotonic() < deadline:
                got += consumer.poll(0)
                assigned = {tp.partition for tp in consumer._consumer.assignment()}  # type: ignore[attr-defined]
            assert assigned == {0, 1, 2}
            producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap)
            try:  # a fresh producer: the bus's own has not seen the new partitions yet
                producer.send(topic, key=b"k", value=b'{"n": 1}', partition=2).get(30)
            finally:
                producer.close(10)
            got += consume(consumer, 1)
            assert [(m.partition, m.json()) for m in got] == [(0, {"n": 0}), (2, {"n": 1})]
    finally:
        one.close(timeout=10)
