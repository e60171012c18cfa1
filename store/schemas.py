"""Validated input for the store: what any channel (CSV, web form, API) must supply to file a
declaration. Channels turn their raw input into ``DeclarationIn``; the store trusts it."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from pipeline.events import VehicleClass
from store.plates import normalise_plate
from store.records import ANY_CHECKPOINT

MIN_PLATE_LEN = 4
MAX_PLATE_LEN = 12
ANY_MARKERS = frozenset({"*", ANY_CHECKPOINT})


class DeclarationIn(BaseModel):
    """A declaration to store.

    Times must carry a time zone. A caller that knows the zone of naive input (e.g. a CSV written
    by hand in Huế) passes it as validation context ``{"assume_tz": ZoneInfo(...)}``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    plate: str = Field(description="Plate as written; stored normalised (75A12345).")
    plate_display: str | None = Field(default=None, max_length=32)
    vehicle_class: VehicleClass | None = None
    driver_name: str | None = Field(default=None, max_length=200)
    driver_phone: str | None = Field(default=None, pattern=r"^\+?[0-9][0-9 .()-]{5,30}$")
    origin: str | None = Field(default=None, max_length=200)
    destination: str | None = Field(default=None, max_length=200)
    purpose: str | None = Field(default=None, max_length=500)
    checkpoints: frozenset[str] | None = Field(
        default=None, description="Checkpoint ids; None (or '*' / 'any' in text) means any."
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
        return self
