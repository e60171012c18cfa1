"""The matcher's write path: two changes that cost it most on PostgreSQL.

- ``decisions.declaration_id`` keeps the id of the declaration that covered the entry without a
  foreign key. The key's check ran per row and took a share lock on the declaration (a write to
  the declarations table for every declared entry): 8 µs of ~20 µs per decision. The matcher
  writes only ids it has just read, and deleting a declaration clears the references in the same
  transaction (``store.writes.remove_declaration``), as ``ON DELETE SET NULL`` did.
- ``entries.event`` is ``json`` rather than ``jsonb`` on PostgreSQL: the event is stored as
  received and read back whole, and ``jsonb`` parsed and rebuilt every document (22 µs against
  9 µs per entry). SQLite stores JSON text either way.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FK = "fk_decisions_declaration_id_declarations"


def upgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.drop_constraint(FK, type_="foreignkey")
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "entries",
            "event",
            type_=sa.JSON(),
            existing_type=postgresql.JSONB(),
            postgresql_using="event::json",
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "entries",
            "event",
            type_=postgresql.JSONB(),
            existing_type=sa.JSON(),
            postgresql_using="event::jsonb",
        )
    # References to declarations deleted since the upgrade would break the restored key.
    op.execute(
        "UPDATE decisions SET declaration_id = NULL WHERE declaration_id IS NOT NULL "
        "AND declaration_id NOT IN (SELECT id FROM declarations)"
    )
    with op.batch_alter_table("decisions") as batch:
        batch.create_foreign_key(
            FK, "declarations", ["declaration_id"], ["id"], ondelete="SET NULL"
        )
