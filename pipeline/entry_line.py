"""Entry lines: which tracks crossed a camera's line, and which way.

A line is two points and the side that is inside the province (``inbound_side``, the
side of the directed line start -> end a vehicle ends up on after entering; image
coordinates, y down). The point tested is the bottom-centre of a vehicle's box, where
it touches the road.

Counting rules:
- a track must be seen clearly on one side (farther than ``hysteresis_px`` from the
  line) and then clearly on the other; wobbling inside the band counts nothing;
- a track produces at most one crossing in its life: the first. Jitter back and forth
  afterwards (or a vehicle that enters and hesitates) never counts twice;
- the crossing point must fall within the segment (plus a margin), so vehicles passing
  beside a short line are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from detectors.detections import Detections

Side = Literal["left", "right"]


@dataclass(frozen=True)
class Crossing:
    tracker_id: int
    direction: Literal["inbound", "outbound"]
    row: int  # index into the detections passed to update()


@dataclass
class EntryLine:
    start: tuple[float, float]
    end: tuple[float, float]
    inbound_side: Side = "right"
    hysteresis_px: float = 6.0
    segment_margin: float = 0.1
    _last_side: dict[int, int] = field(default_factory=dict, init=False, repr=False)
    _crossed: set[int] = field(default_factory=set, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.inbound_side not in ("left", "right"):
            raise ValueError(f"inbound_side must be 'left' or 'right', not {self.inbound_side!r}")
        sx, sy = self.start
        ex, ey = self.end
        length = float(np.hypot(ex - sx, ey - sy))
        if length < 1.0:
            raise ValueError(f"entry line {self.start}->{self.end} is too short")
        self._origin = np.array([sx, sy], dtype=np.float64)
        self._dir = np.array([ex - sx, ey - sy], dtype=np.float64) / length
        self._length = length
        # In image coordinates (y down) the cross product of the direction and the
        # point is positive on the right of start -> end.
        self._inbound_sign = 1 if self.inbound_side == "right" else -1

    def signed_distance(self, points: np.ndarray) -> np.ndarray:
        """Distance of each point from the line, positive on the inbound side."""
        rel = np.asarray(points, dtype=np.float64).reshape(-1, 2) - self._origin
        cross = self._dir[0] * rel[:, 1] - self._dir[1] * rel[:, 0]
        return cross * self._inbound_sign

    def _within_segment(self, points: np.ndarray) -> np.ndarray:
        rel = np.asarray(points, dtype=np.float64).reshape(-1, 2) - self._origin
        t = (rel @ self._dir) / self._length
        return (t >= -self.segment_margin) & (t <= 1 + self.segment_margin)

    def update(self, detections: Detections) -> list[Crossing]:
        """Feed one frame of tracked detections; return the crossings completed now."""
        if len(detections) == 0:
            return []
        anchors = detections.bottom_centre
        distance = self.signed_distance(anchors)
        within = self._within_segment(anchors)
        crossings: list[Crossing] = []
        for row, (tid, dist, inside_segment) in enumerate(
            zip(detections.ids.tolist(), distance.tolist(), within.tolist(), strict=True)
        ):
            if tid < 0 or tid in self._crossed:
                continue
            if abs(dist) <= self.hysteresis_px:
                continue  # inside the band: no side yet, keep the last clear one
            side = 1 if dist > 0 else -1
            previous = self._last_side.get(tid)
            self._last_side[tid] = side
            if previous is None or previous == side or not inside_segment:
                continue
            self._crossed.add(tid)
            crossings.append(Crossing(tid, "inbound" if side > 0 else "outbound", row))
        return crossings

    def forget(self, tracker_ids: set[int]) -> None:
        """Drop state of tracks that ended, so memory stays flat over long streams."""
        for tid in tracker_ids:
            self._last_side.pop(tid, None)
            self._crossed.discard(tid)

    def has_crossed(self, tracker_id: int) -> bool:
        return tracker_id in self._crossed
