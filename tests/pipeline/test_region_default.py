"""One region default for read and replay: the configured region, else vn."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import plate_reader.still
from pipeline.cli import app
from pipeline.cli.replay import cameras_for

ROOT = Path(__file__).resolve().parents[2]
NOON = ROOT / "sample_videos" / "entry_noon.mp4"
runner = CliRunner()


def _config(tmp_path: Path, region: str) -> Path:
    cams = tmp_path / "cams.yaml"
    cams.write_text(
        "cameras:\n  - camera_id: c1\n    checkpoint: CP\n"
        f"    source: {NOON}\n    region: {region}\n"
        "    line: {start: [0, 440], end: [1280, 425], inbound_side: right}\n"
    )
    return cams


def test_replay_uses_the_configured_region_else_vn(tmp_path: Path) -> None:
    cams = _config(tmp_path, "generic")
    (configured,) = cameras_for([NOON], cams, None, "right", "CP", None, None)
    assert configured.region == "generic"
    (overridden,) = cameras_for([NOON], cams, None, "right", "CP", "auto", None)
    assert overridden.region == "auto"
    (plain,) = cameras_for([NOON], None, "0,0.6,1,0.6", "right", "CP", None, None)
    assert plain.region == "vn"


def test_read_defaults_to_vn_like_replay(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    profiles: list[str] = []

    def fake_reader(ocr: str, profile: str, threads: int | None = None) -> None:
        profiles.append(profile)

    monkeypatch.setattr(plate_reader.still, "still_reader", fake_reader)
    missing = tmp_path / "missing.jpg"
    runner.invoke(app, ["read", str(missing)])
    runner.invoke(app, ["read", "--region", "generic", str(missing)])
    assert profiles == ["vn", "generic"]


def test_an_unknown_region_is_a_one_line_error() -> None:
    result = runner.invoke(app, ["replay", str(NOON), "--auto-line", "--region", "mars"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "mars" in lines[0] and "generic" in lines[0]
