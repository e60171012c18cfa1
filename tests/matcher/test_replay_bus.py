"""``entrywatch replay --bus URL`` publishes each entry and flushes before it exits (the models
are replaced by the captured clip events: the wiring is under test, not the vision)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pipeline.bus import Bus, Topics
from pipeline.cli import app
from pipeline.cli import replay as cli_replay
from tests.matcher.conftest import ROOT, consume
from tests.matcher.test_round_trip import clip_events
from tooling.kafka_broker import KafkaBroker


def test_replay_publishes_to_the_bus(
    bus: Bus, kafka_broker: KafkaBroker, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    events = clip_events()

    def fake_run_replays(*args: Any, publish: Any = None, **kwargs: Any) -> tuple[list, list]:
        for event in events:
            publish(event)
        return [], []

    monkeypatch.setattr(cli_replay, "run_replays", fake_run_replays)
    result = CliRunner().invoke(
        app,
        ["replay", str(ROOT / "sample_videos" / "entry_evening.mp4"), "--config",
         str(ROOT / "configs" / "sample_cameras.yaml"), "--bus", kafka_broker.url,
         "-o", str(tmp_path / "out.jsonl")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    # Default topic names: other tests may share them, so look for ours among what is there.
    got = {m.json()["event_id"]: m for m in consume(bus, Topics().entries, 1000, timeout_s=5)}
    for event in events:
        assert got[event.event_id].key == event.key
