"""How often the real vehicle detector finds each sample vehicle."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sample_videos.render import Box, Placement

IOU_HIT = 0.3
# A vehicle counts towards the hit rate only while it is fully in the frame, at least this
# tall, and mostly unhidden: the frames where a detector can fairly be expected to find it.
MIN_HEIGHT_PX = 60
MAX_OCCLUDED = 0.3


def iou(a: Box, b: np.ndarray) -> np.ndarray:
    """IoU of box ``a`` with each row of ``b`` (N, 4)."""
    if len(b) == 0:
        return np.zeros(0)
    x1 = np.maximum(a[0], b[:, 0])
    y1 = np.maximum(a[1], b[:, 1])
    x2 = np.minimum(a[2], b[:, 2])
    y2 = np.minimum(a[3], b[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area_a = (a[2] - a[0]) * (a[3] - a[1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return np.asarray(inter / np.maximum(area_a + area_b - inter, 1e-6))


def eligible(p: Placement) -> bool:
    height = p.box[3] - p.box[1]
    return p.in_full_view and height >= MIN_HEIGHT_PX and p.occluded <= MAX_OCCLUDED


@dataclass
class HitCounter:
    """Per-vehicle tallies of eligible frames and frames with a matching detection."""

    frames: dict[str, int]
    hits: dict[str, int]

    @classmethod
    def empty(cls) -> HitCounter:
        return cls({}, {})

    def add(self, placements: list[Placement], detected_xyxy: np.ndarray) -> None:
        for p in placements:
            if not eligible(p):
                continue
            self.frames[p.vehicle_id] = self.frames.get(p.vehicle_id, 0) + 1
            if (iou(p.box, detected_xyxy) >= IOU_HIT).any():
                self.hits[p.vehicle_id] = self.hits.get(p.vehicle_id, 0) + 1

    def rate(self, vehicle_id: str) -> float | None:
        n = self.frames.get(vehicle_id, 0)
        return round(self.hits.get(vehicle_id, 0) / n, 3) if n else None

    def overall(self) -> float | None:
        n = sum(self.frames.values())
        return round(sum(self.hits.values()) / n, 3) if n else None
