"""Read queries shared by the REST routes and the live stream."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.engine import Row

from api.schemas import EvidencePublic, FlagPublic
from store.models import Entry, Flag


def flag_select() -> Select[Any]:
    """Flags with the entry fields an operator needs to see (one join, no JSON beyond evidence)."""
    query: Select[Any] = select(  # type: ignore[assignment]
        Flag.id,
        Flag.event_id,
        Flag.reason,
        Flag.status,
        Flag.priority,
        Flag.created_at,
        Flag.updated_at,
        Flag.resolution_outcome,
        Flag.note,
        Entry.camera_id,
        Entry.checkpoint,
        Entry.crossed_at,
        Entry.plate_normalised,
        Entry.plate_display,
        Entry.confidence,
        Entry.event["evidence"].label("evidence"),
    ).join(Entry, Entry.event_id == Flag.event_id)
    return query


def evidence_of(value: Any) -> EvidencePublic:
    if isinstance(value, dict):
        return EvidencePublic(
            plate_crop=value.get("plate_crop"), vehicle_snapshot=value.get("vehicle_snapshot")
        )
    return EvidencePublic()


def flag_from_row(row: Row[Any]) -> FlagPublic:
    return FlagPublic(
        id=row.id,
        event_id=row.event_id,
        reason=row.reason,
        status=row.status,
        priority=row.priority,
        created_at=row.created_at,
        updated_at=row.updated_at,
        resolution_outcome=row.resolution_outcome,
        note=row.note,
        camera_id=row.camera_id,
        checkpoint=row.checkpoint,
        crossed_at=row.crossed_at,
        plate=row.plate_normalised,
        plate_display=row.plate_display,
        confidence=row.confidence,
        evidence=evidence_of(row.evidence),
    )
