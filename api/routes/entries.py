"""Entries: every crossing the workers reported, filtered and paginated."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status
from sqlalchemy import select

from api.deps import ReaderDep, SessionDep
from api.params import Limit, Offset, TimeRangeDep
from api.queries import evidence_of
from api.schemas import EntryPage, EntryPublic
from store.models import DecisionRow, Entry
from store.plates import normalise_plate

router = APIRouter(prefix="/api/entries", tags=["entries"])


@router.get("", response_model=EntryPage)
def list_entries(
    session: SessionDep,
    _: ReaderDep,
    window: TimeRangeDep,
    limit: Limit = 50,
    offset: Offset = 0,
    camera_id: Annotated[str | None, Query(max_length=128)] = None,
    checkpoint: Annotated[str | None, Query(max_length=128)] = None,
    plate: Annotated[str | None, Query(max_length=20, description="Exact plate.")] = None,
    direction: Annotated[str | None, Query(pattern="^(inbound|outbound)$")] = None,
) -> EntryPage:
    """Newest crossing first; ``since``/``until`` filter on the time of crossing."""
    query = select(
        Entry.event_id,
        Entry.camera_id,
        Entry.checkpoint,
        Entry.direction,
        Entry.crossed_at,
        Entry.plate_normalised,
        Entry.plate_display,
        Entry.confidence,
        Entry.readable,
        Entry.format_valid,
        Entry.event["evidence"].label("evidence"),
        Entry.event["vehicle"].label("vehicle"),
        DecisionRow.outcome,
    ).outerjoin(DecisionRow, DecisionRow.event_id == Entry.event_id)
    if camera_id is not None:
        query = query.where(Entry.camera_id == camera_id)
    if checkpoint is not None:
        query = query.where(Entry.checkpoint == checkpoint)
    if plate is not None:
        wanted = normalise_plate(plate)
        if not wanted:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT, f"plate {plate!r} has no letters or digits"
            )
        query = query.where(Entry.plate_normalised == wanted)
    if direction is not None:
        query = query.where(Entry.direction == direction)
    if window.since is not None:
        query = query.where(Entry.crossed_at >= window.since)
    if window.until is not None:
        query = query.where(Entry.crossed_at < window.until)
    query = query.order_by(Entry.crossed_at.desc(), Entry.event_id).offset(offset).limit(limit + 1)
    rows = session.execute(query).all()
    return EntryPage(items=[_entry(r) for r in rows[:limit]], has_more=len(rows) > limit)


def _entry(row: Any) -> EntryPublic:
    vehicle = row.vehicle if isinstance(row.vehicle, dict) else {}
    return EntryPublic(
        event_id=row.event_id,
        camera_id=row.camera_id,
        checkpoint=row.checkpoint,
        direction=row.direction,
        crossed_at=row.crossed_at,
        plate=row.plate_normalised,
        plate_display=row.plate_display,
        confidence=row.confidence,
        readable=row.readable,
        format_valid=row.format_valid,
        vehicle_class=vehicle.get("vehicle_class"),
        evidence=evidence_of(row.evidence),
        outcome=row.outcome,
    )
