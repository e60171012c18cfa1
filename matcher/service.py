"""``MatcherService``: consume entries, decide them in batches, store (flags into the outbox),
commit; its relay publishes the outbox.

Per batch, in this order (the order is the delivery guarantee):

1. poll up to ``batch`` records; decode each (bad ones are dead-lettered, see ``decode``);
2. prepare: decide each entry against the declarations (reads only);
3. write: store entry, decision, flag, its audit row and its FlagEvent in the outbox in one
   transaction, idempotent by ``event_id`` (an entry stored before keeps its stored decision),
   then publish the dead letters;
4. deliver: wait until the broker has acknowledged everything published so far (a flush);
5. at a checkpoint (every ``commit_interval_s``, and on stop): commit the offsets of the
   batches whose step 4 is done (asynchronously while running: the loop never waits on it).

``run`` pipelines the steps: a writer thread does step 3 of one batch while the main thread polls,
decodes and prepares the next (the database works, and waits on disk or network, without holding
the GIL), and a delivery thread waits for the broker's acknowledgements, so neither the loop nor
the writer waits on the network. At most one batch is being written and one prepared; flushes
complete in order, so batches are done in order. A relay thread (``matcher.relay``, woken by each
write that opened flags) publishes the outbox in order. ``run_once`` does one batch start to end
(and empties the outbox), for tests and tools.

A crash anywhere before 4 redelivers the batch (and any others since the last checkpoint); step 3
finds those entries stored (their inserts conflict) and reports the stored decisions instead of
the new ones. Their flags are in the outbox since their first write, so nothing is published
again: every entry is decided exactly once and every flag change reaches the topic at least once
(a relay killed between publishing and marking rows sent sends those rows again).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception

from matcher.batch import Batch, BatchStats
from matcher.checkpoint import Checkpoint, Offsets
from matcher.decode import Rejected, decode_entry
from matcher.local import DEFAULT_GRACE, InProcessMatcher
from matcher.lookup import DriverDeclarationLookup
from matcher.policy import Action, classify, retry_delay
from matcher.refusals import record_isolating
from matcher.relay import OutboxRelay, RelayOptions
from matcher.throughput import ThroughputLog
from pipeline.bus import Bus, Consumer, Topics, dead_letter
from pipeline.events import EntryEvent
from pipeline.timing import LapTimer
from store.db import Store

log = logging.getLogger("matcher")

T = TypeVar("T")

DEFAULT_GROUP = "entrywatch-matcher"
DEFAULT_BATCH = 2000


@dataclass(frozen=True)
class MatcherOptions:
    group: str = DEFAULT_GROUP
    batch: int = DEFAULT_BATCH
    grace: timedelta = DEFAULT_GRACE
    # How long an idle poll waits; bounds how quickly a stop request is noticed.
    poll_timeout_ms: int = 500
    # How long a batch's deliveries may take to be confirmed before the matcher stops.
    flush_timeout_s: float = 60.0
    # Commit offsets at most this often. Flags go out as soon as they are published, and the
    # delivery thread confirms them; batches in between are covered by the next commit.
    commit_interval_s: float = 0.2
    log_every_s: float = 10.0
    # Run the outbox relay (``matcher.relay``) in this process: flags reach the topic without
    # an ``entrywatch relay``. Among several matchers one relay holds the lease at a time.
    relay: bool = True
    relay_options: RelayOptions = field(default_factory=RelayOptions)


class _Stopped(Exception):
    """A retry loop gave up because the service is stopping."""


class MatcherService:
    def __init__(
        self,
        bus: Bus,
        store: Store,
        *,
        topics: Topics | None = None,
        options: MatcherOptions | None = None,
        matcher: InProcessMatcher | None = None,
        on_batch: Callable[[BatchStats], None] | None = None,
    ) -> None:
        """``on_batch`` is called (in the main thread) with each batch's stats once it is
        stored and its flags published: a hook for benchmarks and metrics."""
        self.bus = bus
        self.store = store
        self.topics = topics or Topics()
        self.options = options or MatcherOptions()
        self.matcher = matcher or InProcessMatcher(
            store, DriverDeclarationLookup(store), grace=self.options.grace
        )
        self.meter = ThroughputLog(self.options.log_every_s)
        self._on_batch = on_batch
        self._consumer: Consumer | None = None
        self.checkpoint = Checkpoint(self._commit, self.options.commit_interval_s)
        self.relay = (
            OutboxRelay(store, bus, topics=self.topics, options=self.options.relay_options)
            if self.options.relay
            else None
        )

    @property
    def consumer(self) -> Consumer:
        if self._consumer is None:
            # Every topic exists before the first poll, so consumers of the flags and dead-letter
            # topics can start before the first flag.
            self.bus.ensure_topics(self.topics.all())
            self._consumer = self.bus.subscribe([self.topics.entries], self.options.group)
        return self._consumer

    def run(self, stop: threading.Event) -> None:
        """Process batches, pipelined, until ``stop`` is set; the batches in hand are finished
        and committed. An error the policy does not retry propagates after the batch being
        written is finished (its offsets are committed; nothing after it is)."""
        log.info(
            "matcher: consuming %s as group %s (batch %d, grace %s)",
            self.topics.entries,
            self.options.group,
            self.options.batch,
            self.options.grace,
        )
        writing: Future[tuple[Batch, Future[None]]] | None = None  # in the writer's hands
        # Written batches, each with the flush that confirms its deliveries, oldest first.
        delivering: deque[tuple[Batch, Future[None]]] = deque()
        writer = ThreadPoolExecutor(1, thread_name_prefix="matcher-writer")
        delivery = ThreadPoolExecutor(1, thread_name_prefix="matcher-delivery")
        relay_stop = threading.Event()
        relay_thread = None
        if self.relay is not None:
            self.bus.ensure_topics(self.topics.all())
            relay_thread = threading.Thread(
                target=self.relay.run, args=(relay_stop,), name="matcher-relay", daemon=True
            )
            relay_thread.start()

        def write(batch: Batch) -> tuple[Batch, Future[None]]:
            # In the writer thread: the flush starts as soon as the flags are published (it also
            # sends them at once, without the producer's linger).
            self._write(batch, stop)
            return batch, delivery.submit(self.bus.flush, self.options.flush_timeout_s)

        def deliver(written: Future[tuple[Batch, Future[None]]]) -> None:
            delivering.append(written.result())  # the writer's error, if any, is raised here

        try:
            try:
                while not stop.is_set():
                    batch = self._poll_batch(self.options.batch)
                    # The writer stores the previous batch while this one is prepared; then (or
                    # when idle) it is waited for, so one batch at most is in its hands.
                    if batch is not None:
                        self._prepare(batch, stop)
                    if writing is not None:
                        deliver(writing)
                        writing = None
                    if batch is not None:
                        writing = writer.submit(write, batch)
                    self._settle(delivering, wait=False)
                    self.checkpoint.commit_if_due()
                    self.meter.tick()
            finally:
                # Finish what is in hand; an error already on its way keeps priority.
                if writing is not None:
                    deliver(writing)
                self._settle(delivering, wait=True)
        except _Stopped:
            pass
        finally:
            writer.shutdown(wait=True, cancel_futures=True)
            delivery.shutdown(wait=True, cancel_futures=True)
            self.meter.tick(force=True)
            # The relay thread keeps its lease while it drains and gives it up itself: given
            # up here, a standby relay (another matcher's) could take it mid-round and publish
            # the rows this one has in flight a second time.
            self.close(release_relay=relay_thread is None)
            # The relay publishes what the last batches left in the outbox, then stops.
            relay_stop.set()
            if relay_thread is not None:
                relay_thread.join()
        log.info("matcher: stopped after %d records", self.meter.totals["records"])

    def run_once(
        self, max_records: int | None = None, *, stop: threading.Event | None = None
    ) -> BatchStats:
        """Poll, decide, store and publish one batch of up to about ``max_records`` records
        (``options.batch`` by default); flush and commit when a checkpoint is due. Returns what
        it did."""
        batch = self._poll_batch(max_records or self.options.batch)
        if batch is None:
            self.checkpoint.commit_if_due(wait=True)
            self.meter.tick()
            return BatchStats()
        try:
            self._prepare(batch, stop)
            stats = self._write(batch, stop)
        except _Stopped:  # stopping while the store or broker was away: nothing committed
            return BatchStats(records=len(batch.messages))
        self.bus.flush(self.options.flush_timeout_s)
        self._finished(batch)
        if self.relay is not None:
            self.relay.drain(stop)
        self.checkpoint.commit_if_due(wait=True)
        self.meter.tick()
        return stats

    def close(self, *, release_relay: bool = True) -> None:
        """Commit what is fully processed (never a batch that failed), then leave the group
        (and give the relay's lease up, unless ``release_relay`` is false: ``run``'s relay
        thread, still draining, does that itself)."""
        if self.relay is not None and release_relay:
            self.relay.release()
        if self._consumer is not None:
            try:
                self.checkpoint.commit(wait=True)
            finally:
                self._consumer.close()
                self._consumer = None

    # -- the steps --

    def _poll_batch(self, limit: int) -> Batch | None:
        # Wait for the first records; when they look like a backlog (half a batch or more), take
        # what is already fetched without waiting, to fill the batch. A trickle is decided at
        # once: each extra poll costs kafka-python several hand-offs to its network thread.
        started = time.perf_counter()
        messages = self.consumer.poll(self.options.poll_timeout_ms)
        while messages and limit // 2 <= len(messages) < limit:
            more = self.consumer.poll(0)
            if not more:
                break
            messages += more
        if not messages:
            return None
        batch = Batch(messages, BatchStats(records=len(messages), polled_at=time.time()))
        batch.stats.steps["poll"] = time.perf_counter() - started
        return batch

    def _prepare(self, batch: Batch, stop: threading.Event | None) -> None:
        """Decode (dead-lettering what is not an entry) and decide, without writing."""
        step = LapTimer(batch.stats.steps)
        batch.events = self._decode(batch)
        step("decode")
        batch.prepared = self._with_retries(
            lambda: self.matcher.prepare(batch.events, batch.documents), len(batch.messages), stop
        )
        step("prepare")

    def _decode(self, batch: Batch) -> list[EntryEvent]:
        events: list[EntryEvent] = []
        for message in batch.messages:
            decoded = decode_entry(message)
            if isinstance(decoded, Rejected):
                log.warning(
                    "dead letter %s[%d]@%d: %s",
                    message.topic,
                    message.partition,
                    message.offset,
                    decoded.reason,
                )
                batch.rejected.append(decoded)
            else:
                events.append(decoded)
                # Stored as received (validated just now); the first copy of a duplicate, as
                # the matcher keeps the first.
                if decoded.event_id not in batch.documents:
                    batch.documents[decoded.event_id] = message.value.decode()
                    batch.sources[decoded.event_id] = message
        batch.stats.dead_letters = len(batch.rejected)
        return events

    def _write(self, batch: Batch, stop: threading.Event | None) -> BatchStats:
        """Store the prepared batch and publish its flags (in the writer thread under ``run``)."""
        prepared = batch.prepared
        assert prepared is not None, "prepare before write"
        stats = batch.stats

        def store_and_publish() -> None:
            step = LapTimer(stats.steps)
            # A record the store refuses is dead-lettered with its reason; the rest is recorded.
            decided, refusals = (
                record_isolating(self.matcher, prepared) if prepared.events else ([], [])
            )
            step("write")
            # The new flags' FlagEvents went into the outbox in the same transaction: the relay
            # publishes them (a re-delivered entry's flag is in the outbox already).
            fresh = [d for d in decided if d.fresh]
            stats.decided, stats.replayed = len(fresh), len(decided) - len(fresh)
            stats.flag_ids = [d.flag_id for d in fresh if d.flag_id is not None]
            stats.flags = len(stats.flag_ids)
            if stats.flags and self.relay is not None:
                self.relay.notify()
            for rejected in batch.rejected:
                dead_letter(self.bus, self.topics, rejected.message, rejected.reason)
            for refusal in refusals:
                message = batch.sources[refusal.event.event_id]
                log.warning("dead letter %s[%d]@%d: %s", message.topic, message.partition,
                            message.offset, refusal.reason)  # fmt: skip
                dead_letter(self.bus, self.topics, message, refusal.reason)
            stats.dead_letters = len(batch.rejected) + len(refusals)
            step("publish")

        self._with_retries(store_and_publish, len(batch.messages), stop)
        stats.seconds = sum(v for k, v in stats.steps.items() if k != "poll")
        return stats

    def _settle(self, delivering: deque[tuple[Batch, Future[None]]], *, wait: bool) -> None:
        """Count done the batches whose deliveries are confirmed, oldest first (``wait``: all of
        them). A failed flush stops the matcher (policy): their offsets stay uncommitted, so a
        restart redelivers those entries and republishes their flags."""
        while delivering and (wait or delivering[0][1].done()):
            batch, flush = delivering.popleft()
            flush.result()
            self._finished(batch)

    def _finished(self, batch: Batch) -> None:
        """The batch is stored and its flags delivered: its offsets may be committed."""
        stats = batch.stats
        self.checkpoint.done(batch.offsets())
        self.meter.add(
            records=stats.records,
            decided=stats.decided,
            replayed=stats.replayed,
            flags=stats.flags,
            dead_letters=stats.dead_letters,
            batches=1,
        )
        if self._on_batch is not None:
            self._on_batch(stats)

    def _with_retries(self, work: Callable[[], T], records: int, stop: threading.Event | None) -> T:
        """``work()``, retried (tenacity) with the policy's delays while the policy says the
        failure is transient; raises ``_Stopped`` when ``stop`` is set while waiting."""

        def sleep(delay: float) -> None:
            if stop is None:
                time.sleep(delay)
            elif stop.wait(delay):
                raise _Stopped

        def before_sleep(state: RetryCallState) -> None:
            log.warning(
                "matcher: batch of %d failed (%s); retry %d in %.1fs",
                records,
                state.outcome.exception() if state.outcome else None,
                state.attempt_number,
                state.upcoming_sleep,
            )

        retrying = Retrying(
            retry=retry_if_exception(lambda exc: classify(exc) is Action.RETRY),
            wait=lambda state: retry_delay(state.attempt_number - 1),
            sleep=sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        return retrying(work)

    def _commit(self, offsets: Offsets, wait: bool) -> None:
        """The checkpoint's commit; a commit the policy ignores leaves the records to be
        redelivered, already decided."""
        try:
            self.consumer.commit(offsets, wait=wait)
        except Exception as exc:
            if classify(exc) is not Action.IGNORE:
                raise
            log.warning("matcher: offsets not committed (%s); the batch will be redelivered", exc)
