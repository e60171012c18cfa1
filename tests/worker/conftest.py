"""A real RTSP server serving the sample clips (H.264, transcoded at test time), and a helper
that runs ``entrywatch run`` as a subprocess and reads its metrics, log and entries."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.worker.rtsp import RtspServer, RtspUnavailable, ensure_installed, free_port, to_h264

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_videos"
USER, PASSWORD = "operator", "s3cret-Pa55"


@pytest.fixture(scope="session")
def h264_clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    try:
        ensure_installed()
    except RtspUnavailable as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(exc))
    folder = tmp_path_factory.mktemp("h264")
    return {name: to_h264(SAMPLES / f"entry_{name}.mp4", folder) for name in ("morning", "noon")}


@pytest.fixture
def rtsp(h264_clips: dict[str, Path]) -> Iterator[RtspServer]:
    with RtspServer(h264_clips, user=USER, password=PASSWORD) as server:
        yield server


def truth(name: str) -> dict:
    return json.loads((SAMPLES / f"entry_{name}.json").read_text())


def camera_yaml(camera_id: str, source: str, **extra: object) -> str:
    cam = truth("noon")["camera"]
    (x1, y1), (x2, y2) = cam["line"]
    lines = [
        f"  - camera_id: {camera_id}",
        "    checkpoint: QL1A-TEST",
        f"    source: {source}",
        f"    line: {{start: [{x1}, {y1}], end: [{x2}, {y2}], "
        f"inbound_side: {cam['inbound_side']}}}",
    ]
    lines += [f"    {k}: {json.dumps(v)}" for k, v in extra.items()]
    return "\n".join(lines)


class Worker:
    """``entrywatch run`` in a subprocess."""

    def __init__(
        self, config: Path, tmp: Path, env: dict[str, str] | None = None, db: str | None = None
    ) -> None:
        self.port = free_port()
        self.out = tmp / "entries.jsonl"
        self.log_path = tmp / "worker.log"
        self._log = self.log_path.open("w")
        cmd = [sys.executable, "-m", "pipeline.cli", "run", "--config", str(config)]
        cmd += ["--out", str(self.out), "--metrics-port", str(self.port)]
        cmd += ["--metrics-addr", "127.0.0.1", "--health-interval", "0.5"]
        if db:
            cmd += ["--db", db]
        self.proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "COLUMNS": "200", **(env or {})},
        )

    def metrics(self) -> dict[str, float]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=2) as r:
                text = r.read().decode()
        except OSError:
            return {}
        values = {}
        for line in text.splitlines():
            if line.startswith("entrywatch_"):
                key, _, value = line.rpartition(" ")
                values[key] = float(value)
        return values

    def metric(self, name: str, camera: str, **labels: str) -> float | None:
        inner = ",".join([f'camera="{camera}"', *(f'{k}="{v}"' for k, v in labels.items())])
        return self.metrics().get(f"{name}{{{inner}}}")

    def wait_for(
        self, predicate: Callable[[], bool], timeout: float, what: str, step: float = 0.2
    ) -> float:
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if predicate():
                return time.monotonic() - t0
            assert self.proc.poll() is None, f"worker exited:\n{self.log()}"
            time.sleep(step)
        raise AssertionError(
            f"timed out after {timeout} s waiting for {what}\n{self.log()[-4000:]}"
        )

    def entries(self) -> list[dict]:
        if not self.out.exists():
            return []
        return [json.loads(line) for line in self.out.read_text().splitlines() if line.strip()]

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def terminate(self, timeout: float = 60) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(10)
            self._log.close()
