"""The detector interfaces the frame loop talks to, and the one YOLO base behind both detectors.

As in fast-alpr: one method each (``detect(image) -> Detections``) and a ``model_name`` for the
evidence (``software.vehicle_model``), implementations passed into constructors. The worker's
pooled detector implements the same interface as the plain one, so the frame loop never knows
which it has. The plate recogniser's interface is ``plate_reader.ocr.BaseOCR``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from detectors import weights
from detectors.detections import Detections
from detectors.onnx_yolo import OnnxYolo
from detectors.runtime import RuntimeOptions

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

    def detect_many(
        self,
        images: Sequence[np.ndarray],
        confidence: float | None = None,
        imgsz: int | None = None,
    ) -> list[Detections]:
        """Several frames (cameras due together) in one call, results in order."""
        ...


class PlateDetector(Protocol):
    """Finds plate boxes in an image (a vehicle crop or a whole photo)."""

    @property
    def model_name(self) -> str: ...

    def detect(self, image: np.ndarray, imgsz: int | None = None) -> Detections: ...


class YoloDetector:
    """A YOLOv8 detector from resolved weights (``detectors.weights``).

    An ``.onnx`` file (the prepared models, or a user's export) runs on onnxruntime directly
    (``detectors.onnx_yolo``, on ``runtime``'s providers and threads); anything else (a user's
    own ``.pt``, a hub name) on ultralytics, as before.
    """

    def __init__(
        self,
        spec: weights.WeightSpec,
        weights_path: str | None,
        confidence: float,
        imgsz: int,
        runtime: RuntimeOptions | None = None,
    ) -> None:
        self.weights_path = weights.resolve(spec, weights_path)
        self.confidence = confidence
        self.imgsz = imgsz
        self.onnx: OnnxYolo | None = None
        self.model: Any = None
        if self.weights_path.endswith(".onnx") and Path(self.weights_path).is_file():
            self.onnx = OnnxYolo(self.weights_path, runtime)
        else:
            from ultralytics import YOLO  # heavy import, only for weights onnxruntime cannot run

            self.model = YOLO(self.weights_path, task="detect")

    @property
    def model_name(self) -> str:
        return Path(self.weights_path).name

    @property
    def runtime_name(self) -> str:
        """What runs the network: ``onnxruntime`` or ``ultralytics``."""
        return "onnxruntime" if self.onnx is not None else "ultralytics"

    def _predict_many(
        self,
        images: Sequence[np.ndarray],
        confidence: float | None,
        imgsz: int | None,
        classes: Sequence[int] | None = None,
        square: bool = False,
    ) -> list[Detections]:
        conf = self.confidence if confidence is None else confidence
        size = imgsz or self.imgsz
        if self.onnx is not None:
            return self.onnx.predict(
                images, confidence=conf, imgsz=size, classes=classes, square=square
            )
        options: dict[str, Any] = {"classes": list(classes)} if classes is not None else {}
        return [
            Detections.from_ultralytics(next(iter(result)))
            for result in (
                self.model.predict(image, conf=conf, imgsz=size, verbose=False, **options)
                for image in images
            )
        ]
