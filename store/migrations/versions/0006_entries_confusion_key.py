"""Entries store their plate's confusion key, indexed for prefix search.

- ``entries.confusion_key``: ``store.plates.confusion_key`` of ``plate_normalised`` (NULL when no
  plate was read), what ``?plate=`` on the entries and flags lists searches with
  ``LIKE 'KEY%'``. Computed per row in SQL before, the search read every entry.
- Its index serves a LIKE prefix: the column is ``COLLATE "C"`` on PostgreSQL (under a
  database's linguistic collation, en_US.UTF-8 say, a LIKE prefix cannot use a btree index) and
  ``COLLATE NOCASE`` on SQLite (whose LIKE is case-insensitive and uses only a NOCASE index; the
  key is upper-case, so nothing else changes).
- Existing rows are backfilled with the key rule spelled out here (the confusion classes as they
  are today), so a later change to ``store.plates`` never rewrites history.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

import string
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = (
    sa.String(length=16)
    .with_variant(sa.String(length=16, collation="C"), "postgresql")
    .with_variant(sa.String(length=16, collation="NOCASE"), "sqlite")
)
CONFUSION_CLASSES = ("0ODQ", "17IT", "2Z", "5S", "6G", "8B")
_KEY_TABLE = str.maketrans({ch: group[0] for group in CONFUSION_CLASSES for ch in group})
_ALLOWED = frozenset(string.ascii_uppercase + string.digits)
BATCH = 5000


def confusion_key(plate: str) -> str:
    """store.plates.confusion_key as of this revision."""
    return "".join(ch for ch in plate.upper() if ch in _ALLOWED).translate(_KEY_TABLE)


def upgrade() -> None:
    with op.batch_alter_table("entries") as batch:
        batch.add_column(sa.Column("confusion_key", KEY, nullable=True))
    _backfill()
    op.create_index(op.f("ix_entries_confusion_key"), "entries", ["confusion_key"])


def _backfill() -> None:
    # One UPDATE per distinct plate, through the plate_normalised index; computed in Python so
    # the key is exactly the one the writers compute.
    bind = op.get_bind()
    plates = bind.execute(
        sa.text("SELECT DISTINCT plate_normalised FROM entries WHERE plate_normalised IS NOT NULL")
    ).scalars()
    update = sa.text("UPDATE entries SET confusion_key = :key WHERE plate_normalised = :plate")
    rows = [{"key": confusion_key(p), "plate": p} for p in plates]
    for start in range(0, len(rows), BATCH):
        bind.execute(update, rows[start : start + BATCH])


def downgrade() -> None:
    op.drop_index(op.f("ix_entries_confusion_key"), table_name="entries")
    if op.get_bind().dialect.name == "sqlite":
        # Not batch mode: it copies the table and drops the old one, and dropping entries
        # cascades to their decisions and flags (foreign keys are on). SQLite >= 3.35 drops
        # an unindexed column in place.
        op.execute("ALTER TABLE entries DROP COLUMN confusion_key")
    else:
        op.drop_column("entries", "confusion_key")
