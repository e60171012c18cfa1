"""Late declarations: after an import, settle the open flags that the new declarations cover and
publish the resolutions."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from matcher import flag_events
from matcher.local import DEFAULT_GRACE, InProcessMatcher
from matcher.rules import Outcome
from pipeline.bus import Bus, Topics
from pipeline.events import FlagEvent
from store.db import Store
from store.models import Declaration, Entry, Flag
from store.records import DeclarationRecord
from store.writes import to_record

log = logging.getLogger(__name__)

_CHUNK = 1000
_UNSETTLED = ("open", "acknowledged")


@dataclass(frozen=True)
class LateResolution:
    flag_ids: tuple[int, ...]
    events: tuple[FlagEvent, ...]


def resolve_late(
    store: Store,
    declaration_ids: Sequence[int],
    *,
    grace: timedelta = DEFAULT_GRACE,
    bus: Bus | None = None,
    topics: Topics | None = None,
) -> LateResolution:
    """Resolve the open flags the given (newly stored) declarations settle; publish and flush
    the resolutions when a bus is given."""
    matcher = InProcessMatcher(store, grace=grace)
    settled_by: dict[int, int] = {}
    for declaration in _candidates(store, declaration_ids):
        for flag_id in matcher.resolve_late_declarations(declaration):
            settled_by.setdefault(flag_id, declaration.id)
    ids = list(settled_by)
    events = flag_events.load(store, ids, settled_by=settled_by) if ids else []
    if bus is not None and events:
        flag_events.publish(bus, topics or Topics(), events)
        bus.flush()
    log.info("late declarations resolved %d flags", len(ids))
    return LateResolution(tuple(ids), tuple(events))


def _candidates(store: Store, declaration_ids: Sequence[int]) -> list[DeclarationRecord]:
    """Only declarations whose plate has an unsettled "undeclared" flag: a bulk import of
    thousands then costs a few queries, not one per declaration."""
    out = []
    with store.session() as session:
        for start in range(0, len(declaration_ids), _CHUNK):
            chunk = list(declaration_ids[start : start + _CHUNK])
            flagged_plates = (
                select(Entry.plate_normalised)
                .join(Flag, Flag.event_id == Entry.event_id)
                .where(Flag.status.in_(_UNSETTLED), Flag.reason == Outcome.UNDECLARED.value)
            )
            query = (
                select(Declaration)
                .where(Declaration.id.in_(chunk))
                .where(Declaration.plate_normalised.in_(flagged_plates))
                .order_by(Declaration.id)
            )
            out += [to_record(d) for d in session.scalars(query)]
    return out
