"""``entrywatch matcher``: the Kafka matcher service."""

from __future__ import annotations

import logging
from contextlib import ExitStack
from datetime import timedelta
from typing import Annotated

import typer

from pipeline.bus import Topics
from pipeline.cli.options import DbUrl, GraceOption, TopicPrefix, migrated
from pipeline.cli.signals import Signals
from store import DEFAULT_URL

log = logging.getLogger(__name__)


def matcher(
    bus: Annotated[str, typer.Option("--bus", help="kafka://HOST:PORT (or memory:// for trials).")],
    db: DbUrl = DEFAULT_URL,
    group: Annotated[str, typer.Option(help="Consumer group of the matcher instances.")] = (
        "entrywatch-matcher"
    ),
    batch: Annotated[
        int, typer.Option(min=1, max=50_000, help="Most records per batch (a backlog fills it).")
    ] = 2000,
    grace_minutes: GraceOption = 60,
    topic_prefix: TopicPrefix = "",
    log_every: Annotated[float, typer.Option(help="Seconds between throughput lines.")] = 10.0,
) -> None:
    """Consume entries, decide them against the declarations, store them, publish flags.

    Stops gracefully on SIGTERM or Ctrl-C: the batch in hand is finished and committed.
    """
    from matcher import MatcherOptions, MatcherService
    from matcher.bus import open_matcher_bus
    from matcher.runtime import open_matcher_store, tune_gc

    signals = Signals(stopping="matcher: %s received, finishing the batch")
    signals.install()

    migrated(db)
    options = MatcherOptions(
        group=group, batch=batch, grace=timedelta(minutes=grace_minutes), log_every_s=log_every
    )
    with ExitStack() as stack:
        store = stack.enter_context(open_matcher_store(db))
        the_bus = stack.enter_context(open_matcher_bus(bus, batch))
        service = MatcherService(the_bus, store, topics=Topics.with_prefix(topic_prefix),
                                 options=options)  # fmt: skip
        tune_gc()
        service.run(signals.stop)
