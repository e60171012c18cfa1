"""``entrywatch replay`` on a sample clip with the real models: --auto-line and times."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app

ROOT = Path(__file__).resolve().parents[2]
NOON = ROOT / "sample_videos" / "entry_noon.mp4"

pytestmark = [pytest.mark.slow, pytest.mark.models]


def test_auto_line_counts_every_crossing_vehicle(tmp_path: Path) -> None:
    truth = json.loads((ROOT / "sample_videos" / "entry_noon.json").read_text())
    crossing = [v for v in truth["vehicles"] if v["direction"] in ("inbound", "outbound")]
    towards = [v for v in crossing if v["heading"] == "towards"]
    out = tmp_path / "events.jsonl"
    result = CliRunner().invoke(
        app,
        [
            "replay",
            str(NOON),
            "--auto-line",
            "--no-progress",
            "--ocr",
            "rapidocr",
            "--output",
            str(out),
            "--evidence-dir",
            str(tmp_path / "ev"),
            "--start-time",
            "2021-08-02T12:10:00+07:00",
        ],
    )
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(events) == len(crossing)
    assert sum(e["direction"] == "inbound" for e in events) == len(towards)
    assert f"{len(crossing)} vehicles crossed it either way" in result.output
    assert all(e["crossed_at"].startswith("2021-08-02T") for e in events)  # from --start-time
    assert "modification time" not in result.output
