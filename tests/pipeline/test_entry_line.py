"""Line crossing rules: one entry per track, exits apart, jitter never counts twice."""

from __future__ import annotations

import numpy as np
import pytest

from detectors.detections import Detections
from pipeline.entry_line import EntryLine


def at(points: dict[int, tuple[float, float]]) -> Detections:
    """Detections whose bottom-centre anchors sit at the given points."""
    ids = list(points)
    boxes = [[x - 20, y - 40, x + 20, y] for x, y in points.values()]
    return Detections(
        xyxy=np.array(boxes, dtype=np.float32).reshape(-1, 4),
        confidence=np.full(len(ids), 0.9),
        class_id=np.full(len(ids), 2),
        tracker_id=np.array(ids),
    )


def horizontal(y: float = 400.0, inbound: str = "right") -> EntryLine:
    # start left, end right: "right" of the direction is y > line (towards the camera).
    return EntryLine((0.0, y), (1280.0, y), inbound)  # type: ignore[arg-type]


def run(line: EntryLine, path: list[float], tid: int = 1, x: float = 640.0) -> list[str]:
    out = []
    for y in path:
        out += [c.direction for c in line.update(at({tid: (x, y)}))]
    return out


def test_inbound_crossing_gives_one_entry() -> None:
    assert run(horizontal(), [300, 350, 390, 420, 480]) == ["inbound"]


def test_outbound_crossing_is_an_exit() -> None:
    assert run(horizontal(), [500, 450, 410, 380, 300]) == ["outbound"]


def test_left_inbound_side_flips_the_meaning() -> None:
    assert run(horizontal(inbound="left"), [300, 420]) == ["outbound"]


def test_jitter_across_the_line_counts_once() -> None:
    path = [300, 380, 410, 390, 412, 388, 415, 395, 430, 480]
    assert run(horizontal(), path) == ["inbound"]


def test_wobble_inside_the_band_counts_nothing() -> None:
    assert run(horizontal(), [380, 398, 403, 397, 404, 399]) == []


def test_track_first_seen_past_the_line_does_not_count() -> None:
    assert run(horizontal(), [450, 500, 560]) == []


def test_passing_beside_a_short_segment_is_ignored() -> None:
    line = EntryLine((100.0, 400.0), (300.0, 400.0), "right")
    assert run(line, [300, 420], x=900) == []


def test_several_tracks_in_one_frame() -> None:
    line = horizontal()
    assert line.update(at({1: (200, 350), 2: (600, 450), 3: (900, 380)})) == []
    crossings = line.update(at({1: (200, 420), 2: (600, 350), 3: (900, 390)}))
    assert sorted((c.tracker_id, c.direction) for c in crossings) == [
        (1, "inbound"),
        (2, "outbound"),
    ]


def test_forget_drops_state() -> None:
    line = horizontal()
    run(line, [300, 450])
    assert line.has_crossed(1)
    line.forget({1})
    assert not line.has_crossed(1)


def test_untracked_detections_are_ignored() -> None:
    line = horizontal()
    assert run(line, [300, 450], tid=-1) == []


@pytest.mark.parametrize("side", ["up", "", "LEFT"])
def test_bad_inbound_side_is_refused(side: str) -> None:
    with pytest.raises(ValueError, match="inbound_side"):
        EntryLine((0.0, 0.0), (10.0, 0.0), side)  # type: ignore[arg-type]


def test_degenerate_line_is_refused() -> None:
    with pytest.raises(ValueError, match="too short"):
        EntryLine((5.0, 5.0), (5.0, 5.0))
