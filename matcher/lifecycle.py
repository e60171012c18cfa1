"""The flag lifecycle: the one place a flag is opened or changes status.

::

    open --acknowledge--> acknowledged --resolve--> resolved
      |                        ^    \\                 |
      +--------resolve---------|-----+                 |
      +------resolve_late------+  (both unsettled)     |
    open <--------------------reopen------ acknowledged or resolved

Each change, in the caller's transaction (every function takes a ``Session`` and never commits):
the flag row, one audit row (who, when, what, note) and one **outbox** row holding the FlagEvent
of the new state (``flag_outbox``). The relay (``matcher.relay``) publishes the outbox in order
once the transaction has committed: a change is on the flags topic if and only if it is in the
store, with no dual write. A change that makes no sense (resolving a resolved flag,
acknowledging a resolved one) raises ``TransitionRefused``; the API answers 409.

Updates are conditional (``UPDATE ... WHERE status IN (allowed) RETURNING``), so two operators
racing on one flag cannot both win, on SQLite and PostgreSQL alike.

The enums are defined once, in ``pipeline.events`` (the published contract, the only module the
store may import); they are re-exported here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from matcher import flag_events
from matcher.rules import Decision, window_covers
from pipeline.events import EntryEvent, FlagEvent, FlagReason, FlagStatus, ResolutionOutcome
from store.bulk import add_outbox, audit_flags, open_flags
from store.models import Entry, Flag
from store.records import DeclarationRecord

__all__ = [
    "LATE_SETTLES",
    "SYSTEM_ACTOR",
    "UNSETTLED",
    "Action",
    "FlagNotFound",
    "FlagReason",
    "FlagStatus",
    "ResolutionOutcome",
    "TransitionRefused",
    "acknowledge",
    "open",
    "reopen",
    "resolve",
    "resolve_late",
]

log = logging.getLogger(__name__)

SYSTEM_ACTOR = "system"
# An operator looking at a flag does not stop a late declaration from settling it.
UNSETTLED = frozenset({FlagStatus.OPEN, FlagStatus.ACKNOWLEDGED})
# What a declaration filed late can settle: the flags a covering declaration would have
# prevented. Probable, unreadable and watch-listed flags need a person.
LATE_SETTLES = frozenset({FlagReason.UNDECLARED, FlagReason.EXPIRED, FlagReason.WRONG_CHECKPOINT})


class Action(StrEnum):
    """What happened to a flag (the audit row's ``action``)."""

    OPENED = "opened"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    REOPENED = "reopened"


# Action -> (the statuses it applies to, the status it leads to).
TRANSITIONS: dict[Action, tuple[frozenset[FlagStatus], FlagStatus]] = {
    Action.ACKNOWLEDGED: (frozenset({FlagStatus.OPEN}), FlagStatus.ACKNOWLEDGED),
    Action.RESOLVED: (UNSETTLED, FlagStatus.RESOLVED),
    Action.REOPENED: (
        frozenset({FlagStatus.ACKNOWLEDGED, FlagStatus.RESOLVED}),
        FlagStatus.OPEN,
    ),
}
_VERB = {Action.ACKNOWLEDGED: "acknowledge", Action.RESOLVED: "resolve", Action.REOPENED: "reopen"}


class FlagNotFound(LookupError):
    def __init__(self, flag_id: int) -> None:
        super().__init__(f"flag {flag_id} not found")
        self.flag_id = flag_id


class TransitionRefused(Exception):
    """The flag is not in a status the action applies to."""

    def __init__(self, flag_id: int, status: str, action: Action) -> None:
        allowed, _ = TRANSITIONS[action]
        names = " or ".join(sorted(s.value for s in allowed))
        super().__init__(
            f"flag {flag_id} is {status}: only a flag that is {names} can be {action.value}"
        )
        self.flag_id = flag_id
        self.status = status
        self.action = action


def _utcnow() -> datetime:
    return datetime.now(UTC)


def queue(session: Session, events: Sequence[FlagEvent], at: datetime) -> None:
    """Put FlagEvents into the outbox, in order, in the caller's transaction."""
    add_outbox(
        session,
        [(e.flag_id, e.status.value, e.key, e.model_dump_json()) for e in events],
        at,
    )


def open(
    session: Session, decided: Sequence[tuple[EntryEvent, Decision]], now: datetime
) -> dict[str, int]:
    """Open a flag for each flagged decision (the matcher's batch path: driver-level inserts),
    skipping entries that already have one; audit and outbox rows included. Returns event id ->
    new flag id."""
    wanted = [(e, d) for e, d in decided if d.flagged]
    new = open_flags(
        session, [(e.event_id, d.outcome.value, int(d.priority)) for e, d in wanted], now
    )
    if not new:
        return new
    audit_flags(session, new.values(), Action.OPENED, SYSTEM_ACTOR, now)
    queue(
        session,
        [flag_events.opened(e, d, new[e.event_id], now) for e, d in wanted if e.event_id in new],
        now,
    )
    return new


def acknowledge(
    session: Session,
    flag_id: int,
    actor: str,
    note: str | None = None,
    *,
    now: datetime | None = None,
) -> FlagEvent:
    """open -> acknowledged: someone is looking at it."""
    values: dict[str, Any] = {} if note is None else {"note": note}
    return _change(session, flag_id, Action.ACKNOWLEDGED, actor, note, now, values)


def resolve(
    session: Session,
    flag_id: int,
    actor: str,
    outcome: ResolutionOutcome,
    note: str | None = None,
    *,
    now: datetime | None = None,
) -> FlagEvent:
    """open or acknowledged -> resolved, with an operator's outcome and note."""
    values = {
        "resolution_outcome": outcome.value,
        "resolved_by": actor,
        "note": note,
        "resolution_declaration_id": None,
    }
    audit_note = f"{outcome.value}: {note}" if note else outcome.value
    return _change(session, flag_id, Action.RESOLVED, actor, audit_note, now, values)


def reopen(
    session: Session,
    flag_id: int,
    actor: str,
    note: str | None = None,
    *,
    now: datetime | None = None,
) -> FlagEvent:
    """acknowledged or resolved -> open (the resolution is cleared; the audit keeps it)."""
    values = {
        "resolution_outcome": None,
        "resolved_by": None,
        "resolution_declaration_id": None,
        "note": note,
    }
    return _change(session, flag_id, Action.REOPENED, actor, note, now, values)


def resolve_late(
    session: Session,
    declaration: DeclarationRecord,
    grace: timedelta,
    *,
    now: datetime | None = None,
) -> list[FlagEvent]:
    """Resolve every unsettled flag the (newly stored) ``declaration`` now covers: undeclared,
    expired and wrong-checkpoint flags of its plate whose crossing its window (with ``grace``)
    and checkpoints cover, filed within the grace period after the crossing (or before it, but
    stored too late for the matcher to see). Outcome ``declared_late``, actor ``system``."""
    now = now or _utcnow()
    filed_at = declaration.filed_at or now
    candidates = session.execute(
        select(Flag.id, Entry.crossed_at, Entry.checkpoint)
        .join(Entry, Entry.event_id == Flag.event_id)
        .where(
            Flag.status.in_([s.value for s in UNSETTLED]),
            Flag.reason.in_([r.value for r in LATE_SETTLES]),
            Entry.plate_normalised == declaration.plate_normalised,
            Entry.crossed_at >= filed_at - grace,
        )
        .order_by(Flag.id)
    ).all()
    ids = [
        flag_id
        for flag_id, crossed_at, checkpoint in candidates
        if window_covers(declaration, crossed_at, grace)
        and declaration.covers_checkpoint(checkpoint)
    ]
    if not ids:
        return []
    note = f"declaration #{declaration.id} filed {filed_at.isoformat()}"
    settled = _update(
        session,
        ids,
        UNSETTLED,
        FlagStatus.RESOLVED,
        now,
        {
            "resolution_outcome": ResolutionOutcome.DECLARED_LATE.value,
            "resolved_by": SYSTEM_ACTOR,
            "note": note,
            "resolution_declaration_id": declaration.id,
        },
    )
    audit_flags(
        session,
        settled,
        Action.RESOLVED,
        SYSTEM_ACTOR,
        now,
        f"{ResolutionOutcome.DECLARED_LATE.value}: {note}",
    )
    events = flag_events.load(session, settled)
    queue(session, events, now)
    log.info("declaration #%d resolved flags %s", declaration.id, settled)
    return events


def _change(
    session: Session,
    flag_id: int,
    action: Action,
    actor: str,
    audit_note: str | None,
    now: datetime | None,
    values: dict[str, Any],
) -> FlagEvent:
    allowed, to_status = TRANSITIONS[action]
    now = now or _utcnow()
    if not _update(session, [flag_id], allowed, to_status, now, values):
        status = session.scalar(select(Flag.status).where(Flag.id == flag_id))
        if status is None:
            raise FlagNotFound(flag_id)
        raise TransitionRefused(flag_id, status, action)
    audit_flags(session, [flag_id], action, actor, now, audit_note)
    [event] = flag_events.load(session, [flag_id])
    queue(session, [event], now)
    log.info("flag %d %s by %s", flag_id, action.value, actor)
    return event


def _update(
    session: Session,
    ids: Iterable[int],
    allowed: Iterable[FlagStatus],
    to_status: FlagStatus,
    now: datetime,
    values: dict[str, Any],
) -> list[int]:
    """Move the flags among ``ids`` that are in an ``allowed`` status; returns those moved."""
    rows = session.execute(
        update(Flag)
        .where(Flag.id.in_(list(ids)), Flag.status.in_([s.value for s in allowed]))
        .values(status=to_status.value, updated_at=now, **values)
        .returning(Flag.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(r[0] for r in rows)
