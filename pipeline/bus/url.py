"""``open_bus(url)``: the one way configuration picks a bus."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from pipeline.bus.base import Bus
from pipeline.bus.memory import MemoryBus

_USAGE = "bus URL must be memory:// or kafka://HOST:PORT[,HOST:PORT...][?partitions=N]"


def open_bus(url: str) -> Bus:
    """``memory://`` -> MemoryBus; ``kafka://h1:9092,h2:9092`` -> KafkaBus.

    Kafka URLs take optional ``partitions`` and ``replication`` query parameters, used only
    when the bus creates a missing topic.
    """
    parts = urlsplit(url)
    if parts.scheme == "memory" and not parts.netloc and parts.path in ("", "/"):
        return MemoryBus()
    if parts.scheme != "kafka" or not parts.netloc:
        raise ValueError(f"{_USAGE}; got {url!r}")
    servers = parts.netloc.split(",")
    for server in servers:
        host, sep, port = server.rpartition(":")
        if not (host and sep and port.isdigit() and 0 < int(port) < 65536):
            raise ValueError(f"{_USAGE}; bad server {server!r} in {url!r}")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    unknown = set(query) - {"partitions", "replication"}
    if unknown or not all(v.lstrip("-").isdigit() for v in query.values()):
        raise ValueError(f"{_USAGE}; bad query in {url!r}")
    # Imported here so the memory bus does not load the Kafka client.
    from pipeline.bus.kafka_bus import KafkaBus

    return KafkaBus(
        servers,
        partitions=int(query.get("partitions", 6)),
        replication_factor=int(query.get("replication", -1)),
    )
