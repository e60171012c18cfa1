"""Licence-plate detection (a one-class YOLOv8n) on a vehicle crop or a whole photo."""

from __future__ import annotations

import os

import numpy as np

from detectors import weights
from detectors.detections import Detections

os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("YOLO_AUTOINSTALL", "0")
os.environ.setdefault("YOLO_VERBOSE", "False")


class PlateDetector:
    """Finds plate boxes in an image.

    The confidence floor is low on purpose (about 0.1): small and blurry plates
    score low, and a wrong box is cheap because OCR and the format check reject it.
    """

    def __init__(
        self, weights_path: str | None = None, confidence: float = 0.1, imgsz: int = 640
    ) -> None:
        from ultralytics import YOLO

        self.weights_path = weights.resolve(weights.PLATE, weights_path)
        self.model = YOLO(self.weights_path, task="detect")
        self.confidence = confidence
        self.imgsz = imgsz

    def detect(self, image: np.ndarray, imgsz: int | None = None) -> Detections:
        results = self.model.predict(
            image, conf=self.confidence, imgsz=imgsz or self.imgsz, verbose=False
        )
        return Detections.from_ultralytics(next(iter(results)))
