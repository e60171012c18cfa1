"""The matcher's own calls, timed one by one without the broker: where a batch's time goes.

    python -m bench.matcher_steps [--backend sqlite|postgresql] [--declarations 1000000]
                                  [--entries 100000] [--batch 2000]

Same data as ``bench.matcher_throughput`` (its declarations and entry mix), the store opened as
the matcher opens it, one thread: decode each entry's JSON, ``InProcessMatcher.prepare`` (the
lookup and the rules) and ``record`` (one transaction per batch), with the store calls inside
them timed separately (``flag_event``: building the FlagEvent that goes into the outbox). For
comparing changes to one step; the throughput of the whole loop is
``bench.matcher_throughput``'s to measure. Prints µs per entry (ms per batch with
``--batch`` small, e.g. 10, to see a trickle's per-batch cost).
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import matcher.lifecycle as lifecycle
import matcher.local as local
from bench.machine import machine
from bench.matcher_throughput import database, load_declarations, make_entries
from matcher.lookup import DriverDeclarationLookup
from matcher.runtime import open_matcher_store, tune_gc
from pipeline.events import EntryEvent
from store import migrate

STORE_CALLS = ("record_entries", "record_decisions")  # called by matcher.local
# Called by matcher.lifecycle.open (flags, their audit rows, their FlagEvents into the outbox).
FLAG_CALLS = ("open_flags", "audit_flags", "add_outbox")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.matcher_steps")
    parser.add_argument("--backend", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--declarations", type=int, default=1_000_000)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=2000)
    args = parser.parse_args(argv)
    seconds: dict[str, float] = defaultdict(float)

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*a: Any, **k: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                seconds[name] += time.perf_counter() - started

        return wrapper

    for name in STORE_CALLS:  # the names local.py calls them by
        setattr(local, name, timed(name, getattr(local, name)))
    for name in FLAG_CALLS:
        setattr(lifecycle, name, timed(name, getattr(lifecycle, name)))
    lifecycle.flag_events.opened = timed("flag_event", lifecycle.flag_events.opened)
    raw = [e.model_dump_json() for e in make_entries(args.entries, args.declarations)]
    with database(args.backend) as url:
        migrate(url)
        with open_matcher_store(url) as store:
            load_declarations(store, args.declarations)
            lookup = DriverDeclarationLookup(store)
            lookup.fetch = timed("lookup", lookup.fetch)  # type: ignore[method-assign]
            lookup.watchlisted = timed("watchlist", lookup.watchlisted)  # type: ignore[method-assign]
            matcher = local.InProcessMatcher(store, lookup)
            tune_gc()
            started = time.perf_counter()
            for i in range(0, len(raw), args.batch):
                chunk = raw[i : i + args.batch]
                events = timed("decode", lambda c: [EntryEvent.model_validate_json(r) for r in c])(
                    chunk
                )
                documents = {e.event_id: r for e, r in zip(events, chunk, strict=True)}
                prepared = timed("prepare", matcher.prepare)(events, documents)
                timed("record", matcher.record)(prepared)
            total = time.perf_counter() - started
    batches = -(-len(raw) // args.batch)
    result = {
        "machine": machine(),
        "backend": args.backend,
        "batch": args.batch,
        "entries_per_s": round(len(raw) / total),
        "us_per_entry": {k: round(v / len(raw) * 1e6, 1) for k, v in seconds.items()},
        "ms_per_batch": {k: round(v / batches * 1e3, 2) for k, v in seconds.items()},
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
