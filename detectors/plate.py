"""Licence-plate detection (a one-class YOLOv8n) on a vehicle crop or a whole photo."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from detectors import weights
from detectors.base import YoloDetector
from detectors.detections import Detections
from detectors.runtime import RuntimeOptions


class YoloPlateDetector(YoloDetector):
    """Finds plate boxes in an image (a ``detectors.base.PlateDetector``).

    The confidence floor is low on purpose (about 0.1): small and blurry plates
    score low, and a wrong box is cheap because OCR and the format check reject it.
    """

    def __init__(
        self,
        weights_path: str | None = None,
        confidence: float = 0.1,
        imgsz: int = 640,
        runtime: RuntimeOptions | None = None,
    ) -> None:
        super().__init__(weights.PLATE, weights_path, confidence, imgsz, runtime)

    def detect(self, image: np.ndarray, imgsz: int | None = None) -> Detections:
        return self._predict_many([image], None, imgsz)[0]

    def detect_many(
        self, images: Sequence[np.ndarray], imgsz: int | None = None, square: bool = False
    ) -> list[Detections]:
        """Several crops in as few calls as their input shapes allow (one, with ``square``:
        each padded to the ``imgsz`` square), results in order."""
        return self._predict_many(images, None, imgsz, square=square)
