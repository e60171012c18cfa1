"""Flag lifecycle and the transactional outbox of the flags topic.

- ``flag_outbox``: one row per flag change (the FlagEvent as published), written in the change's
  transaction; the relay publishes rows in id order and sets ``sent_at`` after the broker's ack.
- ``relay_lease``: the one relay allowed to publish at a time (a row per outbox).
- ``flags`` gains ``resolved_by`` and ``resolution_declaration_id`` (the FlagEvent's resolution
  read from the row, not guessed from the audit trail), and CHECK constraints on ``reason`` and
  ``resolution_outcome`` (the values of the enums in ``pipeline.events``, spelled out here so a
  later change to the enums never rewrites history).
- ``declarations`` on SQLite becomes ``AUTOINCREMENT``: a deleted declaration's id is never given
  out again (PostgreSQL's sequence never reuses one).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True)
REASONS = ("probable", "undeclared", "expired", "wrong_checkpoint", "unreadable", "watchlisted")
OUTCOMES = ("declared_late", "misread", "violation_confirmed", "false_alarm", "duplicate", "other")


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _declarations_autoincrement() -> sa.Table:
    """The declarations table as revision 0001 made it, with SQLite's AUTOINCREMENT."""
    json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    return sa.Table(
        "declarations",
        sa.MetaData(),
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("plate_normalised", sa.String(length=16), nullable=False),
        sa.Column("confusion_key", sa.String(length=16), nullable=False),
        sa.Column("plate_display", sa.String(length=32), nullable=True),
        sa.Column("vehicle_class", sa.String(length=16), nullable=True),
        sa.Column("driver_name", sa.Text(), nullable=True),
        sa.Column("driver_phone", sa.String(length=32), nullable=True),
        sa.Column("origin", sa.Text(), nullable=True),
        sa.Column("destination", sa.Text(), nullable=True),
        sa.Column("purpose", sa.Text(), nullable=True),
        sa.Column("checkpoints", json, nullable=False),
        sa.Column("valid_from", TIME, nullable=False),
        sa.Column("valid_until", TIME, nullable=False),
        sa.Column("filed_at", TIME, nullable=False),
        sa.Column("filed_via", sa.String(length=16), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.CheckConstraint("valid_until > valid_from", name="ck_declarations_window"),
        sa.Index("ix_declarations_confusion_key", "confusion_key"),
        sa.Index("ix_declarations_plate_normalised", "plate_normalised"),
        sqlite_autoincrement=True,
    )


def upgrade() -> None:
    op.create_table(
        "flag_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flag_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("sent_at", TIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flag_outbox")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_flag_outbox_unsent",
        "flag_outbox",
        ["id"],
        sqlite_where=sa.text("sent_at IS NULL"),
        postgresql_where=sa.text("sent_at IS NULL"),
    )
    op.create_index("ix_flag_outbox_sent_at", "flag_outbox", ["sent_at"])
    lease = op.create_table(
        "relay_lease",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=True),
        sa.Column("expires_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_relay_lease")),
    )
    op.bulk_insert(
        lease, [{"name": "flags", "holder": None, "expires_at": datetime(1970, 1, 1, tzinfo=UTC)}]
    )

    with op.batch_alter_table("flags") as batch:
        batch.add_column(sa.Column("resolved_by", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("resolution_declaration_id", sa.Integer(), nullable=True))
        batch.create_check_constraint("reason", _one_of("reason", REASONS))
        batch.create_check_constraint(
            "resolution_outcome",
            "resolution_outcome IS NULL OR " + _one_of("resolution_outcome", OUTCOMES),
        )
    op.execute(
        "UPDATE flags SET resolved_by = (SELECT a.actor FROM flag_audit a WHERE a.flag_id = "
        "flags.id AND a.action = 'resolved' ORDER BY a.id DESC LIMIT 1) WHERE status = 'resolved'"
    )

    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table(
            "declarations", recreate="always", copy_from=_declarations_autoincrement()
        ):
            pass


def downgrade() -> None:
    with op.batch_alter_table("flags") as batch:
        batch.drop_constraint(op.f("ck_flags_resolution_outcome"), type_="check")
        batch.drop_constraint(op.f("ck_flags_reason"), type_="check")
        batch.drop_column("resolution_declaration_id")
        batch.drop_column("resolved_by")
    op.drop_table("relay_lease")
    op.drop_index("ix_flag_outbox_sent_at", table_name="flag_outbox")
    op.drop_index("ix_flag_outbox_unsent", table_name="flag_outbox")
    op.drop_table("flag_outbox")
