"""Compose frames: the road, then vehicles far to near, and their true boxes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from sample_videos import scene
from sample_videos.sprite import Sprite
from sample_videos.traffic import Vehicle

Box = tuple[int, int, int, int]

# Narrower than this (pixels) a vehicle is a speck: not drawn, not in the ground truth.
MIN_WIDTH_PX = 10


@dataclass(frozen=True)
class Placement:
    """Where one vehicle is in one frame: its true box clipped to the frame, and how much
    of it nearer vehicles hide."""

    vehicle_id: str
    box: Box
    full_box: Box
    occluded: float

    @property
    def in_full_view(self) -> bool:
        return self.box == self.full_box


def _placement_box(sprite: Sprite, camera: scene.Camera, x_m: float, d: float) -> Box:
    s = camera.scale(d)
    w = max(1, round(sprite.width_m * s))
    h = max(1, round(w * sprite.aspect))
    cx, bottom = camera.column(x_m, d), camera.row(d)
    x1, y2 = round(cx - w / 2), round(bottom)
    return x1, y2 - h, x1 + w, y2


def frames(
    camera: scene.Camera, road: np.ndarray, vehicles: list[Vehicle], count: int, noise_seed: int
) -> Iterator[tuple[np.ndarray, list[Placement]]]:
    """Yield each frame with the placements of the vehicles in it."""
    sprites = {v.vehicle_id: v.sprite() for v in vehicles}
    rng = np.random.default_rng(noise_seed)
    for index in range(count):
        frame = road.copy()
        present = [(v, float(v.path[index])) for v in vehicles if np.isfinite(v.path[index])]
        # Far first, so nearer vehicles paint over (occlude) farther ones.
        present.sort(key=lambda item: -item[1])
        cover = np.zeros(frame.shape[:2], np.int16) - 1
        drawn: list[tuple[int, str, Box, Box, np.ndarray]] = []
        for order, (vehicle, d) in enumerate(present):
            sprite = sprites[vehicle.vehicle_id]
            full = _placement_box(sprite, camera, vehicle.x_m, d)
            x1, y1, x2, y2 = full
            if x2 - x1 < MIN_WIDTH_PX:
                continue
            cx1, cy1 = max(0, x1), max(0, y1)
            cx2, cy2 = min(scene.WIDTH, x2), min(scene.HEIGHT, y2)
            if cx1 >= cx2 or cy1 >= cy2:
                continue
            scene.shadow(frame, full)
            image = cv2.resize(sprite.bgra, (x2 - x1, y2 - y1), interpolation=cv2.INTER_AREA)
            image = image[cy1 - y1 : cy2 - y1, cx1 - x1 : cx2 - x1]
            alpha = image[..., 3:].astype(np.float32) / 255
            region = frame[cy1:cy2, cx1:cx2].astype(np.float32)
            frame[cy1:cy2, cx1:cx2] = (region * (1 - alpha) + image[..., :3] * alpha).astype(
                np.uint8
            )
            mask = np.zeros(frame.shape[:2], bool)
            mask[cy1:cy2, cx1:cx2] = image[..., 3] > 127
            cover[mask] = order
            drawn.append((order, vehicle.vehicle_id, (cx1, cy1, cx2, cy2), full, mask))
        placements = []
        for order, vid, box, full, mask in drawn:
            area = int(mask.sum())
            hidden = int((mask & (cover > order)).sum())
            placements.append(Placement(vid, box, full, hidden / area if area else 1.0))
        # Light sensor noise, so the clip is not unnaturally clean (and compresses like video).
        noise = rng.normal(0, 2.0, frame.shape).astype(np.float32)
        frame = np.clip(frame.astype(np.float32) + noise, 0, 255).astype(np.uint8)
        yield frame, placements
