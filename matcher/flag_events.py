"""Building ``FlagEvent``s: from a fresh decision in memory (the hot path), or from the store
(re-delivered entries, resolutions), and publishing them on the flags topic."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import select

from matcher.local import Decided
from pipeline.bus import Bus, Topics
from pipeline.events import Evidence, FlagEvent, FlagResolution
from store.db import Store
from store.models import DecisionRow, Entry, Flag, FlagAudit

# Store loads are chunked like the lookups: well under every backend's bind-parameter limit.
_CHUNK = 1000


def opened(decided: Decided) -> FlagEvent:
    """The "open" event of a flag this matcher just raised; no store round trip."""
    event, decision = decided.event, decided.decision
    assert decided.flag_id is not None, "only flagged decisions have flag events"
    plate = event.plate.normalised if event.plate.readable else None
    return FlagEvent(
        flag_id=decided.flag_id,
        event_id=event.event_id,
        status="open",
        reason=decision.outcome.value,  # type: ignore[arg-type]  # a flagging outcome
        detail=decision.reason,
        priority=int(decision.priority),
        plate=plate,
        plate_display=event.plate.display if plate else None,
        camera_id=event.camera_id,
        checkpoint=event.checkpoint,
        crossed_at=event.crossed_at,
        decided_at=decided.decided_at,
        updated_at=decided.decided_at,
        declaration_id=decision.declaration_id,
        evidence=event.evidence,
    )


def load(
    store: Store, flag_ids: Sequence[int], *, settled_by: Mapping[int, int] | None = None
) -> list[FlagEvent]:
    """Flag events in their current state, read from the store, in ``flag_ids`` order.

    ``settled_by`` maps a resolved flag to the declaration that settled it, when the caller
    knows (the store keeps that only in the note).
    """
    settled_by = settled_by or {}
    rows: dict[int, Any] = {}
    last_action: dict[int, FlagAudit] = {}
    with store.session() as session:
        for start in range(0, len(flag_ids), _CHUNK):
            chunk = list(flag_ids[start : start + _CHUNK])
            query = (
                select(Flag, Entry, DecisionRow)
                .join(Entry, Entry.event_id == Flag.event_id)
                .join(DecisionRow, DecisionRow.event_id == Flag.event_id)
                .where(Flag.id.in_(chunk))
            )
            for flag, entry, decision in session.execute(query):
                rows[flag.id] = (flag, entry, decision)
            audits = session.scalars(
                select(FlagAudit).where(FlagAudit.flag_id.in_(chunk)).order_by(FlagAudit.id)
            )
            for row in audits:
                last_action[row.flag_id] = row  # ordered by id: the last one wins
    out = []
    for fid in flag_ids:
        if fid in rows:
            flag, entry, decision = rows[fid]
            out.append(_from_rows(flag, entry, decision, last_action.get(fid), settled_by.get(fid)))
    return out


def _from_rows(
    flag: Flag,
    entry: Entry,
    decision: DecisionRow,
    last: FlagAudit | None,
    settled_by: int | None,
) -> FlagEvent:
    resolution = None
    if flag.status == "resolved":
        resolution = FlagResolution(
            outcome=flag.resolution_outcome or "resolved",
            actor=last.actor if last is not None else "unknown",
            at=flag.updated_at,
            note=flag.note,
            declaration_id=settled_by,
        )
    evidence = (entry.event or {}).get("evidence") or {}
    return FlagEvent(
        flag_id=flag.id,
        event_id=flag.event_id,
        status=flag.status,  # type: ignore[arg-type]  # a CHECK constraint keeps it valid
        reason=flag.reason,  # type: ignore[arg-type]
        detail=decision.reason,
        priority=flag.priority,
        plate=entry.plate_normalised if entry.readable else None,
        plate_display=entry.plate_display if entry.readable else None,
        camera_id=entry.camera_id,
        checkpoint=entry.checkpoint,
        crossed_at=entry.crossed_at,
        decided_at=decision.decided_at,
        updated_at=flag.updated_at,
        declaration_id=decision.declaration_id,
        evidence=Evidence.model_validate(evidence),
        resolution=resolution,
    )


def publish(bus: Bus, topics: Topics, events: Iterable[FlagEvent]) -> int:
    """Queue flag events, keyed like entries; the caller flushes. Returns how many."""
    n = 0
    for event in events:
        bus.publish_encoded(topics.flags, event.key, event.model_dump_json().encode())
        n += 1
    return n
