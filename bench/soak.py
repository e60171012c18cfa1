"""Soak: live streams for a long time (default 30 min); memory, file handles, stuck frames.

    python -m bench.soak [--minutes 30] [--cameras 2] [--detect-every 3] [--restart-every 10]

A real RTSP server serves ``--cameras`` looped clips; one ``entrywatch run`` reads them. Every
30 s it samples the worker's resident memory, open file descriptors and threads, and every
camera's frames, drops, reconnects, lag and last-frame age from /metrics. Every
``--restart-every`` minutes the RTSP server is killed and restarted (reconnects must follow).
At the end: RSS and fds of the last third against the first third after warm-up (flat = within
10% / 5 handles), frames stuck (a camera whose frame count stopped while the server was up, or a
lag over 5 s), reconnects counted. One JSON line per sample, then a summary line.
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


def main() -> None:
    # SIGTERM: clean up (stop the worker and the RTSP server) like Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--cameras", type=int, default=2)
    parser.add_argument("--detect-every", type=int, default=3)
    parser.add_argument("--restart-every", type=float, default=10, help="minutes; 0: never")
    parser.add_argument("--sample-s", type=float, default=30)
    args = parser.parse_args()
    seconds = args.minutes * 60
    with tempfile.TemporaryDirectory(prefix="ew-soak-") as tmp:
        folder = Path(tmp)
        server = serve(args.cameras, folder, seconds + 300)
        cfg = write_config(
            folder / "soak.yaml", server, list(range(args.cameras)), args.detect_every
        )
        proc, port = start_worker(cfg)
        worker = psutil.Process(proc.pid)
        samples: list[dict] = []
        stuck = 0
        last_frames: dict[str, float] = {}
        t0 = time.monotonic()
        next_restart = args.restart_every * 60 if args.restart_every else float("inf")
        try:
            while time.monotonic() - t0 < seconds:
                time.sleep(args.sample_s)
                elapsed = time.monotonic() - t0
                if elapsed >= next_restart:
                    server.kill()
                    time.sleep(2)
                    server.start()
                    next_restart += args.restart_every * 60
                    continue  # the next sample sees the reconnect
                cams = scrape(port)
                for cam, m in cams.items():
                    if (
                        m.get("frames", 0) <= last_frames.get(cam, -1)
                        or m.get("lag_seconds", 0) > 5
                    ):
                        stuck += 1
                    last_frames[cam] = m.get("frames", 0)
                sample = {
                    "t_s": round(elapsed),
                    "rss_mib": round(worker.memory_info().rss / 2**20, 1),
                    "fds": worker.num_fds(),
                    "threads": worker.num_threads(),
                    "load_1m": round(os.getloadavg()[0], 2),
                    "cameras": {
                        c: {
                            k: m.get(k)
                            for k in ("frames", "frames_dropped", "reconnects", "lag_seconds")
                        }
                        for c, m in cams.items()
                    },
                }
                samples.append(sample)
                print(json.dumps(sample), flush=True)
        finally:
            proc.terminate()
            rc = proc.wait(60)
            server.stop()
    third = max(1, len(samples) // 3)
    warm = samples[1:] or samples  # the first sample is the warm-up
    first, last = warm[:third], warm[-third:]
    rss0 = statistics.fmean(s["rss_mib"] for s in first)
    rss1 = statistics.fmean(s["rss_mib"] for s in last)
    fds0 = statistics.fmean(s["fds"] for s in first)
    fds1 = statistics.fmean(s["fds"] for s in last)
    reconnects = {
        c: v.get("reconnects") for c, v in (samples[-1]["cameras"] if samples else {}).items()
    }
    summary = {
        "minutes": args.minutes,
        "cameras": args.cameras,
        "rss_mib_first_third": round(rss0, 1),
        "rss_mib_last_third": round(rss1, 1),
        "rss_flat": rss1 <= rss0 * 1.10,
        "fds_first_third": round(fds0, 1),
        "fds_last_third": round(fds1, 1),
        "fds_flat": fds1 <= fds0 + 5,
        "stuck_samples": stuck,
        "reconnects": reconnects,
        "exit_code": rc,
    }
    print(json.dumps({"summary": summary}), flush=True)


if __name__ == "__main__":
    main()
