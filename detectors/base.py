"""The detector interfaces the frame loop talks to, and the one YOLO base behind both detectors.

As in fast-alpr: one method each (``detect(image) -> Detections``) and a ``model_name`` for the
evidence (``software.vehicle_model``), implementations passed into constructors. The worker's
pooled detector implements the same interface as the plain one, so the frame loop never knows
which it has. The plate recogniser's interface is ``plate_reader.ocr.BaseOCR``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from detectors import weights
from detectors.detections import Detections

# ultralytics must never reach for the network or pip at run time: set once, before any model.
os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("YOLO_AUTOINSTALL", "0")
os.environ.setdefault("YOLO_VERBOSE", "False")


class VehicleDetector(Protocol):
    """Finds vehicles in a full frame; per-call overrides let one model serve many cameras."""

    @property
    def model_name(self) -> str:
        """The weights' file name (``yolov8n.onnx``), as the evidence names it."""
        ...

    @property
    def class_names(self) -> Mapping[int, str]:
        """Class id -> the vehicle class events name (``car``, ``motorcycle``, ...)."""
        ...

    def detect(
        self, image: np.ndarray, confidence: float | None = None, imgsz: int | None = None
    ) -> Detections: ...


class PlateDetector(Protocol):
    """Finds plate boxes in an image (a vehicle crop or a whole photo)."""

    @property
    def model_name(self) -> str: ...

    def detect(self, image: np.ndarray, imgsz: int | None = None) -> Detections: ...


class YoloDetector:
    """An ultralytics YOLO model loaded from resolved weights (``detectors.weights``)."""

    def __init__(
        self, spec: weights.WeightSpec, weights_path: str | None, confidence: float, imgsz: int
    ) -> None:
        from ultralytics import YOLO  # heavy import, only when a detector is made

        self.weights_path = weights.resolve(spec, weights_path)
        self.model = YOLO(self.weights_path, task="detect")
        self.confidence = confidence
        self.imgsz = imgsz

    @property
    def model_name(self) -> str:
        return Path(self.weights_path).name

    def _predict(
        self, image: np.ndarray, confidence: float | None, imgsz: int | None, **options: Any
    ) -> Detections:
        results = self.model.predict(
            image,
            conf=self.confidence if confidence is None else confidence,
            imgsz=imgsz or self.imgsz,
            verbose=False,
            **options,
        )
        return Detections.from_ultralytics(next(iter(results)))
