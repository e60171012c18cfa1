"""In-process bus: the embedded default (``memory://``), for the demo and unit tests.

Same contract as Kafka where it matters to callers: per-key order through key-hashed partitions,
per-group committed offsets, redelivery of what was polled but not committed. Simplifications:
records are kept for the life of the bus (no retention), and a group has one live consumer at a
time (no partition assignment), which is how the in-process matcher uses it.
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from pipeline.bus.base import Bus, Consumer, Message
from pipeline.bus.errors import BusError

TopicPartition = tuple[str, int]


class MemoryBus(Bus):
    def __init__(self, partitions: int = 1, max_poll_records: int = 500) -> None:
        if partitions < 1:
            raise ValueError("partitions must be >= 1")
        self.partitions = partitions
        self.max_poll_records = max_poll_records
        # One condition guards everything; consumers wait on it for new records.
        self._cond = threading.Condition()
        self._logs: dict[str, list[list[Message]]] = {}
        self._committed: dict[str, dict[TopicPartition, int]] = {}
        self._members: dict[str, MemoryConsumer] = {}
        self._closed = False

    def publish_encoded(self, topic: str, key: str, data: bytes) -> None:
        with self._cond:
            self._check_open()
            parts = self._log(topic)
            # crc32, not hash(): stable across processes, like Kafka's murmur2 partitioner.
            p = zlib.crc32(key.encode("utf-8")) % len(parts)
            now = datetime.now(UTC)
            parts[p].append(Message(topic, p, len(parts[p]), key, data, now))
            self._cond.notify_all()

    def flush(self, timeout: float | None = None) -> None:
        """Nothing to wait for: ``publish`` appends synchronously."""

    def subscribe(self, topics: Iterable[str], group_id: str) -> MemoryConsumer:
        with self._cond:
            self._check_open()
            if group_id in self._members:
                raise BusError(f"MemoryBus group {group_id!r} already has a live consumer")
            consumer = MemoryConsumer(self, tuple(topics), group_id)
            self._members[group_id] = consumer
            return consumer

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def records(self, topic: str) -> list[Message]:
        """Every record of ``topic`` so far, partition by partition (for tests and the demo)."""
        with self._cond:
            return [m for part in self._logs.get(topic, []) for m in part]

    # -- used by MemoryConsumer, always under self._cond --

    def _log(self, topic: str) -> list[list[Message]]:
        return self._logs.setdefault(topic, [[] for _ in range(self.partitions)])

    def _check_open(self) -> None:
        if self._closed:
            raise BusError("bus is closed")


class MemoryConsumer(Consumer):
    def __init__(self, bus: MemoryBus, topics: tuple[str, ...], group_id: str) -> None:
        self._bus = bus
        self.topics = topics
        self.group_id = group_id
        self._positions: dict[TopicPartition, int] = {}
        self._closed = False

    def poll(self, timeout_ms: int = 1000) -> list[Message]:
        deadline = time.monotonic() + timeout_ms / 1000
        cond = self._bus._cond
        with cond:
            while True:
                if self._closed:
                    raise BusError("consumer is closed")
                self._bus._check_open()
                batch = self._take(self._bus.max_poll_records)
                remaining = deadline - time.monotonic()
                if batch or remaining <= 0:
                    return batch
                cond.wait(remaining)

    def commit(
        self, offsets: Mapping[TopicPartition, int] | None = None, *, wait: bool = True
    ) -> None:
        with self._bus._cond:
            if self._closed:
                raise BusError("consumer is closed")
            committed = self._bus._committed.setdefault(self.group_id, {})
            committed.update(self._positions if offsets is None else offsets)

    def close(self) -> None:
        with self._bus._cond:
            if not self._closed:
                self._closed = True
                self._bus._members.pop(self.group_id, None)

    def _take(self, limit: int) -> list[Message]:
        committed = self._bus._committed.get(self.group_id, {})
        batch: list[Message] = []
        for topic in self.topics:
            for p, part in enumerate(self._bus._logs.get(topic, [])):
                tp = (topic, p)
                start = self._positions.setdefault(tp, committed.get(tp, 0))
                taken = part[start : start + limit - len(batch)]
                batch.extend(taken)
                self._positions[tp] = start + len(taken)
                if len(batch) >= limit:
                    return batch
        return batch
