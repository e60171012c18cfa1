"""Initial schema: declarations, entries, decisions, flags, flag audit, watch list.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Revisions spell their types out instead of importing the models' types, so a later change to the
# models never rewrites history. UTC is enforced by store.types.UTCDateTime at run time.
TIME = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "declarations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plate_normalised", sa.String(length=16), nullable=False),
        sa.Column("confusion_key", sa.String(length=16), nullable=False),
        sa.Column("plate_display", sa.String(length=32), nullable=True),
        sa.Column("vehicle_class", sa.String(length=16), nullable=True),
        sa.Column("driver_name", sa.Text(), nullable=True),
        sa.Column("driver_phone", sa.String(length=32), nullable=True),
        sa.Column("origin", sa.Text(), nullable=True),
        sa.Column("destination", sa.Text(), nullable=True),
        sa.Column("purpose", sa.Text(), nullable=True),
        sa.Column("checkpoints", JSON, nullable=False),
        sa.Column("valid_from", TIME, nullable=False),
        sa.Column("valid_until", TIME, nullable=False),
        sa.Column("filed_at", TIME, nullable=False),
        sa.Column("filed_via", sa.String(length=16), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.CheckConstraint("valid_until > valid_from", name=op.f("ck_declarations_window")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_declarations")),
    )
    op.create_index(op.f("ix_declarations_confusion_key"), "declarations", ["confusion_key"])
    op.create_index(op.f("ix_declarations_plate_normalised"), "declarations", ["plate_normalised"])

    op.create_table(
        "entries",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("camera_id", sa.String(length=128), nullable=False),
        sa.Column("checkpoint", sa.String(length=128), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("crossed_at", TIME, nullable=False),
        sa.Column("plate_normalised", sa.String(length=16), nullable=True),
        sa.Column("plate_display", sa.String(length=32), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("readable", sa.Boolean(), nullable=False),
        sa.Column("format_valid", sa.Boolean(), nullable=False),
        sa.Column("event", JSON, nullable=False),
        sa.Column("received_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_entries")),
    )
    op.create_index(op.f("ix_entries_crossed_at"), "entries", ["crossed_at"])
    op.create_index(op.f("ix_entries_plate_normalised"), "entries", ["plate_normalised"])

    op.create_table(
        "watchlist",
        sa.Column("plate_normalised", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("added_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("plate_normalised", name=op.f("pk_watchlist")),
    )

    op.create_table(
        "decisions",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("declaration_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["declaration_id"],
            ["declarations.id"],
            name=op.f("fk_decisions_declaration_id_declarations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["entries.event_id"],
            name=op.f("fk_decisions_event_id_entries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_decisions")),
    )
    op.create_index(op.f("ix_decisions_outcome"), "decisions", ["outcome"])

    op.create_table(
        "flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.Column("resolution_outcome", sa.String(length=32), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'acknowledged', 'resolved')", name=op.f("ck_flags_status")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["entries.event_id"],
            name=op.f("fk_flags_event_id_entries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flags")),
        sa.UniqueConstraint("event_id", name=op.f("uq_flags_event_id")),
    )
    op.create_index(op.f("ix_flags_status"), "flags", ["status"])

    op.create_table(
        "flag_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flag_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["flag_id"],
            ["flags.id"],
            name=op.f("fk_flag_audit_flag_id_flags"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flag_audit")),
    )
    op.create_index(op.f("ix_flag_audit_flag_id"), "flag_audit", ["flag_id"])


def downgrade() -> None:
    for table in ("flag_audit", "flags", "decisions", "watchlist", "entries", "declarations"):
        op.drop_table(table)
