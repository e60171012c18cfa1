"""Matcher group throughput: entries decided per second by 1, 2, ... matcher processes in one
consumer group, on one machine, through a real broker and a shared PostgreSQL.

    python -m bench.matcher_group [--members 1,2] [--entries 100000] [--declarations 200000]
                                  [--partitions 6] [--batch 2000]

Per member count: a fresh database with the declarations, the entries published beforehand on a
fresh topic (keyed by plate, ``--partitions`` partitions), then that many
``bench.traced_matcher`` processes (``entrywatch matcher`` plus a line per batch) started
together in one group, stopped with SIGTERM once every entry is decided. The group's rate counts
from the moment every member has finished a batch (the joins and the rebalance they cause are
over) to the end of the last batch. The store is checked afterwards: one decision per entry.
The mix is ``bench.matcher_throughput``'s. JSON results go to out/bench/, markdown to stdout.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench.machine import machine
from bench.matcher_throughput import (
    OUT,
    PG_SETTINGS,
    ROOT,
    broker,
    load_declarations,
    loadavg,
    make_entries,
    publish_all,
)
from matcher.bus import open_matcher_bus
from pipeline.bus import Topics
from store import migrate, open_store
from store.models import DecisionRow

log = logging.getLogger("bench.group")


def read_trace(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.endswith("}")]


def start_member(
    url: str, db_url: str, prefix: str, group: str, batch: int, trace: Path, log_path: Path
) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "bench.traced_matcher", "--bus", url, "--db", db_url]
    cmd += ["--topic-prefix", prefix, "--group", group, "--batch", str(batch)]
    cmd += ["--trace", str(trace), "--log-every", "5"]
    env = {**os.environ}
    return subprocess.Popen(
        cmd, cwd=ROOT, stdout=log_path.open("wb"), stderr=subprocess.STDOUT, env=env
    )


def run_group(
    members: int, url: str, db_url: str, args: argparse.Namespace, folder: Path
) -> dict[str, Any]:
    migrate(db_url)
    with open_store(db_url) as store:
        load_declarations(store, args.declarations)
    topics = Topics.with_prefix(f"group{members}-{uuid.uuid4().hex[:6]}.")
    prefix = topics.entries.removesuffix(Topics().entries)
    bus_url = f"{url}?partitions={args.partitions}"
    bus = open_matcher_bus(bus_url, args.batch)
    try:
        publish_s = publish_all(bus, topics, make_entries(args.entries, args.declarations))
    finally:
        bus.close()  # the Kafka bus waits up to 30 s for its sends
    log.info("%d members: %d entries published in %.1fs", members, args.entries, publish_s)
    traces = [folder / f"members{members}.{i}.trace.jsonl" for i in range(members)]
    logs = [folder / f"members{members}.{i}.log" for i in range(members)]
    loadavg_before = loadavg()
    procs = [
        start_member(bus_url, db_url, prefix, f"bench-{members}", args.batch, t, lg)
        for t, lg in zip(traces, logs, strict=True)
    ]
    deadline = time.monotonic() + args.timeout
    try:
        while sum(r["records"] for t in traces for r in read_trace(t)) < args.entries:
            for p, lg in zip(procs, logs, strict=True):
                if p.poll() is not None:
                    raise RuntimeError(f"a matcher exited {p.returncode}; see {lg}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"not every entry decided within {args.timeout:.0f}s")
            time.sleep(0.5)
        loadavg_during = loadavg()
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(60)
            except subprocess.TimeoutExpired:
                p.kill()
    with open_store(db_url) as store, store.session() as session:
        decided = session.scalar(select(func.count()).select_from(DecisionRow))
    per_member = [read_trace(t) for t in traces]
    if not all(per_member):
        raise RuntimeError("a member decided nothing (more members than busy partitions?)")
    # Every member has finished a batch: the joins and their rebalance are behind.
    start = max(batches[0]["done_at"] for batches in per_member)
    end = max(batches[-1]["done_at"] for batches in per_member)
    counted = sum(b["records"] for batches in per_member for b in batches if b["done_at"] > start)
    return {
        "members": members,
        "entries": args.entries,
        "declarations": args.declarations,
        "partitions": args.partitions,
        "batch": args.batch,
        "decided_in_store": decided,
        "replayed": sum(b["replayed"] for batches in per_member for b in batches),
        "records_per_member": [sum(b["records"] for b in batches) for batches in per_member],
        "seconds": round(end - start, 2),
        "entries_per_s": round(counted / (end - start)) if end > start else None,
        "loadavg_before": loadavg_before,
        "loadavg_during": loadavg_during,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.matcher_group")
    parser.add_argument("--members", default="1,2", help="Group sizes to run, e.g. 1,2")
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--declarations", type=int, default=200_000)
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--timeout", type=float, default=300, help="give up after (s)")
    args = parser.parse_args(argv)
    try:
        sizes = [int(n) for n in args.members.split(",")]
    except ValueError:
        parser.error(f"--members: {args.members!r} is not a list of numbers such as 1,2")
    if any(n < 1 or n > args.partitions for n in sizes):
        parser.error(f"--members: each between 1 and --partitions ({args.partitions})")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("kafka").setLevel(logging.WARNING)
    from tests.pg_server import PostgresServer, ensure_installed

    OUT.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="bench-group-", dir=OUT))
    result: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "runs": [],
    }
    with broker() as url, PostgresServer(ensure_installed(), PG_SETTINGS) as server:
        for members in sizes:
            name = f"group{members}"
            server.create_database(name)
            result["runs"].append(run_group(members, url, server.url(name), args, folder))
            server.drop_database(name)
    path = OUT / "matcher_group.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    m = result["machine"]
    print(f"\n### Matcher group throughput ({m['cores']} cores, {m['cpu']})\n")
    print("| members | entries | decided (store) | replayed | per member | entries/s | load |")
    print("|---:|---:|---:|---:|---|---:|---|")
    for r in result["runs"]:
        print(
            f"| {r['members']} | {r['entries']:,} | {r['decided_in_store']:,} | {r['replayed']} "
            f"| {' / '.join(f'{n:,}' for n in r['records_per_member'])} "
            f"| {r['entries_per_s']:,} | {r['loadavg_before']} → {r['loadavg_during']} |"
        )
    print(f"\n(JSON: {path.relative_to(ROOT)}; logs and traces: {folder.relative_to(ROOT)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
