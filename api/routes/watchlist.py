"""The watch list: plates flagged at top priority on every entry (``matcher.rules``), read and
changed by operators and admins. Changes go through ``store.watchlist`` as the CLI's do, so each
is audited with the key's name as the actor."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Response, status
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from api.deps import OperatorDep, SessionDep, StoreDep
from store.watchlist import (
    NOTE_LEN,
    REASON_LEN,
    NotWatched,
    WatchlistError,
    add_plate,
    audit_trail,
    list_plates,
    remove_plate,
)

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/watchlist", tags=["watchlist"])

PlateParam = Annotated[
    str, PathParam(min_length=1, max_length=20, description="Plate in any punctuation.")
]
NoteQuery = Annotated[
    str | None, Query(max_length=NOTE_LEN, description="Kept in the audit trail.")
]


class WatchlistAdd(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    plate: str = Field(min_length=1, max_length=20, description="Plate in any punctuation.")
    reason: str = Field(
        min_length=1, max_length=REASON_LEN, description="Why it is watched (shown on its flags)."
    )
    note: str | None = Field(default=None, max_length=NOTE_LEN)


class WatchlistEntryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    plate: str = Field(validation_alias="plate_normalised")
    reason: str
    added_at: datetime
    added_by: str | None = Field(description="Who put it on the list (NULL: before revision 0005).")


class WatchlistChangePublic(BaseModel):
    change: Literal["added", "updated", "unchanged"]
    entry: WatchlistEntryPublic


class WatchlistAuditPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    plate: str = Field(validation_alias="plate_normalised")
    action: Literal["added", "updated", "removed"]
    actor: str
    at: datetime
    reason: str | None
    note: str | None


@router.get("", response_model=list[WatchlistEntryPublic])
def list_watchlist(session: SessionDep, _: OperatorDep) -> list[WatchlistEntryPublic]:
    """Every listed plate, newest first."""
    return [WatchlistEntryPublic.model_validate(row) for row in list_plates(session)]


@router.post(
    "",
    response_model=WatchlistChangePublic,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "Already listed: reason updated, or nothing changed"}},
)
def add_to_watchlist(
    body: WatchlistAdd, store: StoreDep, who: OperatorDep, response: Response
) -> WatchlistChangePublic:
    """Put a plate on the list (201), or give a listed plate a new reason (200, ``updated``);
    the same reason again changes nothing (200, ``unchanged``). Applies to entries decided from
    now on."""
    try:
        with store.transaction() as session:
            done = add_plate(session, body.plate, body.reason, who.name, body.note)
            assert done.entry is not None and done.change != "removed"
            answer = WatchlistChangePublic(
                change=done.change, entry=WatchlistEntryPublic.model_validate(done.entry)
            )
    except WatchlistError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    if done.change != "added":
        response.status_code = status.HTTP_200_OK
    if done.change != "unchanged":
        log.info("watch list: %s %s by %s", done.plate, done.change, who.name)
    return answer


@router.delete(
    "/{plate}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={404: {"description": "Not on the watch list"}},
)
def remove_from_watchlist(
    plate: PlateParam, store: StoreDep, who: OperatorDep, note: NoteQuery = None
) -> Response:
    try:
        with store.transaction() as session:
            done = remove_plate(session, plate, who.name, note)
    except NotWatched as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    except WatchlistError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    log.info("watch list: %s removed by %s", done.plate, who.name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/audit", response_model=list[WatchlistAuditPublic])
def watchlist_audit(
    session: SessionDep,
    _: OperatorDep,
    plate: Annotated[str | None, Query(max_length=20, description="Only this plate.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[WatchlistAuditPublic]:
    """Every change, newest first: action, who, when, the reason in force, the note."""
    try:
        rows = audit_trail(session, plate, limit=limit)
    except WatchlistError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    return [WatchlistAuditPublic.model_validate(row) for row in rows]
