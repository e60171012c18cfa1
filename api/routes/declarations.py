"""Declarations: filed by drivers (public, rate-limited), read and deleted by operators,
imported from CSV by admins."""

from __future__ import annotations

import logging
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Header, HTTPException, Query, Request, Response, UploadFile, status
from pydantic import AwareDatetime, ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy import select

from api.deps import (
    AdminDep,
    CheckpointsDep,
    OperatorDep,
    SessionDep,
    SettingsDep,
    StoreDep,
)
from api.idempotency import KEY_LEN, IdempotencyKeys, KeyInFlight, KeyReused
from api.params import Limit, Offset, PlateSearch, RowId
from api.queries import plate_search
from api.schemas import (
    DeclarationCreate,
    DeclarationFiled,
    DeclarationPage,
    DeclarationPublic,
    ImportReportPublic,
    RowErrorPublic,
)
from api.settings import Settings
from matcher.late import resolve_late
from pipeline.checkpoints import CheckpointRegistry
from pipeline.validation import without_value_error
from plate_reader.formats import get_profile
from store import DeclarationIn, DeclarationsFileError, Store, import_declarations
from store.csv_import import parse_time_zone
from store.models import Declaration, utcnow
from store.schemas import UnknownCheckpoint, check_checkpoints
from store.writes import add_declarations, remove_declaration

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/declarations", tags=["declarations"])

_EXAMPLES = {"vn": "75A-123.45, 75A-1234 or 75-B1 234.56"}


def _problem(field: str, kind: str, message: str, **context: object) -> dict[str, object]:
    """One error as the validation errors are given (``type``, ``loc``, ``msg``), so a client
    (the public page) tells every refusal of a filing by field and type and words it itself;
    ``ctx`` carries the numbers or codes its sentence needs."""
    item: dict[str, object] = {"type": kind, "loc": ["body", field], "msg": message}
    if context:
        item["ctx"] = context
    return item


def _refuse(problems: list[dict[str, object]]) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, problems)


def _problem_of(error: ErrorDetails) -> dict[str, object]:
    """A store-side validation error (``DeclarationIn``) as a problem of the body's field."""
    field = str(error["loc"][0]) if error["loc"] else "body"
    return _problem(field, error["type"], f"{field}: {without_value_error(error['msg'])}")


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=DeclarationFiled,
    responses={
        409: {"description": "A request with this Idempotency-Key is still being handled"},
        429: {"description": "Too many declarations from this client; see Retry-After"},
    },
)
def file_declaration(
    body: DeclarationCreate,
    store: StoreDep,
    settings: SettingsDep,
    registry: CheckpointsDep,
    request: Request,
    response: Response,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            max_length=KEY_LEN,
            pattern=r"^[\x21-\x7e]+$",
            description="Any unique string (a UUID): a retry with the same key and body within "
            "24 h gets the first answer again (header Idempotent-Replayed) and files nothing.",
        ),
    ] = None,
) -> DeclarationFiled:
    """File a declaration (no API key). The plate must fit the region's format and the window
    must be sane: not ending before it starts, not too long, not too far ahead or behind;
    its checkpoints must be in the registry (``GET /api/checkpoints``). A refusal (422) lists
    each problem as ``{type, loc, msg, ctx?}``, as a validation error does. The rate limit per
    client applies before the body is read (``api.guard``)."""
    if idempotency_key is None:
        return _file(body, store, settings, registry)
    keys: IdempotencyKeys = request.app.state.idempotency_keys
    try:
        answer = keys.begin(idempotency_key, body.model_dump_json().encode())
    except KeyReused:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "this Idempotency-Key came with another declaration",
        ) from None
    except KeyInFlight:
        raise HTTPException(
            status.HTTP_409_CONFLICT, "a request with this Idempotency-Key is being handled"
        ) from None
    if answer is not None:
        response.headers["Idempotent-Replayed"] = "true"
        return answer
    try:
        filed = _file(body, store, settings, registry)
    except BaseException:
        keys.abandon(idempotency_key)
        raise
    keys.finish(idempotency_key, filed)
    return filed


def _file(
    body: DeclarationCreate, store: Store, settings: Settings, registry: CheckpointRegistry
) -> DeclarationFiled:
    now = utcnow()
    problems = _window_problems(body.valid_from, body.valid_until, now, settings)
    checkpoints = _check_checkpoints(body.checkpoints, registry, problems)
    plate, display = _check_plate(body.plate, settings.region, problems)
    if problems:
        raise _refuse(problems)
    try:
        declaration = DeclarationIn(
            plate=plate,
            plate_display=display,
            vehicle_class=body.vehicle_class,
            driver_name=body.driver_name,
            driver_phone=body.driver_phone,
            origin=body.origin,
            destination=body.destination,
            purpose=body.purpose,
            checkpoints=checkpoints,
            valid_from=body.valid_from,
            valid_until=body.valid_until,
            filed_at=now,
            filed_via="web",
        )
    except ValidationError as exc:
        raise _refuse([_problem_of(e) for e in exc.errors(include_url=False)]) from None
    with store.transaction() as session:
        [declaration_id] = add_declarations(session, [declaration])
    resolved = resolve_late(store, [declaration_id]).flag_ids
    log.info("declaration #%d filed via web (%d flags resolved)", declaration_id, len(resolved))
    return DeclarationFiled(
        id=declaration_id,
        plate=plate,
        plate_display=display,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
        resolved_flags=len(resolved),
    )


@router.get("", response_model=DeclarationPage)
def list_declarations(
    session: SessionDep,
    _: OperatorDep,
    limit: Limit = 50,
    offset: Offset = 0,
    plate: PlateSearch = None,
    valid_at: Annotated[
        AwareDatetime | None, Query(description="Only declarations valid at this time.")
    ] = None,
    filed_via: Annotated[str | None, Query(max_length=16)] = None,
) -> DeclarationPage:
    """Newest first; search by plate prefix, validity time and channel."""
    query = select(Declaration)
    if plate is not None:  # a prefix, OCR look-alikes alike, by the indexed confusion key
        query = query.where(plate_search(Declaration.confusion_key, plate))
    if valid_at is not None:
        query = query.where(Declaration.valid_from <= valid_at, Declaration.valid_until > valid_at)
    if filed_via is not None:
        query = query.where(Declaration.filed_via == filed_via)
    query = query.order_by(Declaration.id.desc()).offset(offset).limit(limit + 1)
    rows = list(session.scalars(query))
    return DeclarationPage(
        items=[DeclarationPublic.model_validate(r) for r in rows[:limit]],
        has_more=len(rows) > limit,
    )


@router.get("/{declaration_id}", response_model=DeclarationPublic)
def get_declaration(declaration_id: RowId, session: SessionDep, _: OperatorDep) -> Declaration:
    row = session.get(Declaration, declaration_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"declaration {declaration_id} not found")
    return row


@router.delete("/{declaration_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_declaration(declaration_id: RowId, store: StoreDep, who: OperatorDep) -> Response:
    with store.transaction() as session:
        if not remove_declaration(session, declaration_id):
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, f"declaration {declaration_id} not found"
            )
    log.info("declaration #%d deleted by %s", declaration_id, who.name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/import",
    response_model=ImportReportPublic,
    responses={413: {"description": "File too large"}, 422: {"description": "Not this CSV"}},
)
def import_csv(
    file: UploadFile,
    store: StoreDep,
    settings: SettingsDep,
    registry: CheckpointsDep,
    who: AdminDep,
    assume_tz: Annotated[
        str | None,
        Query(max_length=64, description="Zone for times without offset: Asia/Ho_Chi_Minh."),
    ] = None,
) -> ImportReportPublic:
    """Import a declarations CSV (columns as for ``entrywatch`` CSV import). Good rows are stored
    in one transaction; bad rows come back with their line and reason (a checkpoint not in
    the registry is one)."""
    zone = _zone(assume_tz)
    name = Path(file.filename or "upload.csv").name
    data = file.file.read(settings.max_upload_bytes + 1)
    if len(data) > settings.max_upload_bytes:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"{name}: larger than {settings.max_upload_bytes} bytes; split the file",
        )
    with tempfile.TemporaryDirectory(prefix="entrywatch-import-") as tmp:
        path = Path(tmp) / "upload.csv"
        path.write_bytes(data)
        try:
            report = import_declarations(
                store, path, assume_tz=zone, known_checkpoints=registry.codes
            )
        except DeclarationsFileError as exc:
            detail = str(exc).replace(str(path), name)
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail) from None
    resolved = resolve_late(store, report.declaration_ids).flag_ids
    log.info(
        "%s imported by %s: %d rows, %d flags resolved",
        name,
        who.name,
        report.imported,
        len(resolved),
    )
    return ImportReportPublic(
        imported=report.imported,
        declaration_ids=list(report.declaration_ids),
        resolved_flags=len(resolved),
        errors=[RowErrorPublic(line=e.line, reason=e.reason) for e in report.errors],
    )


def _check_plate(raw: str, region: str, problems: list[dict[str, object]]) -> tuple[str, str]:
    profile = get_profile(region)
    plate = profile.normalise(raw)
    if not profile.is_valid(plate):
        example = _EXAMPLES.get(region, "")
        hint = f"; expected e.g. {example}" if example else ""
        message = f"plate {raw!r} is not a valid {region} plate{hint}"
        problems.append(_problem("plate", "plate_format", message, region=region))
        return plate, plate
    return plate, profile.display(plate)


def _check_checkpoints(
    codes: list[str] | None, registry: CheckpointRegistry, problems: list[dict[str, object]]
) -> frozenset[str] | None:
    """The codes as the registry spells them (None: any checkpoint)."""
    try:
        return check_checkpoints(frozenset(codes) if codes else None, registry.codes)
    except UnknownCheckpoint as exc:
        problems.append(
            _problem("checkpoints", "unknown_checkpoint", str(exc), unknown=list(exc.unknown))
        )
        return None


def _window_problems(
    start: datetime, end: datetime, now: datetime, settings: Settings
) -> list[dict[str, object]]:
    problems = []
    if end <= start:
        problems.append(
            _problem("valid_until", "window_order", "valid_until must be after valid_from")
        )
    days = settings.max_validity_days
    if end - start > timedelta(days=days):
        message = f"the window may be at most {days:g} days"
        problems.append(_problem("valid_until", "window_too_long", message, days=days))
    ahead = settings.max_start_ahead_days
    if start > now + timedelta(days=ahead):
        message = f"valid_from may be at most {ahead:g} days ahead"
        problems.append(_problem("valid_from", "start_too_far_ahead", message, days=ahead))
    behind = settings.max_start_behind_hours
    if start < now - timedelta(hours=behind):
        message = f"valid_from may be at most {behind:g} hours in the past"
        problems.append(_problem("valid_from", "start_too_far_behind", message, hours=behind))
    if end <= now:
        problems.append(_problem("valid_until", "window_past", "valid_until is already past"))
    return problems


def _zone(name: str | None) -> ZoneInfo | None:
    if name is None:
        return None
    try:
        return parse_time_zone(name)
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
