"""Shared test set-up: the real servers (Kafka, PostgreSQL) are started once per session.

Tests are marked by what they need, from the fixtures they use (``make test-fast`` runs the rest):
``kafka`` (the broker), ``pg`` (the PostgreSQL server, or the ``postgresql`` case of ``db_url``),
``browser`` (Chromium), ``rtsp`` (the test RTSP server) and ``models`` (the real models; every
``slow`` test).
"""

import os

import pytest

os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("YOLO_AUTOINSTALL", "0")
os.environ.setdefault("YOLO_VERBOSE", "False")

pytest_plugins = ["tests.conftest_kafka", "tests.conftest_db"]


_BY_FIXTURE = {
    "kafka_broker": "kafka",
    "pg_server": "pg",
    "chromium": "browser",
    "rtsp": "rtsp",
    "h264_clips": "rtsp",
}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        wanted = {marker for fixture, marker in _BY_FIXTURE.items() if fixture in names}
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("db_url") == "postgresql":
            wanted.add("pg")
        if item.get_closest_marker("slow") is not None:
            wanted.add("models")
        for marker in sorted(wanted):
            item.add_marker(marker)
