"""The matcher's driver-level writes and reads (store.bulk) against the ORM's view of the
same rows, on SQLite and PostgreSQL: what goes in through the driver reads back through the
models exactly as if the ORM had written it."""

import json
from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import Text, cast, select

from pipeline.events import EntryEvent
from store import Store
from store.bulk import (
    SQLITE_PAGE,
    audit_flags,
    open_flags,
    record_decisions,
    record_entries,
    stored_decisions,
)
from store.models import DecisionRow, Entry, Flag, FlagAudit
from tests.matcher.factories import make_event

ICT = timezone(timedelta(hours=7))
NOW = datetime(2026, 7, 1, 15, 30, 0, 123456, tzinfo=ICT)  # 08:30:00.123456 UTC


def test_rows_written_through_the_driver_read_back_through_the_models(store: Store) -> None:
    flagged = make_event("51F22222", crossed_at=datetime(2026, 7, 1, 15, 0, 0, 5, tzinfo=ICT))
    declared = make_event("75A12345", crossed_at=datetime(2026, 7, 1, 8, 1, tzinfo=UTC))
    with store.transaction() as session:
        assert record_entries(session, [flagged, declared]) == {
            flagged.event_id,
            declared.event_id,
        }
        record_decisions(
            session,
            [
                (flagged.event_id, "undeclared", True, 3, None, "no declaration"),
                (declared.event_id, "declared", False, 0, None, "covered"),
            ],
            NOW,
        )
        opened = open_flags(session, [(flagged.event_id, "undeclared", 3)], NOW)
        assert set(opened) == {flagged.event_id}
        audit_flags(session, opened.values(), "opened", "system", NOW)

    with store.session() as session:
        entry = session.get(Entry, flagged.event_id)
        assert entry is not None
        assert entry.crossed_at == datetime(2026, 7, 1, 8, 0, 0, 5, tzinfo=UTC)
        assert EntryEvent.model_validate(entry.event) == flagged
        assert (entry.plate_normalised, entry.readable, entry.format_valid) == (
            "51F22222",
            True,
            True,
        )
        decision = session.get(DecisionRow, flagged.event_id)
        assert decision is not None
        assert (decision.outcome, decision.flagged, decision.priority) == ("undeclared", True, 3)
        assert decision.decided_at == NOW
        flag = session.scalars(select(Flag)).one()
        assert (flag.event_id, flag.status, flag.reason, flag.priority) == (
            flagged.event_id,
            "open",
            "undeclared",
            3,
        )
        assert flag.created_at == flag.updated_at == NOW
        audit = session.scalars(select(FlagAudit)).one()
        assert (audit.flag_id, audit.action, audit.actor, audit.at) == (
            flag.id,
            "opened",
            "system",
            NOW,
        )

    with store.session() as session:
        known = stored_decisions(session, [flagged.event_id, declared.event_id, "unknown"])
    assert set(known) == {flagged.event_id, declared.event_id}
    assert known[flagged.event_id].flag_id == opened[flagged.event_id]
    assert known[flagged.event_id].decided_at == NOW
    assert known[flagged.event_id].flagged is True
    assert known[declared.event_id].flag_id is None
    assert known[declared.event_id].outcome == "declared"


def test_conflicts_are_skipped_and_reported_as_not_new(store: Store) -> None:
    first = make_event("51F22222")
    with store.transaction() as session:
        record_entries(session, [first])
        assert set(open_flags(session, [(first.event_id, "undeclared", 3)], NOW)) == {
            first.event_id
        }
    with store.transaction() as session:
        # A redelivered entry next to a new one: only the new one is reported.
        second = make_event("29A99999")
        assert record_entries(session, [first, second, second]) == {second.event_id}
        assert open_flags(session, [(first.event_id, "undeclared", 3)], NOW) == {}


def test_batches_larger_than_a_statement_page(store: Store) -> None:
    events = [make_event(f"75A{i:05d}") for i in range(SQLITE_PAGE + 7)]
    with store.transaction() as session:
        assert record_entries(session, events) == {e.event_id for e in events}
        flags = open_flags(session, [(e.event_id, "undeclared", 3) for e in events], NOW)
        record_decisions(
            session, [(e.event_id, "undeclared", True, 3, None, "none") for e in events], NOW
        )
    assert len(flags) == len(events) and len(set(flags.values())) == len(events)
    with store.session() as session:
        assert len(stored_decisions(session, [e.event_id for e in events])) == len(events)


def test_entries_keep_the_json_they_came_as(store: Store) -> None:
    """The matcher hands over each entry's JSON as received (already validated): stored as is,
    not serialised again; an entry without one is serialised by the model."""
    given, plain = make_event("75A12345"), make_event("51F22222")
    # Same event, other formatting and key order: what arrived is what is kept.
    document = json.dumps(dict(reversed(given.model_dump(mode="json").items())), indent=1)
    with store.transaction() as session:
        record_entries(session, [given, plain], {given.event_id: document})
    with store.session() as session:
        stored = session.get(Entry, given.event_id)
        other = session.get(Entry, plain.event_id)
        assert stored is not None and other is not None
        assert stored.event == json.loads(document)
        assert EntryEvent.model_validate(stored.event) == given
        assert EntryEvent.model_validate(other.event) == plain
        text = session.scalar(
            select(cast(Entry.event, Text)).where(Entry.event_id == given.event_id)
        )
        assert text == document  # the very text, on both backends
