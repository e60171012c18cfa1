"""The match rules: one entry plus its candidate declarations in, one ``Decision`` out.

Pure and fast: no I/O, no clock (``now`` is passed in), so the same function serves the in-process
matcher, a Kafka consumer and the tests. Order of precedence, highest first:

1. outbound crossings are exits and are not decided (``None``);
2. ``watchlisted`` — the plate is on the watch list, whatever its declarations say;
3. ``unreadable`` — no plate text to match;
4. exact plate: ``declared`` (window with grace covers the crossing and the checkpoint matches),
   else ``wrong_checkpoint`` (a window covers it, for other checkpoints), else ``expired`` (only
   windows that do not cover it: lapsed or not yet valid);
5. ``probable`` — no exact plate, but a declaration one confusable substitution away is valid here;
6. ``undeclared``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum
from typing import NamedTuple

from pipeline.events import EntryEvent
from store.plates import is_probable_match
from store.records import DeclarationRecord

DEFAULT_MIN_CONFIDENCE = 0.8


class Outcome(StrEnum):
    DECLARED = "declared"
    PROBABLE = "probable"
    UNDECLARED = "undeclared"
    EXPIRED = "expired"
    WRONG_CHECKPOINT = "wrong_checkpoint"
    UNREADABLE = "unreadable"
    WATCHLISTED = "watchlisted"


class Priority(IntEnum):
    """How urgently an operator should look; higher is more urgent."""

    NONE = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4


class Decision(NamedTuple):
    """One entry's outcome. A NamedTuple (immutable, and a third of a frozen dataclass's
    construction cost): the matcher makes one per entry."""

    outcome: Outcome
    flagged: bool
    reason: str
    declaration_id: int | None = None
    priority: Priority = Priority.NONE


def window_covers(declaration: DeclarationRecord, at: datetime, grace: timedelta) -> bool:
    """Whether the declaration's window, widened by ``grace`` on both sides, contains ``at``.

    Both ends are inclusive: a crossing exactly at the grace limit is still declared.
    """
    return declaration.valid_from - grace <= at <= declaration.valid_until + grace


def decide(
    entry: EntryEvent,
    candidates: Sequence[DeclarationRecord],
    watchlisted: bool,
    grace: timedelta,
    now: datetime,
    *,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
) -> Decision | None:
    """Decide one entry. ``candidates`` may hold declarations of other plates (a lookup returns
    everything sharing the confusion key); the rules pick exact and near matches themselves.

    Returns ``None`` for outbound crossings: exits are recorded, not judged.
    """
    if entry.direction != "inbound":
        return None
    plate = entry.plate.normalised if entry.plate.readable else None
    exact = [d for d in candidates if plate and d.plate_normalised == plate]
    base = _judge_exact(entry, exact, grace) if exact else None

    if watchlisted:
        note = f"; {base.reason}" if base else ""
        return Decision(
            Outcome.WATCHLISTED,
            flagged=True,
            reason=f"plate {plate} is on the watch list{note}",
            declaration_id=base.declaration_id if base else None,
            priority=Priority.CRITICAL,
        )
    if not plate:
        return Decision(
            Outcome.UNREADABLE,
            flagged=True,
            reason=f"no plate could be read at {entry.checkpoint}",
            priority=Priority.MEDIUM,
        )
    if base is not None:
        return base
    return _judge_near(entry, plate, candidates, grace, now, min_confidence)


def _judge_exact(
    entry: EntryEvent, exact: Sequence[DeclarationRecord], grace: timedelta
) -> Decision:
    at, checkpoint = entry.crossed_at, entry.checkpoint
    in_time = [d for d in exact if window_covers(d, at, grace)]
    here = [d for d in in_time if d.covers_checkpoint(checkpoint)]
    if here:
        best = _latest_filed(here)
        return Decision(
            Outcome.DECLARED, False, f"declaration #{best.id} covers {checkpoint}", best.id
        )
    if in_time:
        # A current declaration for another road outranks an old one for this road: the driver
        # did declare the trip, just not through this checkpoint.
        best = _latest_filed(in_time)
        allowed = ", ".join(sorted(best.checkpoints or ()))
        return Decision(
            Outcome.WRONG_CHECKPOINT,
            True,
            f"declaration #{best.id} is for {allowed}, not {checkpoint}",
            best.id,
            Priority.MEDIUM,
        )
    nearest = min(exact, key=lambda d: _distance_to_window(d, at))
    if at < nearest.valid_from - grace:
        why = f"declaration #{nearest.id} is not valid until {nearest.valid_from.isoformat()}"
    else:
        why = f"declaration #{nearest.id} expired at {nearest.valid_until.isoformat()}"
    return Decision(Outcome.EXPIRED, True, why, nearest.id, Priority.MEDIUM)


def _judge_near(
    entry: EntryEvent,
    plate: str,
    candidates: Sequence[DeclarationRecord],
    grace: timedelta,
    now: datetime,
    min_confidence: float,
) -> Decision:
    near = [d for d in candidates if is_probable_match(plate, d.plate_normalised)]
    valid = [
        d
        for d in near
        if window_covers(d, entry.crossed_at, grace) and d.covers_checkpoint(entry.checkpoint)
    ]
    if valid:
        best = _latest_filed(valid)
        plates = sorted({d.plate_normalised for d in valid})
        confident = entry.plate.confidence >= min_confidence
        ambiguous = len(plates) > 1
        why = f"read {plate}, declaration #{best.id} is for {best.plate_normalised}"
        if ambiguous:
            why += f" (also near: {', '.join(p for p in plates if p != best.plate_normalised)})"
        if not confident:
            why += f"; read confidence {entry.plate.confidence:.2f} < {min_confidence:.2f}"
        flagged = ambiguous or not confident
        priority = Priority.LOW if flagged else Priority.NONE
        return Decision(Outcome.PROBABLE, flagged, why, best.id, priority)

    why = f"no declaration for {plate}"
    if near:
        misses = ", ".join(sorted({d.plate_normalised for d in near}))
        why += f" (near misses not valid here: {misses})"
    if entry.plate.confidence < min_confidence:
        # A doubtful read is the likeliest false flag: say so where the operator reads why.
        why += f"; read confidence {entry.plate.confidence:.2f} < {min_confidence:.2f}"
    deadline = entry.crossed_at + grace
    if now < deadline:
        why += f"; a declaration filed by {deadline.isoformat()} resolves it"
    return Decision(Outcome.UNDECLARED, True, why, None, Priority.HIGH)


def _latest_filed(declarations: Sequence[DeclarationRecord]) -> DeclarationRecord:
    # The newest filing is the driver's latest word; id breaks ties deterministically.
    return max(declarations, key=lambda d: (d.filed_at or d.valid_from, d.id))


def _distance_to_window(declaration: DeclarationRecord, at: datetime) -> timedelta:
    if at < declaration.valid_from:
        return declaration.valid_from - at
    return max(at - declaration.valid_until, timedelta(0))
