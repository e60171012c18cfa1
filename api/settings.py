"""API settings, read from ``ENTRYWATCH_*`` environment variables (or passed in by tests)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pipeline.config import STALE_AFTER_S, default_evidence_dir
from plate_reader.formats import get_profile

DEFAULT_DB_URL = "sqlite:///entrywatch.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ENTRYWATCH_", extra="forbid")

    db_url: str = Field(default=DEFAULT_DB_URL, description="Store URL (SQLite or PostgreSQL).")
    evidence_root: Path = Field(
        default_factory=default_evidence_dir,
        description="Evidence images root; default ENTRYWATCH_EVIDENCE_DIR, else out/evidence "
        "(where replay, demo and run write them).",
    )
    region: str = Field(default="vn", description="Plate format profile filed plates must fit.")
    declare_rate_limit: int = Field(
        default=5, ge=1, description="Declarations one client may file per window."
    )
    declare_rate_window_s: float = Field(default=60.0, gt=0)
    trust_forwarded_for: bool = Field(
        default=False,
        description="Take the client address from X-Forwarded-For (only behind a trusted proxy).",
    )
    trusted_proxies: list[str] = Field(
        default=["127.0.0.1", "::1"],
        description="Proxy addresses whose X-Forwarded-For is believed (with trust_forwarded_for).",
    )
    max_body_bytes: int = Field(
        default=64 * 1024, gt=0, description="Request body limit (413), except the CSV upload."
    )
    max_validity_days: float = Field(
        default=14, gt=0, description="Longest declaration window a driver may file."
    )
    max_start_ahead_days: float = Field(
        default=30, gt=0, description="How far ahead a declaration may start."
    )
    max_start_behind_hours: float = Field(
        default=24, ge=0, description="How far in the past a filed window may start."
    )
    camera_stale_after_s: float = Field(
        default=STALE_AFTER_S,
        gt=0,
        description="A camera with no frame for this long shows as stale (the worker's default).",
    )
    stream_poll_s: float = Field(default=0.2, gt=0, le=5, description="Live flag poll period.")
    stream_keepalive_s: float = Field(default=15.0, gt=0)
    list_cache_s: float = Field(
        default=0.25, ge=0, le=5, description="Identical list reads share one query this long."
    )
    auth_cache_s: float = Field(
        default=2.0, ge=0, le=60, description="A checked key is trusted this long (revocation lag)."
    )
    max_upload_bytes: int = Field(default=5_000_000, gt=0, description="CSV import size limit.")
    migrate_on_start: bool = Field(default=False, description="Run migrations at start-up.")
    checkpoints_file: Path | None = Field(
        default=None,
        description="Checkpoints registry (configs/checkpoints.yaml): the declaration page's "
        "list, the cameras view's configured cameras; declarations naming another checkpoint "
        "are refused. None: checkpoints are not checked.",
    )
    webhooks: dict[int, str] = Field(
        default_factory=dict,
        description='Outgoing webhook per flag priority (0-4): a JSON object, {"4": '
        '"http://host/hook", "3": "..."}; each new flag of that priority is POSTed there as its '
        "FlagEvent JSON.",
    )
    webhook_timeout_s: float = Field(default=5.0, gt=0, le=60, description="Per webhook POST.")
    webhook_poll_s: float = Field(default=1.0, gt=0, le=60, description="New-flag poll period.")

    @field_validator("webhooks")
    @classmethod
    def _webhook_urls(cls, value: dict[int, str]) -> dict[int, str]:
        for priority, url in value.items():
            if not 0 <= priority <= 4:
                raise ValueError(f"priority {priority}: flag priorities are 0 to 4")
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"priority {priority}: {url[:60]!r} is not an http(s) URL")
        return value

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        get_profile(value)  # raises ValueError naming the known profiles
        return value
