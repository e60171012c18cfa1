"""The detectors on each CPU runtime, on the same frames: speed and what accuracy it costs.

    python -m bench.detector_runtimes [--photos 222] [--no-entries] [--out out/bench/runtimes.json]

Variants of both prepared models (``detectors.prepare``), every one on one thread:

- ``ort-fp32``: onnxruntime, full precision (the reference);
- ``ort-int8``: onnxruntime on a static int8 quantisation (QDQ, per-channel weights, MinMax
  activations calibrated on the sample clips' frames and vehicle crops, never on the photos
  measured below);
- ``ov-f32`` / ``ov-bf16``: OpenVINO's CPU runtime forced to f32, and at its default precision
  (bfloat16 on CPUs with AMX, f32 elsewhere: then the two are one);
- ``ov-int8``: OpenVINO running the same int8 model.

Measured: ms per call (wall and CPU time, p50) of the vehicle detector on 720p frames (384x640
input), of the plate detector on vehicle crops (at 320, as the video loop calls it) and on whole
photos (640, as ``read`` does); batches of 4 frames; plate detection recall on
``../shared/data/openalpr-us`` (read in place: a box at IoU >= 0.3 with the label, 640 then the
1280 pass where 640 found nothing, as the reader does); agreement with ``ort-fp32`` on the
clips' vehicles; and, unless ``--no-entries``, the sample clips replayed end to end with that
variant (entries right against the clips' ground truth).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from bench.machine import machine
from bench.plate_accuracy import iou, load_samples
from detectors import weights
from detectors.letterbox import letterbox
from detectors.onnx_yolo import OnnxYolo
from detectors.runtime import RuntimeOptions
from detectors.vehicle import VEHICLE_CLASSES

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared/data/openalpr-us"
CLIPS = sorted((ROOT / "sample_videos").glob("entry_*.mp4"))
VARIANTS = ("ort-fp32", "ort-int8", "ov-f32", "ov-bf16", "ov-int8")


def clip_frames(every: int = 4) -> list[np.ndarray]:
    from pipeline.sources import open_source

    return [f.image for clip in CLIPS for f in open_source(clip, "c") if f.index % every == 0]


def vehicle_crops(frames: list[np.ndarray], model: OnnxYolo) -> list[np.ndarray]:
    """Vehicle crops as the video loop cuts them (boxes at least 72 px tall, padded 4 %)."""
    crops = []
    found = model.predict(frames, confidence=0.25, imgsz=640, classes=list(VEHICLE_CLASSES))
    for frame, dets in zip(frames, found, strict=True):
        for x1, y1, x2, y2 in dets.xyxy:
            if y2 - y1 >= 72:
                dx, dy = 0.04 * (x2 - x1), 0.04 * (y2 - y1)
                crops.append(
                    frame[max(0, int(y1 - dy)) : int(y2 + dy), max(0, int(x1 - dx)) : int(x2 + dx)]
                )
    return crops


def quantise(model: Path, images: list[np.ndarray], imgsz: int, out: Path) -> Path:
    """Static int8 (QDQ) of ``model``, calibrated on ``images`` letterboxed at ``imgsz``."""
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    from detectors.letterbox import input_shape

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self._feeds: Iterator[dict[str, np.ndarray]] = (
                {"images": letterbox(i, input_shape(i.shape[:2], imgsz))[0][None]} for i in images
            )

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self._feeds, None)

    pre = out.with_suffix(".pre.onnx")
    quant_pre_process(str(model), str(pre), skip_symbolic_shape=True)
    quantize_static(
        str(pre),
        str(out),
        Reader(),
        quant_format=QuantFormat.QDQ,
        per_channel=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        calibrate_method=CalibrationMethod.MinMax,
    )
    pre.unlink()
    return out


def runtime(variant: str) -> RuntimeOptions:
    if variant.startswith("ort"):
        return RuntimeOptions(providers=("cpu",), threads=1, engine="onnxruntime")
    precision = "f32" if variant == "ov-f32" else None
    return RuntimeOptions(providers=("cpu",), threads=1, engine="openvino", precision=precision)


def per_call(model: OnnxYolo, images: list[np.ndarray], imgsz: int, **kw: Any) -> dict[str, float]:
    for image in images[:3]:  # compile the shapes first
        model.predict([image], confidence=0.1, imgsz=imgsz, **kw)
    wall, cpu = [], []
    for image in images:
        t, c = time.perf_counter(), time.process_time()
        model.predict([image], confidence=0.1, imgsz=imgsz, **kw)
        wall.append(1000 * (time.perf_counter() - t))
        cpu.append(1000 * (time.process_time() - c))
    return {
        "wall_p50": round(statistics.median(wall), 2),
        "cpu_p50": round(statistics.median(cpu), 2),
    }


def batch_ms(model: OnnxYolo, frames: list[np.ndarray], size: int = 4) -> float:
    """ms per frame in batches of ``size`` (CPU time)."""
    batches = [frames[i : i + size] for i in range(0, len(frames) - size + 1, size)]
    model.predict(batches[0], confidence=0.1, imgsz=640)
    c = time.process_time()
    for b in batches:
        model.predict(b, confidence=0.1, imgsz=640)
    return round(1000 * (time.process_time() - c) / (len(batches) * size), 2)


def read_image(path: Any) -> Any:
    """A photo as BGR pixels, or an error naming the file (``cv2.imread`` returns None)."""
    import cv2

    image = cv2.imread(str(path))
    if image is None:
        raise ValueError(f"cannot read image {path}")
    return image


def plate_recall(model: OnnxYolo, photos: list[Any]) -> float:
    hit = 0
    for sample in photos:
        image = read_image(sample.image)
        (dets,) = model.predict([image], confidence=0.1, imgsz=640)
        if len(dets) == 0:
            (dets,) = model.predict([image], confidence=0.1, imgsz=1280)
        hit += any(iou(tuple(b), sample.box) >= 0.3 for b in dets.xyxy.tolist())
    return round(hit / len(photos), 4)


def agreement(reference: list[Any], other: list[Any]) -> dict[str, float]:
    """Of the reference's vehicles at confidence >= 0.25: the share found again (IoU >= 0.7), and
    how many boxes at >= 0.25 the variant adds."""
    found = total = extra = 0
    for a, b in zip(reference, other, strict=True):
        ra, rb = a.xyxy[a.confidence >= 0.25], b.xyxy[b.confidence >= 0.25]
        total += len(ra)
        found += sum(any(iou(tuple(x), tuple(y)) >= 0.7 for y in rb.tolist()) for x in ra.tolist())
        extra += sum(all(iou(tuple(y), tuple(x)) < 0.7 for x in ra.tolist()) for y in rb.tolist())
    return {
        "found_again": round(found / max(1, total), 4),
        "boxes_added": extra,
        "reference": total,
    }


def entries(vehicle_path: Path, plate_path: Path, rt: RuntimeOptions) -> dict[str, int]:
    """The sample clips replayed with these models: inbound entries whose plate is right (or
    marked unreadable where the truth is unreadable), against the ground truth's inbound."""
    from detectors.plate import YoloPlateDetector
    from detectors.vehicle import YoloVehicleDetector
    from pipeline.config import CameraConfig, LineConfig
    from pipeline.replay import Replayer
    from plate_reader.reader import PlateReader

    right = expected = wrong = 0
    vehicle = YoloVehicleDetector(weights_path=str(vehicle_path), runtime=rt)
    reader = PlateReader(
        detector=YoloPlateDetector(weights_path=str(plate_path), runtime=rt), profile="vn"
    )
    for clip in CLIPS:
        truth = json.loads(clip.with_suffix(".json").read_text())
        cam = truth["camera"]
        camera = CameraConfig(
            camera_id=cam["camera_id"],
            checkpoint=cam["checkpoint"],
            source=str(clip),
            line=LineConfig(
                start=tuple(cam["line"][0]),
                end=tuple(cam["line"][1]),
                inbound_side=cam["inbound_side"],
            ),
            region=cam.get("region", "vn"),
        )
        events: list[Any] = []
        Replayer(vehicle, reader).run(camera, on_event=events.append)
        inbound = [v for v in truth["vehicles"] if v["direction"] == "inbound"]
        got = [e for e in events if e.direction == "inbound"]
        expected += len(inbound)
        plates = [e.plate.normalised if e.plate.readable else None for e in got]
        for v in inbound:
            want = v["plate"] if v["readable"] else None
            if want in plates:
                plates.remove(want)
                right += 1
        wrong += len(plates)  # entries that match no inbound vehicle
    return {"right": right, "expected": expected, "extra": wrong}


def run(photos_limit: int | None, with_entries: bool, work: Path) -> dict[str, Any]:
    work.mkdir(parents=True, exist_ok=True)
    vehicle_fp32 = weights.prepared_file(weights.VEHICLE)
    plate_fp32 = weights.prepared_file(weights.PLATE)
    if vehicle_fp32 is None or plate_fp32 is None:
        raise SystemExit("no prepared models: run make setup (python -m detectors.prepare)")
    frames = clip_frames()
    reference = OnnxYolo(str(vehicle_fp32), runtime("ort-fp32"))
    crops = vehicle_crops(frames, reference)
    calib_frames = frames[::2]
    vehicle_int8 = quantise(vehicle_fp32, calib_frames, 640, work / "vehicle.int8.onnx")
    plate_int8 = quantise(plate_fp32, crops[::2] + calib_frames[::4], 320, work / "plate.int8.onnx")
    photos = load_samples(DATA, photos_limit) if DATA.is_dir() else []
    photo_images = [read_image(p.image) for p in photos[:40]]
    ref_dets = reference.predict(frames, confidence=0.1, imgsz=640, classes=list(VEHICLE_CLASSES))
    results: dict[str, Any] = {}
    for variant in VARIANTS:
        vpath, ppath = (
            (vehicle_int8, plate_int8) if variant.endswith("int8") else (vehicle_fp32, plate_fp32)
        )
        rt = runtime(variant)
        vehicle = OnnxYolo(str(vpath), rt)
        plate = OnnxYolo(str(ppath), rt)
        dets = [
            vehicle.predict([f], confidence=0.1, imgsz=640, classes=list(VEHICLE_CLASSES))[0]
            for f in frames
        ]
        row: dict[str, Any] = {
            "providers": vehicle.providers,
            "vehicle_720p_ms": per_call(vehicle, frames, 640, classes=list(VEHICLE_CLASSES)),
            "vehicle_batch4_cpu_ms_per_frame": batch_ms(vehicle, frames),
            "plate_crop_320_ms": per_call(plate, crops, 320),
            "plate_photo_640_ms": per_call(plate, photo_images, 640) if photo_images else None,
            "vehicle_agreement_with_ort_fp32": agreement(ref_dets, dets),
            "plate_recall_openalpr_us": plate_recall(plate, photos) if photos else None,
        }
        if with_entries:
            row["sample_clip_entries"] = entries(vpath, ppath, rt)
        results[variant] = row
        print(variant, json.dumps(row), flush=True)
    return {
        "machine": machine(),
        "frames": len(frames),
        "vehicle_crops": len(crops),
        "photos": len(photos),
        "variants": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=None, help="first N openalpr photos only")
    parser.add_argument("--no-entries", action="store_true", help="skip the end-to-end replays")
    parser.add_argument("--out", type=Path, default=ROOT / "out/bench/detector_runtimes.json")
    args = parser.parse_args()
    result = run(args.photos, not args.no_entries, args.out.parent / "runtimes")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
