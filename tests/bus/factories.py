"""Valid EntryEvents for bus tests: the shared factory, numbered so event ids differ."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pipeline.events import EntryEvent
from tests.matcher.factories import make_event as _make_event

T0 = datetime(2021, 8, 1, 7, 0, tzinfo=UTC)


def make_event(i: int, plate: str | None = "75A12345", camera: str = "cam-1") -> EntryEvent:
    """A valid EntryEvent; ``i`` varies the track (and the time) so event ids differ."""
    return _make_event(
        plate, camera_id=camera, track_id=i, crossed_at=T0 + timedelta(seconds=i), confidence=0.9
    )
