"""Entries through the real broker into the matcher: decisions in the store, flags on Kafka."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from matcher import MatcherService
from matcher.rules import Outcome
from pipeline.bus import Bus, Topics, publish_event
from pipeline.events import EntryEvent, FlagEvent
from store import Store, import_declarations
from store.models import DecisionRow, Entry, Flag, FlagAudit
from tests.matcher.conftest import DATA, ROOT, consume, drain, validated_flags
from tests.matcher.factories import make_event

# The evening clip's inbound vehicles (sample_videos/entry_evening.json) against the sample
# declarations: one never declared, one whose window closed the day before, one declared for
# another checkpoint.
EXPECTED = {
    "30K55102": Outcome.UNDECLARED,
    "74C138259": Outcome.EXPIRED,
    "51G88123": Outcome.WRONG_CHECKPOINT,
}


def clip_events() -> list[EntryEvent]:
    lines = (DATA / "entry_evening.jsonl").read_text().splitlines()
    return [EntryEvent.model_validate_json(line) for line in lines]


def count(store: Store, model: type) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_replayed_clip_is_decided_and_flagged(
    bus: Bus,
    store: Store,
    kafka_topics: Topics,
    make_service: Callable[..., MatcherService],
) -> None:
    report = import_declarations(store, ROOT / "sample_videos" / "declarations.csv")
    assert not report.errors
    events = clip_events()
    assert {e.plate.normalised for e in events} == set(EXPECTED)
    # Plus an unreadable entry (keyed by camera) and an exit, which is stored but not decided.
    unreadable = make_event(None, camera_id="hue-ql49-west-01", checkpoint="QL49-A-LUOI")
    exit_ = make_event("75A12345", direction="outbound")
    for event in [*events, unreadable, exit_]:
        publish_event(bus, kafka_topics, event)
    bus.flush(30)

    service = make_service()
    assert drain(service, 5) == 5

    with store.session() as session:
        rows = session.execute(
            select(Entry.plate_normalised, DecisionRow.outcome).join(
                DecisionRow, DecisionRow.event_id == Entry.event_id
            )
        ).all()
    assert dict(rows) == {**{p: o.value for p, o in EXPECTED.items()}, None: "unreadable"}
    assert count(store, Entry) == 5 and count(store, Flag) == 4

    flags = validated_flags(consume(bus, kafka_topics.flags, 4))
    assert len(flags) == 4
    by_plate = {f["plate"]: f for f in flags}
    assert {p: f["reason"] for p, f in by_plate.items()} == {
        **{p: o.value for p, o in EXPECTED.items()},
        None: "unreadable",
    }
    assert all(f["status"] == "open" and f["resolution"] is None for f in flags)
    undeclared = FlagEvent.model_validate(by_plate["30K55102"])
    clip = {e.plate.normalised: e for e in events}["30K55102"]
    assert undeclared.event_id == clip.event_id
    assert undeclared.evidence == clip.evidence
    assert undeclared.crossed_at == clip.crossed_at  # the same instant, sent in UTC
    assert undeclared.crossed_at.utcoffset() == timedelta(0)
    assert undeclared.crossed_at_local == clip.crossed_at
    assert str(undeclared.crossed_at_local) == str(clip.crossed_at)  # with the camera's offset
    assert undeclared.priority == 3
    with store.session() as session:
        stored = session.scalar(select(Entry.event).where(Entry.event_id == clip.event_id))
    assert EntryEvent.model_validate(stored) == clip  # the whole event, as JSON, not a string

    # Committed: the group gets nothing more, and a replay of the same entries decides nothing
    # again and publishes nothing again (each flag change went into the outbox once).
    assert service.run_once().records == 0
    for event in events:
        publish_event(bus, kafka_topics, event)
    bus.flush(30)
    again = drain(service, 3)
    assert again == 3
    assert count(store, DecisionRow) == 4 and count(store, Flag) == 4
    with store.session() as session:
        opened = session.scalar(
            select(func.count()).select_from(FlagAudit).where(FlagAudit.action == "opened")
        )
    assert opened == 4
    after = validated_flags(consume(bus, kafka_topics.flags, 5, timeout_s=3))
    assert sorted(f["flag_id"] for f in after) == sorted(f["flag_id"] for f in flags)


def test_flag_schema_reasons_cover_every_flagging_outcome() -> None:
    from api.schemas import FlagReason as ApiFlagReason
    from matcher.lifecycle import FlagReason as LifecycleFlagReason
    from pipeline.events import FlagReason

    assert {r.value for r in FlagReason} == {o.value for o in Outcome} - {"declared"}
    assert ApiFlagReason is FlagReason and LifecycleFlagReason is FlagReason  # defined once
    assert Path(ROOT / "docs" / "schemas" / "flag_event.v1.json").is_file()
