"""The matcher's error policy, decided here once.

- A record that is not a valid EntryEvent v1 (not JSON, wrong shape, unknown schema_version) is
  not an error of the matcher: it goes to the dead-letter topic with the reason and the batch
  carries on (``decode``).
- A record the store refuses (a value too long for its column, a NUL on PostgreSQL, a number out
  of range: ``refused``) is dead-lettered with the database's reason, and the rest of its batch is
  recorded (``refusals``). A retry would change nothing.
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

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError

from pipeline.bus import BusError, CommitError

# What the drivers raise for a value they or the database will not store. Not ProgrammingError:
# that is our SQL, a bug, and stops the matcher.
_DRIVER_REFUSED: tuple[type[BaseException], ...] = (sqlite3.DataError, sqlite3.IntegrityError)
# The hot path talks to the database drivers directly (store.bulk), so their own
# "database away / locked" errors arrive unwrapped by SQLAlchemy.
_DRIVER_TRANSIENT: tuple[type[BaseException], ...] = (sqlite3.OperationalError,)
try:
    import psycopg

    _DRIVER_TRANSIENT += (psycopg.OperationalError,)
    _DRIVER_REFUSED += (psycopg.DataError, psycopg.IntegrityError)
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


def refused(exc: BaseException) -> bool:
    """Whether ``exc`` is the store refusing a value of the records being written (so the same
    records would fail again), rather than the store being away or a bug."""
    if isinstance(exc, (DataError, IntegrityError, *_DRIVER_REFUSED)):
        return True
    # Values the driver cannot encode (a lone surrogate, an integer past 64 bits).
    return isinstance(exc, (UnicodeError, OverflowError))


def retry_delay(attempt: int) -> float:
    return RETRY_DELAYS_S[min(attempt, len(RETRY_DELAYS_S) - 1)]
