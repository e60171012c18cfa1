"""Render the sample clips and their ground truth.

    python -m sample_videos.make_samples [--out sample_videos] [--check-detector]

Everything is seeded, so a re-run gives the same frames. ``--check-detector`` runs the
real vehicle detector on every frame and records per-vehicle hit rates; without it the
rates already recorded in an existing ground-truth file are kept.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cv2

from sample_videos import clips, declarations, render, scene
from sample_videos.clips import ClipSpec
from sample_videos.measure import HitCounter
from sample_videos.render import Placement

log = logging.getLogger("sample_videos")


def _side(point: tuple[float, float]) -> float:
    """Positive on the right of the directed entry line (start -> end), y pointing down."""
    (x1, y1), (x2, y2) = clips.LINE
    return (x2 - x1) * (point[1] - y1) - (y2 - y1) * (point[0] - x1)


def _anchor(p: Placement) -> tuple[float, float]:
    x1, _, x2, y2 = p.box
    return (x1 + x2) / 2, float(y2)


def _open_writer(path: Path) -> tuple[cv2.VideoWriter, str]:
    # H.264 when this OpenCV build has an encoder for it; pip wheels usually do not.
    for fourcc in ("avc1", "mp4v"):
        writer = cv2.VideoWriter(
            str(path), cv2.VideoWriter.fourcc(*fourcc), clips.FPS, (scene.WIDTH, scene.HEIGHT)
        )
        if writer.isOpened():
            return writer, fourcc
        writer.release()
    raise RuntimeError(f"no usable video encoder for {path}")


def _decoded_frames(path: Path) -> int:
    capture = cv2.VideoCapture(str(path))
    count = 0
    while True:
        ok, _ = capture.read()
        if not ok:
            break
        count += 1
    capture.release()
    return count


def _vehicle_truth(
    spec: ClipSpec, tracks: dict[str, list[tuple[int, Placement]]]
) -> list[dict[str, Any]]:
    out = []
    for v in spec.vehicles:
        track = tracks.get(v.vehicle_id, [])
        if not track:
            raise ValueError(f"{spec.name}: vehicle {v.vehicle_id} never appears")
        sides = [_side(_anchor(p)) > 0 for _, p in track]
        inbound_now = sides if clips.INBOUND_SIDE == "right" else [not s for s in sides]
        direction, cross_frame = "none", None
        start_in, end_in = inbound_now[0], inbound_now[-1]
        if not start_in and end_in:
            direction = "inbound"
            cross_frame = next(f for (f, _), s in zip(track, inbound_now, strict=True) if s)
        elif start_in and not end_in:
            direction = "outbound"
            cross_frame = next(f for (f, _), s in zip(track, inbound_now, strict=True) if not s)
        flips = sum(a != b for a, b in itertools.pairwise(inbound_now))
        out.append(
            {
                "id": v.vehicle_id,
                "kind": v.kind,
                "plate": v.plate.normalised,
                "plate_display": v.plate.display,
                "two_line": v.plate.two_line,
                "readable": v.readable,
                "heading": v.heading,
                "direction": direction,
                "cross_frame": cross_frame,
                "line_crossings": flips,
                "first_frame": track[0][0],
                "last_frame": track[-1][0],
                "detector_hit_rate": None,
                "detector_frames": 0,
                "boxes": [[f, *p.box] for f, p in track],
            }
        )
    return out


def make_clip(spec: ClipSpec, out_dir: Path, detector: Any | None) -> dict[str, Any]:
    """Render one clip to ``out_dir/<name>.mp4`` and return its ground truth."""
    camera = scene.Camera()
    road = scene.background(camera, spec.seed)
    video = out_dir / f"{spec.name}.mp4"
    writer, fourcc = _open_writer(video)
    tracks: dict[str, list[tuple[int, Placement]]] = {}
    counter = HitCounter.empty()
    for index, (frame, placements) in enumerate(
        render.frames(camera, road, list(spec.vehicles), spec.frames, spec.seed)
    ):
        writer.write(frame)
        for p in placements:
            tracks.setdefault(p.vehicle_id, []).append((index, p))
        if detector is not None:
            counter.add(placements, detector.detect(frame).xyxy)
    writer.release()
    decoded = _decoded_frames(video)
    if decoded != spec.frames:
        raise RuntimeError(f"{video} decodes to {decoded} frames, wrote {spec.frames}")
    log.info("%s: %d frames, %s, %.1f MB", video.name, decoded, fourcc, video.stat().st_size / 1e6)

    vehicles = _vehicle_truth(spec, tracks)
    truth: dict[str, Any] = {
        "clip": video.name,
        "fps": clips.FPS,
        "width": scene.WIDTH,
        "height": scene.HEIGHT,
        "frames": spec.frames,
        "codec": fourcc,
        "start_time": spec.start_time,
        "camera": {
            "camera_id": spec.camera_id,
            "checkpoint": spec.checkpoint,
            "line": [list(clips.LINE[0]), list(clips.LINE[1])],
            "inbound_side": clips.INBOUND_SIDE,
            "region": "vn",
        },
        "vehicles": vehicles,
        "detector": {"weights": None, "hit_rate": None, "measured_on": None},
    }
    if detector is not None:
        for v in vehicles:
            v["detector_hit_rate"] = counter.rate(v["id"])
            v["detector_frames"] = counter.frames.get(v["id"], 0)
        truth["detector"] = {
            "weights": Path(detector.weights_path).name,
            "confidence": detector.confidence,
            "iou": 0.3,
            "hit_rate": counter.overall(),
            "measured_on": datetime.now(UTC).date().isoformat(),
        }
    else:
        _keep_measurement(truth, out_dir / f"{spec.name}.json")
    return truth


def _keep_measurement(truth: dict[str, Any], previous_path: Path) -> None:
    """Carry over hit rates from an earlier ``--check-detector`` run of the same clip."""
    if not previous_path.exists():
        return
    previous = json.loads(previous_path.read_text())
    rates = {v["id"]: v for v in previous.get("vehicles", [])}
    for v in truth["vehicles"]:
        old = rates.get(v["id"])
        if old is not None:
            v["detector_hit_rate"] = old.get("detector_hit_rate")
            v["detector_frames"] = old.get("detector_frames", 0)
    truth["detector"] = previous.get("detector", truth["detector"])


def _write_json(path: Path, truth: dict[str, Any]) -> None:
    text = json.dumps(truth, indent=2, ensure_ascii=False)
    # Number-only lists (boxes, line points) on one line: diffable without being enormous.
    text = _NUMBER_LIST.sub(
        lambda m: "[" + ", ".join(m.group(1).split()).replace(",,", ",") + "]", text
    )
    path.write_text(text + "\n")


_NUMBER_LIST = re.compile(r"\[\s*([-\d.,\s]+?)\s*\]")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent)
    parser.add_argument(
        "--check-detector",
        action="store_true",
        help="measure the real vehicle detector's hit rate per vehicle",
    )
    parser.add_argument("--only", help="render only this clip name")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("YOLO_AUTOINSTALL", "0")
    args.out.mkdir(parents=True, exist_ok=True)
    detector = None
    if args.check_detector:
        from detectors.vehicle import YoloVehicleDetector

        detector = YoloVehicleDetector()
    truths = []
    for make_spec in clips.CLIPS:
        spec = make_spec()
        if args.only and spec.name != args.only:
            continue
        truth = make_clip(spec, args.out, detector)
        _write_json(args.out / f"{spec.name}.json", truth)
        truths.append(truth)
    if not args.only:
        declarations.write(args.out / "declarations.csv")
    for truth in truths:
        rates = ", ".join(f"{v['id']}={v['detector_hit_rate']}" for v in truth["vehicles"])
        print(f"{truth['clip']}: hit rate {truth['detector']['hit_rate']} ({rates})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
