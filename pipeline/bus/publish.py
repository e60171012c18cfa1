"""Domain helpers on top of ``Bus``: entry events and the dead-letter record."""

from __future__ import annotations

import base64
from typing import Any

from pipeline.bus.base import Bus, Message
from pipeline.bus.topics import Topics
from pipeline.events import EntryEvent


def publish_event(bus: Bus, topics: Topics, event: EntryEvent) -> None:
    """Publish an entry keyed by plate (or camera), so one vehicle's events stay in order."""
    bus.publish_encoded(topics.entries, event.key, event.model_dump_json().encode())


def dead_letter(bus: Bus, topics: Topics, message: Message, reason: str) -> None:
    """Park a record the consumer cannot handle, with enough to find and replay it."""
    value: dict[str, Any] = {
        "reason": reason,
        "topic": message.topic,
        "partition": message.partition,
        "offset": message.offset,
        "key": message.key,
        "timestamp": message.timestamp.isoformat(),
    }
    try:
        value["value"] = message.value.decode("utf-8")
    except UnicodeDecodeError:
        value["value_base64"] = base64.b64encode(message.value).decode("ascii")
    # Same key as the original: a replay tool can put it back on the same partition.
    bus.publish(topics.deadletter, message.key or f"{message.topic}/{message.partition}", value)
