"""Operators' requests while anonymous clients flood the public form with hostile bodies.

    python -m bench.hostile_load [--db sqlite|postgresql] [--seconds 25] [--attackers 4]
        [--flags 10000]

The API runs under uvicorn in its own process (as ``entrywatch serve`` runs it). ``attackers``
processes post to ``/api/declarations`` back to back, each body in turn: 2.3 MB of 200,000
unknown keys, 60 KB nested 60,000 deep, 60 KB of 5,000 unknown keys, a NaN, a lone surrogate,
a NUL, and a valid declaration, with a made-up X-Forwarded-For each time. Meanwhile one operator
asks ``GET /api/flags?status=open&limit=50`` every 20 ms. Two rounds: with the default rate limit
(5 a minute per client: almost everything is a 429 before any body is read), then with the limit
lifted, so every hostile body reaches the input guard (413/422). Bounded: at most 60 s of load in
all, on 127.0.0.1. Prints the operator's p50/p90/p99 and what the attackers got; writes
out/bench/hostile_load.json. Target: operator p99 < 200 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import random
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from bench.api_server import ROOT, api_process, bench_store, operator_key, percentiles, seed_flags
from bench.machine import machine

PATH = "/api/flags?status=open&limit=50"
MAX_TOTAL_S = 60


def filing() -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "plate": "75A-123.45",
        "driver_name": "Nguyễn Văn A",
        "driver_phone": "0905 123 456",
        "origin": "Đà Nẵng",
        "destination": "Huế",
        "valid_from": (now - timedelta(hours=1)).isoformat(),
        "valid_until": (now + timedelta(days=1)).isoformat(),
    }


def bodies() -> dict[str, bytes]:
    valid = filing()
    return {
        "2.3MB_200k_keys": json.dumps({f"k{i}": i for i in range(200_000)}).encode(),
        "60KB_deep": b"[" * 60_000,
        "60KB_5k_keys": json.dumps(valid | {f"k{i}": "v" for i in range(5000)}).encode()[:65_000],
        "nan": json.dumps(valid | {"destination": "X"}).replace('"X"', "NaN").encode(),
        "surrogate": json.dumps(valid | {"driver_name": "\ud800"}).encode(),
        "nul": json.dumps(valid | {"origin": "a\u0000b"}).encode(),
        "valid": json.dumps(valid).encode(),
    }


def attacker(url: str, seconds: float, seed: int, out: Any) -> None:
    host, port = urlsplit(url).hostname or "127.0.0.1", urlsplit(url).port
    rng = random.Random(seed)
    kinds = list(bodies().items())
    seen: Counter[str] = Counter()
    deadline = time.monotonic() + seconds
    i = 0
    while time.monotonic() < deadline:
        kind, body = kinds[i % len(kinds)]
        i += 1
        conn = http.client.HTTPConnection(host, port, timeout=30)
        headers = {
            "content-type": "application/json",
            "x-forwarded-for": f"10.{rng.randrange(256)}.{rng.randrange(256)}.1",
        }
        try:
            conn.request("POST", "/api/declarations", body=body, headers=headers)
            status = conn.getresponse().status
            seen[f"{kind}:{status}"] += 1
        except OSError:
            seen[f"{kind}:reset"] += 1  # the server answered 413 and closed mid-body
        finally:
            conn.close()
    out.put(dict(seen))


def operator(url: str, key: str, seconds: float, period_s: float = 0.02) -> list[float]:
    latencies: list[float] = []
    with httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=30) as http:
        for _ in range(10):
            http.get(PATH).raise_for_status()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            start = time.perf_counter()
            resp = http.get(PATH)
            latencies.append((time.perf_counter() - start) * 1000)
            resp.raise_for_status()
            time.sleep(max(0.0, period_s - (time.perf_counter() - start)))
    return latencies


def round_(url: str, key: str, seconds: float, attackers: int) -> dict[str, Any]:
    queue: Any = mp.get_context("spawn").Queue()
    procs = [
        mp.get_context("spawn").Process(target=attacker, args=(url, seconds + 1, n, queue))
        for n in range(attackers)
    ]
    for p in procs:
        p.start()
    time.sleep(1.0)  # the attackers are up before the operator is timed
    latencies = operator(url, key, seconds)
    seen: Counter[str] = Counter()
    for _ in procs:
        seen.update(queue.get(timeout=60))
    for p in procs:
        p.join(timeout=30)
    return {
        "operator_ms": percentiles(latencies),
        "attacker_requests": sum(seen.values()),
        "attacker_rps": round(sum(seen.values()) / (seconds + 1), 1),
        "attacker_answers": dict(sorted(seen.items())),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.hostile_load")
    parser.add_argument("--db", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--seconds", type=float, default=25.0, help="Per round (two rounds).")
    parser.add_argument("--attackers", type=int, default=4)
    parser.add_argument("--flags", type=int, default=10_000)
    args = parser.parse_args(argv)
    seconds = min(args.seconds, MAX_TOTAL_S / 2 - 1)

    result: dict[str, Any] = {"machine_before": machine(), "db": args.db, "rounds": {}}
    with tempfile.TemporaryDirectory() as tmp, bench_store(args.db, Path(tmp)) as (url, store):
        seed_flags(store, args.flags)
        key = operator_key(store)
        for name, limit in (("rate_limited", "5"), ("no_rate_limit", "1000000000")):
            with api_process(url, ENTRYWATCH_DECLARE_RATE_LIMIT=limit) as api:
                result["rounds"][name] = round_(api, key, seconds, args.attackers)
            print(name, json.dumps(result["rounds"][name], indent=1))
    result["machine_after"] = machine()
    out = ROOT / "out" / "bench" / "hostile_load.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"machine: {result['machine_before']} -> load {result['machine_after']['load_avg']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
