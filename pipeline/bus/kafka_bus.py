"""Kafka implementation of the bus (kafka-python).

Producer: idempotent, ``acks=all``, unlimited retries within a long delivery timeout, so a broker
that goes away and comes back costs latency, not records or duplicates. Consumer: no auto-commit,
new groups start at the earliest offset. Topics missing on first use are created.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from kafka.admin import KafkaAdminClient
from kafka.consumer import KafkaConsumer
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.coordinator.base import MemberState
from kafka.errors import KafkaError, TopicAlreadyExistsError
from kafka.producer import KafkaProducer
from kafka.structs import OffsetAndMetadata, TopicPartition
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_delay, wait_fixed

from pipeline.bus.base import Bus, Consumer, Message
from pipeline.bus.deliveries import DeliveryTracker
from pipeline.bus.errors import BusError, CommitError, PublishError

log = logging.getLogger(__name__)

# Long enough to ride out a broker restart or a short outage; publishes queue meanwhile.
DEFAULT_DELIVERY_TIMEOUT_MS = 10 * 60_000
# Shared settings: reconnect within a second of the broker's return, not the 30 s default.
_CLIENT = {"reconnect_backoff_max_ms": 1000, "retry_backoff_ms": 200}
# A group's first join can come before the broker serves a just-created topic's partitions (seen
# under load): the leader then assigns nothing ("No partition metadata"), and kafka-python looks
# again only at its next metadata refresh, every 5 minutes by default. Every 10 s, a missed topic
# is picked up within seconds: the group rejoins when its topics' partitions change, and
# rejoin_if_stranded sees that join through. (Waiting for the partitions before joining would
# need kafka-python's metadata call, which has no timeout: a broker that went away then would
# hang the subscribe.)
_CONSUMER_METADATA_MAX_AGE_MS = 10_000


@contextlib.contextmanager
def _translated(error: type[BusError], what: str) -> Iterator[None]:
    """The single place where client-library errors become bus errors."""
    try:
        yield
    except KafkaError as e:
        raise error(f"{what}: {e}") from e


class KafkaBus(Bus):
    def __init__(
        self,
        bootstrap_servers: str | Sequence[str],
        *,
        partitions: int = 6,
        replication_factor: int = -1,
        client_id: str = "entrywatch",
        delivery_timeout_ms: int = DEFAULT_DELIVERY_TIMEOUT_MS,
        max_block_ms: int = DEFAULT_DELIVERY_TIMEOUT_MS,
        producer_config: Mapping[str, Any] | None = None,
        consumer_config: Mapping[str, Any] | None = None,
    ) -> None:
        """``replication_factor=-1`` takes the cluster's default. ``max_block_ms`` bounds how
        long ``publish`` may block: when the buffer is full, or the broker is away on first use.
        ``*_config`` pass extra kafka-python settings (security, sizes) through unchanged."""
        servers = bootstrap_servers
        self.bootstrap_servers = [servers] if isinstance(servers, str) else list(servers)
        self.partitions = partitions
        self.replication_factor = replication_factor
        self.client_id = client_id
        self.delivery_timeout_ms = delivery_timeout_ms
        self.max_block_ms = max_block_ms
        self._producer_config = dict(producer_config or {})
        self._consumer_config = dict(consumer_config or {})
        self._lock = threading.Lock()
        self._producer: KafkaProducer | None = None
        self._known_topics: set[str] = set()
        # Records sent but not yet acknowledged or failed; a flush waits for those sent before it.
        self._deliveries = DeliveryTracker()
        self._closed = False

    def publish_encoded(self, topic: str, key: str, data: bytes) -> None:
        producer = self._ready_producer(topic)
        seq = self._deliveries.sent()
        try:
            with _translated(BusError, f"publish to {topic}"):
                future = producer.send(topic, key=key.encode("utf-8"), value=data)
        except BaseException:
            self._deliveries.settle(seq)  # never sent: nothing to wait for (the caller knows)
            raise
        future.add_callback(lambda _: self._deliveries.settle(seq))
        future.add_errback(self._on_failure, topic, key, seq)

    def flush(self, timeout: float | None = None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        producer = self._producer
        if producer is not None:
            try:
                producer.flush(timeout)
            except KafkaError as e:
                # kafka-python's flush can give up early (e.g. on a batch it split after
                # RecordTooLarge); the per-record futures below are the authority.
                log.debug("producer flush: %s", e)
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        failures = self._deliveries.wait(left)
        if failures:
            more = f" (and {len(failures) - 3} more)" if len(failures) > 3 else ""
            raise PublishError(f"{len(failures)} records not delivered: {failures[:3]}{more}")

    def ensure_topics(self, topics: Iterable[str]) -> None:
        for topic in topics:
            self._ensure_topic(topic)

    def subscribe(self, topics: Iterable[str], group_id: str) -> KafkaConsumerAdapter:
        names = list(topics)
        for topic in names:
            self._ensure_topic(topic)
        config: dict[str, Any] = {
            **_CLIENT,
            "bootstrap_servers": self.bootstrap_servers,
            "client_id": self.client_id,
            "group_id": group_id,
            "enable_auto_commit": False,  # offsets move only when the caller has stored the work
            "auto_offset_reset": "earliest",  # a new group sees history, not just what's next
            "metadata_max_age_ms": _CONSUMER_METADATA_MAX_AGE_MS,
            **self._consumer_config,
        }
        with _translated(BusError, f"subscribe {names} as {group_id}"):
            consumer = KafkaConsumer(**config)
            consumer.subscribe(topics=names, listener=_AssignmentLog(group_id))
            return KafkaConsumerAdapter(consumer)

    def close(self, timeout: float | None = 30.0) -> None:
        """Deliver what is queued (up to ``timeout`` s), then release the connections."""
        with self._lock:
            producer, self._producer, self._closed = self._producer, None, True
        if producer is not None:
            with _translated(BusError, "close"):
                producer.close(timeout=timeout)

    # -- internals --

    def _ready_producer(self, topic: str) -> KafkaProducer:
        with self._lock:
            if self._closed:
                raise BusError("bus is closed")
        self._ensure_topic(topic)
        with self._lock:
            if self._producer is None:
                config: dict[str, Any] = {
                    **_CLIENT,
                    "bootstrap_servers": self.bootstrap_servers,
                    "client_id": self.client_id,
                    "acks": "all",
                    "enable_idempotence": True,  # retries after a lost ack never duplicate
                    "delivery_timeout_ms": self.delivery_timeout_ms,
                    "max_block_ms": self.max_block_ms,
                    "linger_ms": 5,
                    **self._producer_config,
                }
                with _translated(BusError, "connect producer"):
                    self._producer = KafkaProducer(**config)
            return self._producer

    def _ensure_topic(self, topic: str) -> None:
        """Create ``topic`` if missing, retrying while the cluster is away (up to max_block)."""
        if topic in self._known_topics:
            return

        def not_ready(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            log.warning("topic %s not ready (%s); retrying", topic, error)

        retrying = Retrying(
            retry=retry_if_exception(lambda e: isinstance(e, KafkaError) and e.retriable),
            stop=stop_after_delay(self.max_block_ms / 1000),
            wait=wait_fixed(1.0),
            before_sleep=not_ready,
            reraise=True,
        )
        try:
            retrying(self._create_if_missing, topic)
        except KafkaError as e:
            raise BusError(f"cannot create topic {topic}: {e}") from e

    def _create_if_missing(self, topic: str) -> None:
        admin = KafkaAdminClient(
            **_CLIENT,
            bootstrap_servers=self.bootstrap_servers,
            client_id=self.client_id,
            bootstrap_timeout_ms=min(self.max_block_ms, 30_000),
            **self._admin_extras(),
        )
        try:
            # Listing first: on a managed cluster the topics usually exist and creating may be
            # forbidden, so only ask for what is missing.
            existing = set(admin.list_topics())
            if topic not in existing:
                spec = {"num_partitions": self.partitions,
                        "replication_factor": self.replication_factor}  # fmt: skip
                with contextlib.suppress(TopicAlreadyExistsError):  # another process won
                    admin.create_topics({topic: spec}, wait_for_metadata=True)
                    log.info("created topic %s (%d partitions)", topic, self.partitions)
                existing.add(topic)
        finally:
            admin.close()
        with self._lock:
            self._known_topics |= existing

    def _admin_extras(self) -> dict[str, Any]:
        # Security settings given for the producer apply to the admin client too.
        return {k: v for k, v in self._producer_config.items() if k.startswith(("security", "ssl",
                "sasl"))}  # fmt: skip

    def _on_failure(self, topic: str, key: str, seq: int, exc: BaseException) -> None:
        log.error("record not delivered: topic=%s key=%s: %s", topic, key, exc)
        self._deliveries.settle(seq, f"{topic}/{key}: {exc}")


def describe_partitions(partitions: Iterable[TopicPartition]) -> str:
    """``topic[0,2,4]`` per topic, sorted: one short line however many partitions."""
    by_topic: dict[str, list[int]] = {}
    for tp in partitions:
        by_topic.setdefault(tp.topic, []).append(tp.partition)
    if not by_topic:
        return "none"
    return " ".join(f"{t}[{','.join(map(str, sorted(p)))}]" for t, p in sorted(by_topic.items()))


class _AssignmentLog(ConsumerRebalanceListener):
    """Logs which partitions this group member owns after each rebalance: after a member died,
    the first thing an operator asks is who took its partitions over.

    kafka-python calls it on its IO thread, the one that sends heartbeats, so it only logs:
    a listener that blocks (committing, waiting for writes) would stall the heartbeats and
    cannot call the consumer's blocking methods there anyway. Work in flight when partitions
    move is safe without it: the matcher's writes are idempotent by ``event_id``, and offsets
    are only ever committed for work stored (``matcher.checkpoint``)."""

    def __init__(self, group_id: str) -> None:
        self.group_id = group_id

    def on_partitions_revoked(self, revoked: Any) -> None:
        log.debug("group %s: rebalancing, giving up %s", self.group_id,
                  describe_partitions(revoked))  # fmt: skip

    def on_partitions_assigned(self, assigned: Any) -> None:
        log.info("group %s: assigned %s", self.group_id, describe_partitions(assigned))

    def on_partitions_lost(self, lost: Any) -> None:
        log.warning("group %s: membership lost (session expired?), %s taken away",
                    self.group_id, describe_partitions(lost))  # fmt: skip


def rejoin_if_stranded(consumer: KafkaConsumer) -> bool:
    """Ask for a new join when kafka-python has lost the one in flight; True if it had.

    kafka-python 3.0 (3.0.12 here) drops a rebalance that a metadata or subscription change
    started when a poll's timeout ends mid-join: once the leader has computed the assignment
    (or the join request carries the new subscription), ``need_rejoin()`` turns False, so no
    later poll awaits the finished join. The member then stays REBALANCING with no partitions
    until the next change: a matcher fed nothing (seen in CI after a first join that came
    before the topic's metadata). A first join, or one after an error, is not affected (its
    rejoin flag holds until the join is awaited). Requesting a rejoin makes the next poll run
    a fresh join to the end: one more rebalance, nothing lost (offsets were not moved).
    """
    coordinator = getattr(consumer, "_coordinator", None)
    if coordinator is None or getattr(coordinator, "state", None) is not MemberState.REBALANCING:
        return False
    if coordinator.need_rejoin():
        return False  # a join the next poll will carry on with
    log.info("group %s: a rebalance was lost mid-join; joining again", coordinator.group_id)
    coordinator.request_rejoin()
    return True


def _log_failed_commit(offsets: Any, result: Any) -> None:
    if isinstance(result, Exception):
        log.warning("offsets not committed (%s); those records will be delivered again", result)


class KafkaConsumerAdapter(Consumer):
    def __init__(self, consumer: KafkaConsumer) -> None:
        self._consumer = consumer

    def poll(self, timeout_ms: int = 1000) -> list[Message]:
        with _translated(BusError, "poll"):
            batches = self._consumer.poll(timeout_ms=timeout_ms)
        rejoin_if_stranded(self._consumer)
        # Positional (topic, partition, offset, key, value, timestamp): one per record.
        return [
            Message(
                r.topic,
                r.partition,
                r.offset,
                r.key.decode("utf-8", errors="replace") if r.key is not None else None,
                r.value if r.value is not None else b"",
                datetime.fromtimestamp(r.timestamp / 1000, UTC),
            )
            for records in batches.values()
            for r in records
        ]

    def commit(
        self, offsets: Mapping[tuple[str, int], int] | None = None, *, wait: bool = True
    ) -> None:
        explicit = None
        if offsets is not None:
            explicit = {
                TopicPartition(topic, partition): OffsetAndMetadata(offset, "", -1)
                for (topic, partition), offset in offsets.items()
            }
        with _translated(CommitError, "commit"):
            if wait:
                self._consumer.commit(explicit)
            else:
                self._consumer.commit_async(explicit, callback=_log_failed_commit)

    def close(self) -> None:
        # No autocommit on close: only an explicit commit() marks work as done.
        with _translated(BusError, "close consumer"):
            self._consumer.close(autocommit=False)
