"""Late declarations: once declarations are stored (CSV import, the public form, the API), settle
the unsettled flags they now cover (``lifecycle.resolve_late``: undeclared, expired and
wrong-checkpoint flags). The resolutions' FlagEvents go into the outbox in the same transaction;
the relay publishes them."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher import lifecycle
from matcher.local import DEFAULT_GRACE
from pipeline.events import FlagEvent
from store.db import Store
from store.models import Declaration, Entry, Flag
from store.records import DeclarationRecord
from store.writes import to_record

log = logging.getLogger(__name__)

_CHUNK = 1000


@dataclass(frozen=True)
class LateResolution:
    flag_ids: tuple[int, ...]
    events: tuple[FlagEvent, ...]


def resolve_late(
    store: Store,
    declaration_ids: Sequence[int],
    *,
    grace: timedelta = DEFAULT_GRACE,
    now: datetime | None = None,
) -> LateResolution:
    """Resolve the unsettled flags the given (newly stored) declarations cover, in one
    transaction with their outbox rows; a flag covered by several is settled by the first."""
    now = now or datetime.now(UTC)
    events: list[FlagEvent] = []
    with store.transaction() as session:
        for declaration in _candidates(session, declaration_ids):
            events += lifecycle.resolve_late(session, declaration, grace, now=now)
    log.info("late declarations resolved %d flags", len(events))
    return LateResolution(tuple(e.flag_id for e in events), tuple(events))


def _candidates(session: Session, declaration_ids: Sequence[int]) -> list[DeclarationRecord]:
    """Only declarations whose plate has a flag a late declaration can settle: a bulk import of
    thousands then costs a few queries, not one per declaration."""
    out = []
    flagged_plates = (
        select(Entry.plate_normalised)
        .join(Flag, Flag.event_id == Entry.event_id)
        .where(
            Flag.status.in_([s.value for s in lifecycle.UNSETTLED]),
            Flag.reason.in_([r.value for r in lifecycle.LATE_SETTLES]),
        )
    )
    for start in range(0, len(declaration_ids), _CHUNK):
        chunk = list(declaration_ids[start : start + _CHUNK])
        query = (
            select(Declaration)
            .where(Declaration.id.in_(chunk))
            .where(Declaration.plate_normalised.in_(flagged_plates))
            .order_by(Declaration.id)
        )
        out += [to_record(d) for d in session.scalars(query)]
    return out
