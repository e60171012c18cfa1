"""The outbox relay: publishes ``flag_outbox`` on the flags topic, in order, at least once.

Every flag change writes its FlagEvent into ``flag_outbox`` in the change's own transaction
(``matcher.lifecycle``). The relay, in a loop:

1. holds the lease (``relay_lease``): one relay publishes at a time, whichever process it runs in
   (every matcher runs one; ``entrywatch relay`` runs one where no matcher does);
2. reads the oldest unsent rows, in id order (the order the changes committed in, per flag);
3. publishes them, keyed by plate, and waits for the broker to acknowledge them (a flush);
4. only then marks them sent (``sent_at``), and now and then deletes rows sent long ago.

A crash or SIGKILL between 3 and 4 sends those rows again on restart; a broker that is away
keeps the rows waiting (the flush waits and the lease is renewed meanwhile) and they go out when
it returns. Consumers deduplicate by ``(flag_id, status, updated_at)``: that key names one change.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update

from matcher.policy import Action, classify, retry_delay
from pipeline.bus import Bus, FlushTimeout, Topics
from store.db import Store
from store.models import FlagOutbox, RelayLease

log = logging.getLogger("relay")

LEASE_NAME = "flags"


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class RelayOptions:
    # Rows per publish-and-flush round.
    batch: int = 2000
    # How often an idle relay looks for new rows (a relay in the matcher is also woken at once
    # by the matcher's writes: ``OutboxRelay.notify``).
    poll_interval_s: float = 0.05
    # A relay that stops renewing its lease (killed, stuck) is replaced after this long (as a
    # crashed matcher's partitions move after its 10 s session timeout).
    lease_s: float = 10.0
    # Sent rows are kept this long (for inspection), then deleted.
    keep_sent: timedelta = timedelta(hours=24)
    prune_every_s: float = 60.0


@dataclass
class RelayStats:
    published: int = 0
    rounds: int = 0
    # Seconds from a row's commit (its created_at) to the broker's ack, per published row: the
    # bench's change -> topic latency.
    latencies: list[float] = field(default_factory=list)


class OutboxRelay:
    def __init__(
        self,
        store: Store,
        bus: Bus,
        *,
        topics: Topics | None = None,
        options: RelayOptions | None = None,
        holder: str | None = None,
        clock: Callable[[], datetime] = _utcnow,
        measure: bool = False,
    ) -> None:
        self.store = store
        self.bus = bus
        self.topics = topics or Topics()
        self.options = options or RelayOptions()
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.stats = RelayStats()
        self._clock = clock
        self._measure = measure
        self._wake = threading.Event()
        self._last_prune = 0.0
        self._has_lease = False
        self._renewed_at = 0.0

    # -- running --

    def notify(self) -> None:
        """New rows were committed: look now rather than at the next poll."""
        self._wake.set()

    def run(self, stop: threading.Event) -> None:
        """Relay until ``stop`` is set, then publish what is left (while the broker answers)
        and give the lease up. Store and broker errors are logged and retried, never raised."""
        log.info("relay: publishing the flag outbox to %s as %s", self.topics.flags, self.holder)
        attempt = 0
        try:
            while not stop.is_set():
                try:
                    sent = self.run_once(stop)
                    attempt = 0
                except Exception as exc:
                    delay = retry_delay(attempt)
                    attempt += 1
                    level = logging.WARNING if classify(exc) is Action.RETRY else logging.ERROR
                    log.log(level, "relay: round failed (%s); retry in %.1fs", exc, delay)
                    stop.wait(delay)
                    continue
                if sent < self.options.batch:  # caught up: wait for news
                    self._wake.wait(self.options.poll_interval_s)
                    self._wake.clear()
            try:
                # ``stop`` is set: a broker that does not answer within one flush wait is not
                # waited for (the rows stay for the next relay).
                self.drain(stop, max_rounds=100)
            except Exception as exc:
                log.warning("relay: stopping with rows unsent (%s); they go out next time", exc)
        finally:
            self.release()
        log.info("relay: stopped after %d records", self.stats.published)

    def drain(self, stop: threading.Event | None = None, *, max_rounds: int | None = None) -> int:
        """Publish until the outbox is empty (or ``max_rounds``); returns how many went out."""
        total, rounds = 0, 0
        while max_rounds is None or rounds < max_rounds:
            sent = self.run_once(stop)
            total += sent
            rounds += 1
            if sent == 0:
                break
        return total

    def run_once(self, stop: threading.Event | None = None) -> int:
        """One round: publish the oldest unsent rows and mark them sent once acknowledged.
        Returns how many were published (0 when there were none, or another relay holds the
        lease)."""
        if not self._renew():
            return 0
        rows = self._unsent()
        if rows:
            for row in rows:
                self.bus.publish_encoded(self.topics.flags, row.key, row.value.encode())
            self._await_acks(stop)
            acked = self._clock()
            self._mark_sent([r.id for r in rows], acked)
            self.stats.published += len(rows)
            self.stats.rounds += 1
            if self._measure:
                self.stats.latencies += [(acked - r.created_at).total_seconds() for r in rows]
        if time.monotonic() - self._last_prune >= self.options.prune_every_s:
            self._prune()
        return len(rows)

    def backlog(self) -> int:
        """Rows waiting to be published."""
        with self.store.session() as session:
            query = select(func.count()).where(FlagOutbox.sent_at.is_(None))
            return int(session.scalar(query.select_from(FlagOutbox)) or 0)

    # -- the steps --

    def _unsent(self) -> list[Any]:
        query = (
            select(FlagOutbox.id, FlagOutbox.key, FlagOutbox.value, FlagOutbox.created_at)
            .where(FlagOutbox.sent_at.is_(None))
            .order_by(FlagOutbox.id)
            .limit(self.options.batch)
        )
        with self.store.session() as session:
            return list(session.execute(query).all())

    def _await_acks(self, stop: threading.Event | None) -> None:
        """Wait until the broker has acknowledged everything published, renewing the lease while
        it is away (the rows wait; nothing is published twice for it). A record that failed for
        good raises ``PublishError``: the round's rows stay unsent and go out again."""
        while True:
            try:
                self.bus.flush(self.options.lease_s / 3)
                return
            except FlushTimeout:
                if not self._renew(force=True):
                    log.warning("relay: lease lost while waiting for the broker")
                log.info("relay: waiting for the broker to acknowledge the flags")
                if stop is not None and stop.is_set():
                    raise

    def _mark_sent(self, ids: list[int], at: datetime) -> None:
        with self.store.transaction() as session:
            for start in range(0, len(ids), 1000):
                chunk = ids[start : start + 1000]
                session.execute(
                    update(FlagOutbox).where(FlagOutbox.id.in_(chunk)).values(sent_at=at)
                )

    def _prune(self) -> None:
        self._last_prune = time.monotonic()
        horizon = self._clock() - self.options.keep_sent
        with self.store.transaction() as session:
            session.execute(delete(FlagOutbox).where(FlagOutbox.sent_at < horizon))

    # -- the lease --

    def _renew(self, *, force: bool = False) -> bool:
        """Take or extend the lease; False while another live relay holds it. A lease held and
        renewed less than a third of its term ago is not written again (on SQLite every write
        contends with the API's and the matcher's)."""
        if (
            self._has_lease
            and not force
            and time.monotonic() - self._renewed_at < self.options.lease_s / 3
        ):
            return True
        renewing_at = time.monotonic()
        now = self._clock()
        expires = now + timedelta(seconds=self.options.lease_s)
        if not self._has_lease and self._held_by_another(now):
            return False  # a read, not a write: standby relays poll without contending
        with self.store.transaction() as session:
            result = session.execute(
                update(RelayLease)
                .where(RelayLease.name == LEASE_NAME)
                .where((RelayLease.holder == self.holder) | (RelayLease.expires_at < now)
                       | RelayLease.holder.is_(None))
                .values(holder=self.holder, expires_at=expires)
            )  # fmt: skip
            held = bool(result.rowcount)  # type: ignore[attr-defined]
        if held:
            self._renewed_at = renewing_at
        if held != self._has_lease:
            log.info("relay: %s the lease", "took" if held else "waiting for")
            self._has_lease = held
        return held

    def _held_by_another(self, now: datetime) -> bool:
        with self.store.session() as session:
            row = session.execute(
                select(RelayLease.holder, RelayLease.expires_at).where(
                    RelayLease.name == LEASE_NAME
                )
            ).first()
        return row is not None and row.holder not in (None, self.holder) and row.expires_at >= now

    def release(self) -> None:
        """Give the lease up, so another relay takes over at once."""
        if not self._has_lease:
            return
        try:
            with self.store.transaction() as session:
                session.execute(
                    update(RelayLease)
                    .where(RelayLease.name == LEASE_NAME, RelayLease.holder == self.holder)
                    .values(holder=None, expires_at=self._clock())
                )
        except Exception as exc:
            log.warning("relay: lease not released (%s); it expires by itself", exc)
        self._has_lease = False
