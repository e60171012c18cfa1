"""The open-flags list under load: 100,000 flags stored, 50 concurrent clients.

    python -m bench.api_flags_load [--db sqlite|postgresql|both] [--flags 100000]
        [--clients 50] [--tool wrk|httpx] [--seconds 20] [--requests 40] [--workers 1]
        [--path "/api/flags?status=open&sort=priority&limit=200"]

Each client (a wrk connection by default, Debian package ``wrk``; or httpx/asyncio) asks
``GET /api/flags?status=open&limit=50`` (or ``--path``: the dashboard asks
``?status=open&sort=priority&limit=200``) back to back with an operator key; the API runs under
uvicorn in its own process, as deployed. Prints p50/p90/p99 and throughput; writes
out/bench/api_flags_load.json. Target: p99 < 200 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import re
import shutil
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from bench.api_server import (
    ROOT,
    api_process,
    bench_store,
    operator_key,
    percentiles,
    seed_flags,
)
from bench.machine import machine

log = logging.getLogger(__name__)
PATH = "/api/flags?status=open&limit=50"


def _page_size(path: str) -> int:
    return int(parse_qs(urlsplit(path).query).get("limit", ["50"])[0])


async def _load(
    url: str, key: str, clients: int, requests: int, path: str = PATH
) -> tuple[list[float], float, int]:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=url, headers={"X-API-Key": key}, limits=limits, timeout=30
    ) as http:
        for _ in range(20):  # warm up
            (await http.get(path)).raise_for_status()
        latencies: list[float] = []
        errors = 0

        async def client() -> None:
            nonlocal errors
            for _ in range(requests):
                start = time.perf_counter()
                resp = await http.get(path)
                latencies.append((time.perf_counter() - start) * 1000)
                if resp.status_code != 200 or len(resp.json()["items"]) != _page_size(path):
                    errors += 1

        began = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        return latencies, time.perf_counter() - began, errors


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _wrk(url: str, key: str, clients: int, seconds: int, path: str = PATH) -> dict[str, Any]:
    """wrk (C, two threads): a load generator that needs far less CPU than the server it loads."""
    cmd = ["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "--latency", "-H", f"X-API-Key: {key}"]
    out = subprocess.run([*cmd, url + path], capture_output=True, text=True, check=True).stdout
    lat = {}
    for pct, value, unit in re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M):
        lat[f"p{pct}"] = round(float(value) * _UNITS[unit], 2)
    mx = re.search(r"Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)", out)
    if mx:
        lat["max"] = round(float(mx.group(1)) * _UNITS[mx.group(2)], 2)
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = int(bad.group(1)) if bad else 0
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return {"latency_ms": {"n": total, **lat}, "throughput_rps": rps, "errors": errors}


def run_one(
    kind: str,
    flags: int,
    clients: int,
    requests: int,
    workers: int,
    tool: str,
    seconds: int,
    list_cache_s: float,
    path: str = PATH,
) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory(prefix="ew-bench-") as tmp,
        bench_store(kind, Path(tmp)) as (url, store),
    ):
        began = time.perf_counter()
        seed_flags(store, flags)
        seeded_s = time.perf_counter() - began
        key = operator_key(store)
        env = {"ENTRYWATCH_LIST_CACHE_S": str(list_cache_s)}
        with api_process(url, workers=workers, **env) as base:
            load_before = machine()["load_avg"]
            if tool == "wrk":
                asyncio.run(_load(base, key, 1, 1, path))  # warm up
                measured = _wrk(base, key, clients, seconds, path)
            else:
                latencies, wall, errors = asyncio.run(_load(base, key, clients, requests, path))
                measured = {
                    "latency_ms": percentiles(latencies),
                    "throughput_rps": round(len(latencies) / wall, 1),
                    "errors": errors,
                }
        result = {
            "db": kind,
            "flags": flags,
            "clients": clients,
            "load_generator": tool,
            "server_workers": workers,
            "list_cache_s": list_cache_s,
            "path": path,
            **measured,
            "requests": measured["latency_ms"]["n"],
            "seed_s": round(seeded_s, 1),
            "load_avg_before": load_before,
            "load_avg_after": machine()["load_avg"],
            "target_p99_ms": 200,
        }
        result["meets_target"] = result["latency_ms"]["p99"] < 200 and result["errors"] == 0
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--flags", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=40, help="Per client.")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes.")
    parser.add_argument(
        "--tool",
        choices=["wrk", "httpx"],
        default="wrk" if shutil.which("wrk") else "httpx",
        help="Load generator: wrk (Debian package 'wrk') or Python httpx.",
    )
    parser.add_argument(
        "--list-cache-s", type=float, default=0.25, help="Server list cache TTL; 0 disables."
    )
    parser.add_argument("--seconds", type=int, default=20, help="wrk run length.")
    parser.add_argument("--path", default=PATH, help="The list request (default: %(default)s).")
    parser.add_argument("--out", type=Path, default=ROOT / "out/bench/api_flags_load.json")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    results = []
    for kind in kinds:
        log.info("%s: seeding %d flags ...", kind, args.flags)
        result = run_one(
            kind,
            args.flags,
            args.clients,
            args.requests,
            args.workers,
            args.tool,
            args.seconds,
            args.list_cache_s,
            args.path,
        )
        lat = result["latency_ms"]
        log.info(
            "%s: %d clients (%s), %d requests: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms, "
            "%.0f req/s, %d errors (load %s)",
            kind,
            args.clients,
            args.tool,
            result["requests"],
            lat["p50"],
            lat["p90"],
            lat["p99"],
            lat["max"],
            result["throughput_rps"],
            result["errors"],
            result["load_avg_after"],
        )
        results.append(result)
    report = {
        "benchmark": "api_flags_load",
        "path": PATH,
        "at": datetime.now(UTC).isoformat(),
        "machine": machine(),
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
