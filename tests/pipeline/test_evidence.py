"""Evidence a worker keeps of a crossing: the full frame with the vehicle and plate boxes in its
pixels, the plate crop upscaled to a readable size, and one evidence root for every command."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from pipeline.cli.options import evidence_options, evidence_root, evidence_store
from pipeline.config import DEFAULT_EVIDENCE_DIR, EvidenceOptions, default_evidence_dir
from pipeline.evidence import EvidenceStore, shrink_frame, upscale_plate
from pipeline.processor import CameraProcessor
from tests.pipeline.test_processor import (
    FPS,
    START,
    ScriptedDetector,
    ScriptedReader,
    camera,
    moving_down,
    plate_read,
    run,
)


def _image(evidence: EvidenceStore, evidence_id: str | None) -> np.ndarray:
    assert evidence_id is not None
    image = cv2.imread(str(evidence.path_for(evidence_id)))
    assert image is not None, evidence_id
    return image


def _one_event(evidence: EvidenceStore, scale: float = 1.0) -> tuple[object, tuple[int, ...]]:
    script = moving_down(range(20), start_bottom=150.0, step=10.0)
    processor = CameraProcessor(
        camera(),
        ScriptedDetector(script),
        ScriptedReader(lambda n: [plate_read(confidence=0.97)]),
        fps=FPS,
        session_id="session-1",
        start_time=START,
        evidence=evidence,
    )
    [(_, event)] = run(processor, 30)
    # The one read (it settles the vote) is on a frame before the crossing: the vehicle's box
    # there (one of the script's), grown by the 4 % pad, is the crop the plate box
    # (10, 50, 70, 72) is in.
    saved = event.evidence
    assert saved.vehicle_box is not None
    x1, y1, x2, y2 = (v / scale for v in saved.vehicle_box)
    assert any(abs(box[0][1] - y1) <= 1 and abs(box[0][0] - x1) <= 1 for box in script.values()), (
        saved.vehicle_box
    )
    ox, oy = int(x1 - (x2 - x1) * 0.04), int(y1 - (y2 - y1) * 0.04)
    return event, (ox + 10, oy + 50, ox + 70, oy + 72)


def test_the_full_frame_is_kept_with_both_boxes_and_the_plate_crop_readable(
    tmp_path: Path,
) -> None:
    evidence = EvidenceStore(tmp_path)
    event, plate_box = _one_event(evidence)
    saved = event.evidence  # type: ignore[attr-defined]

    frame = _image(evidence, saved.frame)
    assert frame.shape[:2] == (360, 640)  # under frame_max_px: kept as it is
    assert saved.plate_box == plate_box
    vx1, vy1, vx2, vy2 = saved.vehicle_box
    assert vx2 - vx1 == 100 and vy2 - vy1 == 90  # the scripted vehicle
    assert vx1 <= plate_box[0] and plate_box[2] <= vx2 + 4  # the plate inside the vehicle

    plate = _image(evidence, saved.plate_crop)
    raw_w, raw_h = plate_box[2] - plate_box[0], plate_box[3] - plate_box[1]
    assert plate.shape[0] >= max(96, 3 * raw_h) and plate.shape[1] >= 3 * raw_w
    assert _image(evidence, saved.vehicle_snapshot).shape[0] > 0


def test_a_large_frame_is_shrunk_and_its_boxes_with_it(tmp_path: Path) -> None:
    evidence = EvidenceStore(tmp_path, frame_max_px=320)
    event, plate_box = _one_event(evidence, scale=0.5)
    saved = event.evidence  # type: ignore[attr-defined]
    assert _image(evidence, saved.frame).shape[:2] == (180, 320)
    assert saved.plate_box == tuple(round(v / 2) for v in plate_box)


def test_plate_crops_are_upscaled_at_least_three_times() -> None:
    small = np.zeros((11, 54, 3), np.uint8)
    big = upscale_plate(small, 96)
    assert big.shape[:2] == (96, round(54 * 96 / 11))  # to the readable height
    wide = upscale_plate(np.zeros((40, 400, 3), np.uint8), 96)
    assert wide.shape[:2] == (120, 1200)  # 3x even past the width cap
    tall = upscale_plate(np.zeros((60, 200, 3), np.uint8), 96)
    assert tall.shape[:2] == (180, 600)  # 3x, more than the height asked for
    image, scale = shrink_frame(np.zeros((1080, 1920, 3), np.uint8), 1280)
    assert image.shape[:2] == (720, 1280) and scale == pytest.approx(2 / 3)


def test_one_evidence_root_for_every_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ENTRYWATCH_EVIDENCE_DIR", raising=False)
    assert default_evidence_dir() == DEFAULT_EVIDENCE_DIR == Path("out/evidence")
    assert evidence_root(None, EvidenceOptions()) == Path("out/evidence")
    monkeypatch.setenv("ENTRYWATCH_EVIDENCE_DIR", str(tmp_path / "env"))
    assert evidence_root(None, EvidenceOptions()) == tmp_path / "env"

    from api.settings import Settings

    assert Settings().evidence_root == tmp_path / "env"  # serve looks where the workers wrote

    config = tmp_path / "cameras.yaml"
    config.write_text(
        "evidence: {dir: /srv/evidence, jpeg_quality: 70, frame_max_px: 960}\n"
        "cameras:\n"
        "  - {camera_id: c1, checkpoint: CP, source: x.mp4,\n"
        "     line: {start: [0, 10], end: [100, 10], inbound_side: right}}\n"
    )
    options = evidence_options(config)
    assert options.dir == Path("/srv/evidence") and options.jpeg_quality == 70
    assert evidence_root(None, options) == Path("/srv/evidence")  # the file beats the default
    assert evidence_root(tmp_path / "given", options) == tmp_path / "given"  # the flag beats all
    store = evidence_store(tmp_path / "given", config)
    assert store.jpeg_quality == 70 and store.frame_max_px == 960

    bad = tmp_path / "bad.yaml"
    bad.write_text("evidence: {jpeg_quality: 5}\ncameras: []\n")
    assert evidence_options(bad) == EvidenceOptions()  # the cameras' own load says what is wrong
