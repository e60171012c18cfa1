"""EntryEvent v1: what a worker publishes when a tracked vehicle crosses an entry line.

Integrators rely on this shape; ``docs/schemas/entry_event.v1.json`` is generated from
it (``python -m pipeline.schemas``) and a test keeps the two identical. Additive,
optional fields may join v1; anything else is a v2 on a new topic.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

SCHEMA_VERSION = 1

# Input limits, published as maxLength in the schemas; the store's columns have the same sizes
# (store/models.py imports them), so a schema-valid event is always storable.
EVENT_ID_LEN = 64
NAME_LEN = 128  # camera ids, checkpoints, session ids, model names, actors
PLATE_LEN = 16
DISPLAY_LEN = 32
REGION_LEN = 16
URI_LEN = 2048
EVIDENCE_LEN = 255  # one path component's limit on common file systems
MAX_CANDIDATES = 32

# No NUL in any string: PostgreSQL text cannot hold one, and no input has a reason to carry one.
NO_NUL = r"^[^\x00]*$"


# An entry's evidence id as workers write it (pipeline.evidence): its camera's folder, a JPEG.
EVIDENCE_ID = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*/[A-Za-z0-9_.-]+\.jpg")


# Strings of at most so many characters, without NUL (the published maxLength and pattern).
EventIdText = Annotated[str, StringConstraints(max_length=EVENT_ID_LEN, pattern=NO_NUL)]
NameText = Annotated[str, StringConstraints(max_length=NAME_LEN, pattern=NO_NUL)]
PlateText = Annotated[str, StringConstraints(max_length=PLATE_LEN, pattern=NO_NUL)]
DisplayText = Annotated[str, StringConstraints(max_length=DISPLAY_LEN, pattern=NO_NUL)]
RegionText = Annotated[str, StringConstraints(max_length=REGION_LEN, pattern=NO_NUL)]
UriText = Annotated[str, StringConstraints(max_length=URI_LEN, pattern=NO_NUL)]
EvidenceText = Annotated[str, StringConstraints(max_length=EVIDENCE_LEN, pattern=NO_NUL)]


# Crossing times a camera can plausibly report; outside them the clock is wrong (and times near
# the ends of datetime's range overflow when converted or compared).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def _plausible(value: datetime) -> datetime:
    if not EARLIEST <= value < LATEST:
        raise ValueError(f"time outside {EARLIEST.year}-{LATEST.year - 1}")
    return value


CrossingTime = Annotated[AwareDatetime, AfterValidator(_plausible)]


def _require_schema_version(schema: dict[str, Any]) -> None:
    # ``schema_version`` defaults to 1 for Python callers, but every published value carries it.
    required = schema.setdefault("required", [])
    if "schema_version" not in required:
        required.insert(0, "schema_version")


# A fixed namespace makes event ids reproducible across machines and replays.
EVENT_NAMESPACE = uuid.UUID("6f1d3c52-8a8e-4c1b-9a57-2f0c4f3e9b11")

Direction = Literal["inbound", "outbound"]
VehicleClass = Literal["car", "motorcycle", "bus", "truck", "vehicle"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PlateCandidate(_Model):
    plate: PlateText = Field(description="Normalised plate text (upper-case letters and digits).")
    score: float = Field(ge=0, description="Vote weight the candidate gathered.")


class PlateInfo(_Model):
    readable: bool = Field(description="False when no plate could be read on any frame.")
    normalised: PlateText | None = Field(
        default=None, description="Upper-case letters and digits only, e.g. 75A12345."
    )
    display: DisplayText | None = Field(default=None, description="Display form, e.g. 75A-123.45.")
    confidence: float = Field(ge=0, le=1, description="Confidence of the voted plate.")
    format_valid: bool = Field(description="Whether the plate fits the region's format.")
    region: RegionText = Field(description="Plate format profile used, e.g. vn or generic.")
    reads: int = Field(ge=0, description="Plate reads that went into the vote.")
    candidates: list[PlateCandidate] = Field(
        default_factory=list,
        max_length=MAX_CANDIDATES,
        description="Voted alternatives, best first.",
    )


class VehicleInfo(_Model):
    vehicle_class: VehicleClass = Field(description="Detector class of the vehicle.")
    confidence: float = Field(ge=0, le=1)
    box: tuple[int, int, int, int] = Field(description="x1, y1, x2, y2 in frame pixels.")
    track_id: int = Field(ge=0, description="Tracker id, unique within a stream session.")


class Evidence(_Model):
    plate_crop: EvidenceText | None = Field(
        default=None, description="Evidence id of the plate crop (a path under the evidence root)."
    )
    vehicle_snapshot: EvidenceText | None = Field(
        default=None, description="Evidence id of the vehicle snapshot at the crossing."
    )
    frame: EvidenceText | None = Field(
        default=None,
        description="Evidence id of the full frame the plate was read on (else the crossing's), "
        "scaled down to the worker's evidence.frame_max_px.",
    )
    vehicle_box: tuple[int, int, int, int] | None = Field(
        default=None, description="The vehicle in the frame image: x1, y1, x2, y2 in its pixels."
    )
    plate_box: tuple[int, int, int, int] | None = Field(
        default=None, description="The plate in the frame image: x1, y1, x2, y2 in its pixels."
    )


class SourcePosition(_Model):
    kind: Literal["file", "stream", "images"]
    uri: UriText = Field(description="File path or stream URL (credentials removed).")
    session_id: NameText = Field(description="Identifies one run over one source.")
    frame_index: int = Field(ge=0)
    media_time_s: float = Field(ge=0, description="Seconds since the start of the source.")


class SoftwareInfo(_Model):
    version: NameText
    vehicle_model: NameText
    plate_model: NameText
    ocr: NameText


class EntryEvent(_Model):
    """One vehicle crossing one camera's entry line (inbound: an entry; outbound: an exit).

    Every string is at most its ``maxLength`` and holds no NUL; ``schema_version`` is required.
    """

    model_config = ConfigDict(json_schema_extra=_require_schema_version)

    schema_version: Literal[1] = 1
    event_id: EventIdText = Field(
        description="Deterministic: camera, stream session, track, direction."
    )
    camera_id: NameText
    checkpoint: NameText
    direction: Direction
    crossed_at: CrossingTime = Field(
        description="When the vehicle crossed, with time zone (years 2000 to 2099)."
    )
    plate: PlateInfo
    vehicle: VehicleInfo
    evidence: Evidence = Field(
        default=Evidence(),
        description="Evidence ids of an entry name a JPEG in its camera's folder: "
        "CAMERA_ID/NAME.jpg (letters, digits, _ . -).",
    )
    source: SourcePosition
    software: SoftwareInfo

    @model_validator(mode="after")
    def _evidence_in_camera_folder(self) -> EntryEvent:
        # So an id can never point the dashboard, or the evidence route, at another path.
        for name in ("plate_crop", "vehicle_snapshot", "frame"):
            evidence_id = getattr(self.evidence, name)
            if evidence_id is None:
                continue
            if not EVIDENCE_ID.fullmatch(evidence_id):
                raise ValueError(f"evidence.{name} is not CAMERA_ID/NAME.jpg")
            if evidence_id.split("/", 1)[0] != self.camera_id:
                raise ValueError(f"evidence.{name} is not in camera {self.camera_id}'s folder")
        return self

    @property
    def key(self) -> str:
        """Bus key: the normalised plate, or the camera for unread plates."""
        return self.plate.normalised or f"camera:{self.camera_id}"


def make_event_id(camera_id: str, session_id: str, track_id: int, direction: Direction) -> str:
    return str(uuid.uuid5(EVENT_NAMESPACE, f"{camera_id}|{session_id}|{track_id}|{direction}"))


# --- FlagEvent v1: what the matcher publishes on the flags topic --------------------------------


class FlagStatus(StrEnum):
    """Where a flag is in its lifecycle (``matcher.lifecycle`` moves it)."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class FlagReason(StrEnum):
    """Why a flag was raised: every matcher outcome except "declared" (kept in step with
    ``matcher.rules.Outcome`` by a test; importing it here would be a cycle)."""

    PROBABLE = "probable"
    UNDECLARED = "undeclared"
    EXPIRED = "expired"
    WRONG_CHECKPOINT = "wrong_checkpoint"
    UNREADABLE = "unreadable"
    WATCHLISTED = "watchlisted"


class ResolutionOutcome(StrEnum):
    """How a resolved flag was settled: by a late declaration, or an operator's verdict."""

    DECLARED_LATE = "declared_late"
    MISREAD = "misread"
    VIOLATION_CONFIRMED = "violation_confirmed"
    FALSE_ALARM = "false_alarm"
    DUPLICATE = "duplicate"
    OTHER = "other"


def _utc(at: datetime) -> datetime:
    return at.astimezone(UTC)


# Flag times are sent in UTC (``Z``), whatever zone they were made in; the camera's own clock is
# kept in ``crossed_at_local``.
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_utc)]


class FlagResolution(_Model):
    """How a flag was settled (present when ``status`` is ``resolved``)."""

    outcome: ResolutionOutcome = Field(
        description="Resolution outcome: declared_late (a declaration filed within the grace "
        "period settled it) or an operator's verdict."
    )
    actor: str = Field(description="Who resolved it: an operator's key name, or 'system'.")
    at: UtcDatetime = Field(description="When it was resolved, in UTC.")
    note: str | None = Field(default=None, description="Free text from the resolver.")
    declaration_id: int | None = Field(
        default=None, description="The declaration that settled the flag, when one did."
    )


class FlagEvent(_Model):
    """A flag raised on an entry, or a later change of its status (same ``flag_id``).

    Published when a flag is raised and each time its status changes. Delivery is at least once:
    deduplicate by ``(flag_id, status, updated_at)``: one change, one key. The REST API serves
    the same shape (plus the audit trail). Times are UTC; ``crossed_at_local`` is the camera's.
    """

    model_config = ConfigDict(json_schema_extra=_require_schema_version)

    schema_version: Literal[1] = 1
    flag_id: int = Field(ge=1, description="Stable id of the flag; one flag per entry.")
    event_id: str = Field(description="The entry event (EntryEvent.event_id) that was flagged.")
    status: FlagStatus
    reason: FlagReason = Field(description="The matcher's outcome that raised the flag.")
    detail: str = Field(description="Human-readable reason, e.g. 'no declaration for 75A12345'.")
    priority: int = Field(
        ge=0, le=4, description="Urgency: 0 none, 1 low, 2 medium, 3 high, 4 critical."
    )
    plate: str | None = Field(
        default=None, description="Normalised plate read at the entry; null when unreadable."
    )
    plate_display: str | None = Field(default=None, description="Display form of the plate.")
    camera_id: str
    checkpoint: str
    crossed_at: UtcDatetime = Field(description="When the vehicle crossed, in UTC.")
    decided_at: UtcDatetime = Field(description="When the matcher decided the entry, in UTC.")
    updated_at: UtcDatetime = Field(description="When the flag took this status, in UTC.")
    declaration_id: int | None = Field(
        default=None, description="The declaration the decision refers to (expired, ...)."
    )
    evidence: Evidence = Evidence()
    resolution: FlagResolution | None = None
    crossed_at_local: AwareDatetime | None = Field(
        default=None,
        description="The crossing as the camera's clock gave it, with the camera's UTC offset.",
    )
    created_at: UtcDatetime | None = Field(
        default=None, description="When the flag was raised, in UTC."
    )
    confidence: float | None = Field(
        default=None, ge=0, le=1, description="Confidence of the plate read at the entry."
    )

    @property
    def key(self) -> str:
        """Bus key: like the entry's, so a plate's entries and flags share partitioning."""
        return self.plate or f"camera:{self.camera_id}"
