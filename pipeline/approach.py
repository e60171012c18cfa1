"""Which tracks are coming towards the entry line: the only ones worth a plate read before they
cross (DESIGN.md's cost rule, issue 16).

A track gives an event only by crossing the line, so a vehicle parked beside the road, one
driving away from the line, or one that passed it long ago is not read. The test is the
distance of the track's anchor (bottom centre) to the line, smoothed over detections so box
jitter does not flip it: approaching while that distance shrinks by at least ``min_px`` per
detection. A track seen once has no direction yet and waits one detection.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from detectors.detections import Detections
from pipeline.entry_line import EntryLine


@dataclass
class ApproachGate:
    line: EntryLine
    min_px: float = 0.5  # per detection; vehicles near enough to read move several pixels
    smoothing: float = 0.5  # weight of the newest change in the running average
    _distance: dict[int, float] = field(default_factory=dict, init=False, repr=False)
    _change: dict[int, float] = field(default_factory=dict, init=False, repr=False)

    def update(self, tracked: Detections) -> np.ndarray:
        """Per row of ``tracked``: True where the track is approaching the line."""
        distance = np.abs(self.line.signed_distance(tracked.bottom_centre))
        out = np.zeros(len(tracked), dtype=bool)
        for row, (tid, now) in enumerate(zip(tracked.ids.tolist(), distance.tolist(), strict=True)):
            before = self._distance.get(tid)
            self._distance[tid] = now
            if before is None:
                continue
            change = now - before
            average = self._change.get(tid)
            average = (
                change
                if average is None
                else (self.smoothing * change + (1 - self.smoothing) * average)
            )
            self._change[tid] = average
            out[row] = average <= -self.min_px
        return out

    def forget(self, tracker_ids: set[int]) -> None:
        for tid in tracker_ids:
            self._distance.pop(tid, None)
            self._change.pop(tid, None)
