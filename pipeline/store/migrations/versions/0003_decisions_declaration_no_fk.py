"""Decisions keep the id of the declaration that covered them without a foreign key.

The key cost more than anything else in storing a batch on PostgreSQL: its check runs per row
and takes a share lock on the declaration (a write to the declarations table for every declared
entry), 8 µs of the matcher's ~20 µs per decision. The matcher writes only ids it has just read,
and deleting a declaration clears the references in the same transaction
(``pipeline.store.writes.remove_declaration``), as ``ON DELETE SET NULL`` did.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FK = "fk_decisions_declaration_id_declarations"


def upgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.drop_constraint(FK, type_="foreignkey")


def downgrade() -> None:
    # References to declarations deleted since the upgrade would break the restored key.
    op.execute(
        "UPDATE decisions SET declaration_id = NULL WHERE declaration_id IS NOT NULL "
        "AND declaration_id NOT IN (SELECT id FROM declarations)"
    )
    with op.batch_alter_table("decisions") as batch:
        batch.create_foreign_key(
            FK, "declarations", ["declaration_id"], ["id"], ondelete="SET NULL"
        )
