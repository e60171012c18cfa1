"""Entry-to-flag latency through Kafka: publish entries at a steady rate, measure when each one's
flag reaches a consumer of the flags topic.

    python -m bench.flag_latency [--rate 500] [--seconds 20] [--backend sqlite|postgresql]
                                 [--declarations 100000]

Starts its own broker (and PostgreSQL server for ``--backend postgresql``), runs the real
``entrywatch matcher`` as a separate process, and publishes undeclared entries (each raises a
flag) at ``--rate`` per second. Latency per entry = the flag's arrival at this process's flags
consumer minus the wall-clock time just before ``publish`` of the entry (the producer's 5 ms linger
included), split at the flag's ``decided_at`` into entry -> decision and decision -> arrival. This
process freezes and relaxes its own garbage collector, so its pauses are not counted as the
matcher's. JSON results go to out/bench/, a markdown snippet to stdout.
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
from datetime import UTC, datetime
from typing import Any

from bench.machine import machine
from bench.matcher_throughput import (
    OUT,
    ROOT,
    broker,
    database,
    load_declarations,
    loadavg,
    make_entries,
)
from matcher.runtime import tune_gc
from pipeline.bus import Topics, open_bus, publish_event
from pipeline.events import EntryEvent, make_event_id
from store import migrate, open_store

log = logging.getLogger("bench.latency")


class FlagClock:
    """Consumes the flags topic in a thread and notes when each entry's flag arrived."""

    def __init__(self, url: str, topics: Topics) -> None:
        self._bus = open_bus(url)
        self._consumer = self._bus.subscribe([topics.flags], f"latency-{uuid.uuid4().hex[:6]}")
        self.arrived: dict[str, float] = {}
        # When the matcher stored each decision (the flag's decided_at): splits the latency
        # into entry -> decision (ingress and matching) and decision -> arrival (egress).
        self.decided: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            for m in self._consumer.poll(100):
                now = time.time()
                flag = json.loads(m.value)
                self.arrived.setdefault(flag["event_id"], now)
                decided = datetime.fromisoformat(flag["decided_at"]).timestamp()
                self.decided.setdefault(flag["event_id"], decided)

    def wait_for(self, event_ids: list[str], timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if all(e in self.arrived for e in event_ids):
                return True
            time.sleep(0.05)
        return False

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._consumer.close()
        self._bus.close()


def percentile(sorted_values: list[float], q: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(q / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


def undeclared(events: list[EntryEvent], offset: int) -> list[EntryEvent]:
    """Entries whose plates are beyond every declaration (each raises a flag), with event ids of
    their own so warm-up and measured entries never look like replays of each other."""
    out = []
    for i, e in enumerate(events):
        plate = f"99Z{offset + i:05d}"
        info = e.plate.model_copy(
            update={"readable": True, "normalised": plate, "display": plate, "confidence": 0.9}
        )
        event_id = make_event_id("cam-latency", f"run-{offset}", i, "inbound")
        out.append(e.model_copy(update={"plate": info, "event_id": event_id}))
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    total = int(args.rate * args.seconds)
    with broker() as url, database(args.backend) as db_url:
        migrate(db_url)
        with open_store(db_url) as store:
            load_declarations(store, args.declarations)
        topics = Topics.with_prefix(f"lat-{uuid.uuid4().hex[:6]}.")
        prefix = topics.entries.removesuffix(Topics().entries)
        log_path = OUT / "flag_latency.matcher.log"
        OUT.mkdir(parents=True, exist_ok=True)
        matcher = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pipeline.cli",
                "matcher",
                "--bus",
                url + "?partitions=6",
                "--db",
                db_url,
                "--topic-prefix",
                prefix,
                "--batch",
                "500",
                "--log-every",
                "5",
            ],
            cwd=ROOT,
            stdout=log_path.open("wb"),
            stderr=subprocess.STDOUT,
            env={**os.environ},
        )
        bus = open_bus(url + "?partitions=6")
        clock = FlagClock(url, topics)
        try:
            clock.start()
            warm = undeclared(make_entries(20, 1, seed=1), 90_000)
            for event in warm:
                publish_event(bus, topics, event)
            bus.flush(30)
            if not clock.wait_for([e.event_id for e in warm], 90):
                raise RuntimeError(f"matcher not answering; see {log_path}")
            events = undeclared(make_entries(total, 1, seed=2), 0)
            # This process times the flags: its own collector pauses (it holds every event)
            # must not show up as the matcher's latency.
            tune_gc()
            sent: dict[str, float] = {}
            started = time.perf_counter()
            for i, event in enumerate(events):
                due = started + i / args.rate
                pause = due - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                sent[event.event_id] = time.time()
                publish_event(bus, topics, event)
            publish_s = time.perf_counter() - started
            bus.flush(30)
            complete = clock.wait_for(list(sent), 60)
        finally:
            clock.close()
            bus.close()
            matcher.send_signal(signal.SIGTERM)
            try:
                matcher.wait(30)
            except subprocess.TimeoutExpired:
                matcher.kill()
    latencies = sorted((clock.arrived[e] - t) * 1000 for e, t in sent.items() if e in clock.arrived)
    to_decision = sorted(
        (clock.decided[e] - t) * 1000 for e, t in sent.items() if e in clock.decided
    )
    to_arrival = sorted((clock.arrived[e] - clock.decided[e]) * 1000 for e in clock.decided)
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "backend": args.backend,
        "declarations": args.declarations,
        "rate_target": args.rate,
        "rate_achieved": round(len(sent) / publish_s, 1),
        "entries": len(sent),
        "flags_received": len(latencies),
        "complete": complete,
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(latencies[-1], 1),
        "entry_to_decision_ms": {
            f"p{q}": round(percentile(to_decision, q), 1) for q in (50, 95, 99)
        },
        "decision_to_arrival_ms": {
            f"p{q}": round(percentile(to_arrival, q), 1) for q in (50, 95, 99)
        },
        "loadavg_after": loadavg(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.flag_latency")
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--backend", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--declarations", type=int, default=100_000)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("kafka").setLevel(logging.WARNING)
    before = loadavg()
    result = run(args)
    result["loadavg_before"] = before
    path = OUT / f"flag_latency.{args.backend}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    m = result["machine"]
    print(f"\n### Entry-to-flag latency ({m['cores']} cores, {m['cpu']}; load before {before})\n")
    print("| store | rate/s | entries | flags | p50 ms | p95 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    r = result
    print(
        f"| {r['backend']} | {r['rate_achieved']} | {r['entries']:,} | {r['flags_received']:,} "
        f"| {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | {r['max_ms']} |"
    )
    print(f"\n(target p99 < 100 ms; JSON: {path.relative_to(ROOT)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
