"""Pytest plugin: one real Kafka broker for the whole test session.

Register it in ``tests/conftest.py`` with ``pytest_plugins = ["tests.conftest_kafka"]``
(``tests/bus/conftest.py`` loads it itself until then). The broker's jars are fetched from Maven
once into ``.cache/kafka``; tests skip only when ``java`` is missing.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator

import pytest

from pipeline.bus import Topics
from tooling.kafka_broker import KafkaBroker, java_binary


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    """A started single-node broker; tests may ``restart()`` it but must leave it running."""
    if shutil.which(java_binary()) is None:
        pytest.skip("java is not installed: the Kafka tests need a JVM (17+)")
    broker = KafkaBroker(tmp_path_factory.mktemp("kafka"))
    broker.start()
    try:
        yield broker
    finally:
        broker.close()


@pytest.fixture
def kafka_topics() -> Topics:
    """Fresh topic names per test, so tests share the broker without sharing records."""
    return Topics.with_prefix(f"test-{uuid.uuid4().hex[:8]}.")
