"""Which tracks are coming towards the line (``ApproachGate``), on boxes made here."""

from __future__ import annotations

import numpy as np

from detectors.detections import Detections
from pipeline.approach import ApproachGate
from pipeline.entry_line import EntryLine


def boxes(*bottoms: float, ids: tuple[int, ...]) -> Detections:
    xyxy = [(100.0, b - 50.0, 200.0, b) for b in bottoms]
    return Detections(
        xyxy=np.array(xyxy, np.float32),
        confidence=np.full(len(xyxy), 0.9, np.float32),
        class_id=np.full(len(xyxy), 2, np.int32),
        tracker_id=np.array(ids, np.int64),
    )


def gate() -> ApproachGate:
    return ApproachGate(EntryLine((0.0, 200.0), (640.0, 200.0), "right"))


def test_approaching_from_either_side_and_not_while_leaving_or_standing() -> None:
    g = gate()
    first = g.update(boxes(100.0, 300.0, 150.0, 260.0, ids=(1, 2, 3, 4)))
    assert first.tolist() == [False] * 4  # no direction yet
    # 1 comes down to the line, 2 comes up to it, 3 stands, 4 drives away below it.
    moved = g.update(boxes(110.0, 290.0, 150.2, 270.0, ids=(1, 2, 3, 4)))
    assert moved.tolist() == [True, True, False, False]


def test_one_jittery_step_back_does_not_stop_an_approach() -> None:
    g = gate()
    g.update(boxes(100.0, ids=(1,)))
    g.update(boxes(110.0, ids=(1,)))
    assert g.update(boxes(109.0, ids=(1,))).tolist() == [True]  # average change still -4.5


def test_forgotten_tracks_start_again_without_a_direction() -> None:
    g = gate()
    g.update(boxes(100.0, ids=(7,)))
    g.forget({7})
    assert g.update(boxes(110.0, ids=(7,))).tolist() == [False]
