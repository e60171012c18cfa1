"""The flag outbox relay: throughput on a backlog, and change -> topic latency at a steady rate.

    python -m bench.outbox_relay [--backend sqlite|postgresql|both] [--backlog 20000]
                                 [--rate 100] [--seconds 30]

Starts its own broker (and PostgreSQL server), per backend:

1. **Throughput**: opens ``--backlog`` flags with the real matcher (each an "open" row in
   ``flag_outbox``), then times one relay emptying the outbox: read, publish, wait for the
   broker's acks, mark sent, round after round.
2. **Latency**: runs ``entrywatch relay`` as its own process (as deployed where the API writes
   and no matcher runs: it polls, every 50 ms by default) and acknowledges flags through
   ``matcher.lifecycle`` at ``--rate`` changes per second. Latency per change = its FlagEvent's
   arrival at this process's consumer of the flags topic minus the wall-clock time just after the
   change's transaction committed.

JSON results go to out/bench/outbox_relay.json, a markdown snippet to stdout.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bench.machine import machine
from bench.matcher_throughput import OUT, ROOT, broker, database, loadavg
from matcher import lifecycle
from matcher.local import InProcessMatcher
from matcher.relay import OutboxRelay
from pipeline.bus import Topics, open_bus
from pipeline.bus.kafka_bus import KafkaBus
from pipeline.events import (
    EntryEvent,
    PlateInfo,
    SoftwareInfo,
    SourcePosition,
    VehicleInfo,
    make_event_id,
)
from store import Store, migrate, open_store
from store.models import Flag

log = logging.getLogger("bench.outbox")


def undeclared(i: int, run: str) -> EntryEvent:
    plate = f"{11 + i % 89}A{i % 100_000:05d}"
    return EntryEvent(
        event_id=make_event_id("bench-cam", run, i, "inbound"),
        camera_id="bench-cam",
        checkpoint="CP-BENCH",
        direction="inbound",
        crossed_at=datetime(2026, 7, 1, 8, tzinfo=UTC) + timedelta(milliseconds=i),
        plate=PlateInfo(readable=True, normalised=plate, display=plate, confidence=0.95,
                        format_valid=True, region="vn", reads=5),
        vehicle=VehicleInfo(vehicle_class="car", confidence=0.9, box=(0, 0, 10, 10), track_id=i),
        source=SourcePosition(kind="file", uri="bench.mp4", session_id=run, frame_index=i,
                              media_time_s=i / 10),
        software=SoftwareInfo(version="bench", vehicle_model="m", plate_model="p", ocr="o"),
    )  # fmt: skip


def open_flags(store: Store, n: int) -> list[int]:
    """``n`` undeclared entries through the real matcher: ``n`` new flags (their ids returned),
    ``n`` outbox rows."""
    matcher = InProcessMatcher(store)
    run = uuid.uuid4().hex[:8]
    events = [undeclared(i, run) for i in range(n)]
    for start in range(0, n, 2000):
        matcher.decide_batch(events[start : start + 2000])
    ids = [e.event_id for e in events]
    with store.session() as session:
        query = select(Flag.id).where(Flag.event_id.in_(ids)).order_by(Flag.id)
        return list(session.scalars(query))


def throughput(store: Store, url: str, backlog: int) -> dict[str, Any]:
    started = time.perf_counter()
    flag_ids = open_flags(store, backlog)
    opened_s = time.perf_counter() - started
    topics = Topics.with_prefix(f"bench-{uuid.uuid4().hex[:6]}.")
    with open_bus(url) as bus:
        bus.ensure_topics(topics.all())
        relay = OutboxRelay(store, bus, topics=topics)
        started = time.perf_counter()
        sent = relay.drain()
        seconds = time.perf_counter() - started
        relay.release()
    assert sent == len(flag_ids), (sent, len(flag_ids))
    return {
        "rows": sent,
        "rounds": relay.stats.rounds,
        "seconds": round(seconds, 3),
        "rows_per_s": round(sent / seconds),
        "matcher_open_s": round(opened_s, 2),
    }


class Arrivals:
    """Consumes the flags topic in a thread; notes when each (flag, status) arrived."""

    def __init__(self, url: str, topics: Topics) -> None:
        bus = open_bus(url)
        assert isinstance(bus, KafkaBus)
        self._bus = KafkaBus(bus.bootstrap_servers, consumer_config={"fetch_max_wait_ms": 100})
        self._consumer = self._bus.subscribe([topics.flags], f"bench-{uuid.uuid4().hex[:6]}")
        self.arrived: dict[tuple[int, str], float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._consumer.poll(1000)  # join the group before the clock starts
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            for m in self._consumer.poll(100):
                now = time.time()
                value = json.loads(m.value)
                self.arrived.setdefault((value["flag_id"], value["status"]), now)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._consumer.close()
        self._bus.close()


def latency(store: Store, db_url: str, url: str, rate: float, seconds: float) -> dict[str, Any]:
    n = int(rate * seconds)
    flag_ids = open_flags(store, n)
    topics = Topics.with_prefix(f"bench-{uuid.uuid4().hex[:6]}.")
    prefix = topics.entries.removesuffix(Topics().entries)
    with open_bus(url) as bus:
        bus.ensure_topics(topics.all())
        # The opening rows are not what is measured: publish them first.
        warmup = OutboxRelay(store, bus, topics=Topics.with_prefix("bench-warmup."))
        warmup.drain()
        warmup.release()
    arrivals = Arrivals(url, topics)
    arrivals.start()
    cmd = [sys.executable, "-m", "pipeline.cli", "relay", "--bus", url, "--db", db_url,
           "--topic-prefix", prefix]  # fmt: skip
    relay = subprocess.Popen(cmd, cwd=ROOT, stderr=subprocess.DEVNULL, env={**os.environ})
    committed: dict[tuple[int, str], float] = {}
    load_before = loadavg()
    try:
        time.sleep(3.0)  # the relay process starts, takes the lease, connects
        started = time.monotonic()
        for i, flag_id in enumerate(flag_ids):
            due = started + i / rate
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            with store.transaction() as session:
                lifecycle.acknowledge(session, flag_id, "bench")
            committed[(flag_id, "acknowledged")] = time.time()
        lag_s = time.monotonic() - started - (n - 1) / rate
        deadline = time.monotonic() + 30
        while len(arrivals.arrived.keys() & committed.keys()) < n and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        relay.send_signal(signal.SIGTERM)
        relay.wait(30)
        arrivals.close()
    samples = sorted(
        (arrivals.arrived[k] - at) * 1000 for k, at in committed.items() if k in arrivals.arrived
    )

    def pct(p: float) -> float:
        return round(samples[min(len(samples) - 1, round(p / 100 * (len(samples) - 1)))], 1)

    return {
        "changes": n,
        "rate_per_s": rate,
        "arrived": len(samples),
        "writer_lag_s": round(lag_s, 3),
        "p50_ms": pct(50),
        "p90_ms": pct(90),
        "p99_ms": pct(99),
        "max_ms": round(samples[-1], 1),
        "load_avg": [load_before, loadavg()],
    }


def run_backend(backend: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    with database(backend) as db_url:
        migrate(db_url)
        with open_store(db_url) as store:
            load_before = loadavg()
            result = {"throughput": throughput(store, url, args.backlog)}
            result["throughput"]["load_avg"] = [load_before, loadavg()]
            result["latency"] = latency(store, db_url, url, args.rate, args.seconds)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.outbox_relay")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--backlog", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    results: dict[str, Any] = {"machine": machine(), "args": vars(args)}
    with broker() as url:
        for backend in backends:
            results[backend] = run_backend(backend, url, args)
            print(f"{backend}: {json.dumps(results[backend])}", file=sys.stderr)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "outbox_relay.json").write_text(json.dumps(results, indent=2) + "\n")
    print("| Store | backlog rows/s | rounds | p50 | p90 | p99 | max | load avg |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for backend in backends:
        t, lat = results[backend]["throughput"], results[backend]["latency"]
        print(
            f"| {backend} | {t['rows_per_s']} | {t['rounds']} | {lat['p50_ms']} ms | "
            f"{lat['p90_ms']} ms | {lat['p99_ms']} ms | {lat['max_ms']} ms | "
            f"{t['load_avg'][0]} → {lat['load_avg'][1]} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
