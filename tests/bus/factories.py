"""Valid EntryEvents for bus tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pipeline.events import (
    EntryEvent,
    PlateInfo,
    SoftwareInfo,
    SourcePosition,
    VehicleInfo,
    make_event_id,
)


def make_event(i: int, plate: str | None = "75A12345", camera: str = "cam-1") -> EntryEvent:
    """A valid EntryEvent; ``i`` varies the track so event ids differ."""
    return EntryEvent(
        event_id=make_event_id(camera, "session-1", i, "inbound"),
        camera_id=camera,
        checkpoint="phong-dien",
        direction="inbound",
        crossed_at=datetime(2021, 8, 1, 7, 0, tzinfo=UTC) + timedelta(seconds=i),
        plate=PlateInfo(
            readable=plate is not None,
            normalised=plate,
            display=None if plate is None else f"{plate[:3]}-{plate[3:6]}.{plate[6:]}",
            confidence=0.9 if plate else 0.0,
            format_valid=plate is not None,
            region="vn",
            reads=5,
        ),
        vehicle=VehicleInfo(vehicle_class="car", confidence=0.8, box=(1, 2, 30, 40), track_id=i),
        source=SourcePosition(
            kind="file",
            uri="sample_videos/a.mp4",
            session_id="session-1",
            frame_index=i,
            media_time_s=i / 25,
        ),
        software=SoftwareInfo(version="0.1.0", vehicle_model="y", plate_model="p", ocr="o"),
    )
