"""Flag-to-dashboard latency, measured in a real browser.

    python -m bench.dashboard_latency [--db sqlite|postgresql|both] [--flags-stored 100000]
        [--samples 60]

The API runs under uvicorn in its own process; Debian's headless Chromium opens the dashboard
(Playwright). This process plays the matcher: ``InProcessMatcher.decide_batch`` on an undeclared
entry, then waits until the dashboard's stream reader has the flag (it records ``Date.now()`` per
flag id in ``window.entrywatch.arrivals``). Latency = arrival in the browser - the moment
``decide_batch`` returned (its transaction committed); also reported from the moment it was
called. Same machine, same clock. Target: p99 < 1 s. Writes out/bench/dashboard_latency.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright
from sqlalchemy import select

from bench.api_server import (
    ROOT,
    api_process,
    bench_store,
    event,
    operator_key,
    percentiles,
    seed_flags,
)
from bench.machine import machine
from matcher.local import InProcessMatcher
from store.models import Flag
from tests.api.browser import ARGS, ensure_chromium

log = logging.getLogger(__name__)


def run_one(kind: str, stored: int, samples: int) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory(prefix="ew-bench-") as tmp,
        bench_store(kind, Path(tmp)) as (url, store),
    ):
        seed_flags(store, stored)
        key = operator_key(store)
        matcher = InProcessMatcher(store)
        from_commit: list[float] = []
        from_call: list[float] = []
        with api_process(url) as base, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(ensure_chromium()), args=ARGS)
            page = browser.new_page()
            page.goto(base + "/")
            page.fill("#key-input", key)
            page.click("#key-form button[type=submit]")
            page.wait_for_selector("#live.on", timeout=15_000)
            page.wait_for_selector("[data-flag-id]", timeout=15_000)  # the first page is listed
            for i in range(samples):
                ev = event(f"75B{i:05d}", datetime.now(UTC), camera="cam-bench")
                called = time.time() * 1000
                matcher.decide_batch([ev])
                committed = time.time() * 1000
                with store.session() as session:
                    flag_id = session.scalar(select(Flag.id).where(Flag.event_id == ev.event_id))
                handle = page.wait_for_function(
                    f"() => window.entrywatch.arrivals[{flag_id}]", timeout=10_000
                )
                arrived = float(handle.json_value())
                from_commit.append(arrived - committed)
                from_call.append(arrived - called)
                time.sleep(random.uniform(0.05, 0.4))  # vary the phase against the poll period
            browser.close()
        result = {
            "db": kind,
            "flags_stored": stored,
            "samples": samples,
            "from_commit_ms": percentiles(from_commit),
            "from_decide_call_ms": percentiles(from_call),
            "load_avg": machine()["load_avg"],
            "target_p99_ms": 1000,
        }
        result["meets_target"] = result["from_decide_call_ms"]["p99"] < 1000
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--flags-stored", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=60)
    parser.add_argument("--out", type=Path, default=ROOT / "out/bench/dashboard_latency.json")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    results = []
    for kind in kinds:
        result = run_one(kind, args.flags_stored, args.samples)
        c, d = result["from_commit_ms"], result["from_decide_call_ms"]
        log.info(
            "%s: flag -> dashboard p50 %.0f ms, p99 %.0f ms, max %.0f ms after commit "
            "(p99 %.0f ms after the decide call), %d samples",
            kind,
            c["p50"],
            c["p99"],
            c["max"],
            d["p99"],
            args.samples,
        )
        results.append(result)
    report = {
        "benchmark": "dashboard_latency",
        "at": datetime.now(UTC).isoformat(),
        "machine": machine(),
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
