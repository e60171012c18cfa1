"""Shared test set-up: the real servers (Kafka, PostgreSQL) are started once per session."""

import os

os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("YOLO_AUTOINSTALL", "0")
os.environ.setdefault("YOLO_VERBOSE", "False")

pytest_plugins = ["tests.conftest_kafka", "tests.conftest_db"]
