"""The relay's lease on both stores (in-memory bus): one relay publishes at a time, a standby
takes over when the holder releases or its lease runs out, and rows go out once, in order."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from matcher.relay import OutboxRelay, RelayOptions
from pipeline.bus import MemoryBus, Topics
from store import Store
from tests.api.conftest import make_flags


def test_one_relay_at_a_time_and_takeover(store: Store) -> None:
    bus, topics = MemoryBus(), Topics()
    now = [datetime.now(UTC)]
    options = RelayOptions(batch=3, lease_s=10)
    first = OutboxRelay(store, bus, topics=topics, options=options, holder="a",
                        clock=lambda: now[0])  # fmt: skip
    second = OutboxRelay(store, bus, topics=topics, options=options, holder="b",
                         clock=lambda: now[0])  # fmt: skip
    consumer = bus.subscribe([topics.flags], "reader")
    flag_ids = make_flags(store, 7)

    assert first.run_once() == 3  # holds the lease
    assert second.run_once() == 0  # waits: the lease is a's
    first.release()
    assert second.run_once() == 3  # took over at once
    now[0] += timedelta(seconds=11)  # b stops renewing: its lease runs out
    second._has_lease = False  # as if b had died (a restarted b starts without the lease)
    assert first.run_once() == 1 and first.run_once() == 0
    got = [json.loads(m.value)["flag_id"] for m in consumer.poll(100)]
    assert got == flag_ids  # each row once, in outbox order
    assert first.backlog() == 0
