"""The in-process matcher: decide a batch of entries and record entries, decisions and flags.

Idempotent by ``event_id``: a re-delivered or replayed event is not decided again; its stored
decision is returned and nothing is written.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from matcher import lifecycle
from matcher.lookup import DeclarationLookup, SqlDeclarationLookup
from matcher.rules import DEFAULT_MIN_CONFIDENCE, Decision, Outcome, Priority, decide
from pipeline.events import EntryEvent
from store.bulk import StoredDecision, record_decisions, record_entries, stored_decisions
from store.db import Store
from store.records import DeclarationRecord

log = logging.getLogger(__name__)

DEFAULT_GRACE = timedelta(minutes=60)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Decided(NamedTuple):
    """One decided inbound entry of a batch (a NamedTuple: one per entry, cheap to build)."""

    event: EntryEvent
    decision: Decision
    decided_at: datetime
    fresh: bool  # decided by this call; False: a stored decision of a re-delivered event
    flag_id: int | None  # the entry's flag, when the decision raised one


@dataclass(frozen=True, slots=True)
class PreparedBatch:
    """A batch decided but not yet stored (``InProcessMatcher.prepare``)."""

    events: list[EntryEvent]  # distinct by event_id, in arrival order
    decided: list[tuple[EntryEvent, Decision]]  # the inbound ones
    # The JSON each event was validated from, by event_id, stored as received (optional).
    documents: Mapping[str, str] | None = None


class InProcessMatcher:
    def __init__(
        self,
        store: Store,
        lookup: DeclarationLookup | None = None,
        *,
        grace: timedelta = DEFAULT_GRACE,
        min_confidence: float = DEFAULT_MIN_CONFIDENCE,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._store = store
        self._lookup = lookup if lookup is not None else SqlDeclarationLookup(store)
        self._grace = grace
        self._min_confidence = min_confidence
        self._clock = clock

    def decide_batch(self, events: Sequence[EntryEvent]) -> list[tuple[EntryEvent, Decision]]:
        """Decide the inbound events of a batch, in order; outbound ones are stored, not decided.

        Queries per batch are bounded and do not grow with its size: the lookup's one or two,
        then one insert per table in a single transaction (and one read of the stored decisions
        when some events were decided before).
        """
        return [(d.event, d.decision) for d in self.decide_and_record(events)]

    def decide_and_record(self, events: Sequence[EntryEvent]) -> list[Decided]:
        """``decide_batch`` with what a publisher of flags needs: the flag ids, and whether each
        decision was made by this call (``fresh``) or found stored (a re-delivered event)."""
        return self.record(self.prepare(events))

    def prepare(
        self, events: Sequence[EntryEvent], documents: Mapping[str, str] | None = None
    ) -> PreparedBatch:
        """The read half of ``decide_and_record``: decide each distinct event (the first copy of
        a duplicate). Writes nothing, so a pipelined matcher prepares one batch while the
        previous one is being stored. ``documents``: the JSON the events came as, by event id,
        to store instead of serialising them again (see ``record_entries``).

        Events decided before (a redelivery) are not looked for here: ``record`` finds them when
        their insert conflicts, and reports the stored decision. Redeliveries are rare (after a
        crash), and looking first cost a query per batch that almost never found anything.
        """
        first_seen: dict[str, EntryEvent] = {}
        for e in events:
            first_seen.setdefault(e.event_id, e)
        unique = list(first_seen.values())
        return PreparedBatch(unique, self._decide(unique), documents)

    def record(self, batch: PreparedBatch) -> list[Decided]:
        """The write half: store the new entries with their decisions and flags in one
        transaction; returns every event's decision, in order (outbound events excepted)."""
        known: dict[str, StoredDecision] = {}
        now = self._clock()
        with self._store.transaction() as session:
            # An event stored before (a redelivery), or by another matcher since this batch was
            # prepared: only what we insert is ours to decide, and ON CONFLICT DO NOTHING keeps
            # the other writes out. The stored decision is what we report.
            new_ids = record_entries(session, batch.events, batch.documents)
            ours = [(e, d) for e, d in batch.decided if e.event_id in new_ids]
            record_decisions(
                session,
                [
                    (e.event_id, d.outcome.value, d.flagged, int(d.priority), d.declaration_id,
                     d.reason)
                    for e, d in ours
                ],
                now,
            )  # fmt: skip
            # Flags, their audit rows and their FlagEvents in the outbox: one transaction.
            new_flags = lifecycle.open(session, ours, now)
            seen_before = [e.event_id for e in batch.events if e.event_id not in new_ids]
            if seen_before:
                known = stored_decisions(session, seen_before)
        log.debug(
            "batch: %d events, %d replayed, %d decided, %d flagged",
            len(batch.events),
            len(known),
            len(ours),
            len(new_flags),
        )

        mine = {e.event_id: d for e, d in ours}
        out: list[Decided] = []
        for event in batch.events:
            stored = known.get(event.event_id)
            if stored is not None:
                out.append(
                    Decided(event, _from_stored(stored), stored.decided_at, False, stored.flag_id)
                )
            elif event.event_id in mine:
                flag = new_flags.get(event.event_id)
                out.append(Decided(event, mine[event.event_id], now, True, flag))
        return out

    def _decide(self, events: Sequence[EntryEvent]) -> list[tuple[EntryEvent, Decision]]:
        inbound = [e for e in events if e.direction == "inbound"]
        plates = [e.plate.normalised for e in inbound if e.plate.readable and e.plate.normalised]
        candidates = self._lookup.fetch(plates) if plates else {}
        watched = self._lookup.watchlisted(plates) if plates else set()
        now = self._clock()
        out = []
        for event in inbound:
            plate = event.plate.normalised if event.plate.readable else None
            decision = decide(
                event,
                candidates.get(plate, []) if plate else [],
                plate in watched if plate else False,
                self._grace,
                now,
                min_confidence=self._min_confidence,
            )
            if decision is not None:
                out.append((event, decision))
        return out

    def resolve_late_declarations(self, declaration: DeclarationRecord) -> list[int]:
        """Resolve the unsettled flags ``declaration`` now covers (``lifecycle.resolve_late``),
        in a transaction of its own; returns their ids."""
        with self._store.transaction() as session:
            events = lifecycle.resolve_late(session, declaration, self._grace, now=self._clock())
        return [e.flag_id for e in events]


def _from_stored(stored: StoredDecision) -> Decision:
    return Decision(
        outcome=Outcome(stored.outcome),
        flagged=stored.flagged,
        reason=stored.reason,
        declaration_id=stored.declaration_id,
        priority=Priority(stored.priority),
    )
