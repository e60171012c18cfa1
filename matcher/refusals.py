"""Recording a batch when the store refuses one of its records.

A value the database will not hold (a string longer than its column, a NUL on PostgreSQL, a
number out of range) fails the whole batch's transaction. Such a record is not the matcher's
error, and retrying it changes nothing: the batch is split in halves and each half recorded on
its own, down to the single records the store refuses, which are returned with the database's
reason (for the dead letters). Every other record is recorded, in its own half's transaction.

What counts as a refusal is decided in ``matcher.policy.refused``; anything else (a transient
failure, a bug) propagates as before.
"""

from __future__ import annotations

import logging
from typing import NamedTuple

from matcher.local import Decided, InProcessMatcher, PreparedBatch
from matcher.policy import refused
from pipeline.events import EntryEvent

log = logging.getLogger(__name__)

REASON_EXCERPT = 300


class Refusal(NamedTuple):
    event: EntryEvent
    reason: str


def record_isolating(
    matcher: InProcessMatcher, batch: PreparedBatch
) -> tuple[list[Decided], list[Refusal]]:
    """``matcher.record(batch)``; when the store refuses a record, record the others and return
    the refused ones with the database's reason.

    When every record of a batch of several is refused, the fault is not theirs (a constraint
    or trigger that refuses everything, a bug): the first error propagates and the matcher
    stops, as the policy wants, instead of dead-lettering the whole stream.
    """
    try:
        return matcher.record(batch), []
    except Exception as exc:
        if not refused(exc):
            raise
        if len(batch.events) <= 1:
            return [], [Refusal(e, store_reason(exc)) for e in batch.events]
        first = exc
    decided, refusals = _isolate(matcher, batch)
    if not decided and len(refusals) == len(batch.events):
        raise first
    return decided, refusals


def _isolate(
    matcher: InProcessMatcher, batch: PreparedBatch
) -> tuple[list[Decided], list[Refusal]]:
    try:
        return matcher.record(batch), []
    except Exception as exc:
        if not refused(exc):
            raise
        if len(batch.events) <= 1:
            return [], [Refusal(e, store_reason(exc)) for e in batch.events]
        log.warning("store refused a record of a batch of %d (%s): isolating it",
                    len(batch.events), store_reason(exc))  # fmt: skip
    half = len(batch.events) // 2
    decided: list[Decided] = []
    refusals: list[Refusal] = []
    for part in (batch.events[:half], batch.events[half:]):
        d, r = _isolate(matcher, _subset(batch, part))
        decided += d
        refusals += r
    return decided, refusals


def _subset(batch: PreparedBatch, events: list[EntryEvent]) -> PreparedBatch:
    ids = {e.event_id for e in events}
    return PreparedBatch(
        events, [(e, d) for e, d in batch.decided if e.event_id in ids], batch.documents
    )


def store_reason(exc: BaseException) -> str:
    """The database's own words, first line, without SQLAlchemy's statement and parameters."""
    inner = getattr(exc, "orig", None) or exc
    text = str(inner).strip().splitlines()[0] if str(inner).strip() else ""
    text = f"{type(inner).__name__}: {text}" if text else type(inner).__name__
    if len(text) > REASON_EXCERPT:
        text = text[:REASON_EXCERPT] + "..."
    return "store refused: " + text
