"""``entrywatch relay``: publish the flag outbox on the flags topic (``matcher.relay``).

Every matcher runs a relay already; this command is for deployments where flags change without
a matcher running (the API: operators acknowledging and resolving, drivers filing late). Any
number may run: one holds the lease and publishes, the others wait to take over.
"""

from __future__ import annotations

import logging
from contextlib import ExitStack
from typing import Annotated

import typer

from pipeline.bus import Topics, open_bus
from pipeline.cli.options import DbUrl, TopicPrefix, migrated
from pipeline.cli.signals import Signals
from store import DEFAULT_URL
from store.db import open_store

log = logging.getLogger(__name__)


def relay(
    bus: Annotated[str, typer.Option("--bus", help="kafka://HOST:PORT[,HOST:PORT...]")],
    db: DbUrl = DEFAULT_URL,
    topic_prefix: TopicPrefix = "",
    batch: Annotated[int, typer.Option(min=1, max=50_000, help="Most rows per round.")] = 2000,
    poll_interval: Annotated[
        float, typer.Option(min=0.001, help="Seconds between looks at an empty outbox.")
    ] = 0.05,
    once: Annotated[
        bool, typer.Option("--once", help="Publish what is waiting, then exit.")
    ] = False,
) -> None:
    """Publish flag changes from the store's outbox, in order, each marked sent once acked.

    Rows are marked sent once the broker has acknowledged them. Creates the entries, flags and
    dead-letter topics first.

    Stops on SIGTERM or Ctrl-C after the round in hand.
    """
    from matcher.relay import OutboxRelay, RelayOptions

    signals = Signals(stopping="relay: %s received, finishing the round")
    signals.install()
    migrated(db)
    topics = Topics.with_prefix(topic_prefix)
    with ExitStack() as stack:
        store = stack.enter_context(open_store(db))
        the_bus = stack.enter_context(open_bus(bus))
        the_bus.ensure_topics(topics.all())
        worker = OutboxRelay(
            store,
            the_bus,
            topics=topics,
            options=RelayOptions(batch=batch, poll_interval_s=poll_interval),
        )
        if once:
            try:
                sent = worker.drain(signals.stop)
            finally:
                worker.release()
            log.info("relay: %d flag changes published", sent)
            return
        worker.run(signals.stop)
