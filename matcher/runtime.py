"""Process settings for a long-running matcher: the garbage collector's thresholds, and the
store opened with WAL checkpoints in the background (``open_matcher_store``).

The matcher builds and drops about a hundred small objects per entry (pydantic models, rows,
decisions) while it holds a whole batch alive. With CPython's default thresholds (700, 10, 10)
the collector runs every few entries and re-walks the batch being built each time: measured, that
tripled the cost of decoding an entry (10 us -> 30 us) and slowed every other step alike.
Reference counting frees almost everything here; the cyclic collector only needs to run now and
then.
"""

from __future__ import annotations

import gc
import logging

from store import Store, open_store

log = logging.getLogger(__name__)

# Young-generation threshold: one gen-0 pass per ~25 entries instead of ~7 per entry's objects.
MATCHER_GC_THRESHOLDS = (50_000, 20, 10)


def tune_gc(thresholds: tuple[int, int, int] = MATCHER_GC_THRESHOLDS) -> None:
    """Freeze what start-up loaded (modules, models, the ORM's metadata: never garbage) out of
    the collector's reach, then raise its thresholds. Call once, after start-up."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*thresholds)
    log.debug("gc: %d start-up objects frozen, thresholds %s", gc.get_freeze_count(), thresholds)


# SQLite: how often the background thread copies the WAL back (store.wal). At 10,000
# entries/s the log grows ~50 MB/s between checkpoints.
MATCHER_CHECKPOINT_S = 0.5


def open_matcher_store(url: str) -> Store:
    """``open_store(url)`` as the matcher wants it: on SQLite, its commits leave WAL checkpoints
    to a background thread (measured: a quarter of each batch's write time otherwise)."""
    return open_store(url, background_checkpoints_s=MATCHER_CHECKPOINT_S)
