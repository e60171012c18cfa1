"""The analyst's CLI: JSON Lines on stdout, errors named, other inputs unaffected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "configs" / "sample_cameras.yaml"
NOON = ROOT / "sample_videos" / "entry_noon.mp4"

runner = CliRunner()


def test_replay_without_a_line_or_config_is_refused() -> None:
    result = runner.invoke(app, ["replay", str(NOON)])
    assert result.exit_code == 2
    assert "--config" in result.output and "--line" in result.output


def test_replay_with_a_malformed_line_is_refused() -> None:
    result = runner.invoke(app, ["replay", str(NOON), "--line", "0,400,1280"])
    assert result.exit_code == 2
    assert "X1,Y1,X2,Y2" in result.output


def test_replay_with_a_broken_config_names_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "cams.yaml"
    bad.write_text(CONFIG.read_text().replace("inbound_side: right", "inbound_side: north", 1))
    result = runner.invoke(app, ["replay", str(NOON), "--config", str(bad)])
    assert result.exit_code == 2
    assert "inbound_side" in result.output


@pytest.mark.slow
def test_replay_reports_a_bad_file_and_still_replays_the_good_one(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 1000)
    out = tmp_path / "events.jsonl"
    result = runner.invoke(
        app,
        [
            "replay",
            str(broken),
            str(NOON),
            "--line",
            "0,440,1280,425",
            "--inbound",
            "right",
            "--checkpoint",
            "QL1A-HAI-VAN",
            "--output",
            str(out),
            "--no-progress",
            "--evidence-dir",
            str(tmp_path / "ev"),
            "--annotate",
            str(tmp_path / "ann"),
        ],
    )
    assert result.exit_code == 1
    assert "broken.mp4" in result.output and "not a video" in result.output
    events = [json.loads(line) for line in out.read_text().splitlines()]
    directions = sorted(e["direction"] for e in events)
    assert directions == ["inbound", "inbound", "outbound", "outbound"]
    assert all(e["checkpoint"] == "QL1A-HAI-VAN" for e in events)
    assert "Replay summary" in result.output
    annotated = tmp_path / "ann" / "entry_noon.annotated.mp4"
    assert annotated.is_file() and annotated.stat().st_size > 10_000


@pytest.mark.slow
def test_read_prints_one_json_line_per_image(tmp_path: Path) -> None:
    import cv2

    from pipeline.sources import open_source

    # Frame 60: car 92A-318.07 coming in, motorbike 75-K1 456.78 going out.
    frame = next(f for f in open_source(NOON) if f.index == 60)
    good = tmp_path / "frame.jpg"
    cv2.imwrite(str(good), frame.image)
    bad = tmp_path / "bad.jpg"
    bad.write_text("not an image")
    result = runner.invoke(app, ["read", "--region", "vn", str(good), str(bad)])
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [line["image"] for line in lines] == [str(good), str(bad)]
    assert {p["plate"] for p in lines[0]["plates"]} >= {"92A31807", "75K145678"}
    assert lines[0]["plates"][0]["confidence"] >= lines[0]["plates"][-1]["confidence"]
    for plate in lines[0]["plates"]:
        assert set(plate) >= {"plate", "confidence", "box", "valid"}
        assert len(plate["box"]) == 4
    assert "error" in lines[1]
