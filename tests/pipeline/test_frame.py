"""``entrywatch frame``: a gridded frame and its size, from a file and from a folder of images."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.frame_grab import draw_grid, grid_step

ROOT = Path(__file__).resolve().parents[2]
NOON = ROOT / "sample_videos" / "entry_noon.mp4"

runner = CliRunner()


def test_frame_of_a_file_writes_a_grid_and_prints_the_size(tmp_path: Path) -> None:
    out = tmp_path / "noon.png"
    result = runner.invoke(app, ["frame", str(NOON), "--at", "3.5", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "1280x720" in result.stdout
    image = cv2.imread(str(out))
    assert image is not None and image.shape[:2] == (720, 1280)
    plain = cv2.VideoCapture(str(NOON))
    plain.set(cv2.CAP_PROP_POS_FRAMES, 35)
    ok, original = plain.read()
    plain.release()
    assert ok and not np.array_equal(image, original)  # the grid is drawn on it


def test_frame_past_the_end_of_a_clip_says_how_long_it_is(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["frame", str(NOON), "--at", "60", "--out", str(tmp_path / "f.png")]
    )
    assert result.exit_code == 2
    assert "11.0 s long" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_frame_of_an_image_folder(tmp_path: Path) -> None:
    folder = tmp_path / "shots"
    folder.mkdir()
    for i, shade in enumerate((40, 120, 200)):
        cv2.imwrite(str(folder / f"{i:03d}.jpg"), np.full((480, 640, 3), shade, np.uint8))
    out = tmp_path / "f.png"
    result = runner.invoke(app, ["frame", str(folder), "--at", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "640x480" in result.stdout
    image = cv2.imread(str(out))
    assert image is not None and image.shape[:2] == (480, 640)
    assert abs(int(np.median(image)) - 200) < 10  # the third image, one per second


def test_grid_lines_fall_on_round_pixels() -> None:
    assert grid_step(1280, 720) == 100
    assert grid_step(640, 480) == 50
    drawn = draw_grid(np.zeros((720, 1280, 3), np.uint8))
    assert drawn[300, 700].any() and drawn[350, 700].any()  # the x = 700 column is drawn
    assert not drawn[350, 650].any()
