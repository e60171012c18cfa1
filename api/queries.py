"""Read queries shared by the REST routes and the live stream: flags in the one FlagEvent shape
(``matcher.flag_events``)."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, status
from sqlalchemy import ColumnElement, Select
from sqlalchemy.engine import Row

from api.schemas import EvidencePublic, FlagPublic
from matcher.flag_events import flag_event_select, from_row
from store.plates import confusion_key


def flag_select() -> Select[Any]:
    """Flags with their entry and decision: everything their FlagEvent holds (two joins)."""
    query: Select[Any] = flag_event_select()
    return query


def evidence_of(value: Any) -> EvidencePublic:
    if isinstance(value, dict):
        known = {k: value[k] for k in EvidencePublic.model_fields if value.get(k) is not None}
        try:
            return EvidencePublic.model_validate(known)
        except ValueError:  # a row written by hand: its image ids are still worth showing
            return EvidencePublic(
                plate_crop=value.get("plate_crop"), vehicle_snapshot=value.get("vehicle_snapshot")
            )
    return EvidencePublic()


def flag_from_row(row: Row[Any]) -> FlagPublic:
    return from_row(row, FlagPublic)


def search_key(plate: str) -> str:
    """The confusion key of a searched plate (``store.plates.confusion_key``); 422 when it has no
    letter or digit to search for."""
    key = confusion_key(plate)
    if not key:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"plate {plate!r} has no letters or digits to search for",
        )
    return key


def plate_search(key_column: Any, plate: str) -> ColumnElement[bool]:
    """Plates beginning with ``plate``, tolerant of OCR look-alikes: "30K" finds 30K55102, and
    "3OK55IO2" finds it too (O/0, I/1 share a confusion key). ``key_column`` is a stored,
    indexed confusion key (``declarations.confusion_key``, ``entries.confusion_key``): a LIKE
    prefix the index serves (see ``store.models.SEARCH_KEY_TYPE``). The key holds only A-Z and
    0-9, so it needs no LIKE escaping."""
    found: ColumnElement[bool] = key_column.like(search_key(plate) + "%")
    return found
