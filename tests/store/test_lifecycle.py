"""The flag lifecycle on both stores: transitions and refusals, the outbox row of each change,
late declarations settling every flag they cover, CHECK constraints from the enums, and
declaration ids that are never reused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from matcher import lifecycle
from matcher.local import InProcessMatcher
from pipeline.events import FlagEvent, FlagReason, FlagStatus, ResolutionOutcome
from store import Store
from store.models import Flag, FlagOutbox
from store.writes import remove_declaration
from tests.matcher.factories import T0, make_event
from tests.store.builders import declaration_in, declare

GRACE = timedelta(minutes=60)


def flag_for(store: Store, plate: str, **event_args: object) -> int:
    event = make_event(plate, **event_args)  # type: ignore[arg-type]
    InProcessMatcher(store, clock=lambda: T0).decide_batch([event])
    with store.session() as session:
        flag_id = session.scalar(select(Flag.id).where(Flag.event_id == event.event_id))
    assert flag_id is not None
    return flag_id


def outbox(store: Store, flag_id: int) -> list[FlagEvent]:
    with store.session() as session:
        values = session.scalars(
            select(FlagOutbox.value).where(FlagOutbox.flag_id == flag_id).order_by(FlagOutbox.id)
        ).all()
    return [FlagEvent.model_validate_json(v) for v in values]


def test_transitions_and_refusals(store: Store) -> None:
    flag_id = flag_for(store, "75A10001")
    with store.transaction() as s:
        assert lifecycle.acknowledge(s, flag_id, "lan").status is FlagStatus.ACKNOWLEDGED
    for refused in (
        lambda s: lifecycle.acknowledge(s, flag_id, "lan"),
        lambda s: lifecycle.reopen(s, 999_999, "lan"),
    ):
        with (
            pytest.raises((lifecycle.TransitionRefused, lifecycle.FlagNotFound)),
            store.transaction() as s,
        ):
            refused(s)
    with store.transaction() as s:
        done = lifecycle.resolve(s, flag_id, "lan", ResolutionOutcome.DUPLICATE, "seen twice")
    assert done.resolution is not None and done.resolution.actor == "lan"
    with pytest.raises(lifecycle.TransitionRefused, match="is resolved"), store.transaction() as s:
        lifecycle.resolve(s, flag_id, "nam", ResolutionOutcome.OTHER)
    with store.transaction() as s:
        assert lifecycle.reopen(s, flag_id, "nam").resolution is None
    statuses = [e.status.value for e in outbox(store, flag_id)]
    assert statuses == ["open", "acknowledged", "resolved", "open"]  # refusals wrote nothing


def test_late_declaration_settles_undeclared_expired_and_wrong_checkpoint(store: Store) -> None:
    declare(
        store,
        declaration_in("75A20002", valid_from=T0 - timedelta(hours=9),
                       valid_until=T0 - timedelta(hours=3)),
        declaration_in("75A30003", checkpoints=frozenset({"CP-ELSEWHERE"})),
    )  # fmt: skip
    flags = {
        "undeclared": flag_for(store, "75A10001"),
        "expired": flag_for(store, "75A20002"),
        "wrong_checkpoint": flag_for(store, "75A30003"),
        "unreadable": flag_for(store, None),
    }
    with store.session() as session:
        reasons = {n: session.get_one(Flag, i).reason for n, i in flags.items()}
    assert reasons == {n: n for n in flags}
    late = declare(
        store,
        *(
            declaration_in(p, filed_at=T0 + timedelta(minutes=20))
            for p in ("75A10001", "75A20002", "75A30003")
        ),
    )
    settled = []
    for declaration in late:
        with store.transaction() as s:
            settled += lifecycle.resolve_late(s, declaration, GRACE, now=T0 + timedelta(minutes=21))
    assert sorted(e.flag_id for e in settled) == sorted(
        flags[n] for n in ("undeclared", "expired", "wrong_checkpoint")
    )
    for event in settled:
        assert event.resolution is not None
        assert event.resolution.outcome is ResolutionOutcome.DECLARED_LATE
        assert event.resolution.declaration_id in {d.id for d in late}
    assert outbox(store, flags["unreadable"])[-1].status is FlagStatus.OPEN


def test_check_constraints_follow_the_enums(store: Store) -> None:
    flag_id = flag_for(store, "75A10001")
    for column, value in (("status", "closed"), ("reason", "suspicious"),
                          ("resolution_outcome", "shrug")):  # fmt: skip
        with pytest.raises(IntegrityError), store.transaction() as s:
            s.execute(
                text(f"UPDATE flags SET {column} = :v WHERE id = :i"), {"v": value, "i": flag_id}
            )
    with store.transaction() as s:
        for reason in FlagReason:
            s.execute(
                text("UPDATE flags SET reason = :v WHERE id = :i"),
                {"v": reason.value, "i": flag_id},
            )
        for outcome in ResolutionOutcome:
            s.execute(
                text("UPDATE flags SET resolution_outcome = :v WHERE id = :i"),
                {"v": outcome.value, "i": flag_id},
            )


def test_deleted_declaration_ids_are_never_reused(store: Store) -> None:
    first, last = declare(store, declaration_in("75A10001"), declaration_in("75A20002"))
    with store.transaction() as s:
        assert remove_declaration(s, last.id)
    [again] = declare(store, declaration_in("75A30003"))
    assert again.id > last.id > first.id


def test_revision_0004_downgrades_and_upgrades_again(store: Store) -> None:
    from alembic import command
    from alembic.config import Config

    from store.db import MIGRATIONS_DIR

    flag_for(store, "75A10001")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    for revision, step in (("0003", command.downgrade), ("head", command.upgrade)):
        with store.engine.begin() as connection:
            config.attributes["connection"] = connection
            step(config, revision)
    with store.session() as session:
        assert session.scalar(select(Flag.status)) == "open"
