"""Honest times: --start-time, else the container's creation time, else mtime with a warning."""

from __future__ import annotations

import logging
import shutil
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.recording_time import container_creation_time, parse_start_time, recording_start

ROOT = Path(__file__).resolve().parents[2]
NOON = ROOT / "sample_videos" / "entry_noon.mp4"


def test_start_time_needs_its_zone() -> None:
    assert parse_start_time("2021-08-02T07:30:00+07:00") == datetime(
        2021, 8, 2, 7, 30, tzinfo=timezone(timedelta(hours=7))
    )
    assert parse_start_time("2021-08-02T00:30:00Z").tzinfo is not None
    with pytest.raises(ValueError, match="no time zone"):
        parse_start_time("2021-08-02T07:30:00")
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_start_time("yesterday")


def test_a_start_time_without_zone_is_a_one_line_error() -> None:
    result = CliRunner().invoke(
        app, ["replay", str(NOON), "--auto-line", "--start-time", "2021-08-02T07:30:00"]
    )
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "+07:00" in lines[0]


def test_a_given_start_time_wins() -> None:
    given = datetime(2021, 8, 2, 7, 30, tzinfo=UTC)
    assert recording_start(NOON, given).time == given
    assert recording_start(NOON, given).origin == "given"


def _tag_creation_time(source: Path, target: Path, value: str) -> None:
    """A copy of ``source`` (remuxed, not re-encoded) whose container says it was made at
    ``value``, as a camera or recorder writes it."""
    import av

    with av.open(str(source)) as src, av.open(str(target), "w") as out:
        out.metadata["creation_time"] = value
        video = src.streams.video[0]
        copy = out.add_stream_from_template(video)
        for packet in src.demux(video):
            if packet.dts is not None:  # the demuxer's final flush packet carries nothing
                packet.stream = copy
                out.mux(packet)


def test_the_container_creation_time_is_used(tmp_path: Path) -> None:
    tagged = tmp_path / "tagged.mp4"
    _tag_creation_time(NOON, tagged, "2021-08-02T00:30:00Z")
    expected = datetime(2021, 8, 2, 0, 30, tzinfo=UTC)
    assert container_creation_time(tagged) == expected
    start = recording_start(tagged, None)
    assert (start.time, start.origin) == (expected, "container")


def test_the_creation_time_is_read_without_ffmpeg_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PyAV is a dependency: a fresh install reads the recording time with no ffprobe around
    (it once fell back to the modification time there, silently but for the warning)."""
    tagged = tmp_path / "tagged.mp4"
    _tag_creation_time(NOON, tagged, "2021-08-02T00:30:00Z")
    monkeypatch.setattr(shutil, "which", lambda name, *args, **kwargs: None)
    assert container_creation_time(tagged) == datetime(2021, 8, 2, 0, 30, tzinfo=UTC)


def test_without_a_time_the_modification_time_comes_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    copy = tmp_path / "copied.mp4"
    shutil.copy(NOON, copy)  # the sample clip has no creation_time tag
    with caplog.at_level(logging.WARNING, logger="pipeline.recording_time"):
        start = recording_start(copy, None)
    assert start.origin == "modified"
    assert abs(start.time - datetime.now(UTC)) < timedelta(minutes=5)
    (record,) = caplog.records
    assert "modification time" in record.getMessage() and "--start-time" in record.getMessage()
    assert "copied.mp4" in record.getMessage()
