"""Read the plates on still photos (``entrywatch read IMAGE...``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from plate_reader.formats import PlateFormat
from plate_reader.reader import PlateReader


def still_reader(ocr: str, profile: PlateFormat | str, threads: int | None = None) -> PlateReader:
    """The reader for photos read one at a time: the models run one after another on one image,
    so each may use every core (``threads=None``); the worker instead gives each model one
    thread, because its cameras share the cores."""
    from detectors.plate import YoloPlateDetector
    from detectors.runtime import RuntimeOptions
    from plate_reader.ocr import make_ocr

    runtime = RuntimeOptions(threads=threads)
    return PlateReader(
        detector=YoloPlateDetector(runtime=runtime),
        ocr=make_ocr(ocr, threads=threads, runtime=runtime),
        profile=profile,
    )


def describe_image(path: Path, reader: PlateReader) -> dict[str, Any]:
    """The plates on one photo, most confident first, as plain JSON-ready data."""
    import cv2

    image = cv2.imread(str(path))
    if image is None:
        raise ValueError(f"cannot read image file {path} (missing, unreadable or not an image)")
    plates = [
        {
            "plate": read.text,
            "display": read.display,
            "confidence": round(read.confidence, 4),
            "box": [round(v) for v in read.box],
            "valid": read.valid,
            "raw": read.raw,
        }
        for read in reader.read(image)
    ]
    return {"image": str(path), "plates": plates}
