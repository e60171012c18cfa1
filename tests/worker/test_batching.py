"""Vehicle detections of cameras due together go through one detector call (no models: the
detector is a function that records its calls)."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from detectors.detections import Detections
from pipeline.config import ConfigError, InferenceOptions, load_cameras
from pipeline.worker.batching import DetectBatcher


class RecordingDetector:
    """Answers each image with one box whose x is the image's first pixel (its camera)."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[tuple[list[int], float | None, int | None]] = []
        self.fail = fail
        self.lock = threading.Lock()

    def __call__(
        self, images: Sequence[np.ndarray], confidence: float | None, imgsz: int | None
    ) -> list[Detections]:
        with self.lock:
            self.calls.append(([int(i[0, 0, 0]) for i in images], confidence, imgsz))
        if self.fail:
            raise RuntimeError("detector broke")
        return [
            Detections(
                xyxy=np.array([[i[0, 0, 0], 0, i[0, 0, 0] + 1, 1]], np.float32),
                confidence=np.array([0.9], np.float32),
                class_id=np.array([2], np.int32),
            )
            for i in images
        ]


def image(camera: int) -> np.ndarray:
    img = np.zeros((4, 4, 3), np.uint8)
    img[0, 0, 0] = camera
    return img


def call_together(batcher: DetectBatcher, cameras: list[int], imgsz: int | None = None) -> dict:
    results: dict[int, object] = {}
    start = threading.Barrier(len(cameras))

    def one(camera: int) -> None:
        start.wait()
        try:
            results[camera] = batcher.detect(image(camera), confidence=0.2, imgsz=imgsz)
        except Exception as exc:
            results[camera] = exc

    threads = [threading.Thread(target=one, args=(c,)) for c in cameras]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    return results


def test_cameras_due_together_share_one_call_and_each_gets_its_own_detections() -> None:
    detector = RecordingDetector()
    batcher = DetectBatcher(detector, max_batch=4, wait_s=1.0)
    t0 = time.monotonic()
    results = call_together(batcher, [1, 2, 3, 4])
    # A full batch does not wait out the window.
    assert time.monotonic() - t0 < 0.9
    assert len(detector.calls) == 1 and sorted(detector.calls[0][0]) == [1, 2, 3, 4]
    assert detector.calls[0][1:] == (0.2, None)
    for camera, detections in results.items():
        assert isinstance(detections, Detections)
        assert detections.xyxy[0, 0] == camera


def test_more_frames_than_a_batch_are_split_and_all_answered() -> None:
    detector = RecordingDetector()
    batcher = DetectBatcher(detector, max_batch=2, wait_s=0.2)
    results = call_together(batcher, [1, 2, 3, 4, 5])
    assert sorted(c for call in detector.calls for c in call[0]) == [1, 2, 3, 4, 5]
    assert all(len(call[0]) <= 2 for call in detector.calls)
    assert all(isinstance(results[c], Detections) for c in range(1, 6))
    assert batcher.frames == 5


def test_a_lone_camera_is_detected_after_the_window() -> None:
    detector = RecordingDetector()
    batcher = DetectBatcher(detector, max_batch=8, wait_s=0.05)
    result = batcher.detect(image(7), imgsz=480)
    assert result.xyxy[0, 0] == 7
    assert detector.calls == [([7], None, 480)]


def test_a_failed_batch_fails_every_camera_in_it_with_the_error() -> None:
    batcher = DetectBatcher(RecordingDetector(fail=True), max_batch=3, wait_s=1.0)
    results = call_together(batcher, [1, 2, 3])
    assert all(isinstance(r, RuntimeError) and "detector broke" in str(r) for r in results.values())


def test_max_batch_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_batch must be at least 1"):
        DetectBatcher(RecordingDetector(), max_batch=0, wait_s=0.0)


def test_the_inference_section_is_read_and_a_bad_provider_is_named(tmp_path: Path) -> None:
    camera = (
        "  - {camera_id: c1, checkpoint: CP, source: a.mp4,\n"
        "     line: {start: [0, 10], end: [100, 10], inbound_side: right}}\n"
    )
    good = tmp_path / "good.yaml"
    good.write_text("inference: {providers: [tensorrt, cuda, cpu], batch: 8}\ncameras:\n" + camera)
    options = load_cameras(good).inference
    assert options.providers == [
        "TensorrtExecutionProvider",
        "CUDAExecutionProvider",
        "CPUExecutionProvider",
    ]
    assert options.batch == 8 and options.engine is None  # $ENTRYWATCH_ENGINE, else auto
    bad = tmp_path / "bad.yaml"
    bad.write_text("inference: {providers: [gpu]}\ncameras:\n" + camera)
    with pytest.raises(ConfigError, match=r"bad.yaml.*inference.providers.*'gpu'"):
        load_cameras(bad)
    assert InferenceOptions().providers is None and InferenceOptions().batch == 1


@pytest.mark.models
def test_a_worker_with_batching_detects_what_a_plain_detector_detects(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from detectors.runtime import ENGINE_ENV
    from detectors.vehicle import YoloVehicleDetector
    from pipeline.sources import open_source
    from pipeline.worker.models import SharedModels

    clip = Path(__file__).resolve().parents[2] / "sample_videos/entry_morning.mp4"
    frames = [f.image for f in open_source(clip, "c") if f.index in (30, 40, 50)]
    monkeypatch.setenv(ENGINE_ENV, "onnxruntime")  # the config names no engine: the env's
    batching = InferenceOptions(batch=3, batch_wait_ms=100)
    models = SharedModels(ocr="crnn", slots=1, inference=batching)
    assert models.runtime.resolved_engine == "onnxruntime"
    detectors = [models.for_camera("vn")[0] for _ in frames]
    results: dict[int, Detections] = {}
    start = threading.Barrier(len(frames))

    def one(i: int) -> None:
        start.wait()
        results[i] = detectors[i].detect(frames[i], confidence=0.1, imgsz=640)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(frames))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert models.batcher is not None and models.batcher.batches == 1
    plain = YoloVehicleDetector(runtime=models.runtime)
    for i, frame in enumerate(frames):
        alone = plain.detect(frame, confidence=0.1, imgsz=640)
        assert len(alone) >= 1
        np.testing.assert_allclose(results[i].xyxy, alone.xyxy, atol=0.01)
