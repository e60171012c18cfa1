"""API keys, camera health, and the flag indexes the API's list and live stream need.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("revoked_at", TIME, nullable=True),
        sa.CheckConstraint(
            "role IN ('admin', 'operator', 'integrator')", name=op.f("ck_api_keys_role")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
    )
    op.create_index(op.f("ix_api_keys_prefix"), "api_keys", ["prefix"])

    op.create_table(
        "camera_status",
        sa.Column("camera_id", sa.String(length=128), nullable=False),
        sa.Column("checkpoint", sa.String(length=128), nullable=True),
        sa.Column("last_frame_at", TIME, nullable=True),
        sa.Column("fps", sa.Float(), nullable=True),
        sa.Column("frames_dropped", sa.Integer(), nullable=False),
        sa.Column("reconnects", sa.Integer(), nullable=False),
        sa.Column("inference_ms", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("updated_at", TIME, nullable=False),
        sa.CheckConstraint(
            "status IN ('ok', 'stale', 'error', 'stopped')", name=op.f("ck_camera_status_status")
        ),
        sa.PrimaryKeyConstraint("camera_id", name=op.f("pk_camera_status")),
    )

    op.create_index("ix_flags_updated_at", "flags", ["updated_at"])
    op.create_index("ix_flags_status_id", "flags", ["status", "id"])


def downgrade() -> None:
    op.drop_index("ix_flags_status_id", table_name="flags")
    op.drop_index("ix_flags_updated_at", table_name="flags")
    op.drop_table("camera_status")
    op.drop_index(op.f("ix_api_keys_prefix"), table_name="api_keys")
    op.drop_table("api_keys")
