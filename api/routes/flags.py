"""Flags: list and filter, one flag with its audit, acknowledge, resolve, and the live stream."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Header, HTTPException, Query, Request, Response, status
from fastapi.responses import StreamingResponse
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from api.cache import SingleFlight, TtlCache
from api.csv_export import AcceptHeader, FormatQuery, csv_response, page_size, wants_csv
from api.deps import OperatorDep, ReaderDep, SessionDep, SettingsDep, StoreDep
from api.live import FlagCursor, stream_flags
from api.params import MAX_ID, MAX_LIMIT, Offset, PlateSearch, RowId, TimeRangeDep
from api.queries import flag_from_row, flag_select, plate_search, search_key
from api.schemas import (
    DeclarationSummary,
    FlagAcknowledge,
    FlagAuditPublic,
    FlagDetail,
    FlagPage,
    FlagPublic,
    FlagReason,
    FlagReopen,
    FlagResolve,
    FlagSort,
    FlagStatus,
)
from matcher import lifecycle
from matcher.rules import Priority
from pipeline.events import FlagEvent
from store import Store
from store.models import Declaration, Entry, Flag, FlagAudit

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/flags", tags=["flags"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such flag"}}


@router.get(
    "",
    response_model=FlagPage,
    responses={200: {"content": {"text/csv": {}}, "description": "A page (JSON) or every match"}},
)
async def list_flags(
    request: Request,
    store: StoreDep,
    _: ReaderDep,
    window: TimeRangeDep,
    limit: Annotated[
        int | None,
        Query(ge=1, le=MAX_LIMIT, description="Page size (default 50; CSV: every match)."),
    ] = None,
    status_: Annotated[FlagStatus | None, Query(alias="status")] = None,
    reason: FlagReason | None = None,
    checkpoint: Annotated[str | None, Query(max_length=128)] = None,
    camera_id: Annotated[str | None, Query(max_length=128)] = None,
    plate: PlateSearch = None,
    before_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Keyset page (sort=newest): ids below.")
    ] = None,
    sort: Annotated[
        FlagSort,
        Query(
            description="newest: the newest flag first. priority: the highest priority first, "
            "then the newest crossing (pages by offset)."
        ),
    ] = FlagSort.NEWEST,
    offset: Annotated[Offset, Query(description="Rows to skip (sort=priority).")] = 0,
    format_: FormatQuery = None,
    accept: AcceptHeader = None,
) -> Response:
    """Newest first, or with ``sort=priority`` the most urgent first, then the newest crossing
    (what the dashboard shows: the whole store's order, not a page's). Page with ``before_id`` =
    the previous page's ``next_before_id`` (newest), or ``offset`` = its ``next_offset``
    (priority). As CSV (``format=csv`` or ``Accept: text/csv``): every match, up to 10,000 rows.

    Identical queries within ``ENTRYWATCH_LIST_CACHE_S`` (250 ms) share one database read."""
    if plate is not None:
        search_key(plate)  # 422 before any read for a plate with nothing to search for
    _check_paging(sort, before_id, offset)
    query = FlagQuery(
        status_, reason, checkpoint, camera_id, plate, window.since, window.until, before_id,
        sort, offset,
    )  # fmt: skip
    if wants_csv(format_, accept):
        flags = await anyio.to_thread.run_sync(_flags, store, query, page_size(limit, True))
        return csv_response("flags", CSV_COLUMNS, (_csv_row(f) for f in flags[0]))
    limit = page_size(limit, False)
    cache: TtlCache[bytes] = request.app.state.flag_list_cache
    body = cache.get((query, limit))
    if body is None:
        flight: SingleFlight[bytes] = request.app.state.flag_list_flight
        body = await flight.run((query, limit), partial(_flag_page_json, store, query, limit))
        cache.put((query, limit), body)
    return Response(body, media_type="application/json")


@dataclass(frozen=True, slots=True)
class FlagQuery:
    status: str | None
    reason: str | None
    checkpoint: str | None
    camera_id: str | None
    plate: str | None
    since: datetime | None
    until: datetime | None
    before_id: int | None
    sort: FlagSort = FlagSort.NEWEST
    offset: int = 0


def _check_paging(sort: FlagSort, before_id: int | None, offset: int) -> None:
    """Each order has its own way to page: a flag id bounds only the newest-first order, and
    an offset into the newest-first order would skip flags that arrive meanwhile."""
    if sort is FlagSort.PRIORITY and before_id is not None:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "before_id pages sort=newest; sort=priority pages with offset (next_offset)",
        )
    if sort is FlagSort.NEWEST and offset:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "offset pages sort=priority; sort=newest pages with before_id (next_before_id)",
        )


def _flag_page_json(store: Store, f: FlagQuery, limit: int) -> bytes:
    items, more = _flags(store, f, limit)
    last = items[-1].flag_id if more and items else None
    if f.sort is FlagSort.PRIORITY:
        page = FlagPage(items=items, next_before_id=None,
                        next_offset=f.offset + len(items) if more else None)  # fmt: skip
    else:
        page = FlagPage(items=items, next_before_id=last)
    return page.model_dump_json().encode()


def _flags(store: Store, f: FlagQuery, limit: int) -> tuple[list[FlagPublic], bool]:
    """Up to ``limit`` flags of the query in its order, and whether there are more."""
    where = _conditions(f)
    with store.session() as session:
        if f.sort is FlagSort.PRIORITY:
            ids = _ids_by_priority(session, where, f.offset, limit + 1)
            found = session.execute(flag_select().where(Flag.id.in_(ids))).all()
            by_id = {row.Flag.id: row for row in found}
            rows = [by_id[i] for i in ids if i in by_id]
        else:
            query = flag_select().where(*where).order_by(Flag.id.desc()).limit(limit + 1)
            rows = list(session.execute(query).all())
    return [flag_from_row(r) for r in rows[:limit]], len(rows) > limit


def _conditions(f: FlagQuery) -> list[ColumnElement[bool]]:
    """The query's filters, on flags joined with their entries."""
    where: list[ColumnElement[bool]] = []
    if f.plate is not None:
        # The matching entries first (a range of the entries' key index), then their flags by
        # the unique event_id: filtered through the join, PostgreSQL hash-joined all three
        # tables (1 s at 100k flags).
        found = plate_search(Entry.confusion_key, f.plate)
        where.append(Flag.event_id.in_(select(Entry.event_id).where(found)))
    if f.status is not None:
        where.append(Flag.status == f.status)
    if f.reason is not None:
        where.append(Flag.reason == f.reason)
    if f.checkpoint is not None:
        where.append(Entry.checkpoint == f.checkpoint)
    if f.camera_id is not None:
        where.append(Entry.camera_id == f.camera_id)
    if f.since is not None:
        where.append(Flag.created_at >= f.since)
    if f.until is not None:
        where.append(Flag.created_at < f.until)
    if f.before_id is not None:
        where.append(Flag.id < f.before_id)
    return where


def _ids_by_priority(
    session: Session, where: list[ColumnElement[bool]], offset: int, count: int
) -> list[int]:
    """Flag ids, highest priority first, then the newest crossing: ``count`` after ``offset``.

    The crossing is the entry's, so no one index orders both keys, and sorted in one query a
    priority shared by 100,000 open flags had every one of them joined and sorted (0.6 s on
    SQLite, 1 s on PostgreSQL). So the priorities (five) are asked one after the other, most
    urgent first, each for the rows still missing, until the page is full: one priority's sort
    under a LIMIT, from the flags index (status, priority; revision 0007), or on PostgreSQL the
    entries' crossing index walked newest first where that priority is common (figures in
    docs/BENCHMARKS.md)."""
    want = offset + count
    ids: list[int] = []
    for priority in sorted(Priority, reverse=True):  # 0-4: FlagEvent refuses any other
        query = (
            select(Flag.id)
            .join(Entry, Entry.event_id == Flag.event_id)
            .where(*where, Flag.priority == int(priority))
            .order_by(Entry.crossed_at.desc(), Flag.id.desc())
            .limit(want - len(ids))
        )
        ids += session.scalars(query)
        if len(ids) >= want:
            break
    return ids[offset:]


CSV_COLUMNS = (
    "flag_id",
    "status",
    "priority",
    "reason",
    "detail",
    "plate",
    "plate_display",
    "camera_id",
    "checkpoint",
    "crossed_at",
    "created_at",
    "updated_at",
    "declaration_id",
    "confidence",
    "outcome",
    "resolved_by",
    "resolution_note",
    "event_id",
)


def _csv_row(f: FlagPublic) -> tuple[Any, ...]:
    r = f.resolution
    return (
        f.flag_id,
        f.status.value,
        f.priority,
        f.reason.value,
        f.detail,
        f.plate,
        f.plate_display,
        f.camera_id,
        f.checkpoint,
        f.crossed_at,
        f.created_at,
        f.updated_at,
        f.declaration_id,
        f.confidence,
        r.outcome.value if r else None,
        r.actor if r else None,
        r.note if r else None,
        f.event_id,
    )


@router.get("/stream", response_class=StreamingResponse)
async def flag_stream(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    _: ReaderDep,
    last_event_id: Annotated[str | None, Header(max_length=100)] = None,
) -> StreamingResponse:
    """Server-sent events: ``flag`` (a new flag or a changed one, the whole flag as JSON) and
    ``ready`` (the stream is live). Each event's id is a cursor; send it back as Last-Event-ID on
    reconnect to receive everything since, without gaps."""
    cursor = FlagCursor.parse(last_event_id) if last_event_id else None
    return StreamingResponse(
        stream_flags(request, store, settings, cursor),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get("/{flag_id}", response_model=FlagDetail, responses=_NOT_FOUND)
def get_flag(flag_id: RowId, session: SessionDep, _: ReaderDep) -> FlagDetail:
    row = session.execute(flag_select().where(Flag.id == flag_id)).first()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"flag {flag_id} not found")
    flag = flag_from_row(row)
    declaration = None
    if flag.declaration_id is not None:
        found = session.get(Declaration, flag.declaration_id)
        declaration = DeclarationSummary.model_validate(found) if found is not None else None
    return FlagDetail(**flag.model_dump(), audit=_audit(session, flag_id), declaration=declaration)


@router.get("/{flag_id}/audit", response_model=list[FlagAuditPublic], responses=_NOT_FOUND)
def get_flag_audit(flag_id: RowId, session: SessionDep, _: ReaderDep) -> list[FlagAuditPublic]:
    if session.get(Flag, flag_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"flag {flag_id} not found")
    return _audit(session, flag_id)


_CONFLICT = "The flag is not in a status this action applies to (the detail says which)"


@router.post(
    "/{flag_id}/acknowledge",
    response_model=FlagPublic,
    responses={**_NOT_FOUND, 409: {"description": _CONFLICT}},
)
def acknowledge_flag(
    flag_id: RowId, body: FlagAcknowledge, request: Request, store: StoreDep, who: OperatorDep
) -> FlagPublic:
    """open -> acknowledged: someone is looking at it."""
    return _change(request, store, partial(lifecycle.acknowledge, flag_id=flag_id,
                                           actor=who.name, note=body.note))  # fmt: skip


@router.post(
    "/{flag_id}/resolve",
    response_model=FlagPublic,
    responses={**_NOT_FOUND, 409: {"description": _CONFLICT}},
)
def resolve_flag(
    flag_id: RowId, body: FlagResolve, request: Request, store: StoreDep, who: OperatorDep
) -> FlagPublic:
    """open or acknowledged -> resolved, with an outcome and a note."""
    return _change(
        request,
        store,
        partial(lifecycle.resolve, flag_id=flag_id, actor=who.name, outcome=body.outcome,
                note=body.note),
    )  # fmt: skip


@router.post(
    "/{flag_id}/reopen",
    response_model=FlagPublic,
    responses={**_NOT_FOUND, 409: {"description": _CONFLICT}},
)
def reopen_flag(
    flag_id: RowId, body: FlagReopen, request: Request, store: StoreDep, who: OperatorDep
) -> FlagPublic:
    """acknowledged or resolved -> open again (the audit keeps the earlier resolution)."""
    return _change(request, store, partial(lifecycle.reopen, flag_id=flag_id, actor=who.name,
                                           note=body.note))  # fmt: skip


def _change(request: Request, store: Store, change: Callable[..., FlagEvent]) -> FlagPublic:
    """Run a lifecycle change in its own transaction (flag, audit and outbox rows together);
    the relay publishes its FlagEvent."""
    try:
        with store.transaction() as session:
            event = change(session)
    except lifecycle.FlagNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    except lifecycle.TransitionRefused as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    request.app.state.flag_list_cache.clear()
    return FlagPublic(**dict(event))


def _audit(session: SessionDep, flag_id: int) -> list[FlagAuditPublic]:
    rows = session.scalars(
        select(FlagAudit).where(FlagAudit.flag_id == flag_id).order_by(FlagAudit.id)
    )
    return [FlagAuditPublic.model_validate(r) for r in rows]
