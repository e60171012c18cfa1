"""Request (``*Create``, actions) and response (``*Public``) models of the API."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from matcher.lifecycle import FlagReason as FlagReason
from matcher.lifecycle import FlagStatus as FlagStatus
from matcher.lifecycle import ResolutionOutcome
from pipeline.events import FlagEvent, VehicleClass
from store.records import ANY_CHECKPOINT

# The flag enums are defined once (pipeline.events, re-exported by matcher.lifecycle); the API's
# query parameters and bodies use them as they are.


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- declarations ---------------------------------------------------------------------------


class DeclarationCreate(_In):
    """What a driver files on the public page."""

    plate: str = Field(min_length=4, max_length=20, description="Plate as written: 75A-123.45.")
    vehicle_class: VehicleClass | None = None
    driver_name: str = Field(min_length=1, max_length=200)
    driver_phone: str = Field(pattern=r"^\+?[0-9][0-9 .()-]{5,30}$", max_length=32)
    origin: str = Field(min_length=1, max_length=200)
    destination: str = Field(min_length=1, max_length=200)
    purpose: str | None = Field(default=None, max_length=500)
    checkpoints: list[str] | None = Field(
        default=None,
        max_length=50,
        description="Checkpoint ids the declaration is good for; omit or null for any.",
    )
    valid_from: AwareDatetime
    valid_until: AwareDatetime


class DeclarationPublic(_Out):
    id: int = Field(description="Never reused, also after the declaration is deleted.")
    plate: str = Field(validation_alias="plate_normalised")
    plate_display: str | None
    vehicle_class: str | None
    driver_name: str | None
    driver_phone: str | None
    origin: str | None
    destination: str | None
    purpose: str | None
    checkpoints: list[str] = Field(description="Checkpoint ids; empty: good for any checkpoint.")
    valid_from: datetime
    valid_until: datetime
    filed_at: datetime
    filed_via: str

    @field_validator("checkpoints", mode="before")
    @classmethod
    def _any_is_empty(cls, value: Any) -> Any:
        # The store keeps "any" for a declaration good everywhere; the API says it as [].
        return [] if value == ANY_CHECKPOINT else value


class DeclarationFiled(BaseModel):
    id: int
    plate: str
    plate_display: str
    valid_from: datetime
    valid_until: datetime
    resolved_flags: int = Field(
        description="Unsettled flags (undeclared, expired, wrong checkpoint) it now covers, "
        "resolved as declared_late."
    )


class RowErrorPublic(BaseModel):
    line: int
    reason: str


class ImportReportPublic(BaseModel):
    imported: int
    declaration_ids: list[int]
    errors: list[RowErrorPublic]
    resolved_flags: int = Field(
        default=0, description="Unsettled flags the imported declarations now cover, resolved."
    )


# --- entries and flags ----------------------------------------------------------------------


class EvidencePublic(BaseModel):
    plate_crop: str | None = None
    vehicle_snapshot: str | None = None
    frame: str | None = None
    vehicle_box: tuple[int, int, int, int] | None = None
    plate_box: tuple[int, int, int, int] | None = None


class EntryPublic(BaseModel):
    event_id: str
    camera_id: str
    checkpoint: str
    direction: str
    crossed_at: datetime
    plate: str | None
    plate_display: str | None
    confidence: float
    readable: bool
    format_valid: bool
    vehicle_class: str | None
    evidence: EvidencePublic
    outcome: str | None = Field(description="The matcher's decision, if it decided this entry.")


class CandidatePublic(BaseModel):
    plate: str
    score: float = Field(description="Vote weight the candidate gathered.")


class EntryDetail(EntryPublic):
    """One entry with what the plate vote saw: its candidates and how many reads voted."""

    region: str | None
    reads: int = Field(description="Plate reads that went into the vote.")
    candidates: list[CandidatePublic] = Field(description="Voted alternatives, best first.")
    vehicle_confidence: float | None
    vehicle_box: tuple[int, int, int, int] | None = Field(
        description="The vehicle at the crossing, in the camera's frame pixels."
    )
    source_uri: str | None
    frame_index: int | None
    media_time_s: float | None


class FlagPublic(FlagEvent):
    """A flag as the REST API serves it: exactly the FlagEvent of its current state, as the flags
    topic carries it (``docs/schemas/flag_event.v1.json``)."""


class FlagAuditPublic(_Out):
    id: int
    flag_id: int
    action: str
    actor: str
    at: datetime
    note: str | None


class DeclarationSummary(_Out):
    """The declaration a flag's decision refers to: its number, window and checkpoints (no
    personal data: integrators read flags too)."""

    id: int
    plate: str = Field(validation_alias="plate_normalised")
    plate_display: str | None
    checkpoints: list[str] = Field(description="Checkpoint ids; empty: good for any checkpoint.")
    valid_from: datetime
    valid_until: datetime

    @field_validator("checkpoints", mode="before")
    @classmethod
    def _any_is_empty(cls, value: Any) -> Any:
        return [] if value == ANY_CHECKPOINT else value


class FlagDetail(FlagPublic):
    audit: list[FlagAuditPublic]
    declaration: DeclarationSummary | None = Field(
        default=None, description="The declaration of declaration_id, while it exists."
    )


class OpenFlagCount(BaseModel):
    open: int = Field(description="Flags with status open.")
    by_priority: dict[int, int] = Field(description="Open flags per priority (0-4).")


class FlagAcknowledge(_In):
    note: str | None = Field(default=None, max_length=2000)


class FlagResolve(_In):
    outcome: ResolutionOutcome
    note: str | None = Field(default=None, max_length=2000)


class FlagReopen(_In):
    note: str | None = Field(default=None, max_length=2000)


class FlagSort(StrEnum):
    """The order of ``GET /api/flags``."""

    NEWEST = "newest"  # the newest flag first; pages by before_id
    PRIORITY = "priority"  # the most urgent first, then the newest crossing; pages by offset


class FlagPage(BaseModel):
    items: list[FlagPublic]
    next_before_id: int | None = Field(
        description="sort=newest: pass as before_id for the next page."
    )
    next_offset: int | None = Field(
        default=None, description="sort=priority: pass as offset for the next page."
    )


class EntryPage(BaseModel):
    items: list[EntryPublic]
    has_more: bool


class DeclarationPage(BaseModel):
    items: list[DeclarationPublic]
    has_more: bool


# --- stats, cameras, health -----------------------------------------------------------------


class HourlyStat(BaseModel):
    checkpoint: str
    hour: datetime
    entries: int
    flags: int


class CameraPublic(_Out):
    camera_id: str
    checkpoint: str | None
    last_frame_at: datetime | None
    age_s: float | None = Field(description="Seconds since the last frame.")
    fps: float | None
    frames_dropped: int
    reconnects: int
    inference_ms: float | None
    status: Literal["ok", "stale", "error", "stopped", "waiting"] = Field(
        description="waiting: in the checkpoints registry, but no worker has reported it yet."
    )
    error: str | None
    updated_at: datetime | None = Field(description="Last worker report (null: none yet).")


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    database: str
    detail: str | None = None


class Problem(BaseModel):
    """Error body: ``detail`` says what was wrong."""

    detail: Any


def as_json(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")
