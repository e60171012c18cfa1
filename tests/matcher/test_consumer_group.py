"""Two ``entrywatch matcher`` processes in one consumer group on a partitioned entries topic, on
PostgreSQL (the store several matchers share): the second joins while the first is deciding, so
partitions move between live members; then the first is SIGKILLed mid-stream and the survivor
takes its partitions over. Every entry is decided exactly once across the group, every flag is
opened once and reaches the flags topic, and every plate's entries stay on one partition in the
order they were published.

The stream is paced (50 entries/s while the matchers run, before and after the kill), so the
kill always lands mid-stream: the killed member's partitions keep receiving entries it will never
read. Every wait has its own timeout and shows the matchers' logs when it runs out.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from matcher.bus import open_matcher_bus
from pipeline.bus import Bus, Message, Topics, publish_event
from pipeline.events import EntryEvent
from store import Store
from store.models import DecisionRow, Entry, Flag, FlagAudit
from tests.matcher.conftest import consume_until, validated_flags
from tests.matcher.factories import T0, make_event
from tests.matcher.test_kill_restart import committed_records, decisions, start_matcher, unsent
from tests.store.builders import declaration_in, declare
from tooling.kafka_broker import KafkaBroker

PARTITIONS = 6
EVERY_PARTITION = set(range(PARTITIONS))
# Up to 3,000 entries (300 before the group starts, then a stream of 50/s until the survivor has
# taken over); every other plate declared.
N_PLATES, PER_PLATE = 150, 20
# The consumer's line after each rebalance: "group G: assigned topic[0,2,4]" (or "none").
ASSIGNED = re.compile(r"group \S+: assigned (?:none|\S+\[([\d,]*)\])")
DECIDED = re.compile(r"records/s over [\d.]+s: (\d+) decided")


@pytest.fixture
def bus(kafka_broker: KafkaBroker) -> Iterator[Bus]:
    """The test's producer and reader, creating the topics with the group's partition count."""
    bus = open_matcher_bus(f"{kafka_broker.url}?partitions={PARTITIONS}", batch=500)
    yield bus
    bus.close(timeout=10)


class Member:
    """One ``entrywatch matcher`` process of the group, with its own log."""

    def __init__(self, name: str, url: str, db_url: str, topics: Topics, group: str, log: Path):
        self.name, self.log = name, log
        self.proc = start_matcher(url, db_url, topics, group, log)

    def stop(self) -> None:
        """SIGTERM (a graceful stop) if still running; SIGKILL after 30 s."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def partitions(self) -> set[int] | None:
        """The partitions of its latest assignment (None before the first)."""
        found = ASSIGNED.findall(self.text())
        if not found:
            return None
        return {int(p) for p in found[-1].split(",") if p}

    def decided(self) -> int:
        """Entries it decided, by its throughput lines (one a second)."""
        return sum(int(n) for n in DECIDED.findall(self.text()))


def split_between(a: Member, b: Member) -> bool:
    """Each owns some partitions, none twice, none left out."""
    pa, pb = a.partitions() or set(), b.partitions() or set()
    return bool(pa) and bool(pb) and pa | pb == EVERY_PARTITION and not pa & pb


def wait_for(what: str, predicate: Callable[[], bool], timeout_s: float, *members: Member) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        for m in members:
            code = m.proc.poll()
            assert code is None, f"{m.name} exited {code} ({what}):\n{m.text()[-3000:]}"
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {m.name}\n{m.text()[-2500:]}" for m in members)
            pytest.fail(f"timed out after {timeout_s:.0f} s waiting for {what}\n{logs}")
        time.sleep(0.1)


class Stream:
    """Publishes ``events`` in order at about ``per_s`` a second, in a thread, until they run
    out or ``stop`` is called; ``published`` is what went out (flushed)."""

    def __init__(self, bus: Bus, topics: Topics, events: list[EntryEvent], per_s: float) -> None:
        self.published: list[EntryEvent] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(bus, topics, events, per_s), name="stream", daemon=True
        )
        self._thread.start()

    def _run(self, bus: Bus, topics: Topics, events: list[EntryEvent], per_s: float) -> None:
        for start in range(0, len(events), 10):
            if self._stop.is_set():
                break
            chunk = events[start : start + 10]
            for event in chunk:
                publish_event(bus, topics, event)
            bus.flush(30)
            self.published += chunk
            self._stop.wait(len(chunk) / per_s)

    def stop(self) -> list[EntryEvent]:
        self._stop.set()
        self._thread.join(30)
        assert not self._thread.is_alive(), "publishing did not stop within 30 s"
        return self.published


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_two_matchers_decide_each_entry_once_across_a_rebalance_and_a_kill(
    bus: Bus,
    store: Store,
    db_url: str,
    kafka_broker: KafkaBroker,
    kafka_topics: Topics,
    group: str,
    tmp_path: Path,
) -> None:
    plates = [f"75B{i:05d}" for i in range(N_PLATES)]
    declare(store, *(declaration_in(p) for p in plates[::2]))
    # Round k of every plate after round k-1: each plate's entries are spread over the stream.
    events = [
        make_event(p, crossed_at=T0 + timedelta(seconds=k), session_id=f"g{k}")
        for k in range(PER_PLATE)
        for p in plates
    ]
    first_wave, stream_pool = events[:300], events[300:]
    url = f"{kafka_broker.url}?partitions={PARTITIONS}"
    for event in first_wave:
        publish_event(bus, kafka_topics, event)
    bus.flush(30)
    members: list[Member] = []
    stream: Stream | None = None

    def join(name: str) -> Member:
        members.append(Member(name, url, db_url, kafka_topics, group, tmp_path / f"{name}.log"))
        return members[-1]

    def committed() -> int:
        return committed_records(kafka_broker.bootstrap, group, kafka_topics.entries)

    try:
        a = join("A")
        wait_for("A to own every partition and decide",
                 lambda: a.partitions() == EVERY_PARTITION and a.decided() > 0, 60, a)  # fmt: skip

        # B joins while entries keep coming: the partitions move between two live members.
        stream = Stream(bus, kafka_topics, stream_pool, per_s=50)
        b = join("B")
        wait_for("the partitions to be split between A and B", lambda: split_between(a, b), 60,
                 a, b)  # fmt: skip
        a_before = a.decided()
        wait_for("both to decide entries after the split",
                 lambda: b.decided() > 0 and a.decided() > a_before, 30, a, b)  # fmt: skip
        owned_by_a = a.partitions() or set()

        a.proc.send_signal(signal.SIGKILL)
        a.proc.wait(10)
        # Mid-stream: the stream goes on, A's partitions get entries only the survivor will read.
        killed_after = len(stream.published)
        wait_for("B to take over every partition",
                 lambda: b.partitions() == EVERY_PARTITION, 60, b)  # fmt: skip
        b_before = b.decided()
        wait_for("B to decide entries after the takeover", lambda: b.decided() > b_before, 30, b)
        published = first_wave + stream.stop()
        wait_for("every entry decided", lambda: decisions(store) >= len(published), 60, b)
        wait_for("the outbox to be empty (B's relay holds the lease)",
                 lambda: unsent(store) == 0, 60, b)  # fmt: skip
        wait_for("B to commit every offset", lambda: committed() == len(published), 30, b)
    finally:
        if stream is not None:
            stream.stop()
        for member in members:
            member.stop()
    assert b.proc.returncode == 0, b.text()[-3000:]
    # B's relay took the lease once, when A's expired, and kept it while it drained on stop
    # (given up before the drain, it had to be taken again, and a standby could have won it).
    assert b.text().count("relay: took the lease") == 1, b.text()[-3000:]

    # Exactly once across the group: one decision per entry, one flag per undeclared entry.
    undeclared = {e.event_id for e in published if e.plate.normalised in set(plates[1::2])}
    with store.session() as session:
        decided = list(session.scalars(select(DecisionRow.event_id)))
        entries = session.scalar(select(func.count()).select_from(Entry))
        flagged = list(session.scalars(select(Flag.event_id)))
        flag_ids = set(session.scalars(select(Flag.id)))
        opened = session.scalar(
            select(func.count()).select_from(FlagAudit).where(FlagAudit.action == "opened")
        )
    assert len(decided) == len(set(decided)) == entries == len(published)
    assert set(decided) == {e.event_id for e in published}
    assert len(flagged) == len(set(flagged)) and set(flagged) == undeclared
    assert opened == len(flagged), "a flag was opened twice"
    assert a.decided() > 0 and b.decided() > 0, "one member did all the work"

    # Every flag reached the topic; copies (a relay killed before marking rows sent publishes
    # them again) agree.
    def every_flag(got: list[Message]) -> bool:
        return {json.loads(m.value)["flag_id"] for m in got} >= flag_ids

    values = validated_flags(consume_until(bus, kafka_topics.flags, every_flag, timeout_s=30))
    assert {v["flag_id"] for v in values} == flag_ids
    seen: dict[int, tuple] = {}
    for v in values:
        what = (v["event_id"], v["status"], v["reason"], v["plate"])
        assert seen.setdefault(v["flag_id"], what) == what

    # Keyed by plate: each plate's entries on one partition, in the order they were published.
    records = consume_until(bus, kafka_topics.entries, lambda got: len(got) >= len(published), 30)
    assert len(records) == len(published)
    by_plate: dict[str, list[Message]] = {}
    for m in records:
        by_plate.setdefault(m.key or "", []).append(m)
    assert set(by_plate) == set(plates)
    order = {e.event_id: i for i, e in enumerate(events)}
    for plate, ms in by_plate.items():
        assert len({m.partition for m in ms}) == 1, f"{plate} spread over partitions"
        ms.sort(key=lambda m: m.offset)
        positions = [order[json.loads(m.value)["event_id"]] for m in ms]
        assert positions == sorted(positions), f"{plate}'s entries out of order on its partition"
    late = {e.event_id for e in published[len(first_wave) + killed_after :]}
    assert {m.partition for m in records if json.loads(m.value)["event_id"] in late} & owned_by_a
