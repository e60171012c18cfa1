"""A periodic throughput line for the matcher's log (not Prometheus: the worker's and the API's
exporters are `pipeline/worker/metrics.py` and `api/metrics.py`)."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable

log = logging.getLogger("matcher")


class ThroughputLog:
    """Counts per interval; ``tick`` logs one line when ``every_s`` has passed."""

    def __init__(self, every_s: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.every_s = every_s
        self._clock = clock
        self._since = clock()
        self._counts: Counter[str] = Counter()
        self.totals: Counter[str] = Counter()

    def add(self, **counts: int) -> None:
        self._counts.update(counts)
        self.totals.update(counts)

    def tick(self, force: bool = False) -> None:
        now = self._clock()
        elapsed = now - self._since
        if not force and elapsed < self.every_s:
            return
        if self._counts or force:
            c = self._counts
            rate = c["records"] / elapsed if elapsed > 0 else 0.0
            log.info(
                "matcher: %.0f records/s over %.1fs: %d decided, %d replayed, %d flags, "
                "%d dead letters, %d batches",
                rate,
                elapsed,
                c["decided"],
                c["replayed"],
                c["flags"],
                c["dead_letters"],
                c["batches"],
            )
        self._counts = Counter()
        self._since = now
