"""The store itself: schema, migrations, idempotent writes, CSV import. SQLite and PostgreSQL."""

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import event, func, inspect, select

from store import Store, import_declarations, migrate, open_store
from store.bulk import record_entries
from store.models import Base, Declaration, Entry
from tests.matcher.factories import make_event
from tests.store.csv_samples import row, write_csv

ICT = timezone(timedelta(hours=7))


def test_migration_creates_exactly_the_models(store: Store) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        tables = set(inspect(conn).get_table_names())
    assert diff == []
    assert {"declarations", "entries", "decisions", "flags", "flag_audit", "watchlist"} <= tables


def test_migrate_twice_is_a_no_op(store: Store, db_url: str) -> None:
    migrate(db_url)
    migrate(store)


def test_sqlite_store_uses_wal(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'wal.db'}"
    migrate(url)
    with open_store(url) as store, store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_redelivered_entry_changes_nothing(store: Store) -> None:
    event_ = make_event(crossed_at=datetime(2026, 7, 1, 15, 0, tzinfo=ICT))
    with store.transaction() as session:
        assert record_entries(session, [event_]) == {event_.event_id}
    with store.session() as session:
        first = session.get(Entry, event_.event_id)
        assert first is not None
        received = first.received_at
    with store.transaction() as session:
        assert record_entries(session, [event_, event_]) == set()
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(Entry)) == 1
        again = session.get(Entry, event_.event_id)
        assert again is not None and again.received_at == received
        # Times come back as the same instant, in UTC, on both backends.
        assert again.crossed_at == datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
        assert again.crossed_at.tzinfo is not None
        assert again.event["plate"]["normalised"] == "75A12345"


def test_import_declarations(store: Store, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "d.csv",
        row(),
        row("bad!"),
        row("75-B1 678.90", checkpoints="CP-A;CP-B", valid_until="2026-07-02T06:00:00+07:00"),
    )
    report = import_declarations(store, path)
    assert report.imported == 2 and len(report.declaration_ids) == 2
    assert [(e.line, e.reason.split(":")[0]) for e in report.errors] == [(3, "plate")]
    with store.session() as session:
        rows = session.scalars(select(Declaration).order_by(Declaration.id)).all()
    assert [r.plate_normalised for r in rows] == ["75A12345", "75B167890"]
    assert [r.id for r in rows] == list(report.declaration_ids)
    assert rows[0].checkpoints == "any" and sorted(rows[1].checkpoints) == ["CP-A", "CP-B"]
    assert rows[0].confusion_key == "15A12345"
    assert rows[0].valid_from == datetime(2026, 6, 30, 23, 0, tzinfo=UTC)
    assert rows[0].driver_name == "Nguyễn Văn A"
    assert rows[0].filed_via == "csv"


def test_failed_import_writes_nothing(db_url: str, tmp_path: Path) -> None:
    migrate(db_url)
    path = write_csv(tmp_path / "d.csv", *(row(f"75A1234{i}") for i in range(5)))
    # Two rows per INSERT statement, and the second statement fails: the first must not stay.
    with open_store(db_url, insertmanyvalues_page_size=2) as store:
        inserts: list[str] = []

        @event.listens_for(store.engine, "before_cursor_execute")
        def fail_second_insert(conn, cursor, statement, *args) -> None:
            if statement.startswith("INSERT INTO declarations"):
                inserts.append(statement)
                if len(inserts) == 2:
                    raise RuntimeError("disk full")

        with pytest.raises(RuntimeError, match="disk full"):
            import_declarations(store, path)
        event.remove(store.engine, "before_cursor_execute", fail_second_insert)
        with store.session() as session:
            assert session.scalar(select(func.count()).select_from(Declaration)) == 0
        assert import_declarations(store, path).imported == 5


def test_naive_datetime_is_refused_by_the_column_type(store: Store) -> None:
    bad = make_event().model_copy(update={"crossed_at": datetime(2026, 7, 1, 8, 0)})
    with pytest.raises(Exception, match="naive datetime"), store.transaction() as session:
        record_entries(session, [bad])


def test_declaration_window_check_constraint(store: Store) -> None:
    from sqlalchemy.exc import IntegrityError

    from store.writes import add_declarations
    from tests.store.builders import declaration_in

    good = declaration_in()
    bad = good.model_construct(**{**good.model_dump(), "valid_until": good.valid_from})
    with pytest.raises(IntegrityError), store.transaction() as session:
        add_declarations(session, [bad])
    assert timedelta(0) == bad.valid_until - bad.valid_from
