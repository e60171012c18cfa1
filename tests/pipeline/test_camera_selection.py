"""``CamerasFile.only`` and ``entrywatch run --cameras``: a worker runs its share of a config
several workers read."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.config import CamerasFile, ConfigError, load_cameras


def write_config(folder: Path, ids: list[str]) -> Path:
    lines = ["cameras:"]
    for camera_id in ids:
        lines += [
            f"  - camera_id: {camera_id}",
            "    checkpoint: CP",
            f"    source: rtsp://127.0.0.1:9/{camera_id}",
            "    line: {start: [0, 400], end: [1280, 400], inbound_side: right}",
        ]
    path = folder / "cameras.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def cameras(tmp_path: Path) -> CamerasFile:
    return load_cameras(write_config(tmp_path, ["cam-a", "cam-b", "cam-c", "cam-d"]))


def test_only_keeps_the_named_cameras_in_the_file_order(cameras: CamerasFile) -> None:
    chosen = cameras.only(["cam-d", "cam-b", "cam-d"])
    assert [c.camera_id for c in chosen.cameras] == ["cam-b", "cam-d"]
    assert chosen.cameras[0] == cameras.cameras[1]  # the camera's settings are untouched
    assert [c.camera_id for c in cameras.cameras] == ["cam-a", "cam-b", "cam-c", "cam-d"]


def test_only_names_the_unknown_cameras_and_the_known_ones(cameras: CamerasFile) -> None:
    with pytest.raises(ConfigError) as caught:
        cameras.only(["cam-b", "cam-x", "cam-y"])
    assert str(caught.value) == (
        "no camera 'cam-x', 'cam-y' in the config (it has: cam-a, cam-b, cam-c, cam-d)"
    )
    with pytest.raises(ConfigError, match="no camera id given"):
        cameras.only([])


@pytest.mark.parametrize(
    ("selection", "says"),
    [
        ("cam-a,cam-z", "no camera 'cam-z' in the config (it has: cam-a, cam-b)"),
        (" , ", "no camera id given"),
    ],
)
def test_run_refuses_a_selection_the_config_does_not_have(
    tmp_path: Path, selection: str, says: str
) -> None:
    config = write_config(tmp_path, ["cam-a", "cam-b"])
    result = CliRunner().invoke(app, ["run", "--config", str(config), "--cameras", selection])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "--cameras" in text and says in text and str(config) in text
