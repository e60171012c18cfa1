"""A YOLOv8 ONNX model run through onnxruntime directly: letterbox, one session call, decode, NMS.

No ultralytics in the loop: its predictor re-checks its arguments, converts to torch and runs
NMS in torch on every call, which cost as much as the network on the plate detector's small
crops. A batch of images of one input shape is one session call (the raw-head models that
``detectors.prepare`` writes take any batch and any size); a model with a fixed batch or input
size (a plain ultralytics export) is called once per image at its own size.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from detectors.detections import Detections
from detectors.letterbox import Letterbox, input_shape, letterbox
from detectors.runtime import RuntimeOptions
from detectors.yolo_decode import decode_exported, decode_raw, select

# Output names of a raw-head model (``detectors.prepare``): box_s8, cls_s8, box_s16, ...
RAW_LAYOUT = "raw-head-v1"


def _fixed(dim: Any) -> int | None:
    return dim if isinstance(dim, int) and dim > 0 else None


class OnnxYolo:
    """One onnxruntime session of a YOLOv8 detector, called from one thread or many (onnxruntime
    sessions may be run concurrently)."""

    def __init__(self, model_path: str, runtime: RuntimeOptions | None = None) -> None:
        self.model_path = model_path
        self.runtime = runtime or RuntimeOptions()
        if not Path(model_path).is_file():
            raise FileNotFoundError(f"ONNX model {model_path!r} is not a file")
        self.session = self.runtime.open_session(model_path)
        meta = self.session.get_modelmeta().custom_metadata_map
        self.names: Mapping[int, str] = _names(meta.get("names", ""))
        self.stride = int(meta.get("stride", 32))
        inp = self.session.get_inputs()[0]
        self._input = inp.name
        batch, _, h, w = inp.shape
        self.fixed_batch = _fixed(batch)
        fh, fw = _fixed(h), _fixed(w)
        self.fixed_hw = (fh, fw) if fh and fw else None
        self._outputs = [o.name for o in self.session.get_outputs()]
        self.raw = meta.get("entrywatch_layout") == RAW_LAYOUT
        if self.raw:
            self._levels = [
                (int(name[len("box_s") :]), name, f"cls_s{name[len('box_s') :]}")
                for name in self._outputs
                if name.startswith("box_s")
            ]
            if not self._levels:
                raise ValueError(f"{model_path}: says {RAW_LAYOUT} but has no box_s* outputs")
        elif len(self._outputs) != 1:
            raise ValueError(
                f"{model_path}: expected one YOLOv8 output (4 + classes, anchors), "
                f"found {len(self._outputs)} ({', '.join(self._outputs)})"
            )

    @property
    def providers(self) -> list[str]:
        return list(self.session.get_providers())

    def input_shape(self, frame_hw: tuple[int, int], imgsz: int) -> tuple[int, int]:
        return input_shape(frame_hw, imgsz, self.stride, self.fixed_hw)

    def predict(
        self,
        images: Sequence[np.ndarray],
        *,
        confidence: float,
        imgsz: int,
        classes: Sequence[int] | None = None,
        iou: float = 0.7,
        max_det: int = 300,
        square: bool = False,
    ) -> list[Detections]:
        """Detections for each image (BGR uint8), in order. Images of one input shape share a
        session call when the model takes a batch; ``square`` pads every image to the
        ``imgsz`` square, so crops of any shape batch together (the GPU path)."""
        results: list[Detections | None] = [None] * len(images)
        groups: dict[tuple[int, int], list[int]] = {}
        for i, image in enumerate(images):
            shape = (imgsz, imgsz) if square and self.fixed_hw is None else None
            groups.setdefault(shape or self.input_shape(image.shape[:2], imgsz), []).append(i)
        step = self.fixed_batch or len(images)
        for shape, members in groups.items():
            for start in range(0, len(members), step):
                chunk = members[start : start + step]
                batch = np.empty((len(chunk), 3, *shape), dtype=np.float32)
                boxes = [letterbox(images[i], shape, out=batch[k])[1] for k, i in enumerate(chunk)]
                outputs = self._run(batch)
                for k, i in enumerate(chunk):
                    results[i] = self._detections(
                        outputs, k, boxes[k], confidence, classes, iou, max_det
                    )
        return [r if r is not None else Detections() for r in results]

    def _run(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        values = self.session.run(self._outputs, {self._input: batch})
        return dict(zip(self._outputs, values, strict=True))

    def _detections(
        self,
        outputs: dict[str, np.ndarray],
        k: int,
        geometry: Letterbox,
        confidence: float,
        classes: Sequence[int] | None,
        iou: float,
        max_det: int,
    ) -> Detections:
        if self.raw:
            levels = [(s, outputs[b][k], outputs[c][k]) for s, b, c in self._levels]
            xyxy, scores, cls = decode_raw(levels, confidence)
        else:
            xyxy, scores, cls = decode_exported(outputs[self._outputs[0]][k], confidence)
        keep = select(xyxy, scores, cls, keep_classes=classes, iou=iou, max_det=max_det)
        if keep.size == 0:
            return Detections()
        return Detections(geometry.to_frame(xyxy[keep]), scores[keep], cls[keep])


def _names(text: str) -> dict[int, str]:
    """ultralytics writes ``names`` as a Python dict literal (``{0: 'person', ...}``)."""
    if not text:
        return {}
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return {}
    return {int(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}
