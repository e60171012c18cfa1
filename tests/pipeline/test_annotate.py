"""The annotated video shows which side is inbound (an arrow) and the counts in and out."""

from __future__ import annotations

import numpy as np
import pytest

from detectors.detections import Detections
from pipeline.annotate import _IN, draw, inbound_normal
from pipeline.entry_line import EntryLine


def _empty() -> Detections:
    return Detections(tracker_id=np.zeros(0, np.int64))


@pytest.mark.parametrize(("side", "below"), [("right", True), ("left", False)])
def test_the_arrow_points_to_the_inbound_side(side: str, below: bool) -> None:
    line = EntryLine((0, 360), (1280, 360), side)  # type: ignore[arg-type]
    assert inbound_normal(line) == ((0.0, 1.0) if below else (0.0, -1.0))
    image = draw(np.zeros((720, 1280, 3), np.uint8), _empty(), line, {}, (3, 1))
    green = np.all(image == np.array(_IN, np.uint8), axis=2)
    under, over = green[380:480, 600:680].sum(), green[240:340, 600:680].sum()
    assert (under > over) if below else (over > under)


def test_the_counts_in_and_out_are_drawn() -> None:
    line = EntryLine((0, 600), (1280, 600), "right")
    blank = np.zeros((720, 1280, 3), np.uint8)
    drawn = draw(blank, _empty(), line, {}, (2, 5))
    assert drawn[10:50, 10:200].any() and drawn[50:95, 10:200].any()
