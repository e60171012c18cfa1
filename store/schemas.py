"""Validated input for the store: what any channel (CSV, web form, API) must supply to file a
declaration. Channels turn their raw input into ``DeclarationIn``; the store trusts it."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from pipeline.events import NO_NUL, DisplayText, NameText, VehicleClass
from store.plates import normalise_plate
from store.records import ANY_CHECKPOINT

MIN_PLATE_LEN = 4
MAX_PLATE_LEN = 12
ANY_MARKERS = frozenset({"*", ANY_CHECKPOINT})
# Any channel's window: the API's own limits are tighter (settings.max_validity_days).
MAX_WINDOW = timedelta(days=31)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
FREE_TEXT_LEN = 200
PURPOSE_LEN = 500
MAX_CHECKPOINTS = 50
FreeText = Annotated[str, StringConstraints(max_length=FREE_TEXT_LEN, pattern=NO_NUL)]
PurposeText = Annotated[str, StringConstraints(max_length=PURPOSE_LEN, pattern=NO_NUL)]


class DeclarationIn(BaseModel):
    """A declaration to store.

    Times must carry a time zone. A caller that knows the zone of naive input (e.g. a CSV written
    by hand in Huế) passes it as validation context ``{"assume_tz": ZoneInfo(...)}``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    plate: DisplayText = Field(description="Plate as written; stored normalised (75A12345).")
    plate_display: DisplayText | None = Field(
        default=None, description="Display form; must be the same plate (75A-123.45)."
    )
    vehicle_class: VehicleClass | None = None
    driver_name: FreeText | None = None
    driver_phone: str | None = Field(default=None, pattern=r"^\+?[0-9][0-9 .()-]{5,30}$")
    origin: FreeText | None = None
    destination: FreeText | None = None
    purpose: PurposeText | None = None
    checkpoints: frozenset[NameText] | None = Field(
        default=None,
        max_length=MAX_CHECKPOINTS,
        description="Checkpoint ids; None (or '*' / 'any' in text) means any.",
    )
    valid_from: AwareDatetime
    valid_until: AwareDatetime
    filed_at: AwareDatetime
    filed_via: str = Field(pattern=r"^[a-z_]{1,16}$", description="web, csv, api, ...")

    @field_validator("plate")
    @classmethod
    def _plate(cls, value: str) -> str:
        plate = normalise_plate(value)
        if not MIN_PLATE_LEN <= len(plate) <= MAX_PLATE_LEN:
            raise ValueError(
                f"plate {value!r} normalises to {plate!r}: "
                f"expected {MIN_PLATE_LEN}-{MAX_PLATE_LEN} letters and digits"
            )
        if not any(ch.isdigit() for ch in plate):
            raise ValueError(f"plate {value!r} has no digits")
        return plate

    @field_validator("checkpoints", mode="before")
    @classmethod
    def _checkpoints(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.casefold() in ANY_MARKERS:
                return None
            parts = [p.strip() for p in text.split(";")]
            if not text or any(not p for p in parts):
                raise ValueError(f"checkpoints {value!r}: use '*' for any, or ids joined by ';'")
            return frozenset(parts)
        if isinstance(value, list | tuple | set | frozenset) and not value:
            raise ValueError("empty checkpoint list: use '*' for any")
        return value

    @field_validator("valid_from", "valid_until", "filed_at", mode="before")
    @classmethod
    def _assume_zone(cls, value: Any, info: ValidationInfo) -> Any:
        zone: tzinfo | None = (info.context or {}).get("assume_tz")
        if zone is None:
            return value
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.strip())
            except ValueError:
                return value  # let pydantic report the bad time in its own words
        if isinstance(value, datetime) and value.tzinfo is None:
            return value.replace(tzinfo=zone)
        return value

    @model_validator(mode="after")
    def _window(self) -> DeclarationIn:
        if self.valid_until <= self.valid_from:
            raise ValueError(
                f"valid_until {self.valid_until.isoformat()} is not after "
                f"valid_from {self.valid_from.isoformat()}"
            )
        if self.valid_until - self.valid_from > MAX_WINDOW:
            raise ValueError(f"window longer than {MAX_WINDOW.days} days")
        for at in (self.valid_from, self.valid_until, self.filed_at):
            if not EARLIEST <= at < LATEST:
                raise ValueError(f"time {at.isoformat()} outside {EARLIEST.year}-{LATEST.year - 1}")
        return self

    @model_validator(mode="after")
    def _display_is_the_plate(self) -> DeclarationIn:
        if self.plate_display is not None and normalise_plate(self.plate_display) != self.plate:
            raise ValueError(f"display plate {self.plate_display!r} is not plate {self.plate!r}")
        return self


class UnknownCheckpoint(ValueError):
    """A declaration names a checkpoint the registry does not know (``pipeline.checkpoints``)."""

    def __init__(self, unknown: Collection[str], known: Collection[str]) -> None:
        names = ", ".join(repr(c) for c in sorted(unknown))
        plural = "s" if len(unknown) > 1 else ""
        super().__init__(
            f"unknown checkpoint{plural} {names}; known: {', '.join(sorted(known))} "
            "(or '*' for any)"
        )
        self.unknown = tuple(sorted(unknown))


def check_checkpoints(
    codes: frozenset[str] | None, known: Collection[str]
) -> frozenset[str] | None:
    """``codes`` spelled as the registry spells them (codes are compared ignoring case), or
    ``UnknownCheckpoint`` naming those it lacks. ``None`` (any checkpoint) passes; so does
    everything when ``known`` is empty (no registry configured)."""
    if codes is None or not known:
        return codes
    by_fold = {code.casefold(): code for code in known}
    unknown = {code for code in codes if code.casefold() not in by_fold}
    if unknown:
        raise UnknownCheckpoint(unknown, known)
    return frozenset(by_fold[code.casefold()] for code in codes)
