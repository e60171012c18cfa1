"""How many 720p 10 fps cameras one machine keeps up with, and how to share the CPU.

    python -m bench.camera_capacity [--cameras 1,2,3] [--seconds 40] [--detect-every 3]
        [--mode threads|processes|both]

For each camera count, a real RTSP server (GStreamer) serves that many looped copies of a
sample clip (H.264, passed through: the server costs almost no CPU) and the worker runs them:

- ``threads``: one ``entrywatch run`` process, every camera in it, models shared (2 slots of
  1 thread each, the default);
- ``processes``: one ``entrywatch run --slots 1 --threads 1`` process per camera.

After a warm-up it samples each camera's /metrics every 2 s and reports processed frames/s
against the needed 10/detect_every, the share of frames dropped, and the lag (capture to end of
inference) in the first and second half: a worker keeps up when it drops under 10% and its lag
does not grow. The 1-minute load average before the run is printed: on a shared machine the
numbers move with it.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

from bench.live_common import scrape, serve, start_worker, write_config


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process and its children so far."""
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system + times.children_user + times.children_system


def measure(n: int, mode: str, seconds: float, detect_every: int, folder: Path) -> dict:
    server = serve(n, folder, seconds + 120)
    procs = []
    try:
        if mode == "threads":
            cfg = write_config(folder / f"t{n}.yaml", server, list(range(n)), detect_every)
            procs.append(start_worker(cfg))
        else:
            for i in range(n):
                cfg = write_config(folder / f"p{n}_{i}.yaml", server, [i], detect_every)
                procs.append(start_worker(cfg, "--slots", "1", "--threads", "1"))
        # Warm-up: every camera delivering frames, then 5 s more.
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            cams = {c: m for _, port in procs for c, m in scrape(port).items()}
            if len(cams) == n and all(m.get("frames_processed", 0) > 0 for m in cams.values()):
                break
            time.sleep(1)
        time.sleep(5)
        t0 = time.monotonic()
        start = {c: m for _, port in procs for c, m in scrape(port).items()}
        cpu0 = sum(_cpu_s(p.pid) for p, _ in procs)
        lags: dict[str, list[float]] = {c: [] for c in start}
        while time.monotonic() - t0 < seconds:
            time.sleep(2)
            for _, port in procs:
                for c, m in scrape(port).items():
                    lags.setdefault(c, []).append(m.get("lag_seconds", 0.0))
        elapsed = time.monotonic() - t0
        end = {c: m for _, port in procs for c, m in scrape(port).items()}
        cpu_s = sum(_cpu_s(p.pid) for p, _ in procs) - cpu0
        rss = sum(psutil.Process(p.pid).memory_info().rss for p, _ in procs) / 2**20
    finally:
        for p, _ in procs:
            p.terminate()
        for p, _ in procs:
            p.wait(60)
        server.stop()
    per_cam = {}
    for c in end:
        keys = ("frames", "frames_processed", "frames_dropped")
        d = {k: end[c].get(k, 0) - start.get(c, {}).get(k, 0) for k in keys}
        half = len(lags[c]) // 2
        per_cam[c] = {
            "captured_fps": round(d["frames"] / elapsed, 2),
            "processed_fps": round(d["frames_processed"] / elapsed, 2),
            "dropped_share": round(d["frames_dropped"] / max(1, d["frames"] / detect_every), 3),
            "lag_first_half_s": round(statistics.fmean(lags[c][:half] or [0]), 2),
            "lag_second_half_s": round(statistics.fmean(lags[c][half:] or [0]), 2),
            "inference_ms": round(end[c].get("inference_ms", 0), 1),
        }
    processed = sum(v["processed_fps"] for v in per_cam.values()) * elapsed
    keeps_up = all(
        v["dropped_share"] < 0.10 and v["lag_second_half_s"] <= v["lag_first_half_s"] + 0.25
        for v in per_cam.values()
    )
    return {
        "cameras": n,
        "mode": mode,
        "keeps_up": keeps_up,
        "rss_mib": round(rss),
        # CPU time of the worker process(es), capture and decode included: robust to other
        # jobs on the machine, unlike frames/s. Cores it used, and CPU ms per processed frame.
        "cores_used": round(cpu_s / elapsed, 2),
        "cpu_ms_per_processed_frame": round(1000 * cpu_s / max(1.0, processed), 1),
        "per_camera": per_cam,
    }


def main() -> None:
    # SIGTERM: clean up (stop the worker and the RTSP server) like Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cameras", default="1,2,3")
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--detect-every", type=int, default=3)
    parser.add_argument("--mode", choices=["threads", "processes", "both"], default="threads")
    args = parser.parse_args()
    modes = ["threads", "processes"] if args.mode == "both" else [args.mode]
    print(f"# {os.cpu_count()} cores, load average before: {os.getloadavg()[0]:.2f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="ew-capacity-") as tmp:
        for n in (int(x) for x in args.cameras.split(",")):
            for mode in modes:
                result = measure(n, mode, args.seconds, args.detect_every, Path(tmp))
                result["load_avg_1m_after"] = round(os.getloadavg()[0], 2)
                print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
