"""The matcher's error policy, decided here once.

- A record that is not a valid EntryEvent v1 (not JSON, wrong shape, unknown schema_version) is
  not an error of the matcher: it goes to the dead-letter topic with the reason and the batch
  carries on (``decode``).
- Transient failures (the database or the broker away, a flush that timed out) retry the same
  batch with backoff; nothing is committed meanwhile, and the store writes are idempotent by
  ``event_id``, so a retry after a partial success changes nothing.
- A flush that fails at a checkpoint (records undelivered past the producer's delivery timeout)
  stops the matcher: several batches may be concerned, and a restart republishes their flags.
- A failed offset commit (the group rebalanced) is logged and ignored: the records come back to
  whichever member owns them now, and are found already decided.
- Anything else is a bug: it propagates and stops the process without committing, so the batch is
  delivered again after a fix or restart. Better a stopped matcher than a skipped entry.
"""

from __future__ import annotations

import sqlite3
from enum import Enum

from sqlalchemy.exc import DBAPIError, OperationalError

from pipeline.bus import BusError, CommitError

# The hot path talks to the database drivers directly (store.bulk), so their own
# "database away / locked" errors arrive unwrapped by SQLAlchemy.
_DRIVER_TRANSIENT: tuple[type[BaseException], ...] = (sqlite3.OperationalError,)
try:
    import psycopg

    _DRIVER_TRANSIENT += (psycopg.OperationalError,)
except ImportError:  # pragma: no cover - PostgreSQL support not installed
    pass


class Action(Enum):
    RETRY = "retry"
    IGNORE = "ignore"
    STOP = "stop"


# Backoff between retries of one batch: short first, capped so recovery is noticed quickly.
RETRY_DELAYS_S = (0.2, 0.5, 1.0, 2.0, 5.0)


def classify(exc: BaseException) -> Action:
    if isinstance(exc, CommitError):
        return Action.IGNORE
    if isinstance(exc, BusError):
        return Action.RETRY
    if isinstance(exc, (OperationalError, *_DRIVER_TRANSIENT)):
        return Action.RETRY
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return Action.RETRY
    return Action.STOP


def retry_delay(attempt: int) -> float:
    return RETRY_DELAYS_S[min(attempt, len(RETRY_DELAYS_S) - 1)]
