"""The watch list over a real store (SQLite and PostgreSQL): each change with its audit row, bad
requests refused with why, and a listed plate flagged at top priority by the real matcher."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from matcher.local import InProcessMatcher
from matcher.rules import Outcome, Priority
from store import Store
from store.models import Flag
from store.watchlist import (
    WatchlistError,
    add_plate,
    audit_trail,
    list_plates,
    remove_plate,
)
from tests.matcher.factories import make_event
from tests.store.builders import declaration_in, declare


def test_add_update_remove_each_audited(store: Store) -> None:
    with store.transaction() as session:
        added = add_plate(session, "75a-123.45", "xe bị mất cắp", actor="Lan")
        same = add_plate(session, "75A12345", "xe bị mất cắp", actor="Nam")
        updated = add_plate(session, "75A12345", "stolen, reported 1 Dec", actor="Nam", note="VN")
    assert (added.plate, added.change, same.change, updated.change) == (
        "75A12345",
        "added",
        "unchanged",
        "updated",
    )
    with store.session() as session:
        [row] = list_plates(session)
        assert (row.plate_normalised, row.reason, row.added_by) == (
            "75A12345",
            "stolen, reported 1 Dec",
            "Lan",
        )
    with store.transaction() as session:
        removed = remove_plate(session, "75A-123.45", actor="Hà", note="recovered")
    assert removed.change == "removed" and removed.entry is None
    with store.session() as session:
        assert list_plates(session) == []
        trail = [(a.action, a.actor, a.reason, a.note) for a in audit_trail(session, "75A12345")]
    assert trail == [
        ("removed", "Hà", "stolen, reported 1 Dec", "recovered"),
        ("updated", "Nam", "stolen, reported 1 Dec", "VN"),
        ("added", "Lan", "xe bị mất cắp", None),
    ]


@pytest.mark.parametrize(
    ("plate", "reason", "message"),
    [
        ("7-5", "stolen", "plate '7-5' normalises to '75': expected 4-12"),
        ("ABCDEF", "stolen", "plate 'ABCDEF' has no digits"),
        ("75A12345", "  ", "reason is required"),
        ("75A12345", "x" * 501, "reason is longer than 500 characters"),
    ],
)
def test_bad_additions_say_why(store: Store, plate: str, reason: str, message: str) -> None:
    with pytest.raises(WatchlistError, match=message), store.transaction() as session:
        add_plate(session, plate, reason, actor="Lan")
    with store.session() as session:
        assert list_plates(session) == [] and audit_trail(session) == []


def test_removing_an_unlisted_plate_says_so(store: Store) -> None:
    missing = "plate 51F22222 is not on the watch list"
    with pytest.raises(WatchlistError, match=missing), store.transaction() as session:
        remove_plate(session, "51F-222.22", actor="Lan")


def test_a_listed_plate_is_flagged_first_even_when_declared(store: Store) -> None:
    declare(store, declaration_in("75A12345"))
    with store.transaction() as session:
        add_plate(session, "75A-123.45", "stolen", actor="Lan")
    decided = InProcessMatcher(store).decide_batch([make_event("75A12345"), make_event("43A11111")])
    assert [d.outcome for _, d in decided] == [Outcome.WATCHLISTED, Outcome.UNDECLARED]
    with store.session() as session:
        flags = session.scalars(select(Flag).order_by(Flag.priority.desc())).all()
    assert [(f.reason, f.priority) for f in flags] == [
        ("watchlisted", Priority.CRITICAL),
        ("undeclared", Priority.HIGH),
    ]

    with store.transaction() as session:
        remove_plate(session, "75A12345", actor="Lan")
    [(_, decision)] = InProcessMatcher(store).decide_batch([make_event("75A12345")])
    assert decision.outcome == Outcome.DECLARED  # off the list: its declaration counts again
