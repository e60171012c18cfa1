"""``entrywatch matcher`` as the CLI runs it, writing one JSON line per batch: when its poll
returned and when it was done (stored, its deliveries confirmed), and the flags it opened.

    python -m bench.traced_matcher --bus URL --db URL --trace FILE [--topic-prefix P] [--group G]
                                   [--batch N]

For ``bench.flag_latency``, which joins the lines with the flags' ``decided_at`` and the outbox's
``sent_at`` to tell the matcher's own share of an entry's latency (consume -> decided ->
produced) from the broker's and the load generator's. The same service, store and bus settings
as ``pipeline/cli/matcher.py``; only the ``on_batch`` hook is added (a line per batch, a few µs).
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from contextlib import ExitStack
from pathlib import Path
from typing import TextIO

from matcher import BatchStats, MatcherOptions, MatcherService
from matcher.bus import open_matcher_bus
from matcher.runtime import open_matcher_store, tune_gc
from pipeline.bus import Topics
from pipeline.cli.signals import Signals
from store import migrate


def trace_line(out: TextIO, stats: BatchStats) -> None:
    record = {
        "polled_at": stats.polled_at,
        "done_at": time.time(),
        "records": stats.records,
        "decided": stats.decided,
        "replayed": stats.replayed,
        "flag_ids": stats.flag_ids,
    }
    out.write(json.dumps(record, separators=(",", ":")) + "\n")
    out.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.traced_matcher")
    parser.add_argument("--bus", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--trace", type=Path, required=True)
    parser.add_argument("--topic-prefix", default="")
    parser.add_argument("--group", default=MatcherOptions().group)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--log-every", type=float, default=10.0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("kafka").setLevel(logging.WARNING)
    signals = Signals(stopping="matcher: %s received, finishing the batch")
    signals.install()
    migrate(args.db)
    options = MatcherOptions(group=args.group, batch=args.batch, log_every_s=args.log_every)
    with ExitStack() as stack:
        out = stack.enter_context(args.trace.open("w"))
        store = stack.enter_context(open_matcher_store(args.db))
        bus = stack.enter_context(open_matcher_bus(args.bus, args.batch))
        service = MatcherService(
            bus,
            store,
            topics=Topics.with_prefix(args.topic_prefix),
            options=options,
            on_batch=lambda stats: trace_line(out, stats),
        )
        tune_gc()
        service.run(signals.stop)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
