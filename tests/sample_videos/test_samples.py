"""The committed sample clips and their ground truth agree with each other (no models)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import cv2
import pytest

from sample_videos.plates import is_valid

SAMPLES = Path(__file__).resolve().parents[2] / "sample_videos"
TRUTH_FILES = sorted(SAMPLES.glob("*.json"))


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _all_vehicles() -> list[dict[str, Any]]:
    return [v for path in TRUTH_FILES for v in _load(path)["vehicles"]]


def test_enough_clips_and_vehicles() -> None:
    assert len(TRUTH_FILES) >= 3
    vehicles = _all_vehicles()
    assert len(vehicles) >= 10
    assert sum(not v["readable"] for v in vehicles) == 1
    assert any(v["direction"] == "inbound" for v in vehicles)
    assert any(v["direction"] == "outbound" for v in vehicles)
    assert any(v["direction"] == "none" for v in vehicles)
    assert any(v["line_crossings"] > 1 for v in vehicles), "no vehicle wobbles on the line"
    assert {v["two_line"] for v in vehicles} == {True, False}


@pytest.mark.parametrize("path", TRUTH_FILES, ids=lambda p: p.stem)
def test_ground_truth_consistent(path: Path) -> None:
    truth = _load(path)
    assert truth["clip"] == f"{path.stem}.mp4"
    assert (truth["width"], truth["height"]) == (1280, 720)
    (_x1, y1), (_x2, y2) = truth["camera"]["line"]
    assert 0.55 * 720 <= y1 <= 0.65 * 720 and 0.55 * 720 <= y2 <= 0.65 * 720
    assert truth["camera"]["inbound_side"] in ("left", "right")
    assert truth["camera"]["region"] == "vn"
    ids = [v["id"] for v in truth["vehicles"]]
    assert len(ids) == len(set(ids))
    for v in truth["vehicles"]:
        assert v["kind"] in ("car", "motorcycle", "bus", "truck")
        if v["readable"]:
            assert is_valid(v["plate"], v["two_line"]), v["plate"]
        assert 0 <= v["first_frame"] <= v["last_frame"] < truth["frames"]
        if v["direction"] == "none":
            assert v["cross_frame"] is None
        else:
            assert v["first_frame"] < v["cross_frame"] <= v["last_frame"]
        rate = v["detector_hit_rate"]
        assert rate is None or 0.0 <= rate <= 1.0
        frames = [b[0] for b in v["boxes"]]
        assert frames == sorted(frames) and frames[0] == v["first_frame"]


@pytest.mark.parametrize("path", TRUTH_FILES, ids=lambda p: p.stem)
def test_cross_frame_matches_boxes(path: Path) -> None:
    """The recorded crossing is where the box's bottom-centre changes side of the line."""
    truth = _load(path)
    (x1, y1), (x2, y2) = truth["camera"]["line"]
    sign = 1 if truth["camera"]["inbound_side"] == "right" else -1

    def inbound(box: list[int]) -> bool:
        px, py = (box[1] + box[3]) / 2, box[4]
        return sign * ((x2 - x1) * (py - y1) - (y2 - y1) * (px - x1)) > 0

    for v in truth["vehicles"]:
        if v["cross_frame"] is None:
            continue
        by_frame = {b[0]: b for b in v["boxes"]}
        now = inbound(by_frame[v["cross_frame"]])
        assert now == (v["direction"] == "inbound")


@pytest.mark.parametrize("path", TRUTH_FILES, ids=lambda p: p.stem)
def test_clip_decodes_with_stated_frames(path: Path) -> None:
    truth = _load(path)
    video = SAMPLES / truth["clip"]
    assert video.stat().st_size < 4_500_000
    capture = cv2.VideoCapture(str(video))
    count = 0
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        assert frame.shape == (truth["height"], truth["width"], 3)
        count += 1
    capture.release()
    assert count == truth["frames"]


def test_declarations_cover_some_inbound_plates() -> None:
    with (SAMPLES / "declarations.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    declared = {r["plate"] for r in rows}
    inbound = [v for v in _all_vehicles() if v["direction"] == "inbound"]
    undeclared = [v for v in inbound if v["plate"] not in declared]
    assert len(undeclared) >= 2
    assert any(v["plate"] in declared for v in inbound)
    for row in rows:
        for key in ("valid_from", "valid_until", "filed_at"):
            assert row[key][-6] in "+-", f"{key} needs a timezone: {row[key]}"
