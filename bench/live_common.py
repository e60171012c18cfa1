"""Shared by the live benchmarks: an RTSP server with N cameras, workers, metric sampling."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.worker.rtsp import RtspServer, ensure_installed, free_port, to_h264

ROOT = Path(__file__).resolve().parent.parent
CLIP = ROOT / "sample_videos" / "entry_morning.mp4"
LINE = "{start: [0, 440], end: [1280, 425], inbound_side: right}"


def serve(n: int, folder: Path, seconds: float) -> RtspServer:
    """An RTSP server with mounts cam0..cam{n-1}, each a looped clip lasting ``seconds``."""
    ensure_installed()
    clip = to_h264(CLIP, folder, loops=max(1, int(seconds // 12) + 1))
    server = RtspServer({f"cam{i}": clip for i in range(n)})
    server.start()
    return server


def write_config(path: Path, server: RtspServer, ids: list[int], detect_every: int) -> Path:
    lines = ["cameras:"]
    for i in ids:
        lines += [
            f"  - camera_id: cam{i}",
            "    checkpoint: BENCH",
            f"    source: {server.url(f'cam{i}')}",
            f"    line: {LINE}",
            f"    detect: {{every: {detect_every}}}",
        ]
    path.write_text("\n".join(lines) + "\n")
    return path


def start_worker(config: Path, *extra: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    cmd = [sys.executable, "-m", "pipeline.cli", "run", "--config", str(config)]
    cmd += ["--metrics-port", str(port), "--metrics-addr", "127.0.0.1", *extra]
    env = {**os.environ, "YOLO_OFFLINE": "1", "YOLO_AUTOINSTALL": "0"}
    quiet = subprocess.DEVNULL
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=quiet, stderr=quiet, env=env)
    return proc, port


def scrape(port: int) -> dict[str, dict[str, float]]:
    """{camera: {metric: value}} from a worker's /metrics (empty when not up yet)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as r:
            text = r.read().decode()
    except OSError:
        return {}
    out: dict[str, dict[str, float]] = {}
    for line in text.splitlines():
        if not line.startswith("entrywatch_camera_") or 'camera="' not in line:
            continue
        key, _, value = line.rpartition(" ")
        name = key.split("{", 1)[0].removeprefix("entrywatch_camera_").removesuffix("_total")
        camera = key.split('camera="', 1)[1].split('"', 1)[0]
        if "status=" in key:
            if float(value) == 1.0:
                out.setdefault(camera, {})["status:" + key.split('status="')[1].split('"')[0]] = 1
            continue
        out.setdefault(camera, {})[name] = float(value)
    return out
