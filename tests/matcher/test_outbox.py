"""Every flag change on the flags topic, through the outbox, on the real broker and both stores:
operators through the API, late declarations from every route, a relay killed between publishing
and marking rows sent while the broker is away, and consumers started before the first flag."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from api.main import create_app
from api.settings import Settings
from matcher import MatcherService, lifecycle
from matcher.relay import RelayOptions
from pipeline.bus import Bus, Message, Topics, publish_event
from pipeline.cli import app as cli
from pipeline.events import FlagEvent, ResolutionOutcome
from store import Store
from store.models import Flag, FlagOutbox
from tests.api.conftest import Keys, make_flags, make_keys
from tests.matcher.conftest import ROOT, consume_until, drain, validated_flags
from tests.matcher.factories import make_event
from tests.store.builders import declaration_in, declare
from tests.store.csv_samples import HEADER, row
from tooling.kafka_broker import KafkaBroker

runner = CliRunner()


@pytest.fixture
def client(store: Store, db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        db_url=db_url,
        evidence_root=tmp_path / "evidence",
        declare_rate_limit=1000,
        list_cache_s=0,
        auth_cache_s=0,
    )
    with TestClient(create_app(settings, store=store)) as c:
        yield c


def prefix_of(topics: Topics) -> str:
    return topics.entries.removesuffix(Topics().entries)


def relay_once(kafka_broker: KafkaBroker, db_url: str, topics: Topics) -> None:
    """``entrywatch relay --once``: publish what the outbox holds."""
    args = ["relay", "--once", "--bus", kafka_broker.url, "--db", db_url]
    result = runner.invoke(cli, [*args, "--topic-prefix", prefix_of(topics)])
    assert result.exit_code == 0, result.output


def changes_of(store: Store) -> list[tuple[int, str, str]]:
    """Every change in the outbox, oldest first: (flag id, status, updated_at)."""
    with store.session() as session:
        values = session.scalars(select(FlagOutbox.value).order_by(FlagOutbox.id)).all()
    events = [FlagEvent.model_validate_json(v) for v in values]
    return [(e.flag_id, e.status.value, e.updated_at.isoformat()) for e in events]


def keyed(values: list[dict[str, Any]]) -> list[tuple[int, str, str]]:
    """The dedupe key of each FlagEvent on the topic, in topic order."""
    return [
        (v["flag_id"], v["status"], datetime.fromisoformat(v["updated_at"]).isoformat())
        for v in values
    ]


def read_all(bus: Bus, topic: str, want: set[tuple[int, str, str]], timeout_s: float = 60) -> list:
    def done(got: list[Message]) -> bool:
        return set(keyed([json.loads(m.value) for m in got])) >= want

    return validated_flags(consume_until(bus, topic, done, timeout_s=timeout_s))


def per_flag(keys: list[tuple[int, str, str]]) -> dict[int, list[tuple[str, str]]]:
    out: dict[int, list[tuple[str, str]]] = {}
    for flag_id, status, at in keys:
        out.setdefault(flag_id, []).append((status, at))
    return out


def test_operator_and_late_declaration_changes_each_publish_one_event_in_order(
    bus: Bus,
    store: Store,
    db_url: str,
    kafka_broker: KafkaBroker,
    kafka_topics: Topics,
    make_service: Callable[..., MatcherService],
    client: TestClient,
    tmp_path: Path,
) -> None:
    keys: Keys = make_keys(store)
    op, admin = keys.headers("operator"), keys.headers("admin")
    now = datetime.now(UTC)
    crossed = now - timedelta(minutes=10)
    # An expired declaration (ended 3 h before the crossing) and one for another checkpoint.
    day_before = crossed - timedelta(days=1)
    declare(
        store,
        declaration_in(
            "75A22222",
            valid_from=crossed - timedelta(hours=9),
            valid_until=crossed - timedelta(hours=3),
            filed_at=day_before,
        ),
        declaration_in(
            "75A33333",
            valid_from=crossed - timedelta(hours=1),
            valid_until=crossed + timedelta(hours=5),
            filed_at=day_before,
            checkpoints=frozenset({"CP-ELSEWHERE"}),
        ),
    )
    entries = {
        "operator": make_event("75A11111", crossed_at=crossed),
        "undeclared": make_event("75A44444", crossed_at=crossed),
        "expired": make_event("75A22222", crossed_at=crossed),
        "wrong_checkpoint": make_event("75A33333", crossed_at=crossed),
    }
    for event in entries.values():
        publish_event(bus, kafka_topics, event)
    bus.flush(30)
    service = make_service()
    assert drain(service, len(entries)) == len(entries)  # run_once also empties the outbox
    service.close()
    with store.session() as session:
        flag_of = dict(session.execute(select(Flag.event_id, Flag.id)).all())
        reasons = dict(session.execute(select(Flag.event_id, Flag.reason)).all())
    ids = {name: flag_of[e.event_id] for name, e in entries.items()}
    assert {name: reasons[e.event_id] for name, e in entries.items() if name != "operator"} == {
        "undeclared": "undeclared",
        "expired": "expired",
        "wrong_checkpoint": "wrong_checkpoint",
    }

    # An operator acknowledges then resolves; a refused action changes nothing.
    url = f"/api/flags/{ids['operator']}"
    assert client.post(f"{url}/acknowledge", json={"note": "on it"}, headers=op).status_code == 200
    assert client.post(f"{url}/acknowledge", json={}, headers=op).status_code == 409
    resolved = client.post(f"{url}/resolve", json={"outcome": "misread"}, headers=op)
    assert resolved.status_code == 200
    # A driver files late on the public endpoint: it settles the undeclared and expired flags.
    for plate in ("75A-444.44", "75A-222.22"):
        body = {
            "plate": plate, "driver_name": "Trần Thị B", "driver_phone": "0905 000 111",
            "origin": "Đà Nẵng", "destination": "Huế",
            "valid_from": (crossed - timedelta(minutes=30)).isoformat(),
            "valid_until": (now + timedelta(days=1)).isoformat(),
        }  # fmt: skip
        filed = client.post("/api/declarations", json=body)
        assert filed.status_code == 201 and filed.json()["resolved_flags"] == 1, filed.text
    # An admin imports a CSV covering the wrong-checkpoint one (any checkpoint).
    late_row = row(
        "75A-333.33",
        checkpoints="*",
        valid_from=(crossed - timedelta(hours=1)).isoformat(),
        valid_until=(now + timedelta(hours=6)).isoformat(),
        filed_at=now.isoformat(),
    )
    csv_text = f"{HEADER}\n{late_row}\n"
    imported = client.post(
        "/api/declarations/import", files={"file": ("late.csv", csv_text)}, headers=admin
    )
    assert imported.status_code == 200 and imported.json()["resolved_flags"] == 1, imported.text

    relay_once(kafka_broker, db_url, kafka_topics)
    changes = changes_of(store)
    assert len(changes) == 4 + 2 + 3  # four opened, acknowledged and resolved, three late
    values = read_all(bus, kafka_topics.flags, set(changes))
    on_topic = keyed(values)
    assert sorted(on_topic) == sorted(changes), "exactly one FlagEvent per change"
    assert per_flag(on_topic) == per_flag(changes), "in order per flag"
    by_flag = per_flag(on_topic)
    assert [s for s, _ in by_flag[ids["operator"]]] == ["open", "acknowledged", "resolved"]
    for name in ("undeclared", "expired", "wrong_checkpoint"):
        assert [s for s, _ in by_flag[ids[name]]] == ["open", "resolved"]
    last = {v["flag_id"]: v for v in values}
    assert last[ids["operator"]]["resolution"]["outcome"] == "misread"
    assert last[ids["operator"]]["resolution"]["actor"] == "operator-user"
    for name in ("undeclared", "expired", "wrong_checkpoint"):
        resolution = last[ids[name]]["resolution"]
        assert resolution["outcome"] == "declared_late" and resolution["actor"] == "system"
        assert isinstance(resolution["declaration_id"], int)
    # The REST flag is the last FlagEvent of the flag, field for field; the detail view adds
    # the audit trail and the declaration the decision refers to (none here).
    rest = client.get(url, headers=op).json()
    assert rest.pop("audit") and rest.pop("declaration") is None
    assert rest == last[ids["operator"]]
    # Sent rows are marked; a second relay run publishes nothing more.
    with store.session() as session:
        unsent = select(func.count()).select_from(FlagOutbox).where(FlagOutbox.sent_at.is_(None))
        assert session.scalar(unsent) == 0


def test_consumers_of_every_topic_start_before_the_first_flag(
    bus: Bus,
    store: Store,
    db_url: str,
    kafka_broker: KafkaBroker,
    kafka_topics: Topics,
    make_service: Callable[..., MatcherService],
) -> None:
    service = make_service()
    assert service.run_once().records == 0  # nothing published yet: the topics are made anyway
    for topic in kafka_topics.all():
        with bus.subscribe([topic], f"early-{uuid.uuid4().hex[:8]}") as consumer:
            assert consumer.poll(500) == []
    # ``entrywatch relay`` makes them too, where no matcher runs.
    fresh = Topics.with_prefix(f"test-{uuid.uuid4().hex[:8]}.")
    relay_once(kafka_broker, db_url, fresh)
    with bus.subscribe([fresh.flags], f"early-{uuid.uuid4().hex[:8]}") as consumer:
        assert consumer.poll(500) == []


# A relay that stops after the broker acknowledged a round and before it marks the rows sent:
# the test SIGKILLs it there.
_SLOW_RELAY = """
import sys, time
from pathlib import Path
import matcher.relay as relay
marker = Path(sys.argv[1])
def held(self, ids, at):
    marker.write_text(",".join(map(str, ids)))
    time.sleep(600)
relay.OutboxRelay._mark_sent = held
from pipeline.cli import app
app(sys.argv[2:])
"""


def start_relay(
    kafka_broker: KafkaBroker, db_url: str, topics: Topics, log: Path, marker: Path | None = None
) -> subprocess.Popen[bytes]:
    args = ["relay", "--bus", kafka_broker.url, "--db", db_url]
    args += ["--topic-prefix", prefix_of(topics), "--poll-interval", "0.05"]
    if marker is None:
        cmd = [sys.executable, "-m", "pipeline.cli", *args]
    else:
        cmd = [sys.executable, "-c", _SLOW_RELAY, str(marker), *args]
    return subprocess.Popen(
        cmd, cwd=ROOT, stdout=log.open("ab"), stderr=subprocess.STDOUT, env={**os.environ}
    )


def wait_for(predicate: Callable[[], bool], timeout_s: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        tail = log.read_text()[-3000:] if log.exists() else ""
        assert time.monotonic() < deadline, f"timed out waiting for {what}:\n{tail}"
        time.sleep(0.1)


def test_killed_relay_and_stopped_broker_lose_nothing(
    bus: Bus,
    store: Store,
    db_url: str,
    kafka_broker: KafkaBroker,
    kafka_topics: Topics,
    tmp_path: Path,
) -> None:
    bus.ensure_topics(kafka_topics.all())
    flag_ids = make_flags(store, 30)  # 30 "open" changes in the outbox
    log, marker = tmp_path / "relay.log", tmp_path / "published"

    # 1. A relay publishes the first round, the broker acknowledges it, and it is killed before
    #    it marks the rows sent.
    first = start_relay(kafka_broker, db_url, kafka_topics, log, marker)
    try:
        wait_for(marker.exists, 60, "the first round", log)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    published_unmarked = len(marker.read_text().split(","))
    assert published_unmarked == 30

    # 2. The broker goes away for 30 s; operators keep working meanwhile, and a new relay starts.
    kafka_broker.stop()
    second: subprocess.Popen[bytes] | None = None
    try:
        down_at = time.monotonic()
        for n, flag_id in enumerate(flag_ids):
            with store.transaction() as session:
                lifecycle.acknowledge(session, flag_id, "operator-user", f"call {n}")
            if n % 2 == 0:
                with store.transaction() as session:
                    lifecycle.resolve(session, flag_id, "operator-user", ResolutionOutcome.MISREAD)
        second = start_relay(kafka_broker, db_url, kafka_topics, log)
        time.sleep(max(0.0, 30 - (time.monotonic() - down_at)))
        assert second.poll() is None, log.read_text()[-3000:]
    finally:
        kafka_broker.start()

    # 3. After recovery every change is on the topic; duplicates are only the killed relay's round.
    try:
        changes = changes_of(store)
        assert len(changes) == 30 + 30 + 15
        values = read_all(bus, kafka_topics.flags, set(changes), timeout_s=120)
        on_topic = keyed(values)
        assert set(on_topic) == set(changes)
        assert len(on_topic) - len(changes) <= published_unmarked
        # Per flag, with duplicates dropped by the documented key, the changes arrive in order.
        seen: set[tuple[int, str, str]] = set()
        first_copies = []
        for key in on_topic:
            if key not in seen:
                seen.add(key)
                first_copies.append(key)
        assert per_flag(first_copies) == per_flag(changes)

        def all_marked() -> bool:
            with store.session() as session:
                query = select(func.count()).select_from(FlagOutbox)
                return session.scalar(query.where(FlagOutbox.sent_at.is_(None))) == 0

        wait_for(all_marked, 30, "the outbox to be marked sent", log)
    finally:
        if second is not None:
            second.send_signal(signal.SIGTERM)
            assert second.wait(30) == 0, log.read_text()[-3000:]
    assert RelayOptions().lease_s <= 15  # the new relay took over within the outage
