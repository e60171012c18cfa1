"""Entry-to-flag latency through Kafka: publish entries at a steady rate, measure when each one's
flag reaches a consumer of the flags topic.

    python -m bench.flag_latency [--rate 500] [--seconds 20] [--backend sqlite|postgresql]
                                 [--declarations 100000] [--matcher-cpus 0 --other-cpus 1]

Starts its own broker (and PostgreSQL server for ``--backend postgresql``), runs the matcher as a
separate process (``bench.traced_matcher``: the service as ``entrywatch matcher`` runs it, plus a
line per batch), and publishes undeclared entries (each raises a flag) at ``--rate`` per second.
Latency per entry = the flag's arrival at this process's flags consumer minus the wall-clock time
just before ``publish`` of the entry (the producer's 5 ms linger included). It is split at four
timestamps, all from one clock (one machine):

- consumed: the matcher's poll returned the entry's batch (the trace line);
- decided: the flag's ``decided_at`` (the store transaction began);
- produced: the outbox row's ``sent_at`` (the relay's publish was acknowledged by the broker);
- arrived: this process's flags consumer got it.

The matcher's own share is consumed -> produced (it includes the broker's ack of the flag).
``--matcher-cpus`` / ``--other-cpus`` pin the matcher to some cores and everything else (this
process, so the load generator and its flags consumer, and the broker and database it starts)
to the others (``os.sched_setaffinity``, inherited by child processes). This process freezes and
relaxes its own garbage collector, so its pauses are not counted as the matcher's. JSON results
go to out/bench/, a markdown snippet to stdout.
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
from pathlib import Path
from typing import Any

from sqlalchemy import select

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
from store.models import FlagOutbox

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
        self.flag_ids: dict[str, int] = {}
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
                self.flag_ids.setdefault(flag["event_id"], flag["flag_id"])

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


def cpu_set(text: str | None, name: str) -> set[int] | None:
    """``0`` or ``0,2-3`` as a set of cores this process may use; a clear error otherwise."""
    if text is None:
        return None
    cores: set[int] = set()
    try:
        for part in text.split(","):
            low, _, high = part.partition("-")
            cores |= set(range(int(low), int(high or low) + 1))
    except ValueError:
        raise SystemExit(f"{name}: {text!r} is not a list of cores such as 0 or 0,2-3") from None
    allowed = os.sched_getaffinity(0)
    if not cores or not cores <= allowed:
        raise SystemExit(
            f"{name}: cores {sorted(cores)} not all available (have {sorted(allowed)})"
        )
    return cores


def outbox_times(db_url: str) -> dict[int, float]:
    """When each flag's "open" row was acknowledged by the broker (the relay's ``sent_at``)."""
    with open_store(db_url) as store, store.session() as session:
        rows = session.execute(
            select(FlagOutbox.flag_id, FlagOutbox.sent_at).where(FlagOutbox.status == "open")
        ).all()
    return {flag_id: sent.timestamp() for flag_id, sent in rows if sent is not None}


def batch_polls(trace: Path) -> dict[int, float]:
    """When the batch that opened each flag was polled, from the traced matcher's lines."""
    out: dict[int, float] = {}
    for line in trace.read_text().splitlines():
        record = json.loads(line)
        for flag_id in record["flag_ids"]:
            out[flag_id] = record["polled_at"]
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    total = int(args.rate * args.seconds)
    matcher_cpus = cpu_set(args.matcher_cpus, "--matcher-cpus")
    other_cpus = cpu_set(args.other_cpus, "--other-cpus")
    if (matcher_cpus is None) != (other_cpus is None):
        raise SystemExit("--matcher-cpus and --other-cpus go together")
    if other_cpus is not None:
        # Before the broker and database start: they inherit it.
        os.sched_setaffinity(0, other_cpus)
    with broker() as url, database(args.backend) as db_url:
        migrate(db_url)
        with open_store(db_url) as store:
            load_declarations(store, args.declarations)
        topics = Topics.with_prefix(f"lat-{uuid.uuid4().hex[:6]}.")
        prefix = topics.entries.removesuffix(Topics().entries)
        OUT.mkdir(parents=True, exist_ok=True)
        log_path = OUT / "flag_latency.matcher.log"
        trace_path = OUT / "flag_latency.trace.jsonl"
        matcher = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.traced_matcher",
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
                "--trace",
                str(trace_path),
            ],
            cwd=ROOT,
            stdout=log_path.open("wb"),
            stderr=subprocess.STDOUT,
            env={**os.environ},
            preexec_fn=None
            if matcher_cpus is None
            else lambda: os.sched_setaffinity(0, matcher_cpus),
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
        produced = outbox_times(db_url)
    consumed = batch_polls(trace_path)
    latencies = sorted((clock.arrived[e] - t) * 1000 for e, t in sent.items() if e in clock.arrived)
    segments = split_latency(sent, clock, consumed, produced)
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "backend": args.backend,
        "declarations": args.declarations,
        "pinned": None
        if matcher_cpus is None
        else {"matcher": sorted(matcher_cpus), "others": sorted(other_cpus or ())},
        "rate_target": args.rate,
        "rate_achieved": round(len(sent) / publish_s, 1),
        "entries": len(sent),
        "flags_received": len(latencies),
        "complete": complete,
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(latencies[-1], 1),
        **segments,
        "loadavg_after": loadavg(),
    }


SEGMENTS = {
    "ingress": ("sent", "consumed"),  # producer linger, broker, the matcher's fetch
    "to_decision": ("consumed", "decided"),  # decode, lookup and rules, waiting for the writer
    "to_produced": ("decided", "produced"),  # store commit, relay, flag publish and ack
    "egress": ("produced", "arrived"),  # broker to the measuring consumer
    "matcher": ("consumed", "produced"),  # the matcher's own share (with the flag's ack)
}


def split_latency(
    sent: dict[str, float],
    clock: FlagClock,
    consumed: dict[int, float],
    produced: dict[int, float],
) -> dict[str, Any]:
    """Percentiles of each segment over every entry, and the median of each over the slowest
    1 % of entries end to end (where the tail's time went)."""
    stamps: list[dict[str, float]] = []
    for event_id, at in sent.items():
        flag_id = clock.flag_ids.get(event_id)
        if flag_id is None or flag_id not in consumed or flag_id not in produced:
            continue
        stamps.append(
            {
                "sent": at,
                "consumed": consumed[flag_id],
                "decided": clock.decided[event_id],
                "produced": produced[flag_id],
                "arrived": clock.arrived[event_id],
            }
        )
    if not stamps:
        return {"segments_ms": {}, "slowest_1pct_median_ms": {}, "traced": 0}
    stamps.sort(key=lambda s: s["arrived"] - s["sent"])
    tail = stamps[-max(1, len(stamps) // 100) :]
    out: dict[str, Any] = {"traced": len(stamps), "segments_ms": {}, "slowest_1pct_median_ms": {}}
    for name, (start, end) in SEGMENTS.items():
        values = sorted((s[end] - s[start]) * 1000 for s in stamps)
        out["segments_ms"][name] = {f"p{q}": round(percentile(values, q), 1) for q in (50, 95, 99)}
        tail_values = sorted((s[end] - s[start]) * 1000 for s in tail)
        out["slowest_1pct_median_ms"][name] = round(percentile(tail_values, 50), 1)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.flag_latency")
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--backend", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--declarations", type=int, default=100_000)
    parser.add_argument("--matcher-cpus", help="Pin the matcher to these cores (e.g. 0).")
    parser.add_argument(
        "--other-cpus", help="Pin this process, the broker and the database to these (e.g. 1)."
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("kafka").setLevel(logging.WARNING)
    before = loadavg()
    result = run(args)
    result["loadavg_before"] = before
    pinned = "pinned" if result["pinned"] else "shared"
    path = OUT / f"flag_latency.{args.backend}.{pinned}.json"
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
    if r["segments_ms"]:
        print(f"\nWhere the time went ({r['traced']:,} entries traced; pinned: {r['pinned']}):\n")
        print("| segment | p50 ms | p95 ms | p99 ms | median of the slowest 1 % |")
        print("|---|---:|---:|---:|---:|")
        for name, q in r["segments_ms"].items():
            tail = r["slowest_1pct_median_ms"][name]
            print(f"| {name} | {q['p50']} | {q['p95']} | {q['p99']} | {tail} |")
    print(f"\n(target p99 < 100 ms; JSON: {path.relative_to(ROOT)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
