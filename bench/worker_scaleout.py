"""Worker scale-out on one machine: the same cameras run by 1, 2 or 4 ``entrywatch run``
processes, each given its share of one shared config with ``--cameras``.

    python -m bench.worker_scaleout [--cameras 4] [--workers 1,2,4] [--seconds 40]
                                    [--detect-every 3]

A real RTSP server (GStreamer, ``bench.live_common``) serves ``--cameras`` looped copies of a
sample clip (720p, 10 frames/s). One cameras file lists them all; worker k of K runs
``--cameras`` of every K-th camera from the k-th on. One worker keeps the default model
slots (2 of 1 thread); several run ``--slots 1 --threads 1`` each, so the machine holds one model
copy per worker. After every camera delivers frames and 5 s more, each camera's /metrics is
sampled every 2 s: processed frames/s against the 10/detect_every needed, the share of frames
dropped, the lag (capture to end of inference) in the first and second half. The cameras are
kept up with when every one drops under 10 % and its lag does not grow (``camera_capacity``'s
rule). Prints one JSON line per worker count, and a markdown table.
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
from typing import Any

import psutil

from bench.live_common import scrape, serve, start_worker, write_config
from bench.machine import machine


def shares(cameras: int, workers: int) -> list[list[int]]:
    """Camera numbers per worker: every ``workers``-th camera, from the worker's own on."""
    return [list(range(k, cameras, workers)) for k in range(workers)]


def measure(
    cameras: int, workers: int, seconds: float, detect_every: int, folder: Path
) -> dict[str, Any]:
    server = serve(cameras, folder, seconds + 240)
    config = write_config(folder / f"cameras{cameras}.yaml", server, list(range(cameras)),
                          detect_every)  # fmt: skip
    procs = []
    load_before = round(os.getloadavg()[0], 2)
    try:
        for share in shares(cameras, workers):
            selection = ",".join(f"cam{i}" for i in share)
            extra = ["--cameras", selection]
            if workers > 1:
                extra += ["--slots", "1", "--threads", "1"]
            procs.append(start_worker(config, *extra))
        deadline = time.monotonic() + 240
        while True:
            cams = {c: m for _, port in procs for c, m in scrape(port).items()}
            if len(cams) == cameras and all(
                m.get("frames_processed", 0) > 0 for m in cams.values()
            ):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {len(cams)} of {cameras} cameras started within 240 s")
            for p, _ in procs:
                if p.poll() is not None:
                    raise RuntimeError(f"a worker exited {p.returncode}")
            time.sleep(1)
        time.sleep(5)
        t0 = time.monotonic()
        start = {c: m for _, port in procs for c, m in scrape(port).items()}
        lags: dict[str, list[float]] = {c: [] for c in start}
        while time.monotonic() - t0 < seconds:
            time.sleep(2)
            for _, port in procs:
                for c, m in scrape(port).items():
                    lags.setdefault(c, []).append(m.get("lag_seconds", 0.0))
        elapsed = time.monotonic() - t0
        end = {c: m for _, port in procs for c, m in scrape(port).items()}
        rss = sum(psutil.Process(p.pid).memory_info().rss for p, _ in procs) / 2**20
        load_during = round(os.getloadavg()[0], 2)
    finally:
        for p, _ in procs:
            p.terminate()
        for p, _ in procs:
            p.wait(60)
        server.stop()
    per_cam = {}
    for c in sorted(end):
        keys = ("frames", "frames_processed", "frames_dropped")
        d = {k: end[c].get(k, 0) - start.get(c, {}).get(k, 0) for k in keys}
        half = len(lags[c]) // 2
        per_cam[c] = {
            "processed_fps": round(d["frames_processed"] / elapsed, 2),
            "dropped_share": round(d["frames_dropped"] / max(1, d["frames"] / detect_every), 3),
            "lag_first_half_s": round(statistics.fmean(lags[c][:half] or [0]), 2),
            "lag_second_half_s": round(statistics.fmean(lags[c][half:] or [0]), 2),
        }
    keeps_up = all(
        v["dropped_share"] < 0.10 and v["lag_second_half_s"] <= v["lag_first_half_s"] + 0.25
        for v in per_cam.values()
    )
    return {
        "cameras": cameras,
        "workers": workers,
        "shares": [[f"cam{i}" for i in s] for s in shares(cameras, workers)],
        "detect_every": detect_every,
        "needed_fps_per_camera": round(10 / detect_every, 2),
        "processed_fps_total": round(sum(v["processed_fps"] for v in per_cam.values()), 2),
        "dropped_share_max": max(v["dropped_share"] for v in per_cam.values()),
        "lag_second_half_max_s": max(v["lag_second_half_s"] for v in per_cam.values()),
        "keeps_up": keeps_up,
        "rss_mib": round(rss),
        "load_1m_before": load_before,
        "load_1m_during": load_during,
        "per_camera": per_cam,
    }


def main(argv: list[str] | None = None) -> int:
    # SIGTERM: clean up (stop the workers and the RTSP server) like Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(prog="python -m bench.worker_scaleout")
    parser.add_argument("--cameras", type=int, default=4)
    parser.add_argument("--workers", default="1,2,4", help="Worker counts to run, e.g. 1,2,4")
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--detect-every", type=int, default=3)
    args = parser.parse_args(argv)
    try:
        counts = [int(n) for n in args.workers.split(",")]
    except ValueError:
        parser.error(f"--workers: {args.workers!r} is not a list of numbers such as 1,2,4")
    if any(n < 1 or n > args.cameras for n in counts):
        parser.error(f"--workers: each between 1 and --cameras ({args.cameras})")
    m = machine()
    print(f"# {m['cores']} cores, {m['cpu']}", flush=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="ew-scaleout-") as tmp:
        for workers in counts:
            result = measure(args.cameras, workers, args.seconds, args.detect_every, Path(tmp))
            print(json.dumps(result), flush=True)
            results.append(result)
    print("\n| workers | cameras each | processed fps (needed) | max drops | max lag | "
          "kept up | RSS MiB | load 1 min |")  # fmt: skip
    print("|---:|---|---:|---:|---:|---|---:|---|")
    for r in results:
        each = "/".join(str(len(s)) for s in r["shares"])
        needed = r["needed_fps_per_camera"] * r["cameras"]
        print(
            f"| {r['workers']} | {each} | {r['processed_fps_total']} ({needed:.1f}) "
            f"| {r['dropped_share_max']:.0%} | {r['lag_second_half_max_s']} s "
            f"| {'yes' if r['keeps_up'] else 'no'} | {r['rss_mib']:,} "
            f"| {r['load_1m_before']} → {r['load_1m_during']} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
