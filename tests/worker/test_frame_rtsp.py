"""``entrywatch frame`` on the real RTSP test server."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from tests.worker.conftest import PASSWORD, USER
from tests.worker.rtsp import RtspServer

pytestmark = pytest.mark.rtsp


def test_frame_of_an_rtsp_stream(rtsp: RtspServer, tmp_path: Path) -> None:
    out = tmp_path / "stream.png"
    url = rtsp.url("noon", USER, PASSWORD)
    result = CliRunner().invoke(app, ["frame", url, "--at", "0.5", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "1280x720" in result.stdout
    image = cv2.imread(str(out))
    assert image is not None and image.shape[:2] == (720, 1280)
    assert PASSWORD not in result.output
