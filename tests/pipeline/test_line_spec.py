"""Entry lines in fractions or pixels, checked against the frame; inbound words people use."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.cli.replay import cameras_for
from pipeline.line_spec import LineSpecError, check_in_frame, inbound_side, parse_line

ROOT = Path(__file__).resolve().parents[2]
NOON = ROOT / "sample_videos" / "entry_noon.mp4"

runner = CliRunner()


def _one_line(output: str) -> str:
    lines = [line for line in output.strip().splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert "Traceback" not in output and "pydantic" not in output
    return lines[0]


def test_a_fractional_line_equals_its_pixel_form() -> None:
    args = ("right", "CP", "vn", None)
    (frac,) = cameras_for([NOON], None, "0,0.6,1,0.6", *args)
    (pixels,) = cameras_for([NOON], None, "0,432,1280,432", *args)
    assert frac.line == pixels.line
    assert frac.line.start == (0.0, 432.0) and frac.line.end == (1280.0, 432.0)


def test_values_above_one_are_pixels() -> None:
    assert not parse_line("0,1.5,1,1.5").fractional
    assert parse_line("0,1,1,0.5").fractional
    assert parse_line("0,440,1280,425").in_pixels(1280, 720) == ((0, 440), (1280, 425))


def test_an_off_frame_line_is_a_one_line_error_naming_the_frame_size() -> None:
    result = runner.invoke(app, ["replay", str(NOON), "--line", "0,900,1920,900"])
    assert result.exit_code == 2
    line = _one_line(result.output)
    assert "1280x720" in line and "outside" in line


def test_an_unknown_inbound_word_is_a_one_line_error() -> None:
    result = runner.invoke(
        app, ["replay", str(NOON), "--line", "0,0.6,1,0.6", "--inbound", "north"]
    )
    assert result.exit_code == 2
    line = _one_line(result.output)
    assert "north" in line and "towards-camera" in line


def test_no_line_names_the_frame_size_and_the_ways_to_give_one() -> None:
    result = runner.invoke(app, ["replay", str(NOON)])
    assert result.exit_code == 2
    line = _one_line(result.output)
    assert "1280x720" in line and "entrywatch frame" in line and "--auto-line" in line


@pytest.mark.parametrize(
    ("word", "start", "end", "side"),
    [
        ("down", (0, 400), (1280, 400), "right"),
        ("towards-camera", (0, 400), (1280, 400), "right"),
        ("Towards camera", (1280, 400), (0, 400), "left"),
        ("up", (0, 400), (1280, 400), "left"),
        ("away", (1280, 400), (0, 400), "right"),
        ("left", (0, 400), (1280, 400), "left"),
    ],
)
def test_inbound_words_map_to_a_side_of_the_line(
    word: str, start: tuple[float, float], end: tuple[float, float], side: str
) -> None:
    got, why = inbound_side(word, start, end)
    assert got == side
    assert side in why


def test_down_on_a_vertical_line_asks_for_left_or_right() -> None:
    with pytest.raises(LineSpecError, match="vertical"):
        inbound_side("down", (600, 0), (600, 720))


def test_a_word_reaches_the_camera_config() -> None:
    (cam,) = cameras_for([NOON], None, "0,0.6,1,0.6", "towards-camera", "CP", "vn", None)
    assert cam.line.inbound_side == "right"


def test_check_in_frame_accepts_the_edges() -> None:
    check_in_frame((0, 0), (1280, 720), 1280, 720, "clip")
    with pytest.raises(LineSpecError, match="1280x720"):
        check_in_frame((0, 0), (1281, 720), 1280, 720, "clip")


def test_a_config_line_off_the_frame_is_refused(tmp_path: Path) -> None:
    cams = tmp_path / "cams.yaml"
    cams.write_text(
        "cameras:\n  - camera_id: c1\n    checkpoint: CP\n"
        f"    source: {NOON}\n"
        "    line: {start: [0, 900], end: [1920, 900], inbound_side: right}\n"
    )
    result = runner.invoke(app, ["replay", str(NOON), "--config", str(cams)])
    assert result.exit_code == 2
    assert "1280x720" in _one_line(result.output)


def test_a_file_that_cannot_be_sized_for_its_line_is_reported(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"garbage" * 100)
    result = runner.invoke(app, ["replay", str(broken), "--auto-line"])
    assert result.exit_code == 1
    assert "broken.mp4" in result.output and "not a video" in result.output
