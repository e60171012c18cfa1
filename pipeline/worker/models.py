"""Models shared by every camera of a worker process: a small pool of model slots.

Each slot (vehicle detector + plate readers) serves one call at a time and cameras borrow any
free slot per call (a detector on ultralytics, for a user's own ``.pt``, is not safe to call
from two threads at once; the OCR back-ends neither). With ``inference.batch`` > 1 the cameras'
vehicle detections due together go through one call (``pipeline.worker.batching``).
Default: 2 slots (one per core) of 1 math thread each. Measured
on the 2-core machine (docs/DEPLOYMENT.md): under CPU contention a 1-thread ONNX session runs the
detector in 175 ms against 305-400 ms for the default 2 threads, because pool threads that spin
or wait on a busy core stall every call; two 1-thread slots keep both cores busy without that.
"""

from __future__ import annotations

import logging
import os
import queue
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

import numpy as np

from plate_reader.ocr import DEFAULT_OCR

if TYPE_CHECKING:
    from detectors.base import VehicleDetector
    from detectors.detections import Detections
    from detectors.runtime import RuntimeOptions
    from pipeline.config import InferenceOptions
    from pipeline.processor import VehiclePlateReader
    from pipeline.worker.batching import DetectBatcher
    from plate_reader.reader import PlateRead, PlateReader

log = logging.getLogger(__name__)


def limit_threads(threads: int | None) -> None:
    """Cap the math thread pools (torch, OpenMP/BLAS) before the models load; None keeps all."""
    if not threads:
        return
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    try:
        import torch

        torch.set_num_threads(threads)
    except ImportError:  # pragma: no cover - torch comes with ultralytics
        pass


class _Slot:
    """One set of models; used by one thread at a time."""

    def __init__(
        self, make_reader: Callable[[str], PlateReader], runtime: RuntimeOptions | None
    ) -> None:
        from detectors.vehicle import YoloVehicleDetector

        self.detector = YoloVehicleDetector(runtime=runtime)
        self._make_reader = make_reader
        self.readers: dict[str, PlateReader] = {}

    def reader(self, region: str) -> PlateReader:
        if region not in self.readers:
            self.readers[region] = self._make_reader(region)
        return self.readers[region]


class _Pool:
    """Model slots lent out per call: a camera's thread waits only while all slots are busy."""

    def __init__(self, slots: list[_Slot]) -> None:
        self._free: queue.SimpleQueue[_Slot] = queue.SimpleQueue()
        for slot in slots:
            self._free.put(slot)

    @contextmanager
    def slot(self) -> Iterator[_Slot]:
        slot = self._free.get()
        try:
            yield slot
        finally:
            self._free.put(slot)


class PooledDetector:
    """A ``VehicleDetector`` whose calls each run on a free slot."""

    def __init__(self, pool: _Pool, first: _Slot) -> None:
        self._pool = pool
        self._first = first

    @property
    def model_name(self) -> str:
        return self._first.detector.model_name

    @property
    def class_names(self) -> Mapping[int, str]:
        return self._first.detector.class_names

    def detect(
        self, image: np.ndarray, confidence: float | None = None, imgsz: int | None = None
    ) -> Detections:
        with self._pool.slot() as slot:
            return slot.detector.detect(image, confidence=confidence, imgsz=imgsz)

    def detect_many(
        self,
        images: Sequence[np.ndarray],
        confidence: float | None = None,
        imgsz: int | None = None,
    ) -> list[Detections]:
        with self._pool.slot() as slot:
            return slot.detector.detect_many(images, confidence=confidence, imgsz=imgsz)


class PooledPlateDetector:
    """A ``PlateDetector`` (the region's reader's) whose calls each run on a free slot."""

    def __init__(self, pool: _Pool, region: str) -> None:
        self._pool = pool
        self._region = region
        with pool.slot() as slot:
            self._model_name = slot.reader(region).detector.model_name

    @property
    def model_name(self) -> str:
        return self._model_name

    def detect(self, image: np.ndarray, imgsz: int | None = None) -> Detections:
        with self._pool.slot() as slot:
            return slot.reader(self._region).detector.detect(image, imgsz=imgsz)


class PooledReader:
    """A ``VehiclePlateReader`` whose calls each run on a free slot."""

    def __init__(self, pool: _Pool, region: str) -> None:
        self._pool = pool
        self._region = region
        self.detector = PooledPlateDetector(pool, region)

    def read(
        self,
        image: np.ndarray,
        *,
        imgsz: int | None = None,
        fallback: bool = True,
        max_plates: int | None = None,
    ) -> list[PlateRead]:
        with self._pool.slot() as slot:
            return slot.reader(self._region).read(
                image, imgsz=imgsz, fallback=fallback, max_plates=max_plates
            )


class SharedModels:
    """Model slots shared by every camera of the process (see the module docstring)."""

    def __init__(
        self,
        ocr: str = DEFAULT_OCR,
        threads: int | None = 1,
        slots: int = 2,
        inference: InferenceOptions | None = None,
    ) -> None:
        from detectors.plate import YoloPlateDetector
        from detectors.runtime import RuntimeOptions, engine_from_env, providers_from_env
        from pipeline.config import InferenceOptions
        from plate_reader.ocr import make_ocr
        from plate_reader.reader import PlateReader

        limit_threads(threads)
        self.ocr_name = ocr
        self.inference = inference = inference or InferenceOptions()
        # Every detector session of the process: ``threads`` intra-op threads each, on the
        # configured engine and providers (default: $ENTRYWATCH_PROVIDERS, else the CPU).
        runtime = RuntimeOptions(
            providers=tuple(inference.providers or providers_from_env()),
            threads=threads,
            engine=inference.engine or engine_from_env(),
        )
        self.runtime = runtime

        def make_reader(region: str) -> PlateReader:
            detector = YoloPlateDetector(runtime=runtime)
            reader_ocr = make_ocr(ocr, threads=threads, runtime=runtime)
            return PlateReader(detector=detector, ocr=reader_ocr, profile=region)

        self._slots = [_Slot(make_reader, runtime) for _ in range(max(1, slots))]
        self._pool = _Pool(self._slots)
        self._detector = PooledDetector(self._pool, self._slots[0])
        # Cameras due together share one detector call (``inference.batch`` > 1).
        self.batcher: DetectBatcher | None = None
        if inference.batch > 1:
            from pipeline.worker.batching import DetectBatcher

            self.batcher = DetectBatcher(
                self._detector.detect_many, inference.batch, inference.batch_wait_ms / 1000
            )

    def warm_up(self, regions: set[str]) -> None:
        """Load everything now, so the first camera frames are not spent loading models."""
        blank = np.zeros((720, 1280, 3), dtype=np.uint8)
        for slot in self._slots:
            slot.detector.detect(blank)
            for region in regions:
                slot.reader(region).read(blank[:200, :300], max_plates=1)

    def for_camera(self, region: str) -> tuple[VehicleDetector, VehiclePlateReader]:
        detector: VehicleDetector = self._detector
        if self.batcher is not None:
            from pipeline.worker.batching import BatchedDetector

            detector = BatchedDetector(
                self.batcher, self._detector.model_name, self._detector.class_names
            )
        return detector, PooledReader(self._pool, region)
