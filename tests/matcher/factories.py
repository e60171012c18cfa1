"""Small builders for EntryEvent and DeclarationRecord test objects."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from pipeline.events import (
    Direction,
    EntryEvent,
    PlateInfo,
    SoftwareInfo,
    SourcePosition,
    VehicleInfo,
    make_event_id,
)
from store.records import DeclarationRecord

T0 = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
_tracks = itertools.count(1)
_declaration_ids = itertools.count(1000)


def make_event(
    plate: str | None = "75A12345",
    *,
    crossed_at: datetime = T0,
    checkpoint: str = "CP-PHONG-DIEN",
    camera_id: str = "cam-1",
    direction: Direction = "inbound",
    confidence: float = 0.95,
    readable: bool | None = None,
    format_valid: bool = True,
    track_id: int | None = None,
    session_id: str = "session-1",
) -> EntryEvent:
    track = next(_tracks) if track_id is None else track_id
    readable = plate is not None if readable is None else readable
    return EntryEvent(
        event_id=make_event_id(camera_id, session_id, track, direction),
        camera_id=camera_id,
        checkpoint=checkpoint,
        direction=direction,
        crossed_at=crossed_at,
        plate=PlateInfo(
            readable=readable,
            normalised=plate,
            display=plate,
            confidence=confidence if readable else 0.0,
            format_valid=format_valid and readable,
            region="vn",
            reads=5 if readable else 0,
        ),
        vehicle=VehicleInfo(
            vehicle_class="car", confidence=0.9, box=(0, 0, 10, 10), track_id=track
        ),
        source=SourcePosition(
            kind="file", uri="clip.mp4", session_id=session_id, frame_index=1, media_time_s=0.1
        ),
        software=SoftwareInfo(version="test", vehicle_model="m", plate_model="p", ocr="o"),
    )


def make_declaration(
    plate: str = "75A12345",
    *,
    valid_from: datetime = T0 - timedelta(hours=2),
    valid_until: datetime = T0 + timedelta(hours=2),
    checkpoints: frozenset[str] | None = None,
    filed_at: datetime | None = None,
    id: int | None = None,
    **extra: Any,
) -> DeclarationRecord:
    return DeclarationRecord(
        id=next(_declaration_ids) if id is None else id,
        plate_normalised=plate,
        valid_from=valid_from,
        valid_until=valid_until,
        checkpoints=checkpoints,
        filed_at=filed_at if filed_at is not None else valid_from - timedelta(days=1),
        **extra,
    )
