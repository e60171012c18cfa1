"""Vehicle detection batched across the cameras of one worker process.

Each camera's inference thread calls ``detect`` for its own frame. When several cameras are due
at about the same time, one call carries all their frames (``detect_many``: one session run for
frames of one input size), which is what a GPU needs to be used well: a frame alone leaves most
of it idle. The first caller of a round waits up to ``wait_s`` for others (or until ``max_batch``
frames have come), runs the batch and hands each camera its detections; the others just wait for
theirs. A failed batch fails every call in it, with the same error.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from detectors.detections import Detections

DetectMany = Callable[[Sequence[np.ndarray], float | None, int | None], list[Detections]]


@dataclass
class _Request:
    image: np.ndarray
    confidence: float | None
    imgsz: int | None
    done: threading.Event = field(default_factory=threading.Event)
    result: Detections | None = None
    error: BaseException | None = None


class DetectBatcher:
    """Gathers concurrent ``detect`` calls into ``detect_many`` calls."""

    def __init__(self, detect_many: DetectMany, max_batch: int, wait_s: float) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, not {max_batch}")
        self._detect_many = detect_many
        self.max_batch = max_batch
        self.wait_s = wait_s
        self._cond = threading.Condition()
        self._pending: list[_Request] = []
        self.batches = 0  # calls made, and frames they carried (for the bench and the tests)
        self.frames = 0

    def detect(
        self, image: np.ndarray, confidence: float | None = None, imgsz: int | None = None
    ) -> Detections:
        request = _Request(image, confidence, imgsz)
        with self._cond:
            self._pending.append(request)
            leader = len(self._pending) == 1
            if not leader:
                self._cond.notify_all()  # a full batch need not wait out the window
        if leader:
            self._lead()
        request.done.wait()
        if request.error is not None:
            raise request.error
        assert request.result is not None
        return request.result

    def _lead(self) -> None:
        deadline = time.monotonic() + self.wait_s
        with self._cond:
            while len(self._pending) < self.max_batch:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            batch = self._pending[: self.max_batch]
            self._pending = self._pending[self.max_batch :]
            if self._pending:  # more than one batch came: the next caller in line leads it
                threading.Thread(target=self._lead, daemon=True).start()
        groups: dict[tuple[float | None, int | None], list[_Request]] = {}
        for r in batch:
            groups.setdefault((r.confidence, r.imgsz), []).append(r)
        for (confidence, imgsz), members in groups.items():
            try:
                results = self._detect_many([r.image for r in members], confidence, imgsz)
                for r, d in zip(members, results, strict=True):
                    r.result = d
            except BaseException as exc:  # every camera in the batch hears of it
                for r in members:
                    r.error = exc
            finally:
                self.batches += 1
                self.frames += len(members)
                for r in members:
                    r.done.set()


class BatchedDetector:
    """A ``VehicleDetector`` whose ``detect`` calls are batched across cameras."""

    def __init__(
        self, batcher: DetectBatcher, model_name: str, class_names: Mapping[int, str]
    ) -> None:
        self._batcher = batcher
        self._model_name = model_name
        self._class_names = class_names

    @property
    def model_name(self) -> str:
        return self._model_name

    @property
    def class_names(self) -> Mapping[int, str]:
        return self._class_names

    def detect(
        self, image: np.ndarray, confidence: float | None = None, imgsz: int | None = None
    ) -> Detections:
        return self._batcher.detect(image, confidence, imgsz)

    def detect_many(
        self,
        images: Sequence[np.ndarray],
        confidence: float | None = None,
        imgsz: int | None = None,
    ) -> list[Detections]:
        return self._batcher._detect_many(images, confidence, imgsz)
