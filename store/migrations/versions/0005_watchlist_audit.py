"""Watch list managed by people: who added each plate, and an audit trail of every change.

- ``watchlist`` gains ``added_by`` (the key's name, or ``cli:<user>``; NULL for rows of before).
- ``watchlist_audit``: one row per change (added, updated, removed) with who, when, the reason in
  force and an optional note, in the change's own transaction. A separate table from
  ``flag_audit``, whose rows belong to a flag (its ``flag_id`` is a required foreign key); the
  columns are the same (action, actor, at, note) so both trails read alike.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True)
ACTIONS = ("added", "updated", "removed")


def upgrade() -> None:
    with op.batch_alter_table("watchlist") as batch:
        batch.add_column(sa.Column("added_by", sa.String(length=128), nullable=True))
    op.create_table(
        "watchlist_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plate_normalised", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            f"action IN ({', '.join(repr(a) for a in ACTIONS)})",
            name=op.f("ck_watchlist_audit_action"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watchlist_audit")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_watchlist_audit_plate_normalised"), "watchlist_audit", ["plate_normalised"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_watchlist_audit_plate_normalised"), table_name="watchlist_audit")
    op.drop_table("watchlist_audit")
    with op.batch_alter_table("watchlist") as batch:
        batch.drop_column("added_by")
