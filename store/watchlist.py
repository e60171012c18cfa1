"""The watch list: plates the matcher flags at top priority (``matcher.rules``, ``watchlisted``),
whatever their declarations say. People change it from the CLI (``entrywatch watchlist``) and
the API (``/api/watchlist``); both come here, and every change writes its ``watchlist_audit``
row in the same transaction, so the list and its trail never disagree.

Every function takes a ``Session`` and never commits (as ``store.writes``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import WatchlistAudit, WatchlistEntry, utcnow
from store.plates import normalise_plate
from store.schemas import MAX_PLATE_LEN, MIN_PLATE_LEN

REASON_LEN = 500
NOTE_LEN = 2000
ACTOR_LEN = 128

Change = Literal["added", "updated", "unchanged", "removed"]


class WatchlistError(ValueError):
    """A watch-list request that cannot be done, saying why (bad plate, empty reason, ...)."""


class NotWatched(WatchlistError):
    """The plate to remove is not on the list."""


@dataclass(frozen=True, slots=True)
class WatchlistChange:
    plate: str  # normalised, as the matcher compares it
    change: Change
    entry: WatchlistEntry | None  # the row as it stands after the change (None once removed)


def watchlist_plate(raw: str) -> str:
    """``raw`` as the matcher will compare it (``75A-123.45`` -> ``75A12345``), or
    ``WatchlistError`` naming the plate when it cannot be one. Any region's plate may be watched:
    only the length and a digit are checked, as for a stored declaration."""
    plate = normalise_plate(raw)
    if not MIN_PLATE_LEN <= len(plate) <= MAX_PLATE_LEN:
        raise WatchlistError(
            f"plate {raw!r} normalises to {plate!r}: expected {MIN_PLATE_LEN}-{MAX_PLATE_LEN} "
            "letters and digits"
        )
    if not any(ch.isdigit() for ch in plate):
        raise WatchlistError(f"plate {raw!r} has no digits")
    return plate


def add_plate(
    session: Session, raw_plate: str, reason: str, actor: str, note: str | None = None
) -> WatchlistChange:
    """Put a plate on the list, or give a listed plate a new reason (``updated``); the same
    reason again changes nothing and writes no audit row (``unchanged``)."""
    plate = watchlist_plate(raw_plate)
    reason = _required(reason, "reason", REASON_LEN, "say why the plate is watched")
    actor = _required(actor, "actor", ACTOR_LEN, "who makes the change")
    note = _text(note, "note", NOTE_LEN)
    row = session.get(WatchlistEntry, plate, with_for_update=True)
    if row is not None and row.reason == reason:
        return WatchlistChange(plate, "unchanged", row)
    now = utcnow()
    change: Change
    if row is None:
        row = WatchlistEntry(plate_normalised=plate, reason=reason, added_at=now, added_by=actor)
        session.add(row)
        change = "added"
    else:
        row.reason = reason
        change = "updated"
    _audit(session, plate, change, actor, reason, note, now)
    session.flush()
    return WatchlistChange(plate, change, row)


def remove_plate(
    session: Session, raw_plate: str, actor: str, note: str | None = None
) -> WatchlistChange:
    """Take a plate off the list; ``NotWatched`` when it is not on it."""
    plate = watchlist_plate(raw_plate)
    actor = _required(actor, "actor", ACTOR_LEN, "who makes the change")
    note = _text(note, "note", NOTE_LEN)
    row = session.get(WatchlistEntry, plate, with_for_update=True)
    if row is None:
        raise NotWatched(f"plate {plate} is not on the watch list")
    _audit(session, plate, "removed", actor, row.reason, note, utcnow())
    session.delete(row)
    session.flush()
    return WatchlistChange(plate, "removed", None)


def list_plates(session: Session) -> list[WatchlistEntry]:
    """The whole list, newest first (it is short: people type it)."""
    query = select(WatchlistEntry).order_by(
        WatchlistEntry.added_at.desc(), WatchlistEntry.plate_normalised
    )
    return list(session.scalars(query))


def audit_trail(
    session: Session, raw_plate: str | None = None, *, limit: int = 200
) -> list[WatchlistAudit]:
    """The changes, newest first; of one plate when given."""
    query = select(WatchlistAudit)
    if raw_plate is not None:
        query = query.where(WatchlistAudit.plate_normalised == watchlist_plate(raw_plate))
    return list(session.scalars(query.order_by(WatchlistAudit.id.desc()).limit(limit)))


def _audit(
    session: Session,
    plate: str,
    action: str,
    actor: str,
    reason: str | None,
    note: str | None,
    at: datetime,
) -> None:
    session.add(
        WatchlistAudit(
            plate_normalised=plate, action=action, actor=actor, reason=reason, note=note, at=at
        )
    )


def _required(value: str, name: str, limit: int, what: str) -> str:
    text = _text(value, name, limit)
    if text is None:
        raise WatchlistError(f"{name} is required: {what}")
    return text


def _text(value: str | None, name: str, limit: int) -> str | None:
    text = (value or "").strip()
    if "\x00" in text:
        raise WatchlistError(f"{name} contains a NUL character")
    if len(text) > limit:
        raise WatchlistError(f"{name} is longer than {limit} characters")
    return text or None
