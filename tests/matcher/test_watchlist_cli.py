"""``entrywatch watchlist add|remove|list|audit`` over a real store (SQLite and PostgreSQL), and a
plate added by the command flagged at top priority by the Kafka matcher (the production path)."""

from __future__ import annotations

import json
from collections.abc import Callable

from typer.testing import CliRunner

from matcher import MatcherService
from matcher.local import InProcessMatcher
from matcher.rules import Outcome, Priority
from pipeline.bus import Bus, Topics, publish_event
from pipeline.cli import app
from store import Store
from tests.matcher.conftest import consume, drain, validated_flags
from tests.matcher.factories import make_event

runner = CliRunner()


def lines(output: str) -> list[dict]:
    return [json.loads(x) for x in output.splitlines() if x.startswith("{")]


def test_add_list_remove_audit(store: Store, db_url: str) -> None:
    added = runner.invoke(
        app,
        ["watchlist", "add", "75a-123.45", "--reason", "xe bị mất cắp", "--by", "Lan",
         "--db", db_url],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "75A12345: added" in added.output

    listed = runner.invoke(app, ["watchlist", "list", "--db", db_url])
    [entry] = lines(listed.stdout)
    assert (entry["plate"], entry["reason"], entry["added_by"]) == (
        "75A12345",
        "xe bị mất cắp",
        "Lan",
    )

    [(_, decision)] = InProcessMatcher(store).decide_batch([make_event("75A12345")])
    assert (decision.outcome, decision.priority) == (Outcome.WATCHLISTED, Priority.CRITICAL)

    removed = runner.invoke(
        app, ["watchlist", "remove", "75A12345", "--note", "recovered", "--db", db_url]
    )
    assert removed.exit_code == 0, removed.output
    assert lines(runner.invoke(app, ["watchlist", "list", "--db", db_url]).stdout) == []
    again = runner.invoke(app, ["watchlist", "remove", "75A12345", "--db", db_url])
    assert again.exit_code == 1 and "75A12345 is not on the watch list" in again.output

    trail = lines(runner.invoke(app, ["watchlist", "audit", "75A-123.45", "--db", db_url]).stdout)
    assert [(t["action"], t["note"]) for t in trail] == [("removed", "recovered"), ("added", None)]
    assert trail[0]["actor"].startswith("cli") and trail[1]["actor"] == "Lan"


def test_bad_plate_or_missing_reason_is_one_line(store: Store, db_url: str) -> None:
    bad = runner.invoke(app, ["watchlist", "add", "ABC", "--reason", "x", "--db", db_url])
    assert bad.exit_code == 2 and "plate 'ABC' normalises to 'ABC'" in bad.output
    blank = runner.invoke(app, ["watchlist", "add", "75A12345", "--reason", " ", "--db", db_url])
    assert blank.exit_code == 2 and "reason is required" in blank.output
    missing = runner.invoke(app, ["watchlist", "add", "75A12345", "--db", db_url])
    assert missing.exit_code == 2 and "--reason" in missing.output


def test_a_plate_added_by_the_command_is_flagged_first_by_the_kafka_matcher(
    bus: Bus,
    store: Store,
    db_url: str,
    kafka_topics: Topics,
    make_service: Callable[..., MatcherService],
) -> None:
    done = runner.invoke(
        app, ["watchlist", "add", "51F-222.22", "--reason", "stolen", "--db", db_url]
    )
    assert done.exit_code == 0, done.output
    for event in (make_event("51F22222"), make_event("43A11111")):
        publish_event(bus, kafka_topics, event)
    bus.flush(30)
    assert drain(make_service(), 2) == 2
    flags = {f["plate"]: f for f in validated_flags(consume(bus, kafka_topics.flags, 2))}
    assert flags["51F22222"]["reason"] == "watchlisted"
    assert flags["51F22222"]["priority"] == Priority.CRITICAL
    assert flags["43A11111"]["reason"] == "undeclared"
    assert flags["43A11111"]["priority"] < flags["51F22222"]["priority"]
