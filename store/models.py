"""ORM models of the EntryWatch store. The Alembic revisions under ``migrations/`` create them;
a test keeps the two in step."""

from __future__ import annotations

from collections.abc import Iterable
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

from pipeline.events import (
    DISPLAY_LEN,
    EVENT_ID_LEN,
    NAME_LEN,
    PLATE_LEN,
    FlagReason,
    FlagStatus,
    ResolutionOutcome,
)
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


def one_of(column: str, values: Iterable[str]) -> str:
    """A CHECK constraint's text: ``column`` holds one of ``values`` (an enum's, usually), so the
    database refuses what the code would never write."""
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


def utcnow() -> datetime:
    return datetime.now(UTC)


def _confusion_key_default(context: DefaultExecutionContext) -> str | None:
    # Computed at insert time (Core and ORM alike), so no writer can forget the key column.
    # store.bulk writes entries past the ORM and computes it itself.
    plate = context.get_current_parameters()["plate_normalised"]
    return None if plate is None else confusion_key(plate)


# A plate search is ``confusion_key LIKE 'KEY%'``. PostgreSQL turns a LIKE prefix into an index
# range only under the "C" collation (a database in en_US.UTF-8 would scan); SQLite only when the
# index is NOCASE, LIKE being case-insensitive there (the key is upper-case, so NOCASE changes
# nothing else). Revision 0006.
SEARCH_KEY_TYPE = (
    String(PLATE_LEN)
    .with_variant(String(PLATE_LEN, collation="C"), "postgresql")
    .with_variant(String(PLATE_LEN, collation="NOCASE"), "sqlite")
)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def table_of(model: type[Base]) -> Table:
    """The model's ``Table`` (typed as one, for Core inserts)."""
    return cast(Table, model.__table__)


class Declaration(Base):
    __tablename__ = "declarations"
    # AUTOINCREMENT (revision 0004): a deleted declaration's id is never given out again, so
    # audit notes that name "#9" stay true. PostgreSQL's sequence never reuses ids anyway.
    __table_args__ = (
        CheckConstraint("valid_until > valid_from", name="window"),
        {"sqlite_autoincrement": True},
    )

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
    # The plate's store.plates.confusion_key (revision 0006), what ``?plate=`` searches by prefix
    # on entries and flags: NULL when no plate was read.
    confusion_key: Mapped[str | None] = mapped_column(
        SEARCH_KEY_TYPE, index=True, default=_confusion_key_default
    )
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
    """A flag; its status changes only through ``matcher.lifecycle`` (which also writes the
    audit row and the outbox row of each change)."""

    __tablename__ = "flags"
    __table_args__ = (
        CheckConstraint(one_of("status", FlagStatus), name="status"),
        CheckConstraint(one_of("reason", FlagReason), name="reason"),
        CheckConstraint(
            "resolution_outcome IS NULL OR " + one_of("resolution_outcome", ResolutionOutcome),
            name="resolution_outcome",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("entries.event_id", ondelete="CASCADE"), unique=True
    )
    reason: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=FlagStatus.OPEN.value, index=True)
    priority: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolution_outcome: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    # Who resolved it and which declaration settled it (revision 0004): the FlagEvent's
    # ``resolution`` is built from the row, not guessed from the audit trail.
    resolved_by: Mapped[str | None] = mapped_column(String(128))
    resolution_declaration_id: Mapped[int | None] = mapped_column(Integer)


class FlagAudit(Base):
    __tablename__ = "flag_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flag_id: Mapped[int] = mapped_column(ForeignKey("flags.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)


class WatchlistEntry(Base):
    """A plate the matcher flags at top priority whatever its declarations say; changed only
    through ``store.watchlist`` (which writes the audit row of each change)."""

    __tablename__ = "watchlist"

    plate_normalised: Mapped[str] = mapped_column(String(PLATE_LEN), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    added_by: Mapped[str | None] = mapped_column(String(128))  # revision 0005


WATCHLIST_ACTIONS = ("added", "updated", "removed")


class WatchlistAudit(Base):
    """Every watch-list change (revision 0005): who, when, the reason in force, a note. The same
    columns as ``flag_audit``, in a table of its own because those rows belong to a flag."""

    __tablename__ = "watchlist_audit"
    __table_args__ = (
        CheckConstraint(one_of("action", WATCHLIST_ACTIONS), name="action"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plate_normalised: Mapped[str] = mapped_column(String(PLATE_LEN), index=True)
    action: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)


class FlagOutbox(Base):
    """The transactional outbox of the flags topic (revision 0004): one row per flag change,
    written in the change's own transaction; the relay (``matcher.relay``) publishes rows in id
    order and sets ``sent_at`` once the broker has acknowledged them."""

    __tablename__ = "flag_outbox"
    # AUTOINCREMENT: ids only grow, even after sent rows are pruned, so id order is change order.
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flag_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(160))
    value: Mapped[str] = mapped_column(Text)  # the FlagEvent as published, compact JSON
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# The relay's one query: the oldest unsent rows. A partial index stays as small as the backlog.
Index(
    "ix_flag_outbox_unsent",
    FlagOutbox.id,
    sqlite_where=FlagOutbox.sent_at.is_(None),
    postgresql_where=FlagOutbox.sent_at.is_(None),
)
Index("ix_flag_outbox_sent_at", FlagOutbox.sent_at)


class RelayLease(Base):
    """Which relay may publish the outbox (revision 0004): one row per outbox, held by one relay
    at a time until ``expires_at``, so several matchers and ``entrywatch relay`` processes keep
    one publisher and its order."""

    __tablename__ = "relay_lease"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


# --- API and camera health (revision 0002) ---------------------------------------------------

API_KEY_ROLES = ("admin", "operator", "integrator")
CAMERA_STATUSES = ("ok", "stale", "error", "stopped")

# The live flag stream polls "what changed since" and the dashboard lists the newest open flags:
# both need these on a table of 100,000 flags.
Index("ix_flags_updated_at", Flag.updated_at)
Index("ix_flags_status_id", Flag.status, Flag.id)
# The dashboard's open flags, most urgent first (``sort=priority``, revision 0007).
Index("ix_flags_status_priority", Flag.status, Flag.priority)


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
