"""Plate search and CSV export on a store of 100,000 flags (issue 14).

    python -m bench.plate_search [--db sqlite|postgresql|both] [--flags 100000] [--requests 30]
                                 [--priorities medium|mixed] [--only NAME]

Seeds ``--flags`` undeclared entries with open flags (``bench.api_server.seed_flags``), then times
one client asking, back to back, through the app in process (no cache: ``list_cache_s`` 0):
``/api/flags?plate=`` with a prefix and with an OCR look-alike of it, ``/api/entries?plate=``,
the CSV export of every open flag of one checkpoint (12,500 rows, capped at 10,000), and the
dashboard's first 200 open flags newest first and ``sort=priority`` (every flag priority 2, the
worst case for that order, or ``--priorities mixed``: out/bench/plate_search.mixed.json). Prints
p50/p99 per request kind; writes out/bench/plate_search.json. The search is a range of the
entries' stored, indexed confusion key (revision 0006; before it, the key was computed per row
in SQL and every search was a scan).
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings
from bench.api_server import ROOT, bench_store, operator_key, percentiles, seed_flags
from bench.machine import machine

log = logging.getLogger(__name__)

QUERIES = {
    "flags ?plate=30A (prefix)": "/api/flags?status=open&plate=30A&limit=50",
    "flags ?plate=3OA0I (look-alike)": "/api/flags?status=open&plate=3OA0I&limit=50",
    "entries ?plate=30A0 (prefix)": "/api/entries?plate=30A0&limit=50",
    "flags CSV, one checkpoint (10,000 rows)": "/api/flags?status=open&checkpoint=CP-3&format=csv",
    # The dashboard's list: the first 200 open flags, newest first and most urgent first.
    "flags 200 open, newest": "/api/flags?status=open&limit=200",
    "flags 200 open, sort=priority": "/api/flags?status=open&sort=priority&limit=200",
}


def mixed_priority(i: int) -> int:
    """--priorities mixed: 0.5 % critical (4), 10 % high (3), the rest medium (2)."""
    return 4 if i % 200 == 0 else 3 if i % 10 == 1 else 2


def run(
    kind: str,
    flags: int,
    requests: int,
    workdir: Path,
    only: str | None = None,
    mixed: bool = False,
) -> dict[str, dict[str, float]]:
    with bench_store(kind, workdir) as (url, store):
        started = time.perf_counter()
        seed_flags(store, flags, priority_of=mixed_priority if mixed else None)
        log.info("%s: %d flags seeded in %.0f s", kind, flags, time.perf_counter() - started)
        # Fresh statistics, as autovacuum would leave them; committed (until 2026-12-02 the
        # ANALYZE was rolled back with its connection, and the planner had no statistics).
        with store.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        key = operator_key(store)
        settings = Settings(db_url=url, list_cache_s=0, auth_cache_s=60)
        results: dict[str, dict[str, float]] = {}
        with TestClient(create_app(settings, store=store)) as client:
            for name, path in QUERIES.items():
                if only and only not in name:
                    continue
                samples, rows = [], 0
                for _ in range(requests):
                    t0 = time.perf_counter()
                    answer = client.get(path, headers={"X-API-Key": key})
                    samples.append((time.perf_counter() - t0) * 1000)
                    answer.raise_for_status()
                    rows = (
                        answer.text.count("\n") - 1
                        if "csv" in path
                        else len(answer.json()["items"])
                    )
                results[name] = {**percentiles(samples), "rows": rows}
                log.info("%s %s: %s", kind, name, results[name])
        return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--flags", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--only", help="Run only the queries whose name contains this.")
    parser.add_argument(
        "--priorities",
        choices=["medium", "mixed"],
        default="medium",
        help="Every flag priority 2 (sort=priority sorts them all), or mixed_priority.",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    out = ROOT / "out" / "bench"
    mixed = args.priorities == "mixed"
    report = {
        "machine": machine(),
        "flags": args.flags,
        "priorities": args.priorities,
        "results": {
            k: run(k, args.flags, args.requests, out / "plate_search", args.only, mixed)
            for k in kinds
        },
    }
    out.mkdir(parents=True, exist_ok=True)
    name = "plate_search.mixed.json" if mixed else "plate_search.json"
    (out / name).write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(json.dumps(report["results"], indent=2))


if __name__ == "__main__":
    main()
