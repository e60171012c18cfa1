"""The EntryWatch store: declarations, entries, decisions, flags (SQLite or PostgreSQL)."""

from store.csv_import import (
    DeclarationsFileError,
    ImportReport,
    RowError,
    import_declarations,
    parse_declarations_csv,
)
from store.db import DEFAULT_URL, Store, migrate, open_store
from store.schemas import DeclarationIn

__all__ = [
    "DEFAULT_URL",
    "DeclarationIn",
    "DeclarationsFileError",
    "ImportReport",
    "RowError",
    "Store",
    "import_declarations",
    "migrate",
    "open_store",
    "parse_declarations_csv",
]
