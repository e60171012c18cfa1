"""End-to-end plate accuracy on a labelled photo set (openalpr benchmark layout).

    python -m bench.plate_accuracy [--data ../shared/data/openalpr-us] [--ocr rapidocr|easyocr]
                                   [--limit N]

Whole photo in, the reader's most confident plate out (generic profile), compared exactly with
the label. Detection recall counts a photo when any box the reader read overlaps the label at
IoU >= 0.3.
Misses are split by stage: ``no_box`` (no read box on the plate), ``wrong_box`` (the plate's box
was read, but another box ranked first), ``wrong_read`` (the top read is on the plate but its
text is wrong). The labels are used for scoring only.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("YOLO_AUTOINSTALL", "0")

log = logging.getLogger(__name__)

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "openalpr-us"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
IOU_HIT = 0.3


@dataclass(frozen=True)
class Sample:
    image: Path
    box: tuple[float, float, float, float]  # x1, y1, x2, y2
    plate: str


@dataclass(frozen=True)
class Outcome:
    image: str
    truth: str
    predicted: str
    correct: bool
    detected: bool
    stage: str  # "ok" | "no_box" | "wrong_box" | "wrong_read"
    ms: float


def load_samples(data: Path, limit: int | None = None) -> list[Sample]:
    samples: list[Sample] = []
    for label in sorted(data.glob("*.txt")):
        if label.name.lower().startswith(("readme", "license")):
            continue
        for line in label.read_text().splitlines():
            parts = line.strip().split("\t")
            if len(parts) < 6:
                continue
            x, y, w, h = (float(v) for v in parts[1:5])
            samples.append(Sample(data / parts[0], (x, y, x + w, y + h), parts[5].strip().upper()))
    return samples[:limit] if limit else samples


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def evaluate(samples: list[Sample], reader: object) -> list[Outcome]:
    """Run ``reader.read`` on every sample's photo and score its top read."""
    import cv2

    outcomes: list[Outcome] = []
    for sample in samples:
        image = cv2.imread(str(sample.image))
        if image is None:
            raise ValueError(f"cannot read image {sample.image}")
        start = time.perf_counter()
        reads = reader.read(image)  # type: ignore[attr-defined]
        ms = (time.perf_counter() - start) * 1000
        hits = [r for r in reads if iou(r.box, sample.box) >= IOU_HIT]
        predicted = reads[0].text if reads else ""
        correct = predicted == sample.plate
        if correct:
            stage = "ok"
        elif not hits:
            stage = "no_box"
        elif iou(reads[0].box, sample.box) < IOU_HIT:
            stage = "wrong_box"
        else:
            stage = "wrong_read"
        outcomes.append(
            Outcome(sample.image.name, sample.plate, predicted, correct, bool(hits), stage, ms)
        )
    return outcomes


def summarise(outcomes: list[Outcome]) -> dict[str, float | int]:
    n = len(outcomes)
    stages = {s: sum(o.stage == s for o in outcomes) for s in ("no_box", "wrong_box", "wrong_read")}
    ms = sorted(o.ms for o in outcomes)
    return {
        "photos": n,
        "accuracy": sum(o.correct for o in outcomes) / n if n else 0.0,
        "detection_recall": sum(o.detected for o in outcomes) / n if n else 0.0,
        **{f"miss_{k}": v for k, v in stages.items()},
        "ms_mean": sum(ms) / n if n else 0.0,
        "ms_p50": ms[n // 2] if n else 0.0,
    }


def run(
    data: Path, ocr: str = "rapidocr", limit: int | None = None, fold_o: bool = True
) -> dict[str, object]:
    """Benchmark one OCR back-end; returns the summary and per-photo outcomes.

    ``fold_o=False`` measures the generic profile without its O->0 fold, which is reported
    beside the default because this data set's labels never contain an O.
    """
    from plate_reader.formats import GenericFormat
    from plate_reader.ocr import make_ocr
    from plate_reader.reader import PlateReader

    profile = GenericFormat() if fold_o else GenericFormat(fold={})
    reader = PlateReader(ocr=make_ocr(ocr), profile=profile)
    samples = load_samples(data, limit)
    if samples:  # warm the models so the first photo's load time does not count
        import numpy as np

        reader.read(np.zeros((64, 64, 3), dtype=np.uint8))
        reader.read_crop(np.full((32, 96, 3), 255, dtype=np.uint8))
    outcomes = evaluate(samples, reader)
    name = ocr if fold_o else f"{ocr} (no O->0 fold)"
    return {"ocr": name, **summarise(outcomes), "outcomes": [asdict(o) for o in outcomes]}


def markdown(results: list[dict[str, object]]) -> str:
    head = (
        "| OCR | photos | accuracy | det. recall | no box | wrong box | wrong read | ms/photo |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|"
    )
    rows = [
        f"| {r['ocr']} | {r['photos']} | {float(r['accuracy']):.1%} "  # type: ignore[arg-type]
        f"| {float(r['detection_recall']):.1%} | {r['miss_no_box']} "  # type: ignore[arg-type]
        f"| {r['miss_wrong_box']} | {r['miss_wrong_read']} | {float(r['ms_mean']):.0f} |"  # type: ignore[arg-type]
        for r in results
    ]
    return "\n".join([head, *rows])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--ocr", action="append", choices=["rapidocr", "easyocr"], help="repeatable; default both"
    )
    parser.add_argument("--limit", type=int, default=None, help="first N photos only")
    parser.add_argument(
        "--no-fold", action="store_true", help="also measure without the generic O->0 fold"
    )
    parser.add_argument("--out", type=Path, default=Path("out/bench/plate_accuracy.json"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if not args.data.is_dir():
        parser.error(f"no data folder at {args.data}")
    names = args.ocr or ["rapidocr", "easyocr"]
    results = [run(args.data, name, args.limit) for name in names]
    if args.no_fold:
        results += [run(args.data, name, args.limit, fold_o=False) for name in names]
    print(markdown(results))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"data": str(args.data), "results": results}, indent=1))
    log.info("wrote %s", args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
