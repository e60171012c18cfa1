"""Vehicle detection with ultralytics YOLO (COCO car, motorcycle, bus, truck)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from detectors import weights
from detectors.base import YoloDetector
from detectors.detections import Detections
from detectors.runtime import RuntimeOptions

# COCO class ids -> the names EntryEvent uses.
VEHICLE_CLASSES: dict[int, str] = {2: "car", 3: "motorcycle", 5: "bus", 7: "truck"}


class YoloVehicleDetector(YoloDetector):
    """Finds vehicles in a full frame (a ``detectors.base.VehicleDetector``).

    ``imgsz`` is the network input's long side: the prepared model keeps the frame's aspect
    ratio (a 720p frame at 640 is a 384x640 input); a user's fixed-size ONNX runs at its size.
    """

    def __init__(
        self,
        weights_path: str | None = None,
        confidence: float = 0.25,
        imgsz: int = 640,
        classes: Mapping[int, str] | None = None,
        runtime: RuntimeOptions | None = None,
    ) -> None:
        super().__init__(weights.VEHICLE, weights_path, confidence, imgsz, runtime)
        self._classes = dict(classes or VEHICLE_CLASSES)

    @property
    def class_names(self) -> Mapping[int, str]:
        return self._classes

    def detect(
        self, image: np.ndarray, confidence: float | None = None, imgsz: int | None = None
    ) -> Detections:
        """Vehicles in ``image``; per-call overrides let one model serve many cameras."""
        return self._predict_many([image], confidence, imgsz, list(self._classes))[0]

    def detect_many(
        self,
        images: Sequence[np.ndarray],
        confidence: float | None = None,
        imgsz: int | None = None,
    ) -> list[Detections]:
        return self._predict_many(images, confidence, imgsz, list(self._classes))
