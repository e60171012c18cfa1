"""Matcher throughput: entries decided per second by one matcher process, through a real broker,
with a million declarations in the store (SQLite and PostgreSQL).

    python -m bench.matcher_throughput [--declarations 1000000] [--entries 100000]
                                       [--backends sqlite,postgresql] [--batch 2000]

Starts its own Kafka broker and PostgreSQL server (the test tooling), bulk-loads the
declarations, publishes the entries beforehand, then runs one ``MatcherService`` (the code behind
``entrywatch matcher``, pipelined as it runs there) in this process until every entry is decided.
Entries/s counts from the end of the first batch to the end of the last, so the group join and
the first fetch are left out.
The mix: 85% declared plates (a few read one confusable character off), 10% undeclared, 3%
unreadable, 2% expired. JSON results go to out/bench/, a markdown snippet to stdout.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench.machine import machine
from matcher import BatchStats, MatcherOptions, MatcherService
from matcher.bus import open_matcher_bus
from matcher.runtime import open_matcher_store, tune_gc
from pipeline.bus import Bus, Topics, publish_event
from pipeline.events import (
    EntryEvent,
    Evidence,
    PlateInfo,
    SoftwareInfo,
    SourcePosition,
    VehicleInfo,
    make_event_id,
)
from store import Store, migrate
from store.models import DecisionRow, Declaration, table_of
from store.plates import confusion_key

log = logging.getLogger("bench.matcher")
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "out" / "bench"
T0 = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
LETTERS = "ABCDEFGHKLMNPRSTUVXYZ"
# Sized for the data as docs/DEPLOYMENT.md advises, not the defaults: the million declarations
# and their indexes (~250 MB) stay in shared buffers, and checkpoints are not forced by WAL
# volume mid-run.
PG_SETTINGS = {"shared_buffers": "1GB", "max_wal_size": "4GB"}


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# --- infrastructure ---------------------------------------------------------------------------


@contextmanager
def broker() -> Iterator[str]:
    from tooling.kafka_broker import KafkaBroker

    with KafkaBroker(Path(tempfile.mkdtemp(prefix="bench-kafka-"))) as b:
        yield b.url


@contextmanager
def database(backend: str) -> Iterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="bench-sqlite-") as d:
            yield f"sqlite:///{d}/entrywatch.db"
        return
    from tests.pg_server import PostgresServer, ensure_installed

    with PostgresServer(ensure_installed(), PG_SETTINGS) as server:
        server.create_database("bench")
        yield server.url("bench")


# --- data -------------------------------------------------------------------------------------


def plate(i: int) -> str:
    """A distinct, VN-shaped plate per integer: province, series letter, five digits."""
    province = 11 + (i // 100_000) % 89
    letter = LETTERS[(i // 100_000 // 89) % len(LETTERS)]
    return f"{province}{letter}{i % 100_000:05d}"


def load_declarations(store: Store, n: int) -> float:
    """Bulk-load ``n`` declarations for plates 0..n-1: COPY on PostgreSQL, executemany in one
    transaction on SQLite. Returns seconds."""
    started = time.perf_counter()
    valid_from, valid_until = T0 - timedelta(days=1), T0 + timedelta(days=1)
    filed = T0 - timedelta(days=2)
    if store.dialect == "postgresql":
        raw = store.engine.raw_connection()
        try:
            cur = raw.driver_connection.cursor()  # type: ignore[union-attr]
            cols = (
                "plate_normalised, confusion_key, plate_display, checkpoints, valid_from, "
                "valid_until, filed_at, filed_via, created_at"
            )
            with cur.copy(f"COPY declarations ({cols}) FROM STDIN") as copy:
                for i in range(n):
                    p = plate(i)
                    copy.write_row(
                        (
                            p,
                            confusion_key(p),
                            p,
                            '"any"',
                            valid_from,
                            valid_until,
                            filed,
                            "bench",
                            filed,
                        )
                    )
            raw.commit()
            # As a maintained database would be: statistics, and a vacuum now rather than
            # autovacuum's own over a fresh million rows in the middle of the measurement.
            raw.driver_connection.autocommit = True  # type: ignore[union-attr]
            cur.execute("VACUUM ANALYZE declarations")
        finally:
            raw.close()
    else:
        table = table_of(Declaration)
        chunk = 50_000
        with store.engine.begin() as conn:
            for start in range(0, n, chunk):
                rows = []
                for i in range(start, min(n, start + chunk)):
                    p = plate(i)
                    rows.append(
                        {
                            "plate_normalised": p,
                            "confusion_key": confusion_key(p),
                            "plate_display": p,
                            "checkpoints": "any",
                            "valid_from": valid_from,
                            "valid_until": valid_until,
                            "filed_at": filed,
                            "filed_via": "bench",
                            "created_at": filed,
                        }
                    )
                conn.execute(table.insert(), rows)
    return time.perf_counter() - started


def make_entries(n: int, declared: int, seed: int = 7) -> list[EntryEvent]:
    rng = random.Random(seed)
    software = SoftwareInfo(version="bench", vehicle_model="yolo", plate_model="p", ocr="o")
    events = []
    for k in range(n):
        r = rng.random()
        crossed = T0 + timedelta(seconds=k * 0.01)
        readable = True
        if r < 0.85:
            p = plate(rng.randrange(declared))
        elif r < 0.95:
            p = plate(declared + rng.randrange(10_000_000))  # never declared
        elif r < 0.98:
            p, readable = "", False
        else:
            p = plate(rng.randrange(declared))
            crossed = T0 + timedelta(days=3)  # after every window: expired
        event_id = make_event_id("cam-bench", "bench", k, "inbound")
        events.append(
            EntryEvent(
                event_id=event_id,
                camera_id=f"cam-{k % 8}",
                checkpoint="QL1A-PHONG-DIEN",
                direction="inbound",
                crossed_at=crossed,
                plate=PlateInfo(
                    readable=readable,
                    normalised=p or None,
                    display=p or None,
                    confidence=0.9 if readable else 0.0,
                    format_valid=readable,
                    region="vn",
                    reads=4 if readable else 0,
                ),
                vehicle=VehicleInfo(
                    vehicle_class="car", confidence=0.9, box=(1, 2, 30, 40), track_id=k
                ),
                evidence=Evidence(
                    plate_crop=f"cam-{k % 8}/{event_id}-plate.jpg",
                    vehicle_snapshot=f"cam-{k % 8}/{event_id}-vehicle.jpg",
                ),
                source=SourcePosition(
                    kind="stream",
                    uri="rtsp://cam",
                    session_id="bench",
                    frame_index=k,
                    media_time_s=k * 0.1,
                ),
                software=software,
            )
        )
    return events


def publish_all(bus: Bus, topics: Topics, events: list[EntryEvent]) -> float:
    started = time.perf_counter()
    for event in events:
        publish_event(bus, topics, event)
    bus.flush(300)
    return time.perf_counter() - started


# --- the measurement --------------------------------------------------------------------------


class _Progress:
    """Collects each stored batch's stats (``MatcherService(on_batch=...)``); stops the service
    once every entry is decided."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.stop = threading.Event()
        self.first: float | None = None
        self.last: float | None = None
        self.first_records = 0
        self.done = self.flags = 0
        self.batch_s: list[float] = []
        self.steps: dict[str, float] = {}

    def on_batch(self, stats: BatchStats) -> None:
        now = time.perf_counter()
        if self.first is None:
            self.first, self.first_records = now, stats.records
        self.last = now
        self.done += stats.records
        self.flags += stats.flags
        self.batch_s.append(stats.seconds)
        for name, sec in stats.steps.items():
            self.steps[name] = self.steps.get(name, 0.0) + sec
        if self.done >= self.total:
            self.stop.set()


def run_backend(backend: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    with database(backend) as db_url:
        migrate(db_url)
        with open_matcher_store(db_url) as store:
            load_s = load_declarations(store, args.declarations)
            log.info("%s: %d declarations loaded in %.1fs", backend, args.declarations, load_s)
            events = make_entries(args.entries, args.declarations)
            topics = Topics.with_prefix(f"bench-{uuid.uuid4().hex[:6]}.")
            bus = open_matcher_bus(url + "?partitions=6", args.batch)
            try:
                publish_s = publish_all(bus, topics, events)
                log.info("%s: %d entries published in %.1fs", backend, len(events), publish_s)
                total = len(events)
                del events  # a matcher process does not hold the published entries
                options = MatcherOptions(group="bench", batch=args.batch, log_every_s=5.0)
                progress = _Progress(total)
                service = MatcherService(
                    bus, store, topics=topics, options=options, on_batch=progress.on_batch
                )
                tune_gc()  # as `entrywatch matcher` does after start-up
                joined = time.perf_counter()
                # The loop behind `entrywatch matcher` (pipelined), stopped when all are decided.
                watchdog = threading.Timer(args.timeout, progress.stop.set)
                watchdog.start()
                try:
                    service.run(progress.stop)
                finally:
                    watchdog.cancel()
                if progress.done < total:
                    raise RuntimeError(f"stalled at {progress.done}/{total}")
            finally:
                bus.close()  # the Kafka bus waits up to 30 s for its sends
            with store.session() as session:
                decided = session.scalar(select(func.count()).select_from(DecisionRow))
    first, last = progress.first, progress.last
    assert first is not None and last is not None
    # From the end of the first batch to the end of the last: the group join and the first
    # fetch are not throughput.
    seconds = last - first
    counted = total - progress.first_records
    batch_s = sorted(progress.batch_s)
    flags, steps = progress.flags, progress.steps
    return {
        "backend": backend,
        "declarations": args.declarations,
        "declarations_load_s": round(load_s, 1),
        "entries": total,
        "decided_in_store": decided,
        "flags_published": flags,
        "batch": args.batch,
        "first_batch_done_s": round(first - joined, 2),
        "seconds": round(seconds, 2),
        "entries_per_s": round(counted / seconds),
        "batch_ms_p50": round(batch_s[len(batch_s) // 2] * 1000, 1),
        "batch_ms_max": round(batch_s[-1] * 1000, 1),
        "seconds_per_step": {k: round(v, 2) for k, v in steps.items()},
        "loadavg_after": loadavg(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.matcher_throughput")
    parser.add_argument("--declarations", type=int, default=1_000_000)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--bus", help="kafka://H:P of a running broker (default: start one)")
    parser.add_argument("--timeout", type=float, default=600, help="give up after (s)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("kafka").setLevel(logging.WARNING)
    result: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "loadavg_before": loadavg(),
        "runs": [],
    }
    with contextmanager(lambda: iter([args.bus]))() if args.bus else broker() as url:
        for backend in args.backends.split(","):
            result["runs"].append(run_backend(backend, url, args))
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "matcher_throughput.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    m = result["machine"]
    print(
        f"\n### Matcher throughput ({m['cores']} cores, {m['cpu']}; load before "
        f"{result['loadavg_before']})\n"
    )
    print("| store | declarations | entries | batch | entries/s | p50 batch ms | flags |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in result["runs"]:
        print(
            f"| {r['backend']} | {r['declarations']:,} | {r['entries']:,} | {r['batch']} | "
            f"{r['entries_per_s']:,} | {r['batch_ms_p50']} | {r['flags_published']:,} |"
        )
    print(f"\n(target ≥ 10,000 entries/s; JSON: {path.relative_to(ROOT)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
