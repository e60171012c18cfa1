"""An index of flags by status and priority: the dashboard asks the open flags most urgent
first (``GET /api/flags?status=open&sort=priority``), and without it every open flag was read
and sorted to find the first page.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_flags_status_priority", "flags", ["status", "priority"])


def downgrade() -> None:
    op.drop_index("ix_flags_status_priority", table_name="flags")
