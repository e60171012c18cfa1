"""Milliseconds per photo of ``entrywatch read``'s path, and the plate detector's share of it.

    python -m bench.read_speed [--photos 60] [--ocr fusion] [--threads N]

The reader ``entrywatch read`` builds (``PlateReader``: the plate detector on the whole photo at
640, a second pass at 1280 where 640 gave no valid read, then OCR on each box), on the first
``--photos`` of ``../shared/data/openalpr-us`` (read in place), generic profile. Per photo: wall
and CPU time (process time, which a loaded machine inflates less than wall time) for the whole
read and for the plate detector's calls inside it; the rest is recognition (OCR and fusion).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import cv2

from bench.machine import machine
from bench.plate_accuracy import load_samples

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared/data/openalpr-us"


class TimedDetector:
    """Wraps a plate detector, adding up the wall and CPU time of its calls."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.wall = self.cpu = 0.0
        self.calls = 0

    @property
    def model_name(self) -> str:
        return str(self.inner.model_name)

    def detect(self, image: Any, imgsz: int | None = None) -> Any:
        t, c = time.perf_counter(), time.process_time()
        try:
            return self.inner.detect(image, imgsz=imgsz)
        finally:
            self.wall += time.perf_counter() - t
            self.cpu += time.process_time() - c
            self.calls += 1


def run(photos: int, ocr: str, threads: int | None) -> dict[str, Any]:
    from plate_reader.reader import PlateReader
    from plate_reader.still import still_reader

    samples = load_samples(DATA, photos)
    built = still_reader(ocr, "generic", threads)  # what ``entrywatch read`` builds
    detector = TimedDetector(built.detector)
    reader = PlateReader(detector=detector, ocr=built.ocr, profile=built.profile)
    images: list[Any] = [cv2.imread(str(s.image)) for s in samples]
    reader.read(images[0])  # loads and compiles: not timed
    onnx = getattr(built.detector, "onnx", None)
    engine = onnx.runtime.resolved_engine if onnx is not None else "ultralytics"
    recognisers = ", ".join(
        f"{m.model_name} on {getattr(m, 'engine', 'onnxruntime')}"
        for m in getattr(built.ocr, "members", (built.ocr,))
    )
    rows = []
    for image in images:
        detector.wall = detector.cpu = 0.0
        t, c = time.perf_counter(), time.process_time()
        reader.read(image)
        rows.append(
            (
                1000 * (time.perf_counter() - t),
                1000 * (time.process_time() - c),
                1000 * detector.wall,
                1000 * detector.cpu,
            )
        )
    wall, cpu, det_wall, det_cpu = (statistics.median(col) for col in zip(*rows, strict=True))
    mean_cpu = statistics.fmean(r[1] for r in rows)
    mean_det_cpu = statistics.fmean(r[3] for r in rows)
    return {
        "machine": machine(),
        "photos": len(images),
        "ocr": ocr,
        "plate_detector": detector.model_name,
        "engine": engine,
        "recognisers": recognisers,
        "threads": threads,
        "read_ms_p50": {"wall": round(wall, 1), "cpu": round(cpu, 1)},
        "plate_detector_ms_p50": {"wall": round(det_wall, 1), "cpu": round(det_cpu, 1)},
        "detector_share_of_cpu": round(mean_det_cpu / mean_cpu, 3),
        "detector_calls_per_photo": round(detector.calls / (len(images) + 1), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=60)
    parser.add_argument("--ocr", default="fusion")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "out/bench/read_speed.json")
    args = parser.parse_args()
    result = run(args.photos, args.ocr, args.threads)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
