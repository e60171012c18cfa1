"""The event bus: in-memory by default, Kafka for deployments (``open_bus(url)``).

``KafkaBus`` lives in ``pipeline.bus.kafka_bus`` and is imported only when asked for.
"""

from pipeline.bus.base import Bus, Consumer, Message, encode_value
from pipeline.bus.errors import BusError, CommitError, FlushTimeout, PublishError
from pipeline.bus.memory import MemoryBus
from pipeline.bus.publish import dead_letter, publish_event
from pipeline.bus.topics import Topics
from pipeline.bus.url import open_bus

__all__ = [
    "Bus",
    "BusError",
    "CommitError",
    "Consumer",
    "FlushTimeout",
    "MemoryBus",
    "Message",
    "PublishError",
    "Topics",
    "dead_letter",
    "encode_value",
    "open_bus",
    "publish_event",
]
