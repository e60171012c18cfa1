"""ORM models of the EntryWatch store. The Alembic revisions under ``migrations/`` create them;
a test keeps the two in step."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from pipeline.events import DISPLAY_LEN, EVENT_ID_LEN, NAME_LEN, PLATE_LEN
from store.plates import confusion_key
from store.types import DocumentType, JsonType, UTCDateTime

# Named constraints, so migrations can drop or alter them the same way on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

FLAG_STATUSES = ("open", "acknowledged", "resolved")


def utcnow() -> datetime:
    return datetime.now(UTC)


def _confusion_key_default(context: DefaultExecutionContext) -> str:
    # Computed at insert time (Core and ORM alike), so no writer can forget the key column.
    return confusion_key(context.get_current_parameters()["plate_normalised"])


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def table_of(model: type[Base]) -> Table:
    """The model's ``Table`` (typed as one, for Core inserts)."""
    return cast(Table, model.__table__)


class Declaration(Base):
    __tablename__ = "declarations"
    __table_args__ = (CheckConstraint("valid_until > valid_from", name="window"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plate_normalised: Mapped[str] = mapped_column(String(PLATE_LEN), index=True)
    # See store.plates.confusion_key: finds near matches by index, not by scan.
    confusion_key: Mapped[str] = mapped_column(
        String(PLATE_LEN), index=True, default=_confusion_key_default
    )
    plate_display: Mapped[str | None] = mapped_column(String(DISPLAY_LEN))
    vehicle_class: Mapped[str | None] = mapped_column(String(16))
    driver_name: Mapped[str | None] = mapped_column(Text)
    driver_phone: Mapped[str | None] = mapped_column(String(32))
    origin: Mapped[str | None] = mapped_column(Text)
    destination: Mapped[str | None] = mapped_column(Text)
    purpose: Mapped[str | None] = mapped_column(Text)
    # A JSON list of checkpoint ids, or the string "any".
    checkpoints: Mapped[Any] = mapped_column(JsonType)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    filed_via: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Entry(Base):
    __tablename__ = "entries"

    event_id: Mapped[str] = mapped_column(String(EVENT_ID_LEN), primary_key=True)
    camera_id: Mapped[str] = mapped_column(String(NAME_LEN))
    checkpoint: Mapped[str] = mapped_column(String(NAME_LEN))
    direction: Mapped[str] = mapped_column(String(16))
    crossed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    plate_normalised: Mapped[str | None] = mapped_column(String(PLATE_LEN), index=True)
    plate_display: Mapped[str | None] = mapped_column(String(DISPLAY_LEN))
    confidence: Mapped[float] = mapped_column(Float)
    readable: Mapped[bool] = mapped_column(Boolean)
    format_valid: Mapped[bool] = mapped_column(Boolean)
    event: Mapped[dict[str, Any]] = mapped_column(DocumentType)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DecisionRow(Base):
    __tablename__ = "decisions"

    event_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("entries.event_id", ondelete="CASCADE"), primary_key=True
    )
    outcome: Mapped[str] = mapped_column(String(32), index=True)
    flagged: Mapped[bool] = mapped_column(Boolean)
    priority: Mapped[int] = mapped_column(Integer)
    # No foreign key (revision 0003): its per-row check was the costliest part of storing a
    # batch on PostgreSQL. ``writes.remove_declaration`` clears references instead.
    declaration_id: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Flag(Base):
    __tablename__ = "flags"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'acknowledged', 'resolved')", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("entries.event_id", ondelete="CASCADE"), unique=True
    )
    reason: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    priority: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolution_outcome: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)


class FlagAudit(Base):
    __tablename__ = "flag_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flag_id: Mapped[int] = mapped_column(ForeignKey("flags.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)


class WatchlistEntry(Base):
    __tablename__ = "watchlist"

    plate_normalised: Mapped[str] = mapped_column(String(PLATE_LEN), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- API and camera health (revision 0002) ---------------------------------------------------

API_KEY_ROLES = ("admin", "operator", "integrator")
CAMERA_STATUSES = ("ok", "stale", "error", "stopped")

# The live flag stream polls "what changed since" and the dashboard lists the newest open flags:
# both need these on a table of 100,000 flags.
Index("ix_flags_updated_at", Flag.updated_at)
Index("ix_flags_status_id", Flag.status, Flag.id)


class ApiKey(Base):
    """An API key, stored as the SHA-256 of its random token; ``prefix`` finds it cheaply."""

    __tablename__ = "api_keys"
    __table_args__ = (CheckConstraint("role IN ('admin', 'operator', 'integrator')", name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CameraStatus(Base):
    """Latest health of one camera worker, upserted by the worker (``upsert_camera_status``)."""

    __tablename__ = "camera_status"
    __table_args__ = (
        CheckConstraint("status IN ('ok', 'stale', 'error', 'stopped')", name="status"),
    )

    camera_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    checkpoint: Mapped[str | None] = mapped_column(String(128))
    last_frame_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fps: Mapped[float | None] = mapped_column(Float)
    frames_dropped: Mapped[int] = mapped_column(Integer, default=0)
    reconnects: Mapped[int] = mapped_column(Integer, default=0)
    inference_ms: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default="ok")
    error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
