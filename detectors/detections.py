"""One frame-level object for boxes: parallel arrays, validated once, filtered by masks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


def _empty(shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    return np.empty(shape, dtype=dtype)


@dataclass
class Detections:
    """Boxes found in one frame.

    ``xyxy`` is ``(N, 4)`` float32 pixel corners; ``confidence`` ``(N,)`` float32;
    ``class_id`` ``(N,)`` int32; ``tracker_id`` ``(N,)`` int64, -1 until a tracker
    assigns one. Index with a boolean mask or an index array to filter.
    """

    xyxy: np.ndarray = field(default_factory=lambda: _empty((0, 4), np.float32))
    confidence: np.ndarray = field(default_factory=lambda: _empty((0,), np.float32))
    class_id: np.ndarray = field(default_factory=lambda: _empty((0,), np.int32))
    tracker_id: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.xyxy = np.asarray(self.xyxy, dtype=np.float32).reshape(-1, 4)
        n = len(self.xyxy)
        self.confidence = np.asarray(self.confidence, dtype=np.float32).reshape(-1)
        self.class_id = np.asarray(self.class_id, dtype=np.int32).reshape(-1)
        if self.tracker_id is None:
            self.tracker_id = np.full(n, -1, dtype=np.int64)
        self.tracker_id = np.asarray(self.tracker_id, dtype=np.int64).reshape(-1)
        for name in ("confidence", "class_id", "tracker_id"):
            rows = len(getattr(self, name))
            if rows != n:
                raise ValueError(f"Detections.{name} has {rows} rows, xyxy has {n}")

    def __len__(self) -> int:
        return len(self.xyxy)

    def __getitem__(self, index: np.ndarray | slice | list[int]) -> Detections:
        assert self.tracker_id is not None
        return Detections(
            self.xyxy[index], self.confidence[index], self.class_id[index], self.tracker_id[index]
        )

    @property
    def ids(self) -> np.ndarray:
        assert self.tracker_id is not None
        return self.tracker_id

    @property
    def xywh(self) -> np.ndarray:
        """Centre x, centre y, width, height (what ByteTrack takes)."""
        x1, y1, x2, y2 = self.xyxy.T
        return np.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], axis=1)

    @property
    def bottom_centre(self) -> np.ndarray:
        """Where a vehicle touches the road: the point tested against entry lines."""
        x1, _, x2, y2 = self.xyxy.T
        return np.stack([(x1 + x2) / 2, y2], axis=1)

    @classmethod
    def from_ultralytics(cls, result: Any) -> Detections:
        """Adapt one ``ultralytics.engine.results.Results``."""
        boxes = result.boxes
        if boxes is None or len(boxes) == 0:
            return cls()
        return cls(
            xyxy=boxes.xyxy.cpu().numpy(),
            confidence=boxes.conf.cpu().numpy(),
            class_id=boxes.cls.cpu().numpy().astype(np.int32),
        )
