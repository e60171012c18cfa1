"""Vehicle detection with ultralytics YOLO (COCO car, motorcycle, bus, truck)."""

from __future__ import annotations

import os

import numpy as np

from detectors import weights
from detectors.detections import Detections

# COCO class ids -> the names EntryEvent uses.
VEHICLE_CLASSES: dict[int, str] = {2: "car", 3: "motorcycle", 5: "bus", 7: "truck"}

# ultralytics must never reach for the network or pip at run time.
os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("YOLO_AUTOINSTALL", "0")
os.environ.setdefault("YOLO_VERBOSE", "False")


class VehicleDetector:
    """Finds vehicles in a full frame.

    ``imgsz`` is the network input side; the bundled ONNX export is fixed at 640.
    """

    def __init__(
        self,
        weights_path: str | None = None,
        confidence: float = 0.25,
        imgsz: int = 640,
        classes: dict[int, str] | None = None,
    ) -> None:
        from ultralytics import YOLO  # heavy import, only when a detector is made

        self.weights_path = weights.resolve(weights.VEHICLE, weights_path)
        self.model = YOLO(self.weights_path, task="detect")
        self.confidence = confidence
        self.imgsz = imgsz
        self.classes = dict(classes or VEHICLE_CLASSES)

    def detect(
        self, image: np.ndarray, confidence: float | None = None, imgsz: int | None = None
    ) -> Detections:
        """Vehicles in ``image``; per-call overrides let one model serve many cameras."""
        results = self.model.predict(
            image,
            conf=self.confidence if confidence is None else confidence,
            imgsz=imgsz or self.imgsz,
            classes=list(self.classes),
            verbose=False,
        )
        return Detections.from_ultralytics(next(iter(results)))

    def class_name(self, class_id: int) -> str:
        return self.classes.get(int(class_id), "vehicle")
