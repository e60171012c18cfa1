"""The bus interface: publish keyed JSON values; consume them in groups, committing explicitly."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any, NamedTuple, Self

from pipeline.bus.errors import BusError


class Message(NamedTuple):
    """One consumed record. ``value`` is the raw bytes: decoding is the consumer's decision.

    A NamedTuple (immutable like a frozen dataclass, a third of its construction cost): the
    matcher builds one per record, tens of thousands a second."""

    topic: str
    partition: int
    offset: int
    key: str | None
    value: bytes
    timestamp: datetime

    def json(self) -> Any:
        """The value as JSON; raises ``ValueError`` (dead-letter it) when it is not."""
        return json.loads(self.value)


def encode_value(value: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON, the one wire encoding of both implementations."""
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError) as e:
        raise BusError(f"value is not JSON-serialisable: {e}") from e


class _Closing:
    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc: type[BaseException] | None, val: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @abstractmethod
    def close(self) -> None: ...


class Consumer(_Closing, ABC):
    """A group member reading some topics. Offsets move only on ``commit``."""

    @abstractmethod
    def poll(self, timeout_ms: int = 1000) -> list[Message]:
        """Records after the last poll, waiting up to ``timeout_ms`` for the first one."""

    @abstractmethod
    def commit(
        self, offsets: Mapping[tuple[str, int], int] | None = None, *, wait: bool = True
    ) -> None:
        """Commit ``offsets`` (``(topic, partition)`` -> the next offset to read), or by default
        everything returned by ``poll`` so far. Call it after your store write. With
        ``wait=False`` the commit completes in the background (a failure is logged: the records
        are then delivered again)."""


class Bus(_Closing, ABC):
    """Keyed JSON publishing plus group consumers; records with one key keep their order."""

    def publish(self, topic: str, key: str, value: Mapping[str, Any]) -> None:
        """Queue one record; it is delivered in the background (see ``flush``)."""
        self.publish_encoded(topic, key, encode_value(value))

    @abstractmethod
    def publish_encoded(self, topic: str, key: str, data: bytes) -> None:
        """``publish`` for a value already encoded as UTF-8 JSON (e.g. by pydantic's
        ``model_dump_json``, several times faster than ``model_dump`` plus ``json.dumps``)."""

    @abstractmethod
    def flush(self, timeout: float | None = None) -> None:
        """Wait until every queued record is delivered; raises ``PublishError`` if any failed."""

    def ensure_topics(self, topics: Iterable[str]) -> None:
        """Create the topics that are missing (Kafka: with the bus's partition count), so a
        consumer started before the first record finds them. Nothing to do in memory."""
        del topics

    @abstractmethod
    def subscribe(self, topics: Iterable[str], group_id: str) -> Consumer:
        """A new consumer in ``group_id``, starting at the group's committed offsets (or the
        beginning for a new group)."""
