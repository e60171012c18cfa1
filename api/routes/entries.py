"""Entries: every crossing the workers reported, filtered and paginated (JSON or CSV), and one
entry with its plate vote."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, status
from sqlalchemy import select

from api.csv_export import AcceptHeader, FormatQuery, csv_response, page_size, wants_csv
from api.deps import ReaderDep, SessionDep
from api.params import MAX_LIMIT, Offset, PlateSearch, TimeRangeDep
from api.queries import evidence_of, plate_search
from api.schemas import CandidatePublic, EntryDetail, EntryPage, EntryPublic
from pipeline.events import EVENT_ID_LEN
from store.models import DecisionRow, Entry

router = APIRouter(prefix="/api/entries", tags=["entries"])

_COLUMNS = (
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
)
CSV_COLUMNS = (
    "event_id",
    "crossed_at",
    "camera_id",
    "checkpoint",
    "direction",
    "plate",
    "plate_display",
    "confidence",
    "readable",
    "format_valid",
    "vehicle_class",
    "outcome",
)


@router.get(
    "",
    response_model=EntryPage,
    responses={200: {"content": {"text/csv": {}}, "description": "A page (JSON) or every match"}},
)
def list_entries(
    session: SessionDep,
    _: ReaderDep,
    window: TimeRangeDep,
    limit: Annotated[
        int | None,
        Query(ge=1, le=MAX_LIMIT, description="Page size (default 50; CSV: every match)."),
    ] = None,
    offset: Offset = 0,
    camera_id: Annotated[str | None, Query(max_length=128)] = None,
    checkpoint: Annotated[str | None, Query(max_length=128)] = None,
    plate: PlateSearch = None,
    direction: Annotated[str | None, Query(pattern="^(inbound|outbound)$")] = None,
    format_: FormatQuery = None,
    accept: AcceptHeader = None,
) -> Any:
    """Newest crossing first; ``since``/``until`` filter on the time of crossing. As CSV
    (``format=csv`` or ``Accept: text/csv``): every match, up to 10,000 rows."""
    as_csv = wants_csv(format_, accept)
    size = page_size(limit, as_csv)
    query = select(*_COLUMNS).outerjoin(DecisionRow, DecisionRow.event_id == Entry.event_id)
    if camera_id is not None:
        query = query.where(Entry.camera_id == camera_id)
    if checkpoint is not None:
        query = query.where(Entry.checkpoint == checkpoint)
    if plate is not None:
        query = query.where(plate_search(Entry.confusion_key, plate))
    if direction is not None:
        query = query.where(Entry.direction == direction)
    if window.since is not None:
        query = query.where(Entry.crossed_at >= window.since)
    if window.until is not None:
        query = query.where(Entry.crossed_at < window.until)
    query = query.order_by(Entry.crossed_at.desc(), Entry.event_id).offset(offset).limit(size + 1)
    rows = session.execute(query).all()
    items = [_entry(r) for r in rows[:size]]
    if as_csv:
        return csv_response("entries", CSV_COLUMNS, (_csv_row(e) for e in items))
    return EntryPage(items=items, has_more=len(rows) > size)


@router.get("/{event_id}", response_model=EntryDetail, responses={404: {"description": "None"}})
def get_entry(
    event_id: Annotated[str, Path(max_length=EVENT_ID_LEN)], session: SessionDep, _: ReaderDep
) -> EntryDetail:
    """One entry with its plate vote (candidates and their scores), vehicle box and source."""
    row = session.execute(
        select(*_COLUMNS, Entry.event.label("event"))
        .outerjoin(DecisionRow, DecisionRow.event_id == Entry.event_id)
        .where(Entry.event_id == event_id)
    ).first()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"entry {event_id[:80]!r} not found")
    event = row.event if isinstance(row.event, dict) else {}
    plate = _dict(event.get("plate"))
    vehicle = _dict(event.get("vehicle"))
    source = _dict(event.get("source"))
    box = vehicle.get("box")
    return EntryDetail(
        **_entry(row).model_dump(),
        region=plate.get("region"),
        reads=int(plate.get("reads") or 0),
        candidates=[
            CandidatePublic(plate=str(c.get("plate", "")), score=float(c.get("score") or 0))
            for c in plate.get("candidates") or []
            if isinstance(c, dict)
        ],
        vehicle_confidence=vehicle.get("confidence"),
        vehicle_box=tuple(box) if isinstance(box, list) and len(box) == 4 else None,
        source_uri=source.get("uri"),
        frame_index=source.get("frame_index"),
        media_time_s=source.get("media_time_s"),
    )


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _entry(row: Any) -> EntryPublic:
    vehicle = _dict(row.vehicle)
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


def _csv_row(e: EntryPublic) -> tuple[Any, ...]:
    return (
        e.event_id,
        e.crossed_at,
        e.camera_id,
        e.checkpoint,
        e.direction,
        e.plate,
        e.plate_display,
        round(e.confidence, 4),
        e.readable,
        e.format_valid,
        e.vehicle_class,
        e.outcome,
    )
