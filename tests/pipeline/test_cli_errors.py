"""Commands migrate the stores they open; errors are one line, the traceback only with --debug."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import pipeline.cli.frame
from pipeline.cli import app

runner = CliRunner()


def test_keys_on_a_new_database_migrate_it_first(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    created = runner.invoke(app, ["keys", "create", "--role", "admin", "--name", "an", "--db", url])
    assert created.exit_code == 0, created.output
    listed = runner.invoke(app, ["keys", "list", "--db", url])
    assert listed.exit_code == 0, listed.output
    (line,) = [json.loads(x) for x in listed.stdout.splitlines() if x.startswith("{")]
    assert line["name"] == "an" and line["role"] == "admin"


def test_a_store_that_cannot_be_opened_is_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'no-such-folder' / 'x.db'}"
    result = runner.invoke(app, ["keys", "list", "--db", url])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "cannot open the store" in lines[0] and "--db" in lines[0]
    assert "Traceback" not in result.output


@pytest.fixture
def broken_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> tuple[int, int]:
        raise RuntimeError("the disk caught fire\nsecond line of detail")

    monkeypatch.setattr(pipeline.cli.frame, "write_grid_frame", boom)


@pytest.mark.usefixtures("broken_frame")
def test_an_unexpected_error_is_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["frame", "clip.mp4", "--out", str(tmp_path / "f.png")])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "the disk caught fire" in lines[0] and "--debug" in lines[0]
    assert "Traceback" not in result.output


@pytest.mark.usefixtures("broken_frame")
def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--debug", "frame", "clip.mp4", "--out", str(tmp_path / "f.png")])
    assert isinstance(result.exception, RuntimeError)


def test_logs_to_a_file_are_one_line_per_record(tmp_path: Path) -> None:
    import re
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'x.db'}"
    done = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "keys", "list", "--db", url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines and all(re.match(r"\d\d:\d\d:\d\d (INFO|WARNING|ERROR) ", x) for x in lines), lines


def test_a_usage_error_is_one_line_naming_the_help() -> None:
    result = runner.invoke(app, ["replay", "clip.mp4", "--start-tim", "x"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "--start-time" in lines[0] and "replay --help" in lines[0]
