"""A vehicle image with transparency, its real size, and where its plate goes."""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np


@dataclass(frozen=True)
class Sprite:
    """``bgra`` is the master image (alpha 0 outside the vehicle).

    ``width_m`` is the vehicle's real width across the image, which fixes its size on the
    road; ``plate_centre`` (x, y) and ``plate_width`` are fractions of the image.
    """

    bgra: np.ndarray
    width_m: float
    plate_centre: tuple[float, float]
    plate_width: float

    @property
    def aspect(self) -> float:
        """Height over width."""
        return self.bgra.shape[0] / self.bgra.shape[1]

    def with_plate(self, plate_bgr: np.ndarray) -> Sprite:
        """A copy with ``plate_bgr`` pasted at the plate position, scaled to fit."""
        h, w = self.bgra.shape[:2]
        pw = max(8, round(self.plate_width * w))
        ph = max(4, round(pw * plate_bgr.shape[0] / plate_bgr.shape[1]))
        plate = cv2.resize(plate_bgr, (pw, ph), interpolation=cv2.INTER_AREA)
        cx, cy = self.plate_centre
        x0 = round(cx * w - pw / 2)
        y0 = round(cy * h - ph / 2)
        x0, y0 = max(0, min(w - pw, x0)), max(0, min(h - ph, y0))
        out = self.bgra.copy()
        out[y0 : y0 + ph, x0 : x0 + pw, :3] = plate
        out[y0 : y0 + ph, x0 : x0 + pw, 3] = 255
        return replace(self, bgra=out)
