"""The replay summary fits any width: no number is ever cut to an ellipsis."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from pipeline.replay import ReplaySummary, print_summary


def _summary(name: str) -> ReplaySummary:
    s = ReplaySummary(source=f"/data/{name}", camera_id="c", frames=123456, seconds=10.0)
    s.entries, s.exits, s.vehicles, s.tracks = 31, 17, 48, 63
    s.plates_read, s.unreadable = 40, 8
    return s


@pytest.mark.parametrize("width", [30, 60, 80, 100, 120, 250])
@pytest.mark.parametrize("name", ["entry_noon.mp4", "a-very-long-recording-name-from-camera-7.mp4"])
def test_the_summary_fits_without_ellipsis(width: int, name: str) -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=False, color_system=None)
    print_summary(console, [_summary(name), _summary("b.mp4")])
    text = buffer.getvalue()
    assert "…" not in text
    for number in ("123456", "12345.6", "48", "31", "17", "40"):
        assert number in text, text
    assert "vehicles" in text and "crossing" in text
    assert name in text
