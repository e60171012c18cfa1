from __future__ import annotations

import base64
import json
import threading
import time

import pytest

from pipeline.bus import (
    BusError,
    Consumer,
    MemoryBus,
    Message,
    Topics,
    dead_letter,
    encode_value,
    open_bus,
    publish_event,
)
from pipeline.bus.kafka_bus import KafkaBus
from tests.bus.factories import make_event

T = "t"


def drain(consumer: Consumer, want: int, timeout_s: float = 2.0) -> list[Message]:
    got: list[Message] = []
    deadline = time.monotonic() + timeout_s
    while len(got) < want and time.monotonic() < deadline:
        got += consumer.poll(50)
    return got


def test_round_trip_keeps_key_value_and_offsets() -> None:
    bus = MemoryBus()
    bus.publish(T, "k1", {"a": 1, "b": "ế"})
    bus.publish(T, "k2", {"a": 2})
    with bus.subscribe([T], "g") as c:
        msgs = c.poll(0)
    assert [(m.key, m.json()) for m in msgs] == [("k1", {"a": 1, "b": "ế"}), ("k2", {"a": 2})]
    assert [m.offset for m in msgs] == [0, 1]
    assert msgs[0].value == '{"a":1,"b":"ế"}'.encode()  # compact UTF-8, not \\u escapes
    assert msgs[0].timestamp.tzinfo is not None


def test_uncommitted_records_are_redelivered_committed_are_not() -> None:
    bus = MemoryBus()
    for i in range(3):
        bus.publish(T, "k", {"i": i})
    with bus.subscribe([T], "g") as c:
        assert len(c.poll(0)) == 3
    with bus.subscribe([T], "g") as c:
        assert [m.json()["i"] for m in c.poll(0)] == [0, 1, 2]
        c.commit()
    bus.publish(T, "k", {"i": 3})
    with bus.subscribe([T], "g") as c:
        assert [m.json()["i"] for m in c.poll(0)] == [3]


def test_groups_have_independent_offsets() -> None:
    bus = MemoryBus()
    bus.publish(T, "k", {"i": 0})
    with bus.subscribe([T], "a") as a:
        a.poll(0)
        a.commit()
    with bus.subscribe([T], "b") as b:
        assert len(b.poll(0)) == 1


def test_one_key_stays_on_one_partition_in_order() -> None:
    bus = MemoryBus(partitions=4)
    for i in range(40):
        bus.publish(T, f"plate{i % 5}", {"i": i})
    with bus.subscribe([T], "g") as c:
        msgs = c.poll(0)
    assert len(msgs) == 40
    by_key: dict[str, list[Message]] = {}
    for m in msgs:
        by_key.setdefault(m.key or "", []).append(m)
    assert len({m.partition for m in msgs}) > 1
    for records in by_key.values():
        assert len({m.partition for m in records}) == 1
        seq = [m.json()["i"] for m in records]
        assert seq == sorted(seq)


def test_poll_waits_for_a_publish_from_another_thread() -> None:
    bus = MemoryBus()
    c = bus.subscribe([T], "g")
    timer = threading.Timer(0.05, bus.publish, args=(T, "k", {"x": 1}))
    timer.start()
    started = time.monotonic()
    msgs = c.poll(2000)
    assert [m.json() for m in msgs] == [{"x": 1}]
    assert time.monotonic() - started < 1.5
    assert c.poll(10) == []


def test_concurrent_publishers_lose_nothing() -> None:
    bus = MemoryBus(partitions=3)

    def work(n: int) -> None:
        for i in range(200):
            bus.publish(T, f"w{n}", {"n": n, "i": i})

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with bus.subscribe([T], "g") as c:
        msgs = drain(c, 800)
    assert sorted((m.json()["n"], m.json()["i"]) for m in msgs) == [
        (n, i) for n in range(4) for i in range(200)
    ]


def test_poll_respects_max_records() -> None:
    bus = MemoryBus(max_poll_records=2)
    for i in range(5):
        bus.publish(T, "k", {"i": i})
    with bus.subscribe([T], "g") as c:
        assert [len(c.poll(0)) for _ in range(4)] == [2, 2, 1, 0]


def test_misuse_raises_bus_error() -> None:
    bus = MemoryBus()
    c = bus.subscribe([T], "g")
    with pytest.raises(BusError, match="live consumer"):
        bus.subscribe([T], "g")
    with pytest.raises(BusError, match="JSON"):
        bus.publish(T, "k", {"bad": object()})
    c.close()
    with pytest.raises(BusError):
        c.poll(0)
    bus.close()
    with pytest.raises(BusError):
        bus.publish(T, "k", {})


def test_encode_value_is_compact_utf8() -> None:
    assert encode_value({"a": [1, 2], "p": "Huế"}) == '{"a":[1,2],"p":"Huế"}'.encode()


def test_publish_event_keys_by_plate_or_camera() -> None:
    bus, topics = MemoryBus(), Topics()
    publish_event(bus, topics, make_event(1))
    publish_event(bus, topics, make_event(2, plate=None, camera="cam-9"))
    records = bus.records(topics.entries)
    assert [m.key for m in records] == ["75A12345", "camera:cam-9"]
    value = records[0].json()
    assert value["schema_version"] == 1
    assert value == make_event(1).model_dump(mode="json")


def test_dead_letter_keeps_the_original_as_text_or_base64() -> None:
    bus, topics = MemoryBus(), Topics()
    bus.publish("in", "k", {"ok": True})
    [good] = bus.records("in")
    bad = Message("in", 0, 7, None, b"\xff\x00", good.timestamp)
    dead_letter(bus, topics, good, "schema")
    dead_letter(bus, topics, bad, "not utf-8")
    first, second = (m.json() for m in bus.records(topics.deadletter))
    assert first["reason"] == "schema"
    assert (first["topic"], first["partition"], first["offset"]) == ("in", 0, 0)
    assert json.loads(first["value"]) == {"ok": True}
    assert base64.b64decode(second["value_base64"]) == b"\xff\x00"
    assert "value" not in second


def test_topics_defaults_and_prefix() -> None:
    assert Topics().all() == (
        "entrywatch.entries.v1",
        "entrywatch.flags.v1",
        "entrywatch.deadletter",
    )
    assert Topics.with_prefix("x.").entries == "x.entrywatch.entries.v1"


def test_open_bus_urls() -> None:
    assert isinstance(open_bus("memory://"), MemoryBus)
    bus = open_bus("kafka://h1:9092,h2:9093?partitions=3")
    assert isinstance(bus, KafkaBus)  # no connection until first use
    assert bus.bootstrap_servers == ["h1:9092", "h2:9093"]
    assert bus.partitions == 3
    for bad in ("", "redis://x:1", "kafka://", "kafka://host", "kafka://h:99999", "memory://x",
                "kafka://h:1?retries=3"):  # fmt: skip
        with pytest.raises(ValueError, match="bus URL"):
            open_bus(bad)
