"""Read queries shared by the REST routes and the live stream: flags in the one FlagEvent shape
(``matcher.flag_events``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select
from sqlalchemy.engine import Row

from api.schemas import EvidencePublic, FlagPublic
from matcher.flag_events import flag_event_select, from_row


def flag_select() -> Select[Any]:
    """Flags with their entry and decision: everything their FlagEvent holds (two joins)."""
    query: Select[Any] = flag_event_select()
    return query


def evidence_of(value: Any) -> EvidencePublic:
    if isinstance(value, dict):
        return EvidencePublic(
            plate_crop=value.get("plate_crop"), vehicle_snapshot=value.get("vehicle_snapshot")
        )
    return EvidencePublic()


def flag_from_row(row: Row[Any]) -> FlagPublic:
    return from_row(row, FlagPublic)
