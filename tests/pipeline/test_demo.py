"""``entrywatch demo`` from any directory: entries and flags on stdout, then the serve line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli.demo import sample_cameras, samples_dir

pytestmark = [pytest.mark.slow, pytest.mark.models]


def test_the_sample_cameras_come_with_the_clips() -> None:
    cameras = sample_cameras(samples_dir())
    assert len(cameras) == 3
    assert all(Path(c.source).is_file() and c.start_time is not None for c in cameras)
    assert (samples_dir() / "declarations.csv").is_file()


def test_demo_runs_from_a_temporary_directory(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "pipeline.cli", "demo", "--ocr", "rapidocr"]
    env = {**os.environ, "COLUMNS": "100", "PYTHONPATH": ""}
    done = subprocess.run(
        cmd, cwd=tmp_path, capture_output=True, text=True, env=env, timeout=1200, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out, err = done.stdout, done.stderr
    assert "Entries and decisions" in out and "Flags for operators" in out
    assert "Replay summary" in err and "Entries and decisions" not in err
    last = out.strip().splitlines()[-1]
    db = tmp_path / "out" / "demo" / "entrywatch.db"
    assert last.startswith("entrywatch serve --db sqlite:///") and str(db) in last
    # One evidence root for every command: the demo writes where serve looks by default.
    evidence = tmp_path / "out" / "evidence"
    assert f"--evidence-dir {evidence}" in last
    assert list(evidence.glob("*/*-frame.jpg")) and list(evidence.glob("*/*-plate.jpg"))
    assert db.is_file() and (tmp_path / "out" / "demo" / "entries.jsonl").stat().st_size > 0
