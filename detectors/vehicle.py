"""Vehicle detection with ultralytics YOLO (COCO car, motorcycle, bus, truck)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from detectors import weights
from detectors.base import YoloDetector
from detectors.detections import Detections

# COCO class ids -> the names EntryEvent uses.
VEHICLE_CLASSES: dict[int, str] = {2: "car", 3: "motorcycle", 5: "bus", 7: "truck"}


class YoloVehicleDetector(YoloDetector):
    """Finds vehicles in a full frame (a ``detectors.base.VehicleDetector``).

    ``imgsz`` is the network input side; the bundled ONNX export is fixed at 640.
    """

    def __init__(
        self,
        weights_path: str | None = None,
        confidence: float = 0.25,
        imgsz: int = 640,
        classes: Mapping[int, str] | None = None,
    ) -> None:
        super().__init__(weights.VEHICLE, weights_path, confidence, imgsz)
        self._classes = dict(classes or VEHICLE_CLASSES)

    @property
    def class_names(self) -> Mapping[int, str]:
        return self._classes

    def detect(
        self, image: np.ndarray, confidence: float | None = None, imgsz: int | None = None
    ) -> Detections:
        """Vehicles in ``image``; per-call overrides let one model serve many cameras."""
        return self._predict(image, confidence, imgsz, classes=list(self._classes))
