"""Opening the bus with the consumer settings the matcher's batching wants."""

from __future__ import annotations

from pipeline.bus import Bus, open_bus


def open_matcher_bus(url: str, batch: int) -> Bus:
    """``open_bus(url)``, but a Kafka consumer fetches whole batches: up to ``batch`` records per
    poll, and fetches big enough to fill them in one round trip."""
    bus = open_bus(url)
    from pipeline.bus.kafka_bus import KafkaBus

    if not isinstance(bus, KafkaBus):
        return bus
    return KafkaBus(
        bus.bootstrap_servers,
        partitions=bus.partitions,
        replication_factor=bus.replication_factor,
        consumer_config={
            "max_poll_records": batch,
            # Return as soon as anything is there (latency), but let a backlog come in big
            # fetches (throughput): 1 byte minimum, 8 MiB per partition and per fetch.
            "fetch_min_bytes": 1,
            "fetch_max_wait_ms": 100,
            "max_partition_fetch_bytes": 8 << 20,
            "fetch_max_bytes": 64 << 20,
            # A crashed matcher's partitions move to the others after 10 s, not the 45 s default.
            "session_timeout_ms": 10_000,
        },
        # Flags go out in one flush per batch; a tiny linger lets them share produce requests.
        producer_config={"linger_ms": 2, "batch_size": 256 << 10},
    )
