"""InProcessMatcher over a real store (SQLite and PostgreSQL)."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from matcher.local import InProcessMatcher
from matcher.rules import Outcome
from store import Store
from store.models import DecisionRow, Entry, Flag, FlagAudit
from tests.matcher.factories import T0, make_event
from tests.store.builders import at, declaration_in, declare, watch
from tests.store.conftest import StatementLog

GRACE = timedelta(minutes=30)


def matcher(store: Store) -> InProcessMatcher:
    return InProcessMatcher(store, grace=GRACE, clock=lambda: T0 + timedelta(minutes=5))


def count(store: Store, model: type) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_decide_batch_records_entries_decisions_and_flags(store: Store) -> None:
    declare(store, declaration_in("75A12345"), declaration_in("43A11111", valid_until=at(-1)))
    watch(store, "29A99999")
    events = [
        make_event("75A12345"),  # declared
        make_event("75A1Z345", confidence=0.5),  # probable, flagged
        make_event("43A11111"),  # expired
        make_event("51F22222"),  # undeclared
        make_event(None),  # unreadable
        make_event("29A99999"),  # watchlisted
        make_event("75A12345", direction="outbound"),  # exit: stored, not decided
    ]
    results = matcher(store).decide_batch(events)
    assert [d.outcome for _, d in results] == [
        Outcome.DECLARED,
        Outcome.PROBABLE,
        Outcome.EXPIRED,
        Outcome.UNDECLARED,
        Outcome.UNREADABLE,
        Outcome.WATCHLISTED,
    ]
    assert [e.event_id for e, _ in results] == [e.event_id for e in events[:-1]]
    assert count(store, Entry) == 7
    assert count(store, DecisionRow) == 6
    with store.session() as session:
        flags = session.scalars(select(Flag).order_by(Flag.id)).all()
        audits = session.scalars(select(FlagAudit)).all()
    assert [f.reason for f in flags] == [
        "probable",
        "expired",
        "undeclared",
        "unreadable",
        "watchlisted",
    ]
    assert {f.status for f in flags} == {"open"}
    assert max(flags, key=lambda f: f.priority).reason == "watchlisted"
    assert sorted(a.flag_id for a in audits) == sorted(f.id for f in flags)
    assert {(a.action, a.actor) for a in audits} == {("opened", "system")}


def decision_times(store: Store) -> dict[str, object]:
    with store.session() as session:
        rows = session.execute(select(DecisionRow.event_id, DecisionRow.decided_at))
        return {event_id: at for event_id, at in rows}


def test_redelivered_batch_is_idempotent(store: Store, sql_log: StatementLog) -> None:
    m = matcher(store)
    events = [make_event("51F22222"), make_event("75A12345")]
    first = m.decide_batch(events)
    declare(store, declaration_in("51F22222"))  # would change the outcome if decided again
    decided_at = decision_times(store)
    sql_log.clear()
    again = m.decide_batch([*events, events[0]])
    assert again == first  # the stored decisions, not new ones
    # The entries' inserts conflict, and nothing else is written.
    assert [w.split()[2] for w in sql_log.writes()] == ["entries"], sql_log.writes()
    assert (count(store, Entry), count(store, DecisionRow), count(store, Flag)) == (2, 2, 2)
    assert count(store, FlagAudit) == 2
    assert decision_times(store) == decided_at


def test_statements_per_batch_do_not_grow_with_batch_size(
    store: Store, sql_log: StatementLog
) -> None:
    declare(store, *(declaration_in(f"75A{i:05d}") for i in range(0, 300, 3)))
    m = matcher(store)
    counts = []
    for size, offset in ((3, 0), (150, 1000)):
        sql_log.clear()
        m.decide_batch([make_event(f"75A{offset + i:05d}") for i in range(size)])
        counts.append(len(sql_log.statements))
    assert counts[0] == counts[1] <= 8, sql_log.statements


def test_late_declaration_resolves_the_open_flag(store: Store) -> None:
    m = matcher(store)
    entry = make_event("51F22222", crossed_at=T0)
    other_checkpoint = make_event("51F22222", crossed_at=T0, checkpoint="CP-HAI-VAN")
    [(_, decision), _] = m.decide_batch([entry, other_checkpoint])
    assert decision.outcome is Outcome.UNDECLARED

    [late] = declare(
        store,
        declaration_in(
            "51F22222",
            filed_at=T0 + GRACE,  # exactly at the end of the grace period
            checkpoints=frozenset({entry.checkpoint}),
        ),
    )
    resolved = m.resolve_late_declarations(late)
    assert len(resolved) == 1
    with store.session() as session:
        flag = session.scalars(select(Flag).where(Flag.event_id == entry.event_id)).one()
        untouched = session.scalars(
            select(Flag).where(Flag.event_id == other_checkpoint.event_id)
        ).one()
        trail = session.scalars(
            select(FlagAudit).where(FlagAudit.flag_id == flag.id).order_by(FlagAudit.id)
        ).all()
    assert (flag.id, flag.status, flag.resolution_outcome) == (
        resolved[0],
        "resolved",
        "declared_late",
    )
    assert untouched.status == "open"
    assert [(a.action, a.actor) for a in trail] == [("opened", "system"), ("resolved", "system")]
    assert f"#{late.id}" in (trail[-1].note or "")
    assert m.resolve_late_declarations(late) == []  # already resolved: nothing more to do


def test_declaration_filed_after_the_grace_period_does_not_resolve(store: Store) -> None:
    m = matcher(store)
    m.decide_batch([make_event("51F22222", crossed_at=T0)])
    [too_late] = declare(
        store, declaration_in("51F22222", filed_at=T0 + GRACE + timedelta(seconds=1))
    )
    assert m.resolve_late_declarations(too_late) == []
    with store.session() as session:
        assert session.scalars(select(Flag.status)).one() == "open"


# The database itself refuses the last write of the batch (the audit rows), as a lost connection
# or a full disk would: the matcher's writes go to the driver, so the failure is made there too.
_FAIL_AUDIT = {
    "sqlite": [
        "CREATE TRIGGER fail_audit BEFORE INSERT ON flag_audit "
        "BEGIN SELECT RAISE(ABORT, 'audit refused'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION fail_audit() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit refused'; END $$",
        "CREATE TRIGGER fail_audit BEFORE INSERT ON flag_audit "
        "FOR EACH ROW EXECUTE FUNCTION fail_audit()",
    ],
}


def test_failed_write_leaves_nothing_half_written(store: Store) -> None:
    m = matcher(store)
    events = [make_event("51F22222"), make_event("75A12345")]
    with store.engine.begin() as conn:
        for sql in _FAIL_AUDIT[store.dialect]:
            conn.exec_driver_sql(sql)
    with pytest.raises(Exception, match="audit refused"):
        m.decide_batch(events)
    with store.engine.begin() as conn:
        conn.exec_driver_sql(
            "DROP TRIGGER fail_audit" + (" ON flag_audit" if store.dialect == "postgresql" else "")
        )
    counts = [count(store, model) for model in (Entry, DecisionRow, Flag, FlagAudit)]
    assert counts == [0, 0, 0, 0]
    # The redelivery after the failure is decided normally.
    assert [d.outcome for _, d in m.decide_batch(events)] == [Outcome.UNDECLARED] * 2
    assert count(store, FlagAudit) == 2
