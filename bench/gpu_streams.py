"""How many camera streams one accelerator (or CPU) keeps up with: batched detection of N
rendered streams.

    python -m bench.gpu_streams --providers tensorrt,cuda,cpu [--streams 8,32,64] [--batch 16]
        [--seconds 20] [--fps 10] [--detect-every 2] [--engine onnxruntime]

Each of N streams replays the rendered sample clips (decoded once into memory, each stream
starting at its own offset). Every round takes the next frame of each stream, as cameras that are
due together: the vehicle detector runs on them in batches of ``--batch``, then the plate
detector on each frame's two largest vehicle crops (at 320, as the video loop does), batched by
input shape. A stream at ``--fps`` frames/s detecting every ``--detect-every``-th frame needs
fps/detect-every rounds a second, so the streams one device keeps up with are the rounds it
runs per second times N over that need. Decoding and OCR (CPU work in every deployment) are not
in the figure: this is the detectors' share, what a GPU takes off the CPU.

On a machine without a GPU the providers fall back to the CPU (with a warning) and the figure is
the CPU's: the GPU path is then untested.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.machine import machine
from detectors.plate import YoloPlateDetector
from detectors.runtime import RuntimeOptions
from detectors.vehicle import YoloVehicleDetector

ROOT = Path(__file__).resolve().parent.parent
CLIPS = sorted((ROOT / "sample_videos").glob("entry_*.mp4"))


def rendered_frames() -> list[np.ndarray]:
    from pipeline.sources import open_source

    return [f.image for clip in CLIPS for f in open_source(clip, "c")]


def largest_crops(frame: np.ndarray, xyxy: np.ndarray, count: int = 2) -> list[np.ndarray]:
    heights = xyxy[:, 3] - xyxy[:, 1]
    order = np.argsort(-(heights * (xyxy[:, 2] - xyxy[:, 0])))
    crops = []
    for i in order[:count]:
        if heights[i] < 72:
            continue
        x1, y1, x2, y2 = (int(v) for v in xyxy[i])
        crops.append(frame[max(0, y1) : y2, max(0, x1) : x2])
    return crops


def measure(
    vehicle: YoloVehicleDetector,
    plate: YoloPlateDetector,
    frames: list[np.ndarray],
    streams: int,
    batch: int,
    seconds: float,
) -> dict[str, Any]:
    offsets = [(i * 37) % len(frames) for i in range(streams)]
    rounds = crops_read = 0
    vehicle_s = plate_s = 0.0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds or rounds == 0:
        due = [frames[(o + rounds) % len(frames)] for o in offsets]
        t = time.perf_counter()
        found = []
        for start in range(0, len(due), batch):
            found += vehicle.detect_many(due[start : start + batch], confidence=0.1, imgsz=640)
        vehicle_s += time.perf_counter() - t
        crops = [c for f, d in zip(due, found, strict=True) for c in largest_crops(f, d.xyxy)]
        t = time.perf_counter()
        for start in range(0, len(crops), batch):
            plate.detect_many(crops[start : start + batch], imgsz=320, square=True)
        plate_s += time.perf_counter() - t
        crops_read += len(crops)
        rounds += 1
    elapsed = time.perf_counter() - t0
    return {
        "streams": streams,
        "rounds_per_s": round(rounds / elapsed, 2),
        "frames_per_s": round(rounds * streams / elapsed, 1),
        "vehicle_ms_per_frame": round(1000 * vehicle_s / (rounds * streams), 2),
        "plate_ms_per_crop": round(1000 * plate_s / max(1, crops_read), 2),
        "crops_per_frame": round(crops_read / (rounds * streams), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--providers", default="cuda,cpu")
    parser.add_argument(
        "--engine", default="onnxruntime", choices=["onnxruntime", "openvino", "auto"]
    )
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--streams", default="8,32,64")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--fps", type=float, default=10)
    parser.add_argument("--detect-every", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "out/bench/gpu_streams.json")
    args = parser.parse_args()
    runtime = RuntimeOptions(
        providers=tuple(args.providers.split(",")), threads=args.threads, engine=args.engine
    )
    vehicle = YoloVehicleDetector(runtime=runtime)
    plate = YoloPlateDetector(runtime=runtime)
    frames = rendered_frames()
    need = args.fps / args.detect_every  # rounds a second each stream needs
    measure(vehicle, plate, frames, min(4, args.batch), args.batch, 0.5)  # warm-up
    rows = []
    for n in (int(x) for x in args.streams.split(",")):
        row = measure(vehicle, plate, frames, n, args.batch, args.seconds)
        row["keeps_up"] = row["rounds_per_s"] >= need
        row["streams_supported"] = int(row["frames_per_s"] / need)
        rows.append(row)
        print(json.dumps(row), flush=True)
    onnx = vehicle.onnx
    result = {
        "machine": machine(),
        "providers_asked": list(runtime.providers),
        "providers_used": onnx.providers if onnx is not None else ["ultralytics"],
        "engine": runtime.resolved_engine,
        "batch": args.batch,
        "need_rounds_per_s": need,
        "rows": rows,
        "streams_per_device": max(r["streams_supported"] for r in rows),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "rows"}, indent=2))


if __name__ == "__main__":
    main()
