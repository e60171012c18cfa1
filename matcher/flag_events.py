"""Building ``FlagEvent``s: from a fresh decision in memory (the matcher's hot path), or from the
store (every other change). The REST API serves the same shape (``api.queries``).

Publishing is not done here: each change's event goes into the outbox in the change's own
transaction (``matcher.lifecycle``), and the relay (``matcher.relay``) publishes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.rules import Decision
from pipeline.events import (
    EntryEvent,
    Evidence,
    FlagEvent,
    FlagReason,
    FlagResolution,
    FlagStatus,
    ResolutionOutcome,
)
from store.models import DecisionRow, Entry, Flag

E = TypeVar("E", bound=FlagEvent)

# Store loads are chunked like the lookups: well under every backend's bind-parameter limit.
_CHUNK = 1000


def opened(event: EntryEvent, decision: Decision, flag_id: int, decided_at: datetime) -> FlagEvent:
    """The "open" event of a flag just raised on ``event``; no store round trip."""
    plate = event.plate.normalised if event.plate.readable else None
    return FlagEvent(
        flag_id=flag_id,
        event_id=event.event_id,
        status=FlagStatus.OPEN,
        reason=FlagReason(decision.outcome.value),
        detail=decision.reason,
        priority=int(decision.priority),
        plate=plate,
        plate_display=event.plate.display if plate else None,
        camera_id=event.camera_id,
        checkpoint=event.checkpoint,
        crossed_at=event.crossed_at,
        decided_at=decided_at,
        updated_at=decided_at,
        declaration_id=decision.declaration_id,
        evidence=event.evidence,
        crossed_at_local=event.crossed_at,
        created_at=decided_at,
        confidence=event.plate.confidence,
    )


@cache
def flag_event_select() -> Any:
    """Flag, entry and decision columns a FlagEvent is made of (one row per flag). Built once:
    a ``Select`` is immutable (``where`` makes a new one), and building it cost 1 ms a change."""
    return (
        select(
            Flag,
            Entry.camera_id,
            Entry.checkpoint,
            Entry.crossed_at,
            Entry.plate_normalised,
            Entry.plate_display,
            Entry.readable,
            Entry.confidence,
            Entry.event["evidence"].label("evidence"),
            Entry.event["crossed_at"].label("crossed_at_local"),
            DecisionRow.reason.label("detail"),
            DecisionRow.decided_at,
            DecisionRow.declaration_id,
        )
        .join(Entry, Entry.event_id == Flag.event_id)
        # Every flag has its decision; an outer join still shows one written without (by hand).
        .outerjoin(DecisionRow, DecisionRow.event_id == Flag.event_id)
    )


def load(session: Session, flag_ids: Sequence[int]) -> list[FlagEvent]:
    """Flag events in their current state, read in ``session``, in ``flag_ids`` order."""
    rows: dict[int, Any] = {}
    for start in range(0, len(flag_ids), _CHUNK):
        chunk = list(flag_ids[start : start + _CHUNK])
        query = flag_event_select().where(Flag.id.in_(chunk))
        # populate_existing: a flag this session holds may just have been updated in SQL.
        for row in session.execute(query.execution_options(populate_existing=True)):
            rows[row.Flag.id] = row
    return [from_row(rows[fid]) for fid in flag_ids if fid in rows]


def from_row(row: Any, model: type[E] = FlagEvent) -> E:  # type: ignore[assignment]
    """A FlagEvent (or a subclass: the API's ``FlagPublic``) from a row of
    ``flag_event_select``."""
    flag: Flag = row.Flag
    resolution = None
    if flag.status == FlagStatus.RESOLVED:
        resolution = FlagResolution(
            outcome=ResolutionOutcome(flag.resolution_outcome or ResolutionOutcome.OTHER),
            actor=flag.resolved_by or "unknown",
            at=flag.updated_at,
            note=flag.note,
            declaration_id=flag.resolution_declaration_id,
        )
    evidence = row.evidence if isinstance(row.evidence, dict) else {}
    local = row.crossed_at_local
    return model(
        flag_id=flag.id,
        event_id=flag.event_id,
        status=FlagStatus(flag.status),
        reason=FlagReason(flag.reason),
        detail=row.detail or "",
        priority=flag.priority,
        plate=row.plate_normalised if row.readable else None,
        plate_display=row.plate_display if row.readable else None,
        camera_id=row.camera_id,
        checkpoint=row.checkpoint,
        crossed_at=row.crossed_at,
        decided_at=row.decided_at or flag.created_at,
        updated_at=flag.updated_at,
        declaration_id=row.declaration_id,
        evidence=Evidence.model_validate(evidence),
        resolution=resolution,
        crossed_at_local=datetime.fromisoformat(local) if isinstance(local, str) else None,
        created_at=flag.created_at,
        confidence=row.confidence,
    )
