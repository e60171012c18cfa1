"""``MatcherService``: consume entries, decide them in batches, store, publish flags, commit.

Per batch, in this order (the order is the delivery guarantee):

1. poll up to ``batch`` records; decode each (bad ones are dead-lettered, see ``decode``);
2. decide the valid ones with ``InProcessMatcher`` and store entry, decision and flag in one
   transaction, idempotent by ``event_id``;
3. publish the flag events (and the dead letters);
4. at a checkpoint (every ``commit_interval_s``, and on stop): flush the producer, and only
   then commit the consumer's offsets.

A crash anywhere before 4 redelivers the batch (and any others since the last checkpoint);
step 2 then finds the entries already decided and step 3 republishes their flags from the store,
so every entry is decided exactly once and every flag is published at least once.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

from pipeline.bus import Bus, Consumer, Message, Topics, dead_letter
from pipeline.events import EntryEvent, FlagEvent
from pipeline.matcher import flag_events
from pipeline.matcher.decode import Rejected, decode_entry
from pipeline.matcher.lookup import DriverDeclarationLookup
from pipeline.matcher.meter import Meter
from pipeline.matcher.policy import Action, classify, retry_delay
from pipeline.matching.local import DEFAULT_GRACE, InProcessMatcher
from pipeline.store.db import Store

log = logging.getLogger("pipeline.matcher")

DEFAULT_GROUP = "entrywatch-matcher"
DEFAULT_BATCH = 2000


@dataclass(frozen=True)
class MatcherOptions:
    group: str = DEFAULT_GROUP
    batch: int = DEFAULT_BATCH
    grace: timedelta = DEFAULT_GRACE
    # How long an idle poll waits; bounds how quickly a stop request is noticed.
    poll_timeout_ms: int = 500
    flush_timeout_s: float = 60.0
    # Flush and commit at most this often. Flags go out as soon as they are published (the
    # producer's linger); batches in between are committed by the next checkpoint.
    commit_interval_s: float = 0.2
    log_every_s: float = 10.0


@dataclass
class BatchStats:
    records: int = 0
    decided: int = 0
    replayed: int = 0
    flags: int = 0
    dead_letters: int = 0
    seconds: float = 0.0
    flag_ids: list[int] = field(default_factory=list)
    # Seconds per step (poll, decode, decide, publish, checkpoint): where a batch's time goes.
    steps: dict[str, float] = field(default_factory=dict)


class MatcherService:
    def __init__(
        self,
        bus: Bus,
        store: Store,
        *,
        topics: Topics | None = None,
        options: MatcherOptions | None = None,
        matcher: InProcessMatcher | None = None,
    ) -> None:
        self.bus = bus
        self.store = store
        self.topics = topics or Topics()
        self.options = options or MatcherOptions()
        self.matcher = matcher or InProcessMatcher(
            store, DriverDeclarationLookup(store), grace=self.options.grace
        )
        self.meter = Meter(self.options.log_every_s)
        self._consumer: Consumer | None = None
        # True when every polled record is processed and only the checkpoint is missing.
        self._settled = False
        self._last_checkpoint = time.monotonic()

    @property
    def consumer(self) -> Consumer:
        if self._consumer is None:
            self._consumer = self.bus.subscribe([self.topics.entries], self.options.group)
        return self._consumer

    def run(self, stop: threading.Event) -> None:
        """Process batches until ``stop`` is set; the batch in hand is finished and committed."""
        log.info(
            "matcher: consuming %s as group %s (batch %d, grace %s)",
            self.topics.entries,
            self.options.group,
            self.options.batch,
            self.options.grace,
        )
        try:
            while not stop.is_set():
                self.run_once(stop=stop)
        finally:
            self.meter.tick(force=True)
            self.close()
        log.info("matcher: stopped after %d records", self.meter.totals["records"])

    def run_once(
        self, max_records: int | None = None, *, stop: threading.Event | None = None
    ) -> BatchStats:
        """Poll, decide, store and publish one batch of up to about ``max_records`` records
        (``options.batch`` by default); flush and commit when a checkpoint is due. Returns what
        it did."""
        limit = max_records or self.options.batch
        polled = time.perf_counter()
        messages = self._poll(limit)
        if not messages:
            self._checkpoint_if_due()
            self.meter.tick()
            return BatchStats()
        self._settled = False  # polled records not yet processed: commit nothing until they are
        started = time.perf_counter()
        stats = self._process_with_retries(messages, stop)
        if stats is None:  # stopping while the store or broker was away: nothing committed
            return BatchStats(records=len(messages))
        self._settled = True
        checkpoint = time.perf_counter()
        self._checkpoint_if_due()
        stats.seconds = time.perf_counter() - started
        stats.steps["poll"] = started - polled
        stats.steps["checkpoint"] = stats.seconds - (checkpoint - started)
        self.meter.add(
            records=stats.records,
            decided=stats.decided,
            replayed=stats.replayed,
            flags=stats.flags,
            dead_letters=stats.dead_letters,
            batches=1,
        )
        self.meter.tick()
        return stats

    def close(self) -> None:
        """Commit what is fully processed (never a batch that failed), then leave the group."""
        if self._consumer is not None:
            try:
                self._checkpoint()
            finally:
                self._consumer.close()
                self._consumer = None

    # -- checkpoints: flush, then commit --

    def _checkpoint_if_due(self) -> None:
        if time.monotonic() - self._last_checkpoint >= self.options.commit_interval_s:
            self._checkpoint()

    def _checkpoint(self) -> None:
        """Flush the flags and dead letters of every processed batch, then commit their offsets.

        Batches between checkpoints are not committed one by one: their offsets are covered by
        this commit (a commit covers everything polled), and a crash before it only means more
        records come back, already decided. A flush that fails stops the matcher (policy).
        """
        if not self._settled or self._consumer is None:
            return
        # Cleared first: after a failed flush, close() must not commit what was not delivered.
        self._settled = False
        self.bus.flush(self.options.flush_timeout_s)
        self._commit()
        self._last_checkpoint = time.monotonic()

    # -- the steps --

    def _poll(self, limit: int) -> list[Message]:
        # Wait for the first records, then take what is already fetched without waiting, so a
        # backlog fills the batch and a trickle is decided at once.
        messages = self.consumer.poll(self.options.poll_timeout_ms)
        while messages and len(messages) < limit:
            more = self.consumer.poll(0)
            if not more:
                break
            messages += more
        return messages

    def _process_with_retries(
        self, messages: list[Message], stop: threading.Event | None
    ) -> BatchStats | None:
        attempt = 0
        while True:
            try:
                return self._process(messages)
            except Exception as exc:
                if classify(exc) is not Action.RETRY:
                    raise
                delay = retry_delay(attempt)
                attempt += 1
                log.warning(
                    "matcher: batch of %d failed (%s); retry %d in %.1fs",
                    len(messages),
                    exc,
                    attempt,
                    delay,
                )
                if stop is not None and stop.wait(delay):
                    return None
                if stop is None:
                    time.sleep(delay)

    def _process(self, messages: list[Message]) -> BatchStats:
        stats = BatchStats(records=len(messages))
        step = _Steps(stats.steps)
        events: list[EntryEvent] = []
        for message in messages:
            decoded = decode_entry(message)
            if isinstance(decoded, Rejected):
                log.warning(
                    "dead letter %s[%d]@%d: %s",
                    message.topic,
                    message.partition,
                    message.offset,
                    decoded.reason,
                )
                dead_letter(self.bus, self.topics, message, decoded.reason)
                stats.dead_letters += 1
            else:
                events.append(decoded)
        step("decode")

        decided = self.matcher.decide_and_record(events) if events else []
        step("decide")
        to_publish: list[FlagEvent] = []
        replayed_flags: list[int] = []
        for d in decided:
            if d.fresh:
                stats.decided += 1
                if d.flag_id is not None:
                    to_publish.append(flag_events.opened(d))
            else:
                stats.replayed += 1
                if d.flag_id is not None:
                    replayed_flags.append(d.flag_id)
        if replayed_flags:
            # Re-delivered entries: their flags may not have gone out before the crash that
            # caused the redelivery; publish them again in their current state.
            to_publish += flag_events.load(self.store, replayed_flags)
        stats.flags = flag_events.publish(self.bus, self.topics, to_publish)
        stats.flag_ids = [f.flag_id for f in to_publish]
        step("publish")
        return stats

    def _commit(self) -> None:
        try:
            self.consumer.commit()
        except Exception as exc:
            if classify(exc) is not Action.IGNORE:
                raise
            log.warning("matcher: offsets not committed (%s); the batch will be redelivered", exc)


class _Steps:
    """Records the time since the previous call under a step's name."""

    def __init__(self, into: dict[str, float]) -> None:
        self._into = into
        self._last = time.perf_counter()

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        self._into[name] = now - self._last
        self._last = now
